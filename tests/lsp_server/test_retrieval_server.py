"""Drafts in the server: lines of other open documents and of recent edits become candidates."""

from __future__ import annotations

import asyncio
import time

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_helpers import change_doc, close_doc, inline_params, open_doc

pytestmark = pytest.mark.asyncio(loop_scope="module")

LIBRARY = ("def read_table(path):\n    with open(path) as f:\n        rows = decode_rows(f.read(), limit=3)\n"
           "    return rows\n")
GAPPED = "def read_other(path):\n    with open(path) as f:\n        rows = \n    return rows\n"


async def indexed(client: LanguageClient, chunks: int) -> None:
    """Wait until the server's index of open documents can search ``chunks`` chunks (it is
    rebuilt in the background; a completion asked before would be cached without the draft)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        status = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="infill.status", arguments=[]))
        if status["neighbours"]["searchable"] >= chunks and status["neighbours"]["current"]:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"the index of open documents was not built: {status}")


async def items_at(client: LanguageClient, uri: str, line: int, col: int) -> list[str]:
    result = await client.text_document_inline_completion_async(inline_params(uri, line, col))
    return [item.insert_text for item in result.items] if result else []


async def eventually_offered(client: LanguageClient, uri: str, want: str, timeout: float = 15.0,
                             line: int = 2) -> list[str]:
    """The items at the gap, asked again until ``want`` is among them (the index of open
    documents is rebuilt in the background) or the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        got = await items_at(client, uri, line, len("        rows = "))
        if any(item.startswith(want) for item in got) or time.monotonic() > deadline:
            return got
        await asyncio.sleep(0.1)


async def test_a_line_of_another_open_document_is_offered(client: LanguageClient):
    open_doc(client, "file:///lib/table.py", LIBRARY)
    await indexed(client, 1)
    open_doc(client, "file:///app/other.py", GAPPED)
    got = await eventually_offered(client, "file:///app/other.py", "decode_rows(f.read(), limit=3)")
    assert any(item.startswith("decode_rows(f.read(), limit=3)") for item in got), got


async def test_an_edit_stays_in_the_ring_after_its_document_closes(client: LanguageClient):
    close_doc(client, "file:///lib/table.py")            # its draft would compete with the ring's
    uri = "file:///lib/scratch.py"
    open_doc(client, uri, "x = 1\n")
    edited = "def load_grid(path):\n    with open(path) as f:\n        rows = parse_grid(f.read(), width=9)\n"
    change_doc(client, uri, edited, 2)
    close_doc(client, uri)
    status = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="infill.status", arguments=[]))
    assert status["recent_edits"] >= 1
    await indexed(client, 2)
    gapped = "from grids import parse_grid\n\n\n" + GAPPED.replace("read_other", "load_other")
    open_doc(client, "file:///app/grid.py", gapped)
    got = await eventually_offered(client, "file:///app/grid.py", "parse_grid(f.read(), width=9)", line=5)
    assert any(item.startswith("parse_grid(f.read(), width=9)") for item in got), got


async def status_of(client: LanguageClient) -> dict:
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(command="infill.status",
                                                                                   arguments=[]))


async def test_the_workspace_setting_indexes_a_folder_and_a_closed_file_goes_back_to_disk(
        client: LanguageClient, tiny_model_dir, tmp_path):
    from lsp_helpers import fast_options

    (tmp_path / "kept.py").write_text("def kept_helper(x):\n    return x\n")
    (tmp_path / "blob.py").write_bytes(b"\0\0\0")
    await indexed(client, 1)
    before = (await status_of(client))["neighbours"]["sources"]
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"infill": {**fast_options(tiny_model_dir), "workspace": str(tmp_path)}}))
    deadline = time.monotonic() + 15
    while (await status_of(client))["neighbours"]["sources"] < before + 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert (await status_of(client))["neighbours"]["sources"] == before + 1      # kept.py; blob.py skipped
    uri = (tmp_path / "kept.py").as_uri()
    open_doc(client, uri, "def edited_in_the_buffer():\n    pass\n")
    close_doc(client, uri)
    await asyncio.sleep(0.3)
    await indexed(client, 1)
    assert (await status_of(client))["neighbours"]["sources"] == before + 1      # back to the file on disk
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"infill": fast_options(tiny_model_dir)}))
    await asyncio.sleep(0.3)
    await indexed(client, 1)
    assert (await status_of(client))["neighbours"]["sources"] == before          # the folder is dropped


async def test_with_no_workspace_setting_the_opened_files_project_is_read(client: LanguageClient, tmp_path):
    """As the CLI reads the file's folder, the server reads the project of a file opened from
    disk (here the folder with pyproject.toml), bounded and off the request path; nothing above it."""
    project = tmp_path / "proj"
    (project / "pkg").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (project / "pkg" / "helpers.py").write_text("def project_helper(x):\n    return x\n")
    (project / "pkg" / "main.py").write_text("x = 1\n")
    (tmp_path / "outside.py").write_text("def outside():\n    pass\n")
    before = (await status_of(client))["neighbours"]["sources"]
    uri = (project / "pkg" / "main.py").as_uri()
    open_doc(client, uri, "x = 1\n")
    deadline = time.monotonic() + 15
    while (await status_of(client))["neighbours"]["sources"] < before + 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    assert (await status_of(client))["neighbours"]["sources"] == before + 2    # main.py, helpers.py; not outside.py
    close_doc(client, uri)
