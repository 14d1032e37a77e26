; Gap kinds for infill.gaps (the captures mean what they mean in queries/python/gaps.scm):
; @arguments / @expression: a bracketed node; the cursor between its brackets gives the kind.
; @block: the token that ends a header line and opens a body; a cursor on a blank line
; after it begins that body.
;
; A struct expression's "{" (field_initializer_list) and a macro's brackets are expressions,
; not bodies.

(arguments) @arguments
(parameters) @arguments
(macro_invocation (token_tree . "(") @arguments)
(attribute arguments: (token_tree) @arguments)

(array_expression) @expression
(tuple_expression) @expression
(parenthesized_expression) @expression
(index_expression) @expression
(field_initializer_list) @expression
(token_tree) @expression
(tuple_pattern) @expression
(slice_pattern) @expression
(tuple_struct_pattern) @expression
(struct_pattern) @expression
(tuple_type) @expression
(array_type) @expression
(ordered_field_declaration_list) @expression
(use_list) @expression

(block "{" @block)
(declaration_list "{" @block)
(field_declaration_list "{" @block)
(enum_variant_list "{" @block)
(match_block "{" @block)
(match_arm "=>" @block)
