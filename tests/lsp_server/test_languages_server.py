"""The server in every language: documents are read by their LSP language id (or their file name),
a model trained on Python alone says so once per language and answers null, and a file of
several languages (a ``.vue``, an ``.html`` page) gets a quiet null."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_helpers import SERVER, fast_options, inline_params, open_doc, start, wait_for

pytestmark = pytest.mark.asyncio(loop_scope="module")

TS = "function add(a: number, b: number): number {\n  return \n}\n"
GO = "package calc\n\nfunc Add(a int, b int) int {\n\treturn \n}\n"


@pytest_lsp.fixture(config=SERVER, scope="module")
async def python_only(lsp_client: LanguageClient, python_only_model_dir):
    await start(lsp_client, fast_options(python_only_model_dir))
    await wait_for(lambda: any(getattr(v, "kind", "") == "end"
                               for vs in lsp_client.progress_reports.values() for v in vs))
    yield
    await lsp_client.shutdown_session()


async def _inline(client, uri, line, character):
    return await asyncio.wait_for(client.text_document_inline_completion_async(
        inline_params(uri, line, character)), 20)


def _said(client) -> list[str]:
    return [m.message for m in client.messages if m.type == types.MessageType.Error]


async def test_other_languages_get_one_message_each_and_null(python_only: LanguageClient):
    open_doc(python_only, "file:///w/add.ts", TS, language="typescript")
    open_doc(python_only, "file:///w/calc.go", GO, language="go")
    for _ in range(2):
        assert await _inline(python_only, "file:///w/add.ts", 1, 9) is None
    await wait_for(lambda: _said(python_only))
    assert _said(python_only) == ["infill: the embedded model completes Python only; configure a backend to complete "
                                  "TypeScript (--endpoint URL --model NAME, or --model DIR)"]
    assert await _inline(python_only, "file:///w/calc.go", 3, 8) is None
    await wait_for(lambda: len(_said(python_only)) == 2)
    assert "to complete Go" in _said(python_only)[1]
    open_doc(python_only, "file:///w/ok.py", "def add(a, b):\n    return \n")
    assert await _inline(python_only, "file:///w/ok.py", 1, 11) is not None    # Python is served
    assert len(_said(python_only)) == 2


async def test_no_rewrite_is_offered_where_it_can_only_fail(python_only: LanguageClient):
    selection = types.Range(start=types.Position(line=1, character=2), end=types.Position(line=1, character=9))
    params = lambda uri: types.CodeActionParams(   # noqa: E731
        text_document=types.TextDocumentIdentifier(uri=uri), range=selection,
        context=types.CodeActionContext(diagnostics=[]))
    open_doc(python_only, "file:///w/rw.ts", TS, language="typescript")
    open_doc(python_only, "file:///w/rw.py", "def add(a, b):\n    return a + b\n")
    assert await python_only.text_document_code_action_async(params("file:///w/rw.ts")) is None
    assert await python_only.text_document_code_action_async(params("file:///w/rw.py"))


async def test_mixed_language_files_and_unknown_ids_get_a_quiet_null(python_only: LanguageClient):
    before = len(python_only.messages)
    open_doc(python_only, "file:///w/App.vue", "<template><p>{{ x }}</p></template>\n<script>\nexport default {}\n"
             "</script>\n", language="vue")
    open_doc(python_only, "file:///w/index.html", "<script>\nconst x = \n</script>\n", language="html")
    assert await _inline(python_only, "file:///w/App.vue", 2, 15) is None
    assert await _inline(python_only, "file:///w/index.html", 1, 10) is None
    assert len(python_only.messages) == before


async def test_ids_and_file_names_select_the_language(python_only: LanguageClient):
    """A Neovim filetype (``sh``), a VS Code id (``shellscript``) and an id we do not know on a
    file whose name we do (``typescript.tsx``) all reach the right language: the Bash and TSX
    messages say so."""
    open_doc(python_only, "file:///w/run.sh", "echo \n", language="sh")
    open_doc(python_only, "file:///w/App.tsx", "const x = \n", language="typescript.tsx")
    assert await _inline(python_only, "file:///w/run.sh", 0, 5) is None
    assert await _inline(python_only, "file:///w/App.tsx", 0, 10) is None
    await wait_for(lambda: any("Bash" in m for m in _said(python_only)) and
                   any("TSX" in m for m in _said(python_only)))
