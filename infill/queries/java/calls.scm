; Names a piece of code calls: methods, plain or on an object, and constructors (new X(...)).

(method_invocation name: (identifier) @call.name)
(object_creation_expression type: (type_identifier) @call.name)
(object_creation_expression type: (generic_type (type_identifier) @call.name))
(object_creation_expression type: (scoped_type_identifier (type_identifier) @call.name .))
(object_creation_expression type: (generic_type (scoped_type_identifier (type_identifier) @call.name .)))
