; Gap kinds for infill.gaps (the captures mean what they mean in queries/python/gaps.scm):
; @arguments / @expression: a bracketed node; the cursor between its brackets gives the kind.
; @block: the token that ends a header line and opens a body (a function, lambda or statement
; body, a class, struct, union, enum or namespace member list, a case's statements); a cursor
; on a blank line after it begins that body. The "{" of an initializer list is an
; expression, not a block.

(argument_list) @arguments
(parameter_list) @arguments
(preproc_params) @arguments

(initializer_list) @expression
(parenthesized_expression) @expression
(condition_clause) @expression
(subscript_argument_list) @expression
(lambda_capture_specifier) @expression

(compound_statement "{" @block)
(field_declaration_list "{" @block)
(enumerator_list "{" @block)
(declaration_list "{" @block)
(requirement_seq "{" @block)
(case_statement ":" @block)

; a brace the parser could not place (the file is broken after it): the header line, or an
; Allman-style "{" on a line of its own, begins the body that follows
(ERROR "{" @block)
