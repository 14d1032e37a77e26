"""``textDocument/copilotInlineEdit``: the next edit after the user's last one.

The request Copilot's clients (copilot-lsp, sidekick.nvim) send once a change settles:
params ``{textDocument: {uri, version}, position}``; result ``{edits: [{range, text,
textDocument: {uri, version}, command}]}`` (no edit: ``{edits: []}``). The handler reads the
document's recent edits from ``InfillServer.history`` (fed by every ``didChange``), runs
``infill.next_edit.suggest_next_edit`` on the worker's light lane (propagation never runs the
model, so it waits behind no completion; with ``nextEditCanvas`` on, the model's lane, where the
canvas may rewrite the lines around the edit; a newer request for the document
supersedes an older one, which answers ``{edits: []}``), and drops any answer whose document
version is no longer the current one. While the user types the text of a shown suggestion,
what is left of it is answered again without recomputing (``Shown``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from infill.backends import get_backend
from infill.errors import InfillError
from infill.next_edit import LineEdit, NextEditRequest, suggest_next_edit
from infill.next_edit.edits import split_lines
from infill.next_edit.history import line_diff

from .convert import lsp_range
from .state import InfillServer

COPILOT_INLINE_EDIT = "textDocument/copilotInlineEdit"
ACCEPTED_COMMAND = "infill.nextEditAccepted"
log = logging.getLogger("lsp_server.next_edit")


@dataclass
class Shown:
    """The last suggestion answered for a document: the text it leaves once applied."""
    final: str
    start_line: int
    end_line: int          # of the text it was computed on


def _get(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def _offsets(text: str, start_line: int, end_line: int) -> tuple[int, int]:
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    at = lambda line: starts[line] if line < len(starts) else len(text)
    return at(start_line), at(end_line)


def _answer(ls: InfillServer, uri: str, version: int | None, text: str, edit: LineEdit) -> dict:
    start, end = _offsets(text, edit.start_line, edit.end_line)
    new_text = edit.new_text
    if end == len(text) and text and not text.endswith("\n") and new_text.endswith("\n"):
        new_text = new_text[:-1]              # the last line has no line break to replace
    rng = lsp_range(text, start, end, ls.encoding)
    return {"edits": [{
        "range": {"start": {"line": rng.start.line, "character": rng.start.character},
                  "end": {"line": rng.end.line, "character": rng.end.character}},
        "text": new_text,
        "textDocument": {"uri": uri, "version": version},
        "command": {"title": "infill: next edit accepted", "command": ACCEPTED_COMMAND, "arguments": [uri]},
    }]}


def _kept(shown: Shown | None, text: str) -> LineEdit | None:
    """What is left of a shown suggestion when the user typed part of it (the only lines that
    differ from its result lie where it applied); None when the user went elsewhere."""
    if shown is None:
        return None
    rest = line_diff(text, shown.final)
    if rest is None:
        return None
    written = shown.start_line, shown.end_line + shown.final.count("\n") + 1
    if written[0] <= rest.start_line and rest.end_line <= max(written[1], rest.start_line):
        return rest
    return None


async def copilot_inline_edit(ls: InfillServer, params: Any) -> dict:
    empty: dict = {"edits": []}
    document = _get(params, "textDocument")
    uri, asked = _get(document, "uri"), _get(document, "version")
    position = _get(params, "position")
    if not isinstance(uri, str):
        return empty
    try:
        text, language, version = ls.document(uri)
    except InfillError:
        return empty
    if isinstance(asked, int) and version is not None and asked != version:
        return empty                          # asked about a version the server no longer holds
    kept = _kept(ls.next_edits_shown.get(uri), text)
    if kept is not None:
        return _answer(ls, uri, version, text, kept)
    ls.next_edits_shown.pop(uri, None)
    edits = ls.history.edits(ls.source_name(uri), text)
    if not edits:
        return empty
    line = _get(position, "line")
    cursor = line if isinstance(line, int) and line >= 0 else edits[-1].start_line
    request = NextEditRequest(text, language, edits, min(cursor, text.count("\n")), 0, ls.path(uri))
    options = ls.options.infill
    canvas = options.next_edit_canvas       # the model may run: on the model's lane, behind a completion
    result = await ls.infill(uri + "#next-edit", lambda cancelled: suggest_next_edit(
        replace(request, cancelled=cancelled), options.next_edit_min_confidence,
        backend=get_backend(options) if canvas else None), light=not canvas)
    if result is not None:
        ls.last_next_edit = {"shown": result.edit is not None, "source": result.source,
                             "confidence": round(result.confidence, 4), "candidates": result.candidates,
                             "model_ran": result.model_ran, "latency_ms": round(result.latency_ms, 1)}
    if result is None or result.edit is None:
        return empty
    try:
        now, _, now_version = ls.document(uri)
    except InfillError:
        return empty
    if now_version != version or now != text:
        return empty                          # computed for an older version: never returned
    edit = result.edit
    lines = split_lines(text)
    final = "".join(lines[:edit.start_line]) + edit.new_text + "".join(lines[edit.end_line:])
    ls.next_edits_shown[uri] = Shown(final, edit.start_line, edit.end_line)
    return _answer(ls, uri, version, text, edit)


def next_edit_accepted(ls: InfillServer, *args) -> None:
    """The client applied a suggestion (the ``command`` of each answered edit)."""
    ls.next_edits_accepted += 1
    if args and isinstance(args[0], str):
        ls.next_edits_shown.pop(args[0], None)
