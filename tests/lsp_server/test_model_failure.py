"""A model that does not load: one window/showMessage, null results, and the server keeps serving."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_helpers import SERVER, fast_options, inline_params, open_doc, start, wait_for

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(config=SERVER, scope="module")
async def broken(lsp_client: LanguageClient, tmp_path_factory):
    missing = tmp_path_factory.mktemp("empty") / "no-model"
    await start(lsp_client, {**fast_options(missing)})
    yield
    await lsp_client.shutdown_session()


async def test_load_error_is_shown_once_and_server_keeps_serving(broken: LanguageClient, tiny_model_dir):
    await wait_for(lambda: broken.messages)
    open_doc(broken, "file:///m.py", "x = \n")
    for _ in range(3):
        assert await broken.text_document_inline_completion_async(inline_params("file:///m.py", 0, 4)) is None
    errors = [m for m in broken.messages if m.type == types.MessageType.Error]
    assert len(errors) == 1 and "config.json" in errors[0].message
    # a configuration naming a good model makes it work, without a restart
    broken.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"infill": fast_options(tiny_model_dir)}))
    await asyncio.sleep(0.2)
    result = await broken.text_document_inline_completion_async(inline_params("file:///m.py", 0, 4))
    assert result is not None
