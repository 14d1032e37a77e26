; Strings, templates, regular expressions and comments: code a completion must not swallow
; into one of them (infill.syntax.adds_syntax_errors).

(string) @literal
(template_string) @literal
(regex) @literal
(comment) @literal
