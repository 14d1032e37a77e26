; Names a piece of code calls, plain, as a method, a path (Type::new) or a macro (println!).

(call_expression function: (identifier) @call.name)
(call_expression function: (field_expression field: (field_identifier) @call.name))
(call_expression function: (scoped_identifier name: (identifier) @call.name))
(call_expression function: (generic_function function: (identifier) @call.name))
(call_expression
  function: (generic_function function: (field_expression field: (field_identifier) @call.name)))
(call_expression
  function: (generic_function function: (scoped_identifier name: (identifier) @call.name)))
(macro_invocation macro: (identifier) @call.name)
