; Functions by name (the name sits in the function_declarator, under a pointer declarator
; for a function returning a pointer), for the context beyond the prompt
; (infill.sources.diagnostics, infill.sources.failing).

(function_definition
  declarator: (function_declarator declarator: (identifier) @function.name)) @function
(function_definition
  declarator: (pointer_declarator
    declarator: (function_declarator declarator: (identifier) @function.name))) @function
(function_definition
  declarator: (pointer_declarator
    declarator: (pointer_declarator
      declarator: (function_declarator declarator: (identifier) @function.name)))) @function
