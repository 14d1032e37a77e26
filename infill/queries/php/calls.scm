; Names a piece of code calls, plain or as a method (infill.sources).

(function_call_expression function: (name) @call.name)
(function_call_expression function: (qualified_name (name) @call.name .))
(member_call_expression name: (name) @call.name)
(nullsafe_member_call_expression name: (name) @call.name)
(scoped_call_expression name: (name) @call.name)
(object_creation_expression (name) @call.name)
(object_creation_expression (qualified_name (name) @call.name .))
