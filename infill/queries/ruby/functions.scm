; Methods by name, for the context beyond the prompt (infill.sources.diagnostics).

(method name: (_) @function.name) @function
(singleton_method name: (_) @function.name) @function
