; Strings (quoted and long brackets) and comments: code a completion must not swallow into
; one of them (infill.syntax.adds_syntax_errors).

(string) @literal
(comment) @literal
