; Strings (text blocks included), characters and comments: code a completion must not
; swallow into one of them (infill.syntax.adds_syntax_errors). A string left open has no
; string_literal node, only its fragment: the fragments count too.

(string_literal) @literal
(string_fragment) @literal
(multiline_string_fragment) @literal
(character_literal) @literal
(line_comment) @literal
(block_comment) @literal
