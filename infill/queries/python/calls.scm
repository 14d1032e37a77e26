; Names a piece of code calls, plain or as a method/attribute: infill.sources.failing asks
; whether a failing test calls the function under the cursor.

(call
  function: (identifier) @call.name)
(call
  function: (attribute
    attribute: (identifier) @call.name))
