; Gap kinds for infill.gaps (the captures mean what they mean in queries/python/gaps.scm):
; @arguments / @expression: a bracketed node; the cursor between its brackets gives the kind.
; @block: what ends a header line and opens a body; a cursor on a blank line after it
; begins that body. Ruby has no opener token after most headers (`def f(a)`, `class A`,
; `if cond`, `while cond`), so the header's last node is captured.

(argument_list) @arguments
(method_parameters) @arguments
(lambda_parameters) @arguments

(array) @expression
(hash) @expression
(parenthesized_statements) @expression
(element_reference) @expression
(array_pattern) @expression
(hash_pattern) @expression
(find_pattern) @expression

; definitions: the name, or the parameters when there are some
(method name: (_) @block !parameters)
(method parameters: (_) @block)
(singleton_method name: (_) @block !parameters)
(singleton_method parameters: (_) @block)
(class name: (_) @block !superclass)
(class superclass: (_) @block)
(module name: (_) @block)
(singleton_class value: (_) @block)

; conditions and loops: the condition, or an explicit then / do
(if condition: (_) @block)
(unless condition: (_) @block)
(elsif condition: (_) @block)
(while condition: (_) @block)
(until condition: (_) @block)
(for value: (_) @block)
(then "then" @block)
(do "do" @block)
(else "else" @block)

; case: a when / in clause
(when pattern: (_) @block)
(in_clause pattern: (_) @block)
(in_clause guard: (_) @block)

; begin / rescue / ensure
(begin "begin" @block)
(rescue "rescue" @block)
(rescue exceptions: (_) @block)
(rescue variable: (_) @block)
(ensure "ensure" @block)

; blocks: do ... end and { ... }
(do_block "do" @block)
(do_block parameters: (_) @block)
(block "{" @block)
(block parameters: (_) @block)
(begin_block "{" @block)
(end_block "{" @block)

; a header whose `end` is not typed yet: tree-sitter keeps its tokens in an ERROR
(ERROR "def" . (_) @block)
(ERROR "def" . (_) . "." . (_) @block)
(ERROR (method_parameters) @block)
(ERROR "class" . (constant) @block)
(ERROR "class" . (scope_resolution) @block)
(ERROR (superclass) @block)
(ERROR "module" . (_) @block)
(ERROR ["if" "unless" "elsif" "while" "until"] . (_) @block)
(ERROR "when" . (_) @block)
(ERROR ["then" "do" "else" "begin" "ensure" "rescue"] @block)
(ERROR (block_parameters) @block)
(ERROR (exceptions) @block)
(ERROR (exception_variable) @block)
(ERROR (in) @block)
