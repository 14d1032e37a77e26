; Strings (verbatim, raw and interpolated ones too), characters and comments: code a
; completion must not swallow into one of them (infill.syntax.adds_syntax_errors). A raw
; string left open has no raw_string_literal node, only its content; a verbatim one left
; open is an ERROR token that starts with @" (or $@", @$").

(string_literal) @literal
(verbatim_string_literal) @literal
(raw_string_literal) @literal
(raw_string_content) @literal
(interpolated_string_expression) @literal
(character_literal) @literal
(comment) @literal
((ERROR) @literal
  (#match? @literal "^(@|[$]@|@[$])\""))
