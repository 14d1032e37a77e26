; Names a piece of code calls, plain or as a method (infill.sources).

(call method: (identifier) @call.name)
(call method: (constant) @call.name)
