"""Editor-side infilling logic, as pure functions.

infill knows about source files, cursors, tree-sitter, gap kinds, post-processing,
verification and the command line. It knows nothing about the Language Server Protocol
(that is ``lsp_server``) and nothing about how tokens are denoised (that is ``engine``,
reached only through ``engine.backend``).

One request, one straight path:
``context.extract -> canvas length -> engine sampler -> postprocess -> syntax verify``.
"""
