"""What the user asks for by name: the "Rewrite selection" code action (and its command), the
``infill.fillGap``, ``infill.status`` and ``infill.context`` commands.

A user-chosen action answers bad input with a JSON-RPC error the client shows (Invalid
Params for a bad document or position), unlike the completion handlers, which answer null.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams, JsonRpcServerError

from infill.backends import loaded_backend, serves
from infill.editing import Edit, rewrite
from infill.errors import InfillError, PositionError, UnknownLanguageError
from infill.suggest import Request, suggest

from .convert import lsp_offset, lsp_offsets, lsp_position_from_json, lsp_range_from_json, lsp_workspace_edit
from .sources import request_context
from .state import InfillServer, log

T = TypeVar("T")

REWRITE_COMMAND = "infill.rewriteSelection"
FILL_GAP_COMMAND = "infill.fillGap"
STATUS_COMMAND = "infill.status"
CONTEXT_COMMAND = "infill.context"
REWRITE_TITLE = "Rewrite selection (infill)"


async def _strict(ls: InfillServer, fn: Callable[[Callable[[], bool]], T]) -> T:
    """Run a user-chosen action: its errors become JSON-RPC errors the client shows."""
    try:
        return ls.timed(await ls.jobs.run(None, fn))
    except (PositionError, UnknownLanguageError) as exc:
        raise JsonRpcInvalidParams(str(exc)) from exc
    except InfillError as exc:
        raise JsonRpcServerError(str(exc), -32001) from exc


def _location_args(args: tuple | list, kind: type) -> tuple[str, Any]:
    """(uri, Range or Position) from ``[{"uri", "range"|"position"}]`` or ``[uri, range|position]``."""
    field = "range" if kind is types.Range else "position"
    try:
        if len(args) == 1 and isinstance(args[0], dict):
            uri, where = args[0]["uri"], args[0][field]
        else:
            uri, where = args[0], args[1]
        if not isinstance(uri, str):
            raise TypeError("the uri must be a string")
        return uri, (lsp_range_from_json(where) if kind is types.Range else lsp_position_from_json(where))
    except Exception as exc:
        raise JsonRpcInvalidParams(f"expected [{{uri, {field}}}] or [uri, {field}]: {exc}") from exc


def _document_at(ls: InfillServer, args: tuple | list) -> tuple[str, str, str, int | None, int]:
    """(uri, text, language, version, offset) of a command's ``[uri, position]`` arguments;
    bad ones are invalid params."""
    uri, position = _location_args(args, types.Position)
    try:
        text, language, version = ls.document(uri)
        return uri, text, language, version, lsp_offset(text, position, ls.encoding)
    except InfillError as exc:
        raise JsonRpcInvalidParams(str(exc)) from exc


async def _apply(ls: InfillServer, edit: types.WorkspaceEdit, label: str) -> types.WorkspaceEdit:
    """Ask the client to apply the edit, and return it as the command's result as well."""
    if ls.client_capabilities.workspace and ls.client_capabilities.workspace.apply_edit:
        try:
            await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=edit, label=label))
        except Exception as exc:
            log.warning("the client did not apply the edit: %s", exc)
    return edit


# ---------------------------------------------------------------- rewrite selection


def _annotation_support(ls: InfillServer) -> bool:
    """The client can show an edit for confirmation before applying it (VS Code's refactor preview)."""
    workspace = ls.client_capabilities.workspace
    return bool(workspace and workspace.workspace_edit and workspace.workspace_edit.change_annotation_support)


def _resolve_support(ls: InfillServer) -> bool:
    td = ls.client_capabilities.text_document
    support = td and td.code_action and td.code_action.resolve_support
    return bool(support and "edit" in support.properties)


async def _rewrite_edit(ls: InfillServer, uri: str, rng: types.Range) -> types.WorkspaceEdit:
    try:
        text, language, version = ls.document(uri)
        start, end = lsp_offsets(text, rng, ls.encoding)
    except InfillError as exc:
        raise JsonRpcInvalidParams(str(exc)) from exc
    options = ls.options.infill
    shown = Request(text, start, language, path=ls.path(uri), root=ls.root(uri)).shown_path()
    result = await _strict(ls, lambda cancelled: rewrite(text, start, end, language, options, cancelled=cancelled,
                                                         path=shown))
    if result.refused:       # nothing better than the selection: say so, change nothing
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=f"infill: {result.refused}"))
        return types.WorkspaceEdit(changes={})
    review = REWRITE_TITLE if _annotation_support(ls) else None
    return lsp_workspace_edit(uri, version, text, Edit(start, end, result.text), ls.encoding, review=review)


def _can_rewrite(ls: InfillServer, uri: str) -> bool:
    """The document is one the server serves, in a language the loaded backend (if loaded yet)
    completes: no "Rewrite selection" that can only fail."""
    try:
        _, language, _ = ls.document(uri)
    except InfillError:
        return False
    backend = loaded_backend(ls.options.infill)
    return backend is None or serves(backend, language)


def code_action(ls: InfillServer, params: types.CodeActionParams):
    rng, uri = params.range, params.text_document.uri
    if rng.start == rng.end or not _can_rewrite(ls, uri):
        return None
    only = [str(getattr(k, "value", k)) for k in params.context.only or []]
    if only and not any(types.CodeActionKind.RefactorRewrite.value.startswith(k) for k in only):
        return None
    data = {"uri": uri, "range": {"start": {"line": rng.start.line, "character": rng.start.character},
                                  "end": {"line": rng.end.line, "character": rng.end.character}}}
    action = types.CodeAction(title=REWRITE_TITLE, kind=types.CodeActionKind.RefactorRewrite)
    if _resolve_support(ls):
        action.data = data
    else:
        action.command = types.Command(title=action.title, command=REWRITE_COMMAND, arguments=[data])
    return [action]


async def code_action_resolve(ls: InfillServer, action: types.CodeAction) -> types.CodeAction:
    uri, rng = _location_args([action.data], types.Range)
    action.edit = await _rewrite_edit(ls, uri, rng)
    return action


async def rewrite_selection(ls: InfillServer, *args):
    uri, rng = _location_args(args, types.Range)
    edit = await _rewrite_edit(ls, uri, rng)
    if not edit.changes and not edit.document_changes:     # refused (said why): nothing to apply
        return edit
    return await _apply(ls, edit, "Rewrite selection")


# ---------------------------------------------------------------- commands at a position


async def fill_gap(ls: InfillServer, *args):
    uri, text, language, version, offset = _document_at(ls, args)
    options = ls.options.infill
    gathered = await request_context(ls.sources, None, uri, version, text, offset, language, ls.root(uri), options)
    request = Request(text, offset, language, path=ls.path(uri), root=ls.root(uri), neighbours=ls.neighbours,
                      source=ls.source_name(uri))
    result = await _strict(ls, lambda cancelled: suggest(replace(request, cancelled=cancelled), options,
                                                         context=(gathered or (None,))[0]))
    if not result.shown:
        raise JsonRpcServerError(f"no suggestion is likely right here (confidence {result.confidence:.2f}, "
                                 f"minConfidence {options.min_confidence:.2f})", -32001)
    edit = lsp_workspace_edit(uri, version, text, Edit(offset, offset, result.text), ls.encoding)
    return await _apply(ls, edit, "Fill the gap")


def status(ls: InfillServer, *args) -> dict:
    """Model, backend, the last latency and why the last completion was shown or not
    (``infill.decision``: best candidate, confidence, threshold, message), and what the last
    next-edit request found (``last_next_edit``), for an editor's status line; loads nothing."""
    info = ls.backend_info or {}
    return {"model": info.get("model", ls.options.infill.model), "backend": info.get("backend"),
            "loaded": ls.backend_info is not None, "last_latency_ms": ls.last_latency_ms,
            "busy": bool(ls.jobs.latest), "neighbours": ls.neighbours.stats(), "recent_edits": len(ls.ring),
            "next_edits_accepted": ls.next_edits_accepted, "last_decision": ls.last_decision,
            "last_next_edit": ls.last_next_edit}


async def show_context(ls: InfillServer, *args) -> dict:
    """The context a completion at ``[uri, position]`` would get: function, type errors,
    failing tests and the prompt comment block (gathered even when no request uses it)."""
    uri, text, language, version, offset = _document_at(ls, args)
    context = await ls.sources.gather(uri, version, text, offset, language, ls.root(uri), ls.options.infill)
    return {**context.to_dict(), "prompt": context.prompt(text, language)}
