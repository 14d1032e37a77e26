; Strings, characters and comments: code a completion must not swallow into one of them
; (infill.syntax.adds_syntax_errors).

(string_literal) @literal
(raw_string_literal) @literal
(char_literal) @literal
(line_comment) @literal
(block_comment) @literal
