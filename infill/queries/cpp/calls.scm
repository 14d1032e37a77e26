; Names a piece of code calls: plain, qualified (ns::f()) or template (f<T>()) functions,
; methods (o.m(), p->m()) and constructors (new T(...)).

(call_expression function: (identifier) @call.name)
(call_expression function: (qualified_identifier name: (identifier) @call.name))
(call_expression function: (template_function name: (identifier) @call.name))
(call_expression function: (qualified_identifier name: (template_function name: (identifier) @call.name)))
(call_expression function: (field_expression field: (field_identifier) @call.name))
(call_expression function: (field_expression field: (template_method name: (field_identifier) @call.name)))
(call_expression function: (field_expression field: (dependent_name (template_method name: (field_identifier) @call.name))))
(new_expression type: (type_identifier) @call.name)
(new_expression type: (template_type name: (type_identifier) @call.name))
(new_expression type: (qualified_identifier name: (type_identifier) @call.name))
(new_expression type: (qualified_identifier name: (template_type name: (type_identifier) @call.name)))
