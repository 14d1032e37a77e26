"""``textDocument/copilotInlineEdit`` through a real server and client (pytest-lsp): the
params and result shape Copilot's clients use, versions, typing into a shown suggestion,
undo, bad input."""

from __future__ import annotations

import asyncio

import pytest

from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_helpers import change_doc, open_doc

pytestmark = pytest.mark.asyncio(loop_scope="module")

METHOD = "textDocument/copilotInlineEdit"
CODE = "def area(w, h):\n    return w * h\n\n\ntotal = area(2, 3)\nother = area(4, 5)\n"


def ask(client: LanguageClient, uri: str, version: int | None, line: int = 0, character: int = 0):
    return client.protocol.send_request_async(METHOD, {
        "textDocument": {"uri": uri, "version": version}, "position": {"line": line, "character": character}})


def _plain(value):
    """The result as plain JSON values (pygls hands a custom result back as an object)."""
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


async def status_of(client: LanguageClient) -> dict:
    return _plain(await client.workspace_execute_command_async(types.ExecuteCommandParams(command="infill.status",
                                                                                          arguments=[])))


def typing(client: LanguageClient, uri: str, steps: list[str], first_version: int = 2) -> int:
    version = first_version
    for text in steps:
        change_doc(client, uri, text, version)
        version += 1
    return version - 1


async def test_a_rename_suggests_the_next_use_in_the_copilot_shape(client: LanguageClient):
    uri = "file:///next_rename.py"
    open_doc(client, uri, CODE)
    steps = [CODE.replace("def area(", "def s("), CODE.replace("def area(", "def surf("),
             CODE.replace("def area(", "def surface(")]
    version = typing(client, uri, steps)
    result = _plain(await ask(client, uri, version, 0, 11))
    [edit] = result["edits"]
    assert edit["range"] == {"start": {"line": 4, "character": 0}, "end": {"line": 6, "character": 0}}
    assert edit["text"] == "total = surface(2, 3)\nother = surface(4, 5)\n"
    assert edit["textDocument"] == {"uri": uri, "version": version}
    assert edit["command"]["command"] == "infill.nextEditAccepted"


async def test_no_answer_for_an_older_version_nor_after_an_undo(client: LanguageClient):
    uri = "file:///next_versions.py"
    open_doc(client, uri, CODE)
    renamed = CODE.replace("def area(", "def surface(")
    version = typing(client, uri, [renamed])
    assert _plain(await ask(client, uri, version - 1))["edits"] == []       # the client's text is older
    assert len(_plain(await ask(client, uri, version))["edits"]) == 1
    version = typing(client, uri, [CODE], version + 1)                        # undo
    assert _plain(await ask(client, uri, version))["edits"] == []


async def test_typing_the_suggestion_keeps_what_is_left_of_it(client: LanguageClient):
    uri = "file:///next_typing.py"
    open_doc(client, uri, CODE)
    renamed = CODE.replace("def area(", "def surface(")
    version = typing(client, uri, [renamed])
    [first] = _plain(await ask(client, uri, version))["edits"]
    assert first["text"] == "total = surface(2, 3)\nother = surface(4, 5)\n"
    partly = renamed.replace("total = area(", "total = surface(")          # the user types one line of it
    version = typing(client, uri, [partly], version + 1)
    [kept] = _plain(await ask(client, uri, version))["edits"]
    assert kept["text"] == "other = surface(4, 5)\n"
    assert kept["range"]["start"] == {"line": 5, "character": 0}


async def test_a_newer_request_supersedes_an_older_one(client: LanguageClient):
    uri = "file:///next_supersede.py"
    big = CODE + "".join(f"\nv{i} = area({i}, {i})\n" for i in range(20000))
    open_doc(client, uri, big)
    version = typing(client, uri, [big.replace("def area(", "def surface(")])
    older, newer = await asyncio.gather(ask(client, uri, version), ask(client, uri, version))
    older, newer = _plain(older), _plain(newer)
    assert len(newer["edits"]) == 1
    assert older["edits"] in ([], newer["edits"])     # superseded (or done before the newer came)


async def test_bad_input_gets_no_edits_and_the_server_goes_on(client: LanguageClient):
    assert _plain(await ask(client, "file:///never_opened.py", 1))["edits"] == []
    uri = "file:///next_plain.txt"
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="plaintext", version=1, text="a\nb\n")))
    change_doc(client, uri, "c\nb\n", 2)
    assert _plain(await ask(client, uri, 2))["edits"] == []
    result = await client.protocol.send_request_async(METHOD, {"textDocument": "nonsense"})
    assert _plain(result)["edits"] == []
    uri = "file:///next_ok.py"
    open_doc(client, uri, CODE)
    version = typing(client, uri, [CODE.replace("def area(", "def surface(")])
    assert len(_plain(await ask(client, uri, version, 999, 999))["edits"]) <= 1   # a cursor past the end
    assert len(_plain(await ask(client, uri, version, 0, 0))["edits"]) == 1       # still serving


async def test_with_the_canvas_on_the_model_rewrites_a_line_around_the_edit(client: LanguageClient, tiny_model_dir):
    """``nextEditCanvas``: where propagation is silent, the answer may come from the model (here
    the tiny random one, so only where it is asked and that the server goes on are checked)."""
    from lsp_helpers import fast_options

    code = "def area(w, h):\n    scale = 1\n    return w * h\n\n\nprint(area(2, 3))\n"
    edited = code.replace("scale = 1", "scale = 2")          # a changed literal found nowhere else
    uri = "file:///next_canvas.py"
    open_doc(client, uri, code)
    version = typing(client, uri, [edited])
    assert _plain(await ask(client, uri, version, 1, 13))["edits"] == []          # propagation: silent
    assert (await status_of(client))["last_next_edit"]["model_ran"] is False
    settings = fast_options(tiny_model_dir)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"infill": {**settings, "nextEditCanvas": True, "nextEditMinConfidence": 0}}))
    await asyncio.sleep(0.3)
    try:
        edits = _plain(await ask(client, uri, version, 1, 13))["edits"]
        last = _plain((await status_of(client))["last_next_edit"])
        assert last["model_ran"] is True and last["shown"] == bool(edits)
        assert len(edits) <= 1 and (not edits or last["source"] == "canvas")
        for edit in edits:                       # one of the lines tried: the two below, the one above
            assert edit["range"]["start"]["line"] in (0, 2, 5)
            assert edit["range"]["end"]["line"] == edit["range"]["start"]["line"] + 1
    finally:
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"infill": settings}))
        await asyncio.sleep(0.3)
    renamed = CODE.replace("def area(", "def surface(")
    uri = "file:///next_after_canvas.py"
    open_doc(client, uri, CODE)
    assert len(_plain(await ask(client, uri, typing(client, uri, [renamed])))["edits"]) == 1   # still serving
