"""``infill.status`` (what editors show in a status line) and ``infill-lsp --check`` (health checks)."""

from __future__ import annotations

import json

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_helpers import open_doc
from lsp_server.__main__ import main

def status_params() -> types.ExecuteCommandParams:
    return types.ExecuteCommandParams(command="infill.status", arguments=[])


@pytest.mark.asyncio(loop_scope="module")
async def test_status_reports_model_backend_and_latency(client: LanguageClient, tiny_model_dir):
    assert "infill.status" in client.init_result.capabilities.execute_command_provider.commands
    before = await client.workspace_execute_command_async(status_params())
    assert before["loaded"] is True and before["backend"] == "embedded"
    assert before["model"] == str(tiny_model_dir)
    uri = "file:///status.py"
    open_doc(client, uri, "def f():\n    return \n")
    await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=1, character=11)))
    after = await client.workspace_execute_command_async(status_params())
    assert isinstance(after["last_latency_ms"], float) and after["last_latency_ms"] > 0
    assert after["busy"] is False
    said = after["last_decision"]       # why the last completion was shown or not, as the CLI says it
    assert said["reason"] in ("shown", "empty", "rejected", "below_threshold") and said["message"]
    assert said["threshold"] == 0.25 or said["reason"] in ("shown", "empty")
    if said["reason"] == "below_threshold":
        assert "minConfidence" in said["message"] and f"{said['confidence']:.2f}" in said["message"]


def test_check_prints_the_model_description(tiny_model_dir, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--check", "--settings", json.dumps({"model": str(tiny_model_dir)})])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    assert out.startswith("infill-lsp ") and "backend: embedded" in out and str(tiny_model_dir) in out


def test_check_fails_clearly_for_a_missing_model(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--check", "--settings", json.dumps({"infill": {"model": str(tmp_path / "nope")}})])
    assert exit_.value.code == 1
    assert "error:" in capsys.readouterr().err
