"""The language server: protocol glue between an editor and ``infill``.

lsp_server knows the Language Server Protocol (pygls, lsprotocol): documents, positions
in the client's encoding, requests, cancellation, configuration, progress and messages.
It knows nothing about tree-sitter, gap kinds, post-processing or how a model denoises:
each handler calls one ``infill`` function (``suggest.suggest``, ``editing.rewrite``) and
converts the result with an ``lsp_*`` function of ``convert``. It never imports ``engine``.

- ``server``: the ``SERVER`` instance and the table of what it answers; lifecycle and
  configuration;
- ``state``: ``InfillServer``, the state and helpers every handler uses;
- ``completion``: inline completion and the completion fallback;
- ``actions``: the rewrite-selection code action and the commands;
- ``jobs``: the worker that keeps inference off the event loop, newer requests
  superseding older ones;
- ``sources``: context beyond the text (type checks per document version on their own
  thread, forwarded diagnostics, the workspace root for failing tests);
- ``options``: initialization options and settings -> ``ServerOptions`` (wrapping the
  shared ``InfillOptions``);
- ``convert``: every ``lsp_*`` conversion, position encodings (UTF-16, UTF-8, UTF-32) included;
- ``errors``: the one error policy for protocol noise;
- ``__main__``: ``infill-lsp`` (stdio by default, ``--tcp``).
"""
