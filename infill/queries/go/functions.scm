; Functions by name, for the context beyond the prompt (infill.sources.diagnostics).

(function_declaration name: (identifier) @function.name) @function
(method_declaration name: (field_identifier) @function.name) @function
(short_var_declaration
  left: (expression_list . (identifier) @function.name .)
  right: (expression_list . (func_literal) .)) @function
(var_spec
  name: (identifier) @function.name
  value: (expression_list . (func_literal) .)) @function
