; Gap kinds for infill.context: which node around the cursor decides the completion shape.
;
; @arguments / @expression: a bracketed node; it counts only when the cursor lies between
; its opening and closing bracket, and the innermost such node wins (arguments first when
; one node has both captures, as a generator passed as the only argument).
; @block: the ":" that opens an indented body; a cursor on a blank line right after it
; begins that body.
; @block.docstring: a function body holding only its docstring, still to be written.

(argument_list) @arguments
(parameters) @arguments
(type_parameter) @arguments
(call arguments: (generator_expression) @arguments)

(list) @expression
(tuple) @expression
(set) @expression
(dictionary) @expression
(subscript) @expression
(parenthesized_expression) @expression
(list_comprehension) @expression
(set_comprehension) @expression
(dictionary_comprehension) @expression
(generator_expression) @expression
(list_pattern) @expression
(tuple_pattern) @expression
(dict_pattern) @expression

(function_definition ":" @block)
(class_definition ":" @block)
(if_statement ":" @block)
(elif_clause ":" @block)
(else_clause ":" @block)
(for_statement ":" @block)
(while_statement ":" @block)
(with_statement ":" @block)
(try_statement ":" @block)
(except_clause ":" @block)
(finally_clause ":" @block)
(match_statement ":" @block)
(case_clause ":" @block)
(ERROR ":" @block)

(function_definition
  body: (block . (expression_statement (string)) @block.docstring .))
