; Functions whose header infill.context keeps in the prompt when the cursor is in their body.

(function_declaration body: (_) @definition.body) @definition.function
(generator_function_declaration body: (_) @definition.body) @definition.function
(function_expression body: (_) @definition.body) @definition.function
(method_definition body: (_) @definition.body) @definition.function
(arrow_function body: (statement_block) @definition.body) @definition.function
