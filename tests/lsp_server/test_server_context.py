"""Context beyond the text over LSP: mypy's type errors, forwarded diagnostics, failing tests,
the prompt comment block, ranking by type errors, and their settings."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_helpers import (
    CALC,
    CAPABILITIES,
    SERVER,
    fast_options,
    inline_params,
    make_failing_workspace,
    open_doc,
    record_applied_edits,
    wait_for,
)
from infill.sources.diagnostics import mypy_available

pytestmark = pytest.mark.asyncio(loop_scope="module")

# add() has a type error on line 1; tests/test_calc.py::test_add calls it and fails
BROKEN = "def add(a: int, b: int) -> int:\n    return str(a - b)\n\n\ndef unused():\n    return 1\n"


@pytest_lsp.fixture(config=SERVER, scope="module")
async def ctx_client(lsp_client: LanguageClient, tiny_model_dir, tmp_path_factory):
    root = make_failing_workspace(tmp_path_factory.mktemp("ws"))
    lsp_client.root = root
    lsp_client.settings = {**fast_options(tiny_model_dir), "typeCheckTimeoutS": 20}
    record_applied_edits(lsp_client)
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=CAPABILITIES, root_uri=root.as_uri(), initialization_options=lsp_client.settings))
    await wait_for(lambda: any(getattr(v, "kind", "") == "end"
                               for vs in lsp_client.progress_reports.values() for v in vs))
    yield
    await lsp_client.shutdown_session()


def configure(client: LanguageClient, **changes) -> None:
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"infill": {**client.settings, **changes}}))


async def context_at(client: LanguageClient, uri: str, line: int, character: int) -> dict:
    return await asyncio.wait_for(client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="infill.context", arguments=[uri, {"line": line, "character": character}])), 30)


needs_mypy = pytest.mark.skipif(not mypy_available(), reason="mypy is not installed")


@needs_mypy
async def test_context_has_type_errors_and_failing_tests(ctx_client: LanguageClient):
    uri = (ctx_client.root / "calc.py").as_uri()
    open_doc(ctx_client, uri, BROKEN)
    context = await context_at(ctx_client, uri, 1, 8)
    assert context["function"] == "add"
    assert [(e["line"], e["source"]) for e in context["typeErrors"]] == [(1, "mypy")]
    assert "Incompatible return value" in context["typeErrors"][0]["message"]
    assert [t["nodeid"] for t in context["failingTests"]] == ["tests/test_calc.py::test_add"]
    assert context["failingTests"][0]["message"].startswith("assert -1 == 3")
    prompt = context["prompt"].splitlines()
    assert prompt[0].startswith("# type error: line 2 `return str(a - b)`: Incompatible return value")
    assert "# failing test: tests/test_calc.py::test_add" in prompt
    assert "#         assert add(1, 2) == 3" in prompt and "# assertion: assert -1 == 3" in prompt
    elsewhere = await context_at(ctx_client, uri, 5, 4)       # in unused(): nothing of add's
    assert elsewhere["function"] == "unused" and elsewhere["typeErrors"] == [] and elsewhere["failingTests"] == []


async def test_forwarded_diagnostics_are_kept_per_document(ctx_client: LanguageClient):
    uri = (ctx_client.root / "forwarded.py").as_uri()
    open_doc(ctx_client, uri, CALC)
    configure(ctx_client, typeCheck=False)
    ctx_client.protocol.notify("infill/diagnostics", {"uri": uri, "diagnostics": [
        {"range": {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 10}},
         "message": "Expression of type str cannot be returned", "severity": 1, "source": "Pylance"},
        {"range": "garbage", "message": "skipped"}]})
    context = await context_at(ctx_client, uri, 1, 4)
    assert [(e["line"], e["source"], e["message"]) for e in context["typeErrors"]] == [
        (1, "Pylance", "Expression of type str cannot be returned")]
    ctx_client.protocol.notify("infill/diagnostics", {"uri": uri, "diagnostics": []})
    assert (await context_at(ctx_client, uri, 1, 4))["typeErrors"] == []
    ctx_client.protocol.notify("infill/diagnostics", None)           # malformed: ignored
    configure(ctx_client)


async def test_a_type_check_past_its_time_gives_no_context_and_no_error(ctx_client: LanguageClient):
    uri = (ctx_client.root / "slow.py").as_uri()
    open_doc(ctx_client, uri, BROKEN)
    configure(ctx_client, typeCheckTimeoutS=0.001)
    before = len(ctx_client.messages)
    context = await context_at(ctx_client, uri, 1, 8)
    assert context["typeErrors"] == [] and context["function"] == "add"
    assert len(ctx_client.messages) == before
    configure(ctx_client)


@needs_mypy
async def test_completions_with_context_in_prompt_and_type_verification(ctx_client: LanguageClient):
    uri = (ctx_client.root / "calc.py").as_uri()
    open_doc(ctx_client, uri, BROKEN + "\n\ndef sub(a: int, b: int) -> int:\n    return \n", version=3)
    configure(ctx_client, contextInPrompt=True, verifyTypes=True, candidates=3)
    result = await asyncio.wait_for(ctx_client.text_document_inline_completion_async(
        inline_params(uri, 9, 11)), 60)
    assert result is not None and 1 <= len(result.items) <= 3
    fallback = await asyncio.wait_for(ctx_client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=1, character=4))), 60)
    assert fallback is not None and len(fallback.items) == 1
    edit = await asyncio.wait_for(ctx_client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="infill.fillGap", arguments=[uri, {"line": 9, "character": 11}])), 60)
    assert edit["documentChanges"][0]["edits"][0]["range"]["start"] == {"line": 9, "character": 11}
    configure(ctx_client)
