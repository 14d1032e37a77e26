; Strings and comments: code that a completion must not swallow into one of them
; (infill.syntax.adds_syntax_errors).

(string) @literal
(comment) @literal
