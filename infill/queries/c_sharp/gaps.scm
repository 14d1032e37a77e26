; Gap kinds for infill.gaps (the captures mean what they mean in queries/python/gaps.scm):
; @arguments / @expression: a bracketed node; the cursor between its brackets gives the kind.
; @block: the token that ends a header line and opens a body (a namespace, type, method,
; accessor or statement body, a case's statements); a cursor on a blank line after it begins
; that body. The "{" of an object or collection initializer is an expression, not a block.

(argument_list) @arguments
(parameter_list) @arguments
(bracketed_parameter_list) @arguments
(attribute_argument_list) @arguments

(initializer_expression) @expression
(anonymous_object_creation_expression) @expression
(collection_expression) @expression
(tuple_expression) @expression
(parenthesized_expression) @expression
(bracketed_argument_list) @expression
(array_rank_specifier) @expression
(switch_expression) @expression
(property_pattern_clause) @expression
(positional_pattern_clause) @expression
(list_pattern) @expression
(tuple_pattern) @expression
; conditions, whose brackets belong to the statement itself
(if_statement) @expression
(while_statement) @expression
(switch_statement) @expression

(block "{" @block)
(declaration_list "{" @block)
(switch_body "{" @block)
(accessor_list "{" @block)
(enum_member_declaration_list "{" @block)
(switch_section ":" @block)

; a brace the parser could not place (the file is broken after it): the header line, or an
; Allman-style "{" on a line of its own, begins the body that follows; not the "{" of an
; initializer after "new", "new T" or "new T<U>" (an expression)
(ERROR . "{" @block)
(ERROR . _ @_before . "{" @block
  (#not-eq? @_before "new"))
(ERROR _ @_new . _ @_before . "{" @block
  (#not-eq? @_new "new")
  (#not-eq? @_before "new"))
