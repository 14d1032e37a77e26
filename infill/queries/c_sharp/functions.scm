; Methods, constructors and local functions by name, for the context beyond the prompt
; (infill.sources.diagnostics, infill.sources.failing).

(method_declaration name: (identifier) @function.name) @function
(constructor_declaration name: (identifier) @function.name) @function
(local_function_statement name: (identifier) @function.name) @function
