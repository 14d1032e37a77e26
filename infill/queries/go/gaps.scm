; Gap kinds for infill.gaps (the captures mean what they mean in queries/python/gaps.scm):
; @arguments / @expression: a bracketed node; the cursor between its brackets gives the kind.
; @block: the token that ends a header line and opens a body; a cursor on a blank line
; after it begins that body.
;
; A switch's or select's "{" is no @block: gofmt puts its "case" lines at the switch's own
; indentation, so the line after it is a line gap at that level. A composite literal's "{"
; (literal_value) is an expression.

(argument_list) @arguments
(parameter_list) @arguments
(type_parameter_list) @arguments
(type_arguments) @arguments
(type_conversion_expression) @arguments

(literal_value) @expression
(parenthesized_expression) @expression
(index_expression) @expression
(slice_expression) @expression
(type_assertion_expression) @expression
(parenthesized_type) @expression

(block "{" @block)
(field_declaration_list "{" @block)
(interface_type "{" @block)
(import_spec_list "(" @block)
(const_declaration "(" @block)
(var_spec_list "(" @block)
(expression_case ":" @block)
(default_case ":" @block)
(type_case ":" @block)
(communication_case ":" @block)
