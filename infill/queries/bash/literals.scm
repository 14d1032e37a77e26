; Strings, heredocs and comments: code a completion must not swallow into one of them
; (infill.syntax.adds_syntax_errors).

(string) @literal
(raw_string) @literal
(ansi_c_string) @literal
(translated_string) @literal
(heredoc_body) @literal
(comment) @literal
