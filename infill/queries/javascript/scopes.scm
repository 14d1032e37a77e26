; Nodes whose direct children are statements (LanguageSpec.blocks): a trimmed prompt starts
; and ends on one of their children when it can (infill.context).

(program) @scope
(statement_block) @scope
(class_body) @scope
(switch_case) @scope
(switch_default) @scope
