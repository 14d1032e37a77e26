; Nodes whose direct children are statements (LanguageSpec.blocks): a trimmed prompt starts
; and ends on one of their children when it can (infill.context).

(program) @scope
(body_statement) @scope
(then) @scope
(else) @scope
(do) @scope
(block_body) @scope
(begin_block) @scope
(end_block) @scope
(begin) @scope
(ensure) @scope
