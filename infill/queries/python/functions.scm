; Functions by name, for the context beyond the prompt: the function under the cursor
; (infill.sources.diagnostics) and a failing test's function (infill.sources.failing).

(function_definition
  name: (identifier) @function.name) @function
