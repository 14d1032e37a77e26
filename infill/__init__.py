"""Editor-side infilling logic: from a document and a cursor to checked, ranked suggestions.

infill knows source files, cursors, tree-sitter, gap kinds, post-processing, verification,
the context beyond the text and the command line. It knows nothing about the Language Server
Protocol (that is ``lsp_server``) and nothing about how tokens are denoised (that is
``engine``, reached through ``engine.api`` and ``backends``).

One request, one path (``suggest.suggest``, called by the CLI and the language server alike):
``sources`` (type errors, failing tests) -> ``context.extract`` (window, budgets, gap kind)
-> the backend's ``infill`` (the known names looked up beside it: ``names``) ->
``candidates.Gap.score`` (``postprocess``, ``syntax``) -> ``rescue.STEPS`` (repair, resample) ->
``naming`` (cut-off names completed; the known names as drafts) -> ``drafting`` (drafts from the
code around the gap: ``retrieval``) -> header bodies -> ``checks`` and ``confidence`` on every candidate, best first
-> ranking by type errors.

- ``suggest``: the ``Request`` value and ``suggest()``; ``complete``: the completion path;
  ``candidates``: the one candidate dataclass; ``rescue``: repair and resampling as steps;
  ``backends``: loading and calling a backend; ``config``: ``InfillOptions``, every option;
- ``context``, ``window``, ``gaps``, ``postprocess``, ``syntax``: the gap and its text; ``languages``:
  the registry of languages (grammar, file names, comments, blocks, the tools each one has);
- ``retrieval/``: chunks of other sources, their BM25 index, the ring of recent edits, the
  bounded workspace read and the drafts; ``drafting``: drafts as candidates and seeds;
  ``names`` (jedi in ``jedi_worker``'s process; ``doc_names``: tree-sitter's) the names valid at
  the cursor, ``naming`` their drafts; ``checks`` (on the window ``scope`` gives them),
  ``confidence``: what is shown, ``decision``: why it is or is not;
- ``editing``: rewrite selection and the suggestion cache; ``patch``, ``sandbox``: diffs and
  sandboxed runs;
- ``sources/``: context beyond the text (``diagnostics``: mypy; ``failing``: failing tests;
  ``junit``: the one JUnit reader); ``fix/``: the fix bot; ``eval/``: HumanEval;
- ``next_edit/``: the edit after the user's last one (propagation of its token changes,
  tree-sitter scopes, checks, one confidence; no model);
- ``cli``, ``bot``: the ``infill`` command.
"""
