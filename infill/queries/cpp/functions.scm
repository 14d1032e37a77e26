; Functions and methods by name (the name sits in the function_declarator, qualified for a
; method defined outside its class, under a pointer or reference declarator for one returning
; a pointer or reference), for the context beyond the prompt (infill.sources.diagnostics,
; infill.sources.failing).

(function_definition
  declarator: (function_declarator
    declarator: [(identifier) (field_identifier)] @function.name)) @function
(function_definition
  declarator: (function_declarator
    declarator: (qualified_identifier name: (identifier) @function.name))) @function
(function_definition
  declarator: (function_declarator
    declarator: (qualified_identifier
      name: (qualified_identifier name: (identifier) @function.name)))) @function
(function_definition
  declarator: (_
    declarator: (function_declarator
      declarator: [(identifier) (field_identifier)] @function.name))) @function
(function_definition
  declarator: (_
    declarator: (function_declarator
      declarator: (qualified_identifier name: (identifier) @function.name)))) @function
(function_definition
  declarator: (reference_declarator
    (function_declarator
      declarator: [(identifier) (field_identifier)] @function.name))) @function
(function_definition
  declarator: (reference_declarator
    (function_declarator
      declarator: (qualified_identifier name: (identifier) @function.name)))) @function
