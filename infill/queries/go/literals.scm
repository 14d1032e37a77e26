; Strings, runes and comments: code a completion must not swallow into one of them
; (infill.syntax.adds_syntax_errors).

(interpreted_string_literal) @literal
(raw_string_literal) @literal
(rune_literal) @literal
(comment) @literal

; A raw string whose closing "`" is not typed yet leaves its content in an ERROR node: it
; still swallows the code after it.
(raw_string_literal_content) @literal
