; Functions by name, for the context beyond the prompt: the function under the cursor
; (infill.diagnostics) and a failing test's function (infill.testcontext).

(function_definition
  name: (identifier) @function.name) @function
