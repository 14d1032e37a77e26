; Functions and methods by name, for the context beyond the prompt (infill.sources.diagnostics).

(function_definition name: (name) @function.name) @function
(method_declaration name: (name) @function.name) @function
