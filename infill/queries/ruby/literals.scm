; Strings, heredocs, commands, regular expressions and comments: code a completion must not
; swallow into one of them (infill.syntax.adds_syntax_errors).

(string) @literal
(heredoc_beginning) @literal
(heredoc_body) @literal
(subshell) @literal
(regex) @literal
(character) @literal
(string_array) @literal
(symbol_array) @literal
(delimited_symbol) @literal
(comment) @literal
