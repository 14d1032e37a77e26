; Nodes whose direct children are statements or members (LanguageSpec.blocks): a trimmed
; prompt starts and ends on one of their children when it can (infill.context).

(compilation_unit) @scope
(block) @scope
(declaration_list) @scope
(switch_section) @scope
(enum_member_declaration_list) @scope
(accessor_list) @scope
