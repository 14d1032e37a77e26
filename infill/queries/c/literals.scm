; Strings, characters, <header> names and comments: code a completion must not swallow into
; one of them (infill.syntax.adds_syntax_errors).

(string_literal) @literal
(char_literal) @literal
(system_lib_string) @literal
(comment) @literal
