; Functions by name, for the context beyond the prompt (infill.sources.diagnostics):
; function f(), function M.f(), function M:f(), local function f(), local f = function().

(function_declaration name: (identifier) @function.name) @function
(function_declaration name: (dot_index_expression field: (identifier) @function.name)) @function
(function_declaration name: (method_index_expression method: (identifier) @function.name)) @function
(assignment_statement
  (variable_list . name: (identifier) @function.name .)
  (expression_list . value: (function_definition) .)) @function
(assignment_statement
  (variable_list . name: (dot_index_expression field: (identifier) @function.name) .)
  (expression_list . value: (function_definition) .)) @function
