; Methods, constructors and lambdas whose header infill.context keeps in the prompt when the
; cursor is in their body.

(method_declaration body: (_) @definition.body) @definition.function
(constructor_declaration body: (_) @definition.body) @definition.function
(compact_constructor_declaration body: (_) @definition.body) @definition.function
(lambda_expression body: (block) @definition.body) @definition.function
