"""Fixtures of the language-server tests: a real server on the tiny random model (``lsp_helpers``)."""

from __future__ import annotations

import pytest_lsp
from pytest_lsp import LanguageClient

from lsp_helpers import SERVER, fast_options, start, wait_for


@pytest_lsp.fixture(config=SERVER, scope="module")
async def client(lsp_client: LanguageClient, tiny_model_dir):
    lsp_client.init_result = await start(lsp_client, fast_options(tiny_model_dir))
    # the model loads after `initialized`, with $/progress: wait for its end
    await wait_for(lambda: any(getattr(v, "kind", "") == "end"
                               for vs in lsp_client.progress_reports.values() for v in vs))
    yield
    await lsp_client.shutdown_session()
