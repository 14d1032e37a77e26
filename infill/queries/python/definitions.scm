; Definitions whose header (from the keyword to the body) infill.context keeps in the
; prompt when the cursor is inside them, however small the budget.

(function_definition
  body: (_) @definition.body) @definition.function
