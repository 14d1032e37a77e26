"""The language server: one pygls ``LanguageServer`` (``state.InfillServer``) and the table of
what it answers.

Every handler is thin: the document -> ``infill.suggest`` (or ``infill.editing.rewrite``, or
``infill.next_edit`` for ``textDocument/copilotInlineEdit``, in ``next_edit``) on
the worker thread (``jobs.Jobs``) -> ``lsp_*`` conversion (``convert``). Inference never
runs on the event loop. Completion handlers are in ``completion``, the code action and the
commands in ``actions``, the lifecycle and configuration below.

Context beyond the text (``sources``): type errors near the cursor (mypy, run by the server
on its own thread, and diagnostics our clients forward with the ``infill/diagnostics``
notification) and failing tests that call the function under the cursor. It is gathered
only when ``contextInPrompt`` writes it into the prompt or ``verifyTypes`` ranks the
candidates by it, and handed to ``infill.suggest``; ``infill.context`` shows it.

Bad input (unknown URIs, positions outside the document, unsupported languages, huge or
binary documents) gets a null result from inline completion and completion, and a JSON-RPC
error from commands and code-action resolve. Protocol noise is logged in one line and
answered with a JSON-RPC error (``errors``). Errors the user must act on (a model that does
not load) are shown once with ``window/showMessage``; the server keeps serving.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from lsprotocol import types

from . import actions, completion, next_edit
from .actions import CONTEXT_COMMAND, FILL_GAP_COMMAND, REWRITE_COMMAND, STATUS_COMMAND
from .convert import lsp_problems
from .options import options_from_dict
from .state import InfillServer

DIAGNOSTICS_NOTIFICATION = "infill/diagnostics"

SERVER = InfillServer()

# ---------------------------------------------------------------- what the server answers

SERVER.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())(completion.inline_completion)
SERVER.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=None))(completion.completion)
SERVER.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
    code_action_kinds=[types.CodeActionKind.RefactorRewrite], resolve_provider=True))(actions.code_action)
SERVER.feature(types.CODE_ACTION_RESOLVE)(actions.code_action_resolve)
SERVER.command(REWRITE_COMMAND)(actions.rewrite_selection)
SERVER.command(FILL_GAP_COMMAND)(actions.fill_gap)
SERVER.command(STATUS_COMMAND)(actions.status)
SERVER.command(CONTEXT_COMMAND)(actions.show_context)
SERVER.feature(next_edit.COPILOT_INLINE_EDIT)(next_edit.copilot_inline_edit)
SERVER.command(next_edit.ACCEPTED_COMMAND)(next_edit.next_edit_accepted)


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
    ls.index_workspace()
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


@SERVER.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: InfillServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.remember(params.text_document.uri)


@SERVER.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: InfillServer, params: types.DidChangeTextDocumentParams) -> None:
    changes = params.content_changes
    edited = getattr(changes[-1], "range", None) if changes else None
    ls.remember(params.text_document.uri, True, edited.start.line if edited is not None else None)


@SERVER.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: InfillServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.cache.forget(params.text_document.uri)
    ls.sources.forget(params.text_document.uri)
    ls.forget(params.text_document.uri)


@SERVER.feature(DIAGNOSTICS_NOTIFICATION)
def forwarded_diagnostics(ls: InfillServer, params: Any) -> None:
    """``{uri, diagnostics: [Diagnostic]}`` from our editor clients: kept for the document."""
    uri = params.get("uri") if isinstance(params, dict) else getattr(params, "uri", None)
    diagnostics = params.get("diagnostics") if isinstance(params, dict) else getattr(params, "diagnostics", None)
    if isinstance(uri, str):
        ls.sources.forwarded[unquote(uri)] = lsp_problems(diagnostics)


__all__ = ["SERVER", "InfillServer", "REWRITE_COMMAND", "FILL_GAP_COMMAND", "STATUS_COMMAND", "CONTEXT_COMMAND"]
