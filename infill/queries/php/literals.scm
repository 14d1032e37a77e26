; Strings, heredocs, nowdocs, shell commands, comments and inline HTML: code a completion
; must not swallow into one of them (infill.syntax.adds_syntax_errors).

(string) @literal
(encapsed_string) @literal
(heredoc) @literal
(nowdoc) @literal
(shell_command_expression) @literal
(comment) @literal
(text) @literal
