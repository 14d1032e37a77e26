; Gap kinds for infill.gaps (the captures mean what they mean in queries/python/gaps.scm):
; @arguments / @expression: a bracketed node; the cursor between its brackets gives the kind.
; @block: the token that ends a header line and opens a body; a cursor on a blank line
; after it begins that body. Lua's bodies open with a keyword ("then", "do", "else",
; "repeat") or, for a function, right after its parameter list. A body not closed by its
; "end" yet leaves these tokens in an ERROR node: those count too.
;
; A table constructor's "{" is an expression, not a body.

(arguments) @arguments
(parameters) @arguments

(table_constructor) @expression
(parenthesized_expression) @expression
(bracket_index_expression) @expression

(function_declaration parameters: (parameters) @block)
(function_definition parameters: (parameters) @block)
(if_statement "then" @block)
(elseif_statement "then" @block)
(else_statement "else" @block)
(for_statement "do" @block)
(while_statement "do" @block)
(do_statement "do" @block)
(repeat_statement "repeat" @block)

(ERROR (parameters) @block)
(ERROR "then" @block)
(ERROR "do" @block)
(ERROR "else" @block)
(ERROR "repeat" @block)
