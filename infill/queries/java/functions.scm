; Methods and constructors by name, for the context beyond the prompt
; (infill.sources.diagnostics, infill.sources.failing).

(method_declaration name: (identifier) @function.name) @function
(constructor_declaration name: (identifier) @function.name) @function
(compact_constructor_declaration name: (identifier) @function.name) @function
