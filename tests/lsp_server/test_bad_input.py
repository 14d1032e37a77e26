"""Bad input gets null results or JSON-RPC errors, never a crash; a fuzz test of random requests."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from lsp_helpers import change_doc, inline_params, open_doc

pytestmark = pytest.mark.asyncio(loop_scope="module")

EMOJI = "def f():\n    s = '\U0001F600\U0001F600'  # é\n    return \n"
URI = "file:///bad.py"


async def send_raw(client: LanguageClient, method: str, params: dict):
    """Send params as plain JSON, bypassing the client's typed (validating) message classes."""
    typed = client.protocol.get_message_type
    client.protocol.get_message_type = lambda _method: None
    try:
        future = client.protocol.send_request(method, params)
    finally:
        client.protocol.get_message_type = typed
    return await asyncio.wrap_future(future)


async def _inline(client, uri, line, character, invoked=True):
    return await asyncio.wait_for(
        client.text_document_inline_completion_async(inline_params(uri, line, character, invoked)), 20)


async def test_positions_outside_the_document_give_null(client: LanguageClient):
    open_doc(client, URI, EMOJI)
    assert await _inline(client, URI, 99, 0) is None
    assert await _inline(client, URI, 0, 999) is None
    assert await _inline(client, "file:///never-opened.py", 0, 0) is None


async def test_positions_inside_surrogate_pairs_are_answered(client: LanguageClient):
    open_doc(client, URI, EMOJI)
    line = EMOJI.split("\n")[1]
    after_first = line.index("\U0001F600") + 2          # UTF-16: the emoji is two units
    for character in (after_first - 1, after_first, after_first + 1):   # inside, between, inside
        result = await _inline(client, URI, 1, character)
        if result is not None:
            start = result.items[0].range.start.character
            assert start in (after_first - 2, after_first, after_first + 2)   # never mid-pair


async def test_unsupported_huge_and_binary_documents_give_null(client: LanguageClient):
    open_doc(client, "file:///notes.cobol", "IDENTIFICATION DIVISION.\n", language="cobol")
    assert await _inline(client, "file:///notes.cobol", 0, 3) is None
    huge = "x = 1\n" * 360_000                             # > 2 MB, the default limit
    open_doc(client, "file:///huge.py", huge)
    assert await _inline(client, "file:///huge.py", 10, 0) is None
    open_doc(client, "file:///blob.py", "x = 1\x00\x01\x02\n")
    assert await _inline(client, "file:///blob.py", 0, 2) is None


async def test_malformed_params_are_errors(client: LanguageClient):
    open_doc(client, URI, EMOJI)
    for params in [{"textDocument": {"uri": URI}}, {"position": {"line": 0, "character": 0}},
                   {"textDocument": {"uri": URI}, "position": {"line": -1, "character": "x"}}, None, [1, 2]]:
        try:
            result = await asyncio.wait_for(send_raw(client, types.TEXT_DOCUMENT_INLINE_COMPLETION, params), 20)
        except JsonRpcException:
            continue
        assert result is None


async def test_malformed_commands_and_resolve_are_errors(client: LanguageClient):
    open_doc(client, URI, EMOJI)
    bad_calls = [
        types.ExecuteCommandParams(command="infill.rewriteSelection", arguments=[]),
        types.ExecuteCommandParams(command="infill.rewriteSelection", arguments=[{"uri": URI}]),
        types.ExecuteCommandParams(command="infill.fillGap", arguments=["file:///nope.py", {"line": 0, "character": 0}]),
        types.ExecuteCommandParams(command="infill.fillGap", arguments=[URI, {"line": -1, "character": 0}]),
        types.ExecuteCommandParams(command="infill.nothing", arguments=[]),
    ]
    for params in bad_calls:
        with pytest.raises(JsonRpcException):
            await asyncio.wait_for(client.workspace_execute_command_async(params), 20)
    action = types.CodeAction(title="x", data={"uri": URI, "range": "garbage"})
    with pytest.raises(JsonRpcException):
        await client.code_action_resolve_async(action)
    empty = {"uri": URI, "range": {"start": {"line": 2, "character": 4}, "end": {"line": 2, "character": 4}}}
    with pytest.raises(JsonRpcException, match="nothing to rewrite"):
        await client.code_action_resolve_async(types.CodeAction(title="x", data=empty))


async def test_invalid_settings_are_reported_once_and_defaults_used(client: LanguageClient, tiny_model_dir):
    before = len(client.messages)
    for _ in range(2):
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"infill": {
            "model": str(tiny_model_dir), "canvas": 8, "maxBlocks": 1, "candidates": "three", "bogus": 1,
            "checks": False, "minConfidence": 0}}))   # the random model is never sure
    await asyncio.sleep(0.3)
    new = client.messages[before:]
    assert len(new) == 1 and "candidates" in new[0].message and "bogus" in new[0].message
    open_doc(client, URI, EMOJI)
    assert await _inline(client, URI, 2, 11) is not None


FUZZ, HUGE, COBOL = "file:///fuzz.py", "file:///fuzz-huge.py", "file:///fuzz.cobol"
METHODS = [types.TEXT_DOCUMENT_INLINE_COMPLETION, types.TEXT_DOCUMENT_COMPLETION, types.TEXT_DOCUMENT_CODE_ACTION,
           types.WORKSPACE_EXECUTE_COMMAND, types.CODE_ACTION_RESOLVE]
FUZZ_EXAMPLES = 1000    # one request each: a server, many cheap requests, derandomized
sent = {"requests": 0}

positions = st.tuples(st.integers(-3, 12), st.integers(-3, 60))
uris = st.sampled_from([URI, FUZZ, "file:///unknown.py", "untitled:1", "file:///bad%20name.py", "", HUGE, COBOL])
edits = st.text(alphabet=st.sampled_from(list("ab(): \n\t\U0001F600é\r\x00")), max_size=40)
keys = st.sampled_from(["uri", "textDocument", "position", "line", "character", "range", "start", "end",
                        "context", "triggerKind", "command", "arguments", "data", "diagnostics"])
junk = st.recursive(st.none() | st.booleans() | st.integers(-2, 2**40) | st.text(max_size=6) | uris,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4),
                    max_leaves=10)


async def _request(client: LanguageClient, method: str, uri: str, line: int, character: int, invoked: bool,
                   params) -> None:
    sent["requests"] += 1
    position = types.Position(line=line, character=character) if min(line, character) >= 0 else None
    if method == "inline" and position:
        await _inline(client, uri, line, character, invoked)
    elif method == "completion" and position:
        await asyncio.wait_for(client.text_document_completion_async(types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=position)), 20)
    elif method == "codeAction" and position:
        end = types.Position(line=line + 1, character=0)
        await asyncio.wait_for(client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=types.Range(start=position, end=end),
            context=types.CodeActionContext(diagnostics=[]))), 20)
    else:   # negative positions (the client refuses to send them) and junk: raw JSON
        if method == "notify":
            client.protocol.notify("infill/diagnostics", params)
        if not isinstance(params, dict) or method in ("inline", "completion", "codeAction", "notify"):
            params = {"textDocument": {"uri": uri}, "position": {"line": line, "character": character},
                      "context": {"triggerKind": 1}, **(params if isinstance(params, dict) else {})}
        raw_method = METHODS[(line + character) % len(METHODS)] if method == "raw" else types.TEXT_DOCUMENT_INLINE_COMPLETION
        try:
            await asyncio.wait_for(send_raw(client, raw_method, params), 20)
        except JsonRpcException:
            pass


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(uri=uris, pos=positions, edit=edits, invoked=st.booleans(), params=junk,
       language=st.sampled_from(["python", "python", "python", "cobol", "plaintext"]),
       method=st.sampled_from(["inline", "inline", "completion", "codeAction", "raw", "notify"]))
async def test_fuzz_random_requests(client: LanguageClient, uri, pos, edit, invoked, params, language, method):
    version = test_fuzz_random_requests.version = getattr(test_fuzz_random_requests, "version", 1) + 2
    if version == 3:   # once: an unsupported language and a document over the size limit
        open_doc(client, COBOL, "IDENTIFICATION DIVISION.\n", language="cobol")
        open_doc(client, HUGE, "x = 1\n" * 360_000)
    open_doc(client, FUZZ, "def g(x):\n    return x\n", language=language, version=version)
    change_doc(client, FUZZ, "def g(x):\n    " + edit + "\n", version + 1)
    await _request(client, method, uri, *pos, invoked, params)


async def test_still_serves_after_the_fuzz(client: LanguageClient):
    if sent["requests"]:   # the fuzz ran in this session
        assert sent["requests"] >= FUZZ_EXAMPLES
    open_doc(client, "file:///after.py", "def h(y):\n    return \n")
    assert await _inline(client, "file:///after.py", 1, 11) is not None
