"""The language server: features registered on one pygls ``LanguageServer``.

Each handler gets the document, calls one ``infill`` function on the worker thread
(``jobs.Jobs``) and converts the result with ``lsp_*``. Inference never runs on the event
loop. A newer inline (or completion) request for a document supersedes the older one:
the older returns null at once and its work stops before its next forward pass, as it
does on ``$/cancelRequest``. Typing the characters of a shown suggestion is answered from
``SuggestionCache`` on the event loop, without the model.

Context beyond the text (``sources``): type errors near the cursor (mypy, run by the
server on its own thread, and diagnostics our clients forward with the ``infill/diagnostics``
notification) and failing tests that call the function under the cursor. It is gathered
only when ``contextInPrompt`` writes it into the prompt or ``verifyTypes`` ranks the
candidates by it; ``infill.context`` shows it.

Bad input (unknown URIs, positions outside the document, unsupported languages, huge or
binary documents) gets a null result from inline completion and completion, and a
JSON-RPC error from commands and code-action resolve. Errors the user must act on
(a model that does not load) are shown once with ``window/showMessage``; the server keeps
serving.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import replace
from typing import Any, Callable, TypeVar
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams, JsonRpcServerError
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from infill.api import Completion, complete, get_backend
from infill.editing import Edit, SuggestionCache, rewrite
from infill.errors import InfillError, PositionError, UnknownLanguageError

from .convert import (
    lsp_completion_list,
    lsp_inline_items,
    lsp_language,
    lsp_offset,
    lsp_offsets,
    lsp_position_from_json,
    lsp_problems,
    lsp_range_from_json,
    lsp_workspace_edit,
)
from .errors import QUIET_ERRORS, Protocol, install_log_policy, report
from .options import ServerOptions, options_from_dict
from .jobs import Jobs
from .sources import Sources, request_context, verified, workspace_root

T = TypeVar("T")
log = logging.getLogger(__name__)

REWRITE_COMMAND = "infill.rewriteSelection"
FILL_GAP_COMMAND = "infill.fillGap"
STATUS_COMMAND = "infill.status"
CONTEXT_COMMAND = "infill.context"
DIAGNOSTICS_NOTIFICATION = "infill/diagnostics"


class InfillServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("infill-lsp", "0.1.0", protocol_cls=Protocol)
        install_log_policy()
        self.options = ServerOptions()
        self.jobs = Jobs()
        self.cache = SuggestionCache()
        self.sources = Sources()
        self.shown_errors: set[str] = set()
        self.pending_problems: list[str] = []   # settings problems found before the client was ready
        self.backend_info: dict | None = None   # describe() of the loaded backend, for infill.status
        self.last_latency_ms: float | None = None   # of the last completion or rewrite, for infill.status

    def report_server_error(self, error: Exception, source) -> None:
        report(self, error, source)          # the policy of ``errors``: nothing pops up for protocol noise

    # ------------------------------------------------------------ state

    @property
    def encoding(self) -> str:
        return str(self.workspace.position_encoding or "utf-16")

    def show_once(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None:
        """Tell the user once per distinct message."""
        if message not in self.shown_errors:
            self.shown_errors.add(message)
            self.window_show_message(types.ShowMessageParams(type=kind, message=f"infill: {message}"))

    def configure(self, raw: Any) -> None:
        options, problems = options_from_dict(raw)
        if problems:
            self.show_once("invalid settings: " + "; ".join(problems), types.MessageType.Warning)
        reload = options.infill.model != self.options.infill.model
        self.options = options
        self.cache = SuggestionCache()
        if reload:
            asyncio.ensure_future(self.load_model())

    def document(self, uri: str) -> tuple[str, str, int | None]:
        """(text, language, version) of an open, servable document; raises InfillError."""
        doc = self.workspace.text_documents.get(unquote(uri))
        if doc is None:
            raise PositionError(f"{uri} is not open")
        text = doc.source
        limit = self.options.max_document_bytes
        if len(text) > limit or (4 * len(text) > limit and len(text.encode("utf-8", "surrogatepass")) > limit):
            raise PositionError(f"{uri} is larger than {limit} bytes")
        if "\x00" in text:
            raise UnknownLanguageError(f"{uri} looks binary")
        return text, lsp_language(doc.language_id, uri), doc.version

    def root(self, uri: str) -> str | None:
        """The workspace folder holding the document, whose test records are read."""
        folders = [f.uri for f in self.workspace.folders.values()]
        return workspace_root(uri, [to_fs_path(f) or "" for f in folders], self.workspace.root_path)

    async def load_model(self) -> None:
        """Load the configured model on the worker, with $/progress when the client supports it."""
        token = f"infill-load-{uuid.uuid4().hex[:8]}"
        progress = bool(self.client_capabilities.window and self.client_capabilities.window.work_done_progress)
        if progress:
            try:
                await self.work_done_progress.create_async(token)
                self.work_done_progress.begin(token, types.WorkDoneProgressBegin(
                    title="infill", message="loading the model", cancellable=False))
            except Exception:   # the client refused: load without progress
                progress = False
        options = self.options.infill
        try:
            backend = await self.jobs.run(None, lambda _: get_backend(options))
            self.backend_info = backend.describe()
        except InfillError as exc:
            self.show_once(str(exc))
        finally:
            if progress:
                self.work_done_progress.end(token, types.WorkDoneProgressEnd(message="model ready"))

    def timed(self, result: T) -> T:
        """Remember the latency of an infill result (for infill.status) and pass it on."""
        if (latency := getattr(result, "latency_ms", None)) is not None:
            self.last_latency_ms = round(float(latency), 1)
        return result

    async def infill(self, key: str | None, fn: Callable[[Callable[[], bool]], T]) -> T | None:
        """Run ``fn`` on the worker; None for bad input or a superseded request. Other infill
        errors are shown once and give None too."""
        try:
            return self.timed(await self.jobs.run(key, fn))
        except QUIET_ERRORS:
            return None
        except InfillError as exc:
            self.show_once(str(exc))
            return None


SERVER = InfillServer()


# ---------------------------------------------------------------- lifecycle and configuration


@SERVER.feature(types.INITIALIZE)
def initialize(ls: InfillServer, params: types.InitializeParams) -> None:
    ls.options, problems = options_from_dict(params.initialization_options)
    if problems:   # shown once the client is ready for messages
        ls.pending_problems = problems


@SERVER.feature(types.INITIALIZED)
async def initialized(ls: InfillServer, params: types.InitializedParams) -> None:
    if problems := ls.pending_problems:
        ls.show_once("invalid settings: " + "; ".join(problems), types.MessageType.Warning)
    await ls.load_model()
    workspace = ls.client_capabilities.workspace
    if workspace and workspace.configuration:
        try:
            items = [types.ConfigurationItem(section="infill")]
            result = await ls.workspace_configuration_async(types.ConfigurationParams(items=items))
        except Exception:
            return
        if result and isinstance(result[0], dict) and result[0]:
            ls.configure(result[0])


@SERVER.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
def did_change_configuration(ls: InfillServer, params: types.DidChangeConfigurationParams) -> None:
    settings = params.settings
    if isinstance(settings, dict) and "infill" in settings:
        ls.configure(settings["infill"])
    elif isinstance(settings, dict) and settings:
        ls.configure(settings)


@SERVER.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: InfillServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.cache.forget(params.text_document.uri)
    ls.sources.forget(params.text_document.uri)


@SERVER.feature(DIAGNOSTICS_NOTIFICATION)
def forwarded_diagnostics(ls: InfillServer, params: Any) -> None:
    """``{uri, diagnostics: [Diagnostic]}`` from our editor clients: kept for the document."""
    uri = params.get("uri") if isinstance(params, dict) else getattr(params, "uri", None)
    diagnostics = params.get("diagnostics") if isinstance(params, dict) else getattr(params, "diagnostics", None)
    if isinstance(uri, str):
        ls.sources.forwarded[unquote(uri)] = lsp_problems(diagnostics)


# ---------------------------------------------------------------- inline completion


def _with_selected(text: str, offset: int, info: types.SelectedCompletionInfo | None,
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


async def _suggest(ls: InfillServer, key: str, uri: str, version: int | None, text: str, offset: int,
                   language: str, automatic: bool = False) -> tuple[list[str], Completion] | None:
    """Gather the context, complete on the worker (``key`` supersedes older requests), rank
    the distinct non-blank candidates and remember them for typing into the suggestion.
    ``automatic`` requests run under the ``automaticSteps`` budget. None when superseded,
    cancelled or failed."""
    server_options, options = ls.options, ls.options.infill
    if automatic and server_options.automatic_steps:
        options = replace(options, steps=server_options.automatic_steps)
    gathered = await request_context(ls.sources, key, uri, version, text, offset, language, ls.root(uri),
                                     server_options)
    if gathered is None:   # a newer request came while the context was gathered
        return None
    extra, context = gathered
    result = await ls.infill(key, lambda cancelled: complete(text, offset, language, options,
                                                             cancelled=cancelled, extra_context=extra))
    if result is None:
        return None
    suggestions = [s for s in dict.fromkeys(result.candidates) if s.strip()]
    suggestions = await verified(ls.sources, uri, text, offset, suggestions, context, server_options)
    ls.cache.remember(uri, text, offset, suggestions)
    return suggestions, result


@SERVER.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
async def inline_completion(ls: InfillServer, params: types.InlineCompletionParams):
    uri = params.text_document.uri
    try:
        text, language, version = ls.document(uri)
        offset = lsp_offset(text, params.position, ls.encoding)
        info = params.context.selected_completion_info if params.context else None
        filled, cursor, selected, start, end = _with_selected(text, offset, info, ls.encoding)
    except InfillError:
        return None
    invoked = params.context is None or params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
    suggestions = ls.cache.lookup(uri, filled, cursor)
    if suggestions is None:
        suggested = await _suggest(ls, uri, uri, version, filled, cursor, language, automatic=not invoked)
        if suggested is None:
            return None
        suggestions = suggested[0]
    suggestions = suggestions if invoked else suggestions[:1]
    return lsp_inline_items(text, start, [selected + s for s in suggestions], ls.encoding, end)


# ---------------------------------------------------------------- completion fallback


@SERVER.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=None))
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
    suggested = await _suggest(ls, uri + "#completion", uri, version, text, offset, language)
    if suggested is None:
        return None
    suggestions, result = suggested
    return lsp_completion_list(text, offset, suggestions[0] if suggestions else result.text, ls.encoding)


# ---------------------------------------------------------------- rewrite selection, fill gap


async def _strict(ls: InfillServer, fn: Callable[[Callable[[], bool]], T]) -> T:
    """Run a user-chosen action: its errors become JSON-RPC errors the client shows."""
    try:
        return ls.timed(await ls.jobs.run(None, fn))
    except (PositionError, UnknownLanguageError) as exc:
        raise JsonRpcInvalidParams(str(exc)) from exc
    except InfillError as exc:
        raise JsonRpcServerError(str(exc), -32001) from exc


async def _rewrite_edit(ls: InfillServer, uri: str, rng: types.Range) -> types.WorkspaceEdit:
    try:
        text, language, version = ls.document(uri)
        start, end = lsp_offsets(text, rng, ls.encoding)
    except InfillError as exc:
        raise JsonRpcInvalidParams(str(exc)) from exc
    options, renoise = ls.options.infill, ls.options.rewrite_renoise
    result = await _strict(ls, lambda cancelled: rewrite(text, start, end, language, options,
                                                         renoise=renoise, cancelled=cancelled))
    review = "Rewrite selection (infill)" if _annotation_support(ls) else None
    return lsp_workspace_edit(uri, version, text, Edit(start, end, result.text), ls.encoding, review=review)


def _annotation_support(ls: InfillServer) -> bool:
    """The client can show an edit for confirmation before applying it (VS Code's refactor preview)."""
    workspace = ls.client_capabilities.workspace
    return bool(workspace and workspace.workspace_edit and workspace.workspace_edit.change_annotation_support)


def _resolve_support(ls: InfillServer) -> bool:
    td = ls.client_capabilities.text_document
    support = td and td.code_action and td.code_action.resolve_support
    return bool(support and "edit" in support.properties)


@SERVER.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
    code_action_kinds=[types.CodeActionKind.RefactorRewrite], resolve_provider=True))
def code_action(ls: InfillServer, params: types.CodeActionParams):
    rng, uri = params.range, params.text_document.uri
    if rng.start == rng.end:
        return None
    only = [str(getattr(k, "value", k)) for k in params.context.only or []]
    if only and not any(types.CodeActionKind.RefactorRewrite.value.startswith(k) for k in only):
        return None
    data = {"uri": uri, "range": {"start": {"line": rng.start.line, "character": rng.start.character},
                                  "end": {"line": rng.end.line, "character": rng.end.character}}}
    action = types.CodeAction(title="Rewrite selection (infill)", kind=types.CodeActionKind.RefactorRewrite)
    if _resolve_support(ls):
        action.data = data
    else:
        action.command = types.Command(title=action.title, command=REWRITE_COMMAND, arguments=[data])
    return [action]


@SERVER.feature(types.CODE_ACTION_RESOLVE)
async def code_action_resolve(ls: InfillServer, action: types.CodeAction) -> types.CodeAction:
    uri, rng = _location_args([action.data], types.Range)
    action.edit = await _rewrite_edit(ls, uri, rng)
    return action


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


async def _apply(ls: InfillServer, edit: types.WorkspaceEdit, label: str) -> types.WorkspaceEdit:
    """Ask the client to apply the edit, and return it as the command's result as well."""
    if ls.client_capabilities.workspace and ls.client_capabilities.workspace.apply_edit:
        try:
            await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=edit, label=label))
        except Exception as exc:
            log.warning("the client did not apply the edit: %s", exc)
    return edit


@SERVER.command(REWRITE_COMMAND)
async def rewrite_selection(ls: InfillServer, *args):
    uri, rng = _location_args(args, types.Range)
    return await _apply(ls, await _rewrite_edit(ls, uri, rng), "Rewrite selection")


def _document_at(ls: InfillServer, args: tuple | list) -> tuple[str, str, str, int | None, int]:
    """(uri, text, language, version, offset) of a command's ``[uri, position]`` arguments;
    bad ones are invalid params."""
    uri, position = _location_args(args, types.Position)
    try:
        text, language, version = ls.document(uri)
        return uri, text, language, version, lsp_offset(text, position, ls.encoding)
    except InfillError as exc:
        raise JsonRpcInvalidParams(str(exc)) from exc


@SERVER.command(FILL_GAP_COMMAND)
async def fill_gap(ls: InfillServer, *args):
    uri, text, language, version, offset = _document_at(ls, args)
    server_options, options = ls.options, ls.options.infill
    extra, context = await request_context(ls.sources, None, uri, version, text, offset, language,
                                           ls.root(uri), server_options) or ("", None)
    result = await _strict(ls, lambda cancelled: complete(text, offset, language, options, cancelled=cancelled,
                                                          extra_context=extra))
    best = (await verified(ls.sources, uri, text, offset, result.candidates, context, server_options))[0]
    edit = lsp_workspace_edit(uri, version, text, Edit(offset, offset, best), ls.encoding)
    return await _apply(ls, edit, "Fill the gap")


@SERVER.command(STATUS_COMMAND)
def status(ls: InfillServer, *args) -> dict:
    """Model, backend and the last latency, for an editor's status line; loads nothing."""
    info = ls.backend_info or {}
    return {"model": info.get("model", ls.options.infill.model), "backend": info.get("backend"),
            "loaded": ls.backend_info is not None, "last_latency_ms": ls.last_latency_ms,
            "busy": bool(ls.jobs.latest)}


@SERVER.command(CONTEXT_COMMAND)
async def show_context(ls: InfillServer, *args) -> dict:
    """The context a completion at ``[uri, position]`` would get: function, type errors,
    failing tests and the prompt comment block (gathered even when no request uses it)."""
    uri, text, language, version, offset = _document_at(ls, args)
    context = await ls.sources.gather(uri, version, text, offset, language, ls.root(uri), ls.options)
    return {**context.to_dict(), "prompt": context.prompt(text)}


__all__ = ["SERVER", "InfillServer", "REWRITE_COMMAND", "FILL_GAP_COMMAND", "STATUS_COMMAND", "CONTEXT_COMMAND"]
