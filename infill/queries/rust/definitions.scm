; Functions whose header infill.context keeps in the prompt when the cursor is in their body.

(function_item body: (_) @definition.body) @definition.function
(closure_expression body: (block) @definition.body) @definition.function
