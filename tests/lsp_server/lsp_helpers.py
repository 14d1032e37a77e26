"""Helpers of the language-server tests: a real ``python -m lsp_server`` over stdio, driven by
pytest-lsp, on the tiny random model (the fixtures are in this folder's conftest)."""

from __future__ import annotations

import asyncio
import sys
import time

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "lsp_server"])

CAPABILITIES = types.ClientCapabilities(
    window=types.WindowClientCapabilities(work_done_progress=True),
    workspace=types.WorkspaceClientCapabilities(configuration=True, apply_edit=True),
    text_document=types.TextDocumentClientCapabilities(
        inline_completion=types.InlineCompletionClientCapabilities(),
        code_action=types.CodeActionClientCapabilities(
            resolve_support=types.ClientCodeActionResolveOptions(properties=["edit"]))),
)


def fast_options(model_dir) -> dict:
    """Settings that keep each request to a few tiny forward passes."""
    return {"model": str(model_dir), "canvas": 8, "maxBlocks": 1, "candidates": 3, "threads": 1,
            "checks": False, "minConfidence": 0.0}   # the random tiny model is never sure: these test the server


def record_applied_edits(client: LanguageClient) -> list:
    client.applied_edits = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams):
        client.applied_edits.append(params.edit)
        return types.ApplyWorkspaceEditResult(applied=True)

    return client.applied_edits


async def start(client: LanguageClient, init_options) -> types.InitializeResult:
    record_applied_edits(client)
    result = await client.initialize_session(types.InitializeParams(
        capabilities=CAPABILITIES, initialization_options=init_options))
    return result


async def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.05)


def open_doc(client: LanguageClient, uri: str, text: str, language: str = "python", version: int = 1) -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id=language, version=version, text=text)))


def change_doc(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


def inline_params(uri: str, line: int, character: int, invoked: bool = True) -> types.InlineCompletionParams:
    kind = types.InlineCompletionTriggerKind.Invoked if invoked else types.InlineCompletionTriggerKind.Automatic
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=character),
        context=types.InlineCompletionContext(trigger_kind=kind))


CALC = "def add(a: int, b: int) -> int:\n    return a - b\n"
CALC_TESTS = ("from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\n"
              "def test_other():\n    assert 1 == 2\n")


def make_failing_workspace(root):
    """calc.py, a failing test of it and the records of one real pytest run (cache, junit.xml)."""
    import os
    import subprocess

    (root / "tests").mkdir(parents=True, exist_ok=True)
    (root / "calc.py").write_text(CALC)
    (root / "tests" / "test_calc.py").write_text(CALC_TESTS)
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONPATH": str(root)}
    subprocess.run([sys.executable, "-m", "pytest", "-q", "--junitxml=junit.xml", "tests"], cwd=root, env=env,
                   capture_output=True, timeout=60)
    return root


def close_doc(client: LanguageClient, uri: str) -> None:
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
