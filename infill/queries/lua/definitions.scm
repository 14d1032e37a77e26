; Functions whose header infill.context keeps in the prompt when the cursor is in their body.
; Lua's grammar gives an empty function no body node: there its "end" stands for the body
; (the header then ends at the token before it, the parameter list).

(function_declaration body: (_) @definition.body) @definition.function
(function_definition body: (_) @definition.body) @definition.function
(function_declaration !body "end" @definition.body) @definition.function
(function_definition !body "end" @definition.body) @definition.function
