; Nodes whose direct children are statements (LanguageSpec.blocks): a trimmed prompt starts
; and ends on one of their children when it can (infill.context).

(program) @scope
(compound_statement) @scope
(declaration_list) @scope
(case_statement) @scope
(default_statement) @scope
(colon_block) @scope
(enum_declaration_list) @scope
