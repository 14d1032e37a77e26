; Nodes whose direct children are statements (LanguageSpec.blocks): a trimmed prompt starts
; and ends on one of their children when it can (infill.context).

(source_file) @scope
(statement_list) @scope
(field_declaration_list) @scope
(expression_case) @scope
(default_case) @scope
(type_case) @scope
(communication_case) @scope
(block) @scope
(interface_type) @scope
