; Names a piece of code calls, plain, as a field (M.f()) or as a method (obj:m()).

(function_call name: (identifier) @call.name)
(function_call name: (dot_index_expression field: (identifier) @call.name))
(function_call name: (method_index_expression method: (identifier) @call.name))
