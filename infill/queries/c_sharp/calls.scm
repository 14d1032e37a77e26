; Names a piece of code calls: methods, plain, generic, on an object or null-conditional
; (a?.M()), and constructors (new X(...)).

(invocation_expression function: (identifier) @call.name)
(invocation_expression function: (generic_name (identifier) @call.name))
(invocation_expression function: (member_access_expression name: (identifier) @call.name))
(invocation_expression function: (member_access_expression name: (generic_name (identifier) @call.name)))
(invocation_expression function: (conditional_access_expression (member_binding_expression name: (identifier) @call.name)))
(invocation_expression function: (conditional_access_expression (member_binding_expression name: (generic_name (identifier) @call.name))))
(object_creation_expression type: (identifier) @call.name)
(object_creation_expression type: (generic_name (identifier) @call.name))
(object_creation_expression type: (qualified_name name: (identifier) @call.name))
(object_creation_expression type: (qualified_name name: (generic_name (identifier) @call.name)))
