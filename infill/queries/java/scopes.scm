; Nodes whose direct children are statements or members (LanguageSpec.blocks): a trimmed
; prompt starts and ends on one of their children when it can (infill.context).

(program) @scope
(block) @scope
(class_body) @scope
(interface_body) @scope
(enum_body_declarations) @scope
(constructor_body) @scope
(switch_block_statement_group) @scope
(switch_block) @scope
(enum_body) @scope
(annotation_type_body) @scope
