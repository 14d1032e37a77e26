; Functions, methods and lambdas whose header infill.context keeps in the prompt when the
; cursor is in their body.

(function_definition body: (_) @definition.body) @definition.function
(lambda_expression body: (compound_statement) @definition.body) @definition.function
