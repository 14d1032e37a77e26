; Nodes whose direct children are statements (LanguageSpec.blocks): a trimmed prompt starts
; and ends on one of their children when it can (infill.context).

(chunk) @scope
(block) @scope
(function_definition) @scope
