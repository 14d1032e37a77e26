"""Editor-side helpers around ``complete``: edits that replace text, rewrites, a suggestion cache.

- ``inline_edit`` turns a completion at a cursor into a replacement of the rest of the
  cursor's line, so a client that shows ghost text over that range duplicates nothing;
- ``rewrite`` re-denoises a selection: the selected text's tokens are the canvas, a seeded
  share of them re-masked, and the candidates are ranked like ``complete``'s;
- ``SuggestionCache`` remembers the last suggestions shown per document, so typing the
  characters of a suggestion answers with the rest of it without running the model.

Offsets are in characters (code points); nothing here knows about LSP positions.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable

from engine.api import Backend, InfillRequest

from .backends import check_language, get_backend, run_backend
from .checks import run_checks
from .config import InfillOptions
from .errors import InfillError, PositionError
from .languages import get_language, spec_of
from .syntax import adds_syntax_errors


# ---------------------------------------------------------------- inline edits


@dataclass(frozen=True)
class Edit:
    start: int       # replace text[start:end] (characters) ...
    end: int
    text: str        # ... with this


def line_end(text: str, offset: int) -> int:
    """Offset of the end of the line holding ``offset``, before its line break (and any "\\r")."""
    end = text.find("\n", offset)
    end = len(text) if end < 0 else end
    return end - 1 if end > offset and text[end - 1] == "\r" else end


def inline_edit(text: str, offset: int, completion: str, replaced_end: int | None = None) -> Edit:
    """The completion at ``offset`` (replacing ``text[offset:replaced_end]``, nothing by
    default) as a replacement of the rest of the line.

    The rest of the line is kept after the completion (post-processing has already
    dropped what the completion would duplicate of it), so applying the edit gives the
    same text as inserting the completion, while the range tells the client which
    characters its preview covers.
    """
    replaced_end = offset if replaced_end is None else replaced_end
    end = max(line_end(text, offset), replaced_end)
    return Edit(offset, end, completion + text[replaced_end:end])


# ---------------------------------------------------------------- rewrite


@dataclass
class Rewrite:
    text: str                       # the replacement for the selection
    syntax_valid: bool              # the replacement adds no syntax error
    forward_passes: int
    latency_ms: float
    candidates: list[str] = field(default_factory=list)   # best first
    refused: str = ""               # why the selection is kept as it is ("no better rewrite: ...")

    def to_dict(self) -> dict:
        return asdict(self)


def rewrite(text: str, start: int, end: int, language: str, options: InfillOptions,
            backend: Backend | None = None, cancelled: Callable[[], bool] | None = None,
            extra_context: str = "", path: str | None = None) -> Rewrite:
    """Rewrite ``text[start:end]``: a share ``options.renoise`` of its tokens is re-masked and
    denoised again in the context of the text around it. The token count is kept. With
    ``options.checks``, only a rewrite that adds no syntax error, leaves no name unbound and
    that the model prefers to the selection is returned (``better_rewrites``); else the
    selection stays and ``refused`` says why.
    ``extra_context`` (a comment block, as for ``complete``) is put before the prefix the
    backend sees; ``path`` is the document's path as a prompt may show it (``Request.shown_path``)."""
    t0 = time.perf_counter()
    if not 0 <= start <= end <= len(text):
        raise PositionError(f"selection {start}..{end} is outside the document ({len(text)} characters)")
    if not text[start:end].strip():
        raise InfillError("there is nothing to rewrite: the selection is empty")
    if not 0.0 < options.renoise <= 1.0:
        raise InfillError("renoise must be in (0, 1]")
    get_language(language)  # fails early on an unknown language
    backend = backend or get_backend(options)
    check_language(backend, language)
    request = InfillRequest(prefix=extra_context + text[:start], suffix=text[end:], candidates=options.candidates,
                            sampler=options.sampler_config(), seed=options.seed,
                            init_text=text[start:end], renoise=options.renoise, cancelled=cancelled,
                            language=language, language_title=spec_of(language).title, path=path)
    result = run_backend(backend, request)
    before, after = text[:start], text[end:]
    scored = sorted(((not adds_syntax_errors(before, c.text, after, language), c.score, c.text)
                     for c in result.candidates), reverse=True)
    if not options.checks:   # --no-checks: the best candidate, as the model ranks it
        return Rewrite(text=scored[0][2], syntax_valid=scored[0][0], forward_passes=result.forward_passes,
                       latency_ms=(time.perf_counter() - t0) * 1000, candidates=[s[2] for s in scored])
    kept, why = better_rewrites(before, text[start:end], after, language, [s[2] for s in scored if s[0]], backend)
    latency = (time.perf_counter() - t0) * 1000
    if not kept:
        return Rewrite(text=text[start:end], syntax_valid=True, forward_passes=result.forward_passes,
                       latency_ms=latency, candidates=[], refused=f"no better rewrite: {why}")
    return Rewrite(text=kept[0], syntax_valid=True, forward_passes=result.forward_passes, latency_ms=latency,
                   candidates=kept)


def better_rewrites(before: str, original: str, after: str, language: str, candidates: list[str],
                    backend: Backend) -> tuple[list[str], str]:
    """The candidates (best first) worth offering instead of ``original``: they add no syntax
    error (the caller filtered), leave no name unbound that the original bound, change
    something, and, where the backend scores tokens, the model likes them more than the
    original. Also the reason when none is left."""
    if not candidates:
        return [], "every candidate adds a syntax error"
    known = {c.reason for c in run_checks(before, original, after, language) if c.verdict == "reject"}
    distinct = [c for c in dict.fromkeys(candidates) if c.strip() != original.strip()]
    if not distinct:
        return [], "the model wrote the selection again"
    checked = [c for c in distinct if all(ch.reason in known for ch in run_checks(before, c, after, language)
                                          if ch.verdict == "reject" and ch.name in ("names", "compiles"))]
    if not checked:
        return [], "every candidate reads a name bound nowhere or does not compile"
    if not backend.capabilities.token_scoring:
        return checked, ""
    scores = backend.likelihood(before, after, [original, *checked])
    if scores[0] == float("-inf"):           # too long to score: the model's preference is unknown
        return checked, ""
    better = [c for c, s in sorted(zip(checked, scores[1:]), key=lambda p: -p[1]) if s > scores[0]]
    return better, ("" if better else "the model prefers the selection as it is")


# ---------------------------------------------------------------- suggestion cache


@dataclass
class _Shown:
    before: str                     # document text before the cursor when shown
    after: str                      # document text after the cursor when shown
    suggestions: list[str]          # best first


class SuggestionCache:
    """The last suggestions shown for each document (by key), answered again while the user
    types them: same text after the cursor, and the typed characters start a suggestion."""

    def __init__(self, max_documents: int = 64):
        self.max_documents = max_documents
        self._shown: dict[str, _Shown] = {}

    def remember(self, key: str, text: str, offset: int, suggestions: list[str]) -> None:
        suggestions = [s for s in suggestions if s]
        if not suggestions:
            self._shown.pop(key, None)
            return
        self._shown.pop(key, None)
        self._shown[key] = _Shown(text[:offset], text[offset:], suggestions)
        while len(self._shown) > self.max_documents:
            self._shown.pop(next(iter(self._shown)))

    def lookup(self, key: str, text: str, offset: int) -> list[str] | None:
        """What remains of the shown suggestions after the characters typed since, or None."""
        shown = self._shown.get(key)
        if shown is None or text[offset:] != shown.after or not text.startswith(shown.before):
            return None
        if len(shown.before) > offset:
            return None
        typed = text[len(shown.before):offset]
        rest = [s[len(typed):] for s in shown.suggestions if s.startswith(typed) and len(s) > len(typed)]
        return rest or None

    def forget(self, key: str) -> None:
        self._shown.pop(key, None)
