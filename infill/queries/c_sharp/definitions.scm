; Methods, constructors, accessors, local functions and lambdas with a block body, whose
; header infill.context keeps in the prompt when the cursor is in their body.

(method_declaration body: (block) @definition.body) @definition.function
(constructor_declaration body: (block) @definition.body) @definition.function
(destructor_declaration body: (block) @definition.body) @definition.function
(operator_declaration body: (block) @definition.body) @definition.function
(conversion_operator_declaration body: (block) @definition.body) @definition.function
(accessor_declaration body: (block) @definition.body) @definition.function
(local_function_statement body: (block) @definition.body) @definition.function
(lambda_expression body: (block) @definition.body) @definition.function
(anonymous_method_expression (block) @definition.body) @definition.function
