; Nodes whose direct children are statements (LanguageSpec.blocks): a trimmed prompt starts
; and ends on one of their children when it can (infill.context).

(program) @scope
(compound_statement) @scope
(do_group) @scope
(if_statement) @scope
(elif_clause) @scope
(else_clause) @scope
(case_item) @scope
(subshell) @scope
