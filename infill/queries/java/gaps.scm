; Gap kinds for infill.gaps (the captures mean what they mean in queries/python/gaps.scm):
; @arguments / @expression: a bracketed node; the cursor between its brackets gives the kind.
; @block: the token that ends a header line and opens a body (a method, class or statement
; body, a case's statements); a cursor on a blank line after it begins that body. The "{" of
; an array initializer is an expression, not a block.

(argument_list) @arguments
(formal_parameters) @arguments
(inferred_parameters) @arguments
(annotation_argument_list) @arguments
(resource_specification) @arguments

(array_initializer) @expression
(element_value_array_initializer) @expression
(parenthesized_expression) @expression
(array_access) @expression
(dimensions_expr) @expression

(block "{" @block)
(constructor_body "{" @block)
(class_body "{" @block)
(interface_body "{" @block)
(enum_body "{" @block)
(annotation_type_body "{" @block)
(module_body "{" @block)
(switch_block "{" @block)
(switch_block_statement_group ":" @block)

; a brace the parser could not place (the file is broken after it): the header line, or an
; Allman-style "{" on a line of its own, begins the body that follows
(ERROR "{" @block)
