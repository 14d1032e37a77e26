"""Inline completion and its ``textDocument/completion`` fallback.

Each handler reads the document, asks ``SuggestionCache`` first (typing the characters of a
shown suggestion is answered on the event loop, without the model), else gathers the context
(``sources``) and runs ``infill.suggest`` on the worker, then converts with ``lsp_*``. A newer
request for a document supersedes the older one: the older returns null at once and its work
stops before its next forward pass, as it does on ``$/cancelRequest``. Bad input gets null.
"""

from __future__ import annotations

from dataclasses import replace

from lsprotocol import types

from infill.complete import Completion
from infill.errors import InfillError
from infill.suggest import Request, suggest

from .convert import lsp_completion_list, lsp_inline_items, lsp_offset, lsp_offsets
from .sources import request_context
from .state import InfillServer


def with_selected(text: str, offset: int, info: types.SelectedCompletionInfo | None,
                  encoding: str) -> tuple[str, int, str, int, int]:
    """Apply the client's selected completion item first.

    Returns (text with the item applied, cursor after it, the item's text, and the range
    of the original text the item replaces)."""
    if info is None:
        return text, offset, "", offset, offset
    start, end = lsp_offsets(text, info.range, encoding)
    if not start <= offset <= end:
        return text, offset, "", offset, offset
    return text[:start] + info.text + text[end:], start + len(info.text), info.text, start, end


async def suggested(ls: InfillServer, key: str | None, uri: str, version: int | None, text: str, offset: int,
                    language: str, automatic: bool = False) -> Completion | None:
    """``infill.suggest`` for the document at ``offset``, on the worker (``key`` supersedes
    older requests; None: no superseding), with the context the sources gathered for it.
    ``automatic`` requests run under the ``automaticSteps`` budget. None when superseded,
    cancelled or failed (errors the user must act on are shown once)."""
    options = ls.options.infill
    if automatic and ls.options.automatic_steps:
        options = replace(options, steps=ls.options.automatic_steps)
    gathered = await request_context(ls.sources, key, uri, version, text, offset, language, ls.root(uri), options)
    if gathered is None:   # a newer request came while the context was gathered
        return None
    request = Request(text, offset, language, path=ls.path(uri), root=ls.root(uri), neighbours=ls.neighbours,
                      source=ls.source_name(uri))
    return await ls.infill(key, lambda cancelled: suggest(replace(request, cancelled=cancelled), options,
                                                          context=gathered[0]))


def shown(result: Completion, min_confidence: float, limit: int) -> list[str]:
    """What an editor may show, best first: at most ``limit`` distinct non-blank candidates
    that no check rejected and whose confidence reaches ``min_confidence`` (none when the best
    does not)."""
    if not result.shown:
        return []
    pairs = zip(result.candidates, result.confidences)
    return list(dict.fromkeys(s for s, c in pairs if s.strip() and c > 0 and c >= min_confidence))[:limit]


async def inline_completion(ls: InfillServer, params: types.InlineCompletionParams):
    uri = params.text_document.uri
    try:
        text, language, version = ls.document(uri)
        offset = lsp_offset(text, params.position, ls.encoding)
        info = params.context.selected_completion_info if params.context else None
        filled, cursor, selected, start, end = with_selected(text, offset, info, ls.encoding)
    except InfillError:
        return None
    invoked = params.context is None or params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
    suggestions = ls.cache.lookup(uri, filled, cursor)
    if suggestions is None:
        result = await suggested(ls, uri, uri, version, filled, cursor, language, automatic=not invoked)
        if result is None:
            return None
        suggestions = shown(result, ls.options.infill.min_confidence, ls.options.infill.candidates)
        ls.cache.remember(uri, filled, cursor, suggestions)
    suggestions = suggestions if invoked else suggestions[:1]
    return lsp_inline_items(text, start, [selected + s for s in suggestions], ls.encoding, end)


async def completion(ls: InfillServer, params: types.CompletionParams):
    if not ls.options.completion_fallback:
        return None
    uri = params.text_document.uri
    try:
        text, language, version = ls.document(uri)
        offset = lsp_offset(text, params.position, ls.encoding)
    except InfillError:
        return None
    cached = ls.cache.lookup(uri, text, offset)
    if cached:
        return lsp_completion_list(text, offset, cached[0], ls.encoding)
    result = await suggested(ls, uri + "#completion", uri, version, text, offset, language)
    if result is None:
        return None
    suggestions = shown(result, ls.options.infill.min_confidence, ls.options.infill.candidates)
    ls.cache.remember(uri, text, offset, suggestions)
    return lsp_completion_list(text, offset, suggestions[0], ls.encoding) if suggestions else None
