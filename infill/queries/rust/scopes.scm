; Nodes whose direct children are statements (LanguageSpec.blocks): a trimmed prompt starts
; and ends on one of their children when it can (infill.context).

(source_file) @scope
(block) @scope
(declaration_list) @scope
(field_declaration_list) @scope
(match_block) @scope
(enum_variant_list) @scope
