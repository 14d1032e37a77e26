; Names a piece of code calls, plain or as a method / package function (infill.sources).

(call_expression function: (identifier) @call.name)
(call_expression function: (selector_expression field: (field_identifier) @call.name))
(type_conversion_expression type: (generic_type type: (type_identifier) @call.name))
(type_conversion_expression
  type: (generic_type type: (qualified_type name: (type_identifier) @call.name)))
