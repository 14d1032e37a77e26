"""The CLI and the language server give the same answer for the same document and options:
both build one ``infill.suggest.Request`` and call ``suggest`` (the type ranking included)."""

from __future__ import annotations

import json

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_helpers import SERVER, fast_options, inline_params, open_doc, start, wait_for
from infill.cli import main
from infill.editing import inline_edit
from infill.sources.diagnostics import mypy_available

pytestmark = pytest.mark.skipif(not mypy_available(), reason="mypy is not installed")

DOC = "def label(n: int) -> str:\n    count = n + 1\n    return \n"
LINE, COL = 2, len("    return ")          # 0-based, as LSP counts
SETTINGS = {"verifyTypes": True, "typeCheckTimeoutS": 60.0,    # a budget no run reaches: same ranking
            "knownNamesMs": 10_000.0}                         # and the same known names (jedi answers in both)


@pytest_lsp.fixture(config=SERVER, scope="module")
async def same_client(lsp_client: LanguageClient, tiny_model_dir):
    lsp_client.init_result = await start(lsp_client, {**fast_options(tiny_model_dir), **SETTINGS})
    await wait_for(lambda: any(getattr(v, "kind", "") == "end"
                               for vs in lsp_client.progress_reports.values() for v in vs))
    yield
    await lsp_client.shutdown_session()


def cli_answer(path, tiny_model_dir, capsys) -> dict:
    flags = ["--model", str(tiny_model_dir), "--canvas", "8", "--max-blocks", "1", "--candidates", "3",
             "--threads", "1", "--no-checks", "--min-confidence", "0", "--verify-types", "--type-check-timeout-s", "60",
             "--known-names-ms", "10000"]
    assert main(["complete", f"{path}:{LINE + 1}:{COL + 1}", "--json", *flags]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.asyncio(loop_scope="module")
async def test_the_cli_and_the_server_answer_alike(same_client: LanguageClient, tiny_model_dir, tmp_path_factory,
                                                   capsys):
    folder = tmp_path_factory.mktemp("same")
    path = folder / "label.py"
    path.write_text(DOC)
    uri = path.as_uri()
    open_doc(same_client, uri, DOC)
    cli = cli_answer(path, tiny_model_dir, capsys)
    judged = [s for s, c in zip(cli["candidates"], cli["confidences"]) if s.strip() and c > 0]
    shown = list(dict.fromkeys(judged))
    offset = len(DOC.split("\n")[0]) + 1 + len(DOC.split("\n")[1]) + 1 + COL
    expected = [inline_edit(DOC, offset, s).text for s in shown]

    items = await same_client.text_document_inline_completion_async(inline_params(uri, LINE, COL))
    got = [item.insert_text for item in (items.items if items else [])]
    assert got and got == expected[:len(got)]          # the server shows the first few (its item limit)

    edit = await same_client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="infill.fillGap", arguments=[uri, {"line": LINE, "character": COL}]))
    inserted = edit["documentChanges"][0]["edits"][0]["newText"] if edit.get("documentChanges") \
        else next(iter(edit["changes"].values()))[0]["newText"]
    assert inserted == cli["text"]
