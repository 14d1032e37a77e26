; Gap kinds for infill.gaps (the captures mean what they mean in queries/python/gaps.scm):
; @arguments / @expression: a bracketed node; the cursor between its brackets gives the kind.
; @block: the token that ends a header line and opens a body; a cursor on a blank line
; after it begins that body. Braces of arrays and match arms are expressions, not bodies.

(arguments) @arguments
(formal_parameters) @arguments
(anonymous_function_use_clause) @arguments

(array_creation_expression) @expression
(list_literal) @expression
(parenthesized_expression) @expression
(subscript_expression) @expression
(match_block) @expression

(compound_statement "{" @block)
(declaration_list "{" @block)
(enum_declaration_list "{" @block)
(switch_block "{" @block)
(case_statement ":" @block)
(default_statement ":" @block)
(colon_block ":" @block)

; a body whose "}" is not typed yet: tree-sitter may keep the header's tokens in an ERROR
(ERROR "{" @block)
