; Names a piece of code calls: plain functions, and function pointers in a struct (s.f(),
; p->f()).

(call_expression function: (identifier) @call.name)
(call_expression function: (field_expression field: (field_identifier) @call.name))
