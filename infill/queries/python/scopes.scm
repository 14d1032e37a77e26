; Nodes whose direct children are statements. A trimmed prompt starts at the start, and
; ends at the end, of one of these statements when it can (infill.context).

(module) @scope
(block) @scope
