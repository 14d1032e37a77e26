"""The one entry point the CLI and the language server call: a request in, a completion out.

``suggest(Request, options)``:

1. gathers the context beyond the text when the options use it (``context_in_prompt``,
   ``verify_types``): the type errors near the cursor (the request's own, and mypy's unless
   the caller ran it already) and the failing tests that call the function (``sources``);
2. completes the gap (``complete.complete``), with that context as a comment block before
   the prefix when ``context_in_prompt`` is on;
3. with ``verify_types``, ranks the first candidates by the type errors they leave in the
   function.

Both callers build the same ``Request`` from a document, so the same document and options
give the same answer from ``infill complete`` and from the server (a test checks it).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from engine.api import Backend

from .backends import check_language, get_backend
from .complete import Completion, complete
from .config import InfillOptions
from .retrieval import ChunkIndex
from .sources import CursorContext, cursor_context
from .languages import file_suffixes, spec_of
from .sources.diagnostics import Problem, rank_by_type_errors, type_errors
from .syntax import adds_syntax_errors

VCS_MARKERS = (".git",)   # a project's root in any language, after its language's own markers


@dataclass(frozen=True)
class Request:
    text: str                       # the whole document
    offset: int                     # the cursor, in characters
    language: str
    path: str | None = None         # the document's file: mypy's file name, and where its project is
    root: str | None = None         # where the last test run's records are (default: the project of path)
    problems: tuple[Problem, ...] = ()   # diagnostics known beforehand (an editor's)
    type_checked: bool = False      # ``problems`` hold this text's mypy results already: do not run it
    cancelled: Callable[[], bool] | None = None
    neighbours: ChunkIndex | None = None   # chunks of other sources drafts may come from (``retrieval``)
    source: str | None = None       # the document's own name among the neighbours (default: path)

    @property
    def file_name(self) -> str:
        return Path(self.path).name if self.path else "document" + file_suffixes(self.language)[0]

    def shown_path(self) -> str | None:
        """The path a prompt may show a model: relative to the project root where it lies under it."""
        if not self.path:
            return None
        try:
            root = self.project_root()
            return Path(self.path).resolve().relative_to(Path(root).resolve()).as_posix() if root else Path(self.path).name
        except (ValueError, OSError, RuntimeError):       # not under the root, a NUL byte, a link loop
            return Path(self.path).name

    def project_root(self) -> str | None:
        """``root``, else the nearest folder above ``path`` with a project marker of the document's
        language (``pyproject.toml``, ``package.json``, ``go.mod``, ...) or ``.git``, else its folder."""
        if self.root or not self.path:
            return self.root
        markers = spec_of(self.language).root_markers + VCS_MARKERS
        try:
            folder = Path(self.path).resolve().parent
            for candidate in (folder, *folder.parents):
                if any(_has(candidate, marker) for marker in markers):
                    return str(candidate)
        except (ValueError, OSError, RuntimeError):       # a NUL byte in the path, a link loop
            return None
        return str(folder)


def _has(folder: Path, marker: str) -> bool:
    """Whether ``folder`` holds ``marker``: a name, or a pattern such as ``*.csproj``."""
    return any(folder.glob(marker)) if "*" in marker else (folder / marker).exists()


def gather(request: Request, options: InfillOptions) -> CursorContext:
    """The function around the cursor, its type errors and the failing tests that call it."""
    problems = list(request.problems)
    if options.type_check and not request.type_checked:
        problems += type_check(request.text, request.language, request.file_name, options.type_check_timeout_s)
    return cursor_context(request.text, request.offset, request.language, problems, request.project_root(),
                          options.junit_path)


@functools.lru_cache(maxsize=8)
def type_check(text: str, language: str, file_name: str, timeout_s: float) -> tuple[Problem, ...]:
    """The type checker's problems in ``text`` (mypy for Python; none on a timeout, without
    one, or for a language that has none), cached per text."""
    return tuple(type_errors(text, language, timeout_s, file_name) or ())


def suggest(request: Request, options: InfillOptions, backend: Backend | None = None,
            context: CursorContext | None = None) -> Completion:
    """Complete the gap at the request's cursor (see the module docstring). ``context``: one
    gathered already for this request (the server shows it), else it is gathered here when
    the options use it."""
    backend = backend or get_backend(options)
    check_language(backend, request.language)    # before any context is gathered for it
    uses_context = options.context_in_prompt or options.verify_types
    if uses_context and context is None:
        context = gather(request, options)
    extra = context.prompt(request.text, request.language) if options.context_in_prompt and context is not None else ""
    result = complete(request.text, request.offset, request.language, options, backend, request.cancelled, extra,
                      request.neighbours, request.source or request.path, request.shown_path(),
                      root=request.project_root(), file=request.path)
    if options.verify_types and options.type_check and context is not None and context.problems:
        result = _rank_by_types(request, options, context, result)
    return result


def _rank_by_types(request: Request, options: InfillOptions, context: CursorContext,
                   result: Completion) -> Completion:
    """The completion with its first candidates reordered by the type errors they leave."""
    shown = [c for c in result.candidates if c.strip()]
    if len(shown) < 2:
        return result
    ranked = rank_by_type_errors(request.text, request.offset, shown, *context.region,
                                 lambda text, seconds: type_errors(text, request.language, seconds, request.file_name),
                                 budget_s=options.type_check_timeout_s)
    candidates = ranked + [c for c in result.candidates if not c.strip()]
    votes = dict(zip(result.candidates, result.votes))
    result = replace(result, candidates=candidates, votes=[votes.get(c, 1) for c in candidates])
    if ranked[0] == result.text:
        return result
    before, after = request.text[:request.offset], request.text[request.offset:]
    return replace(result, text=ranked[0],
                   syntax_valid=not adds_syntax_errors(before, ranked[0], after, request.language))
