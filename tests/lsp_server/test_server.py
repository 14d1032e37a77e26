"""The server over stdio: capabilities, inline completion, fallback, rewrite, config, staleness."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled
from pytest_lsp import LanguageClient

from lsp_helpers import change_doc, fast_options, inline_params, open_doc

pytestmark = pytest.mark.asyncio(loop_scope="module")

CODE = "def add(a, b):\n    return print(a)\n\n\nclass Stack:\n    def push(self, item):\n        self.items.append(item)\n"


def _end_of_line(text: str, line: int) -> int:
    return len(text.split("\n")[line])


async def test_capabilities_are_advertised(client: LanguageClient):
    caps = client.init_result.capabilities
    assert caps.inline_completion_provider is not None
    assert caps.completion_provider is not None
    assert caps.code_action_provider.resolve_provider is True
    assert types.CodeActionKind.RefactorRewrite in caps.code_action_provider.code_action_kinds
    assert {"infill.rewriteSelection", "infill.fillGap"} <= set(caps.execute_command_provider.commands)


async def test_model_load_reports_progress(client: LanguageClient):
    kinds = [v.kind for vs in client.progress_reports.values() for v in vs]
    assert kinds[0] == "begin" and kinds[-1] == "end"
    assert not [m for m in client.messages if m.type == types.MessageType.Error]


async def test_inline_completion_replaces_rest_of_line(client: LanguageClient):
    uri = "file:///inline.py"
    open_doc(client, uri, CODE)
    col = CODE.split("\n")[1].index("a)")          # inside print( ... ), ")" follows
    result = await client.text_document_inline_completion_async(inline_params(uri, 1, col))
    assert result is not None and 1 <= len(result.items) <= 3
    for item in result.items:
        assert item.range.start == types.Position(line=1, character=col)
        assert item.range.end == types.Position(line=1, character=_end_of_line(CODE, 1))
        assert item.insert_text.endswith("a)")      # the rest of the line is kept, not duplicated
    auto = await client.text_document_inline_completion_async(inline_params(uri, 1, col, invoked=False))
    assert auto is not None and len(auto.items) == 1


async def test_typing_into_a_suggestion_hits_the_cache(client: LanguageClient):
    uri = "file:///cache.py"
    text = "x = 1\ny = \n"
    open_doc(client, uri, text)
    first = await client.text_document_inline_completion_async(inline_params(uri, 1, 4, invoked=False))
    assert first is not None
    suggestion = first.items[0].insert_text   # nothing follows the cursor on that line
    typed = text.replace("y = ", "y = " + suggestion[:1])
    change_doc(client, uri, typed, 2)
    again = await client.text_document_inline_completion_async(inline_params(uri, 1, 5, invoked=False))
    if len(suggestion) > 1:
        assert again is not None and again.items[0].insert_text == suggestion[1:]


async def test_completion_fallback_and_configuration_change(client: LanguageClient, tiny_model_dir):
    uri = "file:///fallback.py"
    open_doc(client, uri, "def f():\n    return \n")
    params = types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri),
                                    position=types.Position(line=1, character=11))
    result = await client.text_document_completion_async(params)
    assert result is not None and len(result.items) == 1
    item = result.items[0]
    assert item.detail.startswith("infill") and item.text_edit.range.start.character == 11
    assert item.text_edit.new_text.strip().startswith(item.label.rstrip("\u2026"))
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"infill": {**fast_options(tiny_model_dir), "completionFallback": False}}))
    assert await client.text_document_completion_async(params) is None
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"infill": fast_options(tiny_model_dir)}))
    assert await client.text_document_completion_async(params) is not None


async def test_rewrite_code_action_resolves_to_an_edit(client: LanguageClient):
    uri = "file:///rewrite.py"
    open_doc(client, uri, CODE, version=7)
    selection = types.Range(start=types.Position(line=6, character=8), end=types.Position(line=6, character=31))
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=selection,
        context=types.CodeActionContext(diagnostics=[])))
    assert len(actions) == 1
    action = actions[0]
    assert action.kind == types.CodeActionKind.RefactorRewrite and action.edit is None   # lazy
    resolved = await client.code_action_resolve_async(action)
    change = resolved.edit.document_changes[0]
    assert change.text_document.uri == uri and change.text_document.version == 7
    assert change.edits[0].range == selection and change.edits[0].new_text


async def test_commands_apply_edits(client: LanguageClient):
    uri = "file:///commands.py"
    open_doc(client, uri, CODE)
    before = len(client.applied_edits)
    selection = {"start": {"line": 1, "character": 11}, "end": {"line": 1, "character": 19}}
    edit = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="infill.rewriteSelection", arguments=[{"uri": uri, "range": selection}]))
    assert edit["documentChanges"][0]["edits"][0]["range"] == selection
    edit = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="infill.fillGap", arguments=[uri, {"line": 2, "character": 0}]))
    assert edit["documentChanges"][0]["edits"][0]["range"]["start"] == {"line": 2, "character": 0}
    assert len(client.applied_edits) == before + 2


async def test_a_refused_rewrite_asks_the_client_to_apply_nothing(client: LanguageClient, tiny_model_dir):
    """With the checks on, the tiny random model's rewrite is declined (said in a message): the
    command answers an empty edit and sends no workspace/applyEdit."""
    uri = "file:///refused.py"
    open_doc(client, uri, CODE)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"infill": {**fast_options(tiny_model_dir), "checks": True}}))
    before = len(client.applied_edits)
    selection = {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 19}}
    edit = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="infill.rewriteSelection", arguments=[{"uri": uri, "range": selection}]))
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"infill": fast_options(tiny_model_dir)}))
    assert edit == {"changes": {}}
    assert len(client.applied_edits) == before


async def test_newer_request_supersedes_older(client: LanguageClient, tiny_model_dir):
    uri = "file:///stale.py"
    open_doc(client, uri, CODE)
    # slow requests (a long sequential canvas, no step budget), so the first is still running
    # when the second comes
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"infill": {
        **fast_options(tiny_model_dir), "canvas": 160, "maxBlocks": 1, "sampler": "sequential",
        "automaticSteps": 0}}))
    first = asyncio.ensure_future(client.text_document_inline_completion_async(inline_params(uri, 2, 0, False)))
    await asyncio.sleep(0.2)
    second = asyncio.ensure_future(client.text_document_inline_completion_async(inline_params(uri, 3, 0, False)))
    done_first = await asyncio.wait_for(first, 10)
    assert done_first is None                      # dropped at once, not after its work
    assert not second.done()                       # ... while the newer one still runs
    await asyncio.wait_for(second, 60)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"infill": fast_options(tiny_model_dir)}))


async def test_cancel_request_is_honoured(client: LanguageClient, tiny_model_dir):
    uri = "file:///cancel.py"
    open_doc(client, uri, CODE)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"infill": {
        **fast_options(tiny_model_dir), "canvas": 160, "maxBlocks": 1, "sampler": "sequential"}}))
    request = asyncio.ensure_future(client.protocol.send_request_async(
        types.TEXT_DOCUMENT_INLINE_COMPLETION, inline_params(uri, 2, 0), msg_id="to-cancel"))
    await asyncio.sleep(0.3)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="to-cancel"))
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(request, 10)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"infill": fast_options(tiny_model_dir)}))
    # the worker is free again quickly: a normal request answers
    result = await asyncio.wait_for(client.text_document_inline_completion_async(inline_params(uri, 1, 11)), 10)
    assert result is not None


async def test_nothing_is_shown_below_min_confidence_or_when_the_checks_reject(client: LanguageClient,
                                                                               tiny_model_dir):
    uri = "file:///unsure.py"
    open_doc(client, uri, CODE)
    col = CODE.split("\n")[1].index("a)")
    completion = types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri),
                                        position=types.Position(line=1, character=col))
    for settings in ({"minConfidence": 1.0}, {"checks": True, "minConfidence": 1.0}):
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"infill": {**fast_options(tiny_model_dir), **settings}}))
        assert await client.text_document_inline_completion_async(inline_params(uri, 1, col)) is None
        assert await client.text_document_completion_async(completion) is None
        with pytest.raises(Exception, match="no suggestion is likely right"):
            await client.workspace_execute_command_async(types.ExecuteCommandParams(
                command="infill.fillGap", arguments=[uri, {"line": 1, "character": col}]))
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"infill": fast_options(tiny_model_dir)}))
    assert await client.text_document_inline_completion_async(inline_params(uri, 1, col)) is not None
