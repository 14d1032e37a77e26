; Functions whose header infill.context keeps in the prompt when the cursor is in their body.

(function_definition body: (_) @definition.body) @definition.function
