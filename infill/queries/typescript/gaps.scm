; Gap kinds for infill.gaps (the captures mean what they mean in queries/python/gaps.scm):
; @arguments / @expression: a bracketed node; the cursor between its brackets gives the kind.
; @block: the token that ends a header line and opens a body; a cursor on a blank line
; after it begins that body.

(arguments) @arguments
(formal_parameters) @arguments

(array) @expression
(object) @expression
(parenthesized_expression) @expression
(subscript_expression) @expression
(array_pattern) @expression
(object_pattern) @expression
(named_imports) @expression
(export_clause) @expression
(object_type) @expression
(tuple_type) @expression

(statement_block "{" @block)
(class_body "{" @block)
(interface_body "{" @block)
(enum_body "{" @block)
(switch_body "{" @block)
(switch_case ":" @block)
(switch_default ":" @block)
