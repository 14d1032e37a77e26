; Methods whose header infill.context keeps in the prompt when the cursor is in their body.

(method body: (_) @definition.body) @definition.function
(singleton_method body: (_) @definition.body) @definition.function
