; Strings (raw ones too), characters, <header> names and comments: code a completion must not
; swallow into one of them (infill.syntax.adds_syntax_errors). A raw string left open has no
; raw_string_literal node, only its content.

(string_literal) @literal
(raw_string_literal) @literal
(raw_string_content) @literal
(char_literal) @literal
(system_lib_string) @literal
(comment) @literal
