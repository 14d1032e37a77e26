"""The language server on a published diffusion family (a tiny LLaDA checkpoint in its layout):
a folder whose modeling code is not trusted gives one message saying how to allow it and null
answers, and the server keeps serving; the LLaDA folder then answers, with no remote code run."""

from __future__ import annotations

import asyncio
import json

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from diffusion_checkpoints import MARKER, write_llada
from lsp_helpers import SERVER, fast_options, inline_params, open_doc, start, wait_for

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    llada = tmp_path_factory.mktemp("llada")
    write_llada(llada)
    untrusted = tmp_path_factory.mktemp("untrusted")
    write_llada(untrusted)
    cfg = json.loads((untrusted / "config.json").read_text())
    cfg.update(model_type="llada_next", architectures=["LLaDANextLM"])     # no family we load by architecture
    (untrusted / "config.json").write_text(json.dumps(cfg))
    return llada, untrusted


@pytest_lsp.fixture(config=SERVER, scope="module")
async def served(lsp_client: LanguageClient, folders):
    await start(lsp_client, fast_options(folders[1]))
    yield
    await lsp_client.shutdown_session()


async def test_untrusted_code_is_refused_once_then_a_family_checkpoint_serves(served: LanguageClient, folders):
    llada, untrusted = folders
    await wait_for(lambda: served.messages)
    open_doc(served, "file:///s.py", "def add(a, b):\n    return \n")
    for _ in range(2):
        assert await served.text_document_inline_completion_async(inline_params("file:///s.py", 1, 11)) is None
    errors = [m for m in served.messages if m.type == types.MessageType.Error]
    assert len(errors) == 1 and "trustRemoteCode" in errors[0].message and "nothing of it was run" in errors[0].message
    assert not (untrusted / MARKER).exists()
    served.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"infill": fast_options(llada)}))
    await asyncio.sleep(0.2)
    result = await asyncio.wait_for(
        served.text_document_inline_completion_async(inline_params("file:///s.py", 1, 11)), 60)
    assert result is not None
    assert not (llada / MARKER).exists()
