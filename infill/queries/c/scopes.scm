; Nodes whose direct children are statements or members (LanguageSpec.blocks): a trimmed
; prompt starts and ends on one of their children when it can (infill.context).

(translation_unit) @scope
(compound_statement) @scope
(case_statement) @scope
(field_declaration_list) @scope
(enumerator_list) @scope
(preproc_if) @scope
(preproc_ifdef) @scope
(preproc_else) @scope
(preproc_elif) @scope
(preproc_elifdef) @scope
