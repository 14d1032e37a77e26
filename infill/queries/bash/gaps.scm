; Gap kinds for infill.gaps (the captures mean what they mean in queries/python/gaps.scm):
; @arguments / @expression: a bracketed node; the cursor between its brackets gives the kind.
; A command's arguments are not bracketed: no node of bash is an @arguments gap.
; @block: the token that ends a header line and opens a body (then, do, else, the "{" of a
; function or group, the "in" of a case, the ")" of a case item); a cursor on a blank line
; after it begins that body.

(array) @expression
(subscript) @expression
(test_command "[" ) @expression
(parenthesized_expression) @expression

(if_statement "then" @block)
(elif_clause "then" @block)
(else_clause "else" @block)
(do_group "do" @block)
(compound_statement "{" @block)
(subshell "(" @block)
(case_statement "in" @block)
(case_item ")" @block)

; a header whose fi / done / esac / } is not typed yet, kept in an ERROR
(ERROR ["then" "do" "else" "{"] @block)
(ERROR "case" . (_) . "in" @block)
