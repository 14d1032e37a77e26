; Functions by name, for the context beyond the prompt (infill.sources.diagnostics).

(function_item name: (identifier) @function.name) @function
(let_declaration
  pattern: (identifier) @function.name
  value: (closure_expression)) @function
