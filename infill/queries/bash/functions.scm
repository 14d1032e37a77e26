; Functions by name, for the context beyond the prompt (infill.sources.diagnostics).

(function_definition name: (word) @function.name) @function
