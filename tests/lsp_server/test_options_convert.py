"""Settings -> ServerOptions (camelCase, problems, fallbacks) and the lsp_* position conversions."""

from __future__ import annotations

import pytest
from lsprotocol import types

from infill.config import InfillOptions
from infill.errors import PositionError, UnknownLanguageError
from lsp_server.convert import (
    lsp_completion_list,
    lsp_inline_items,
    lsp_language,
    lsp_offset,
    lsp_position,
    lsp_range_from_json,
)
from lsp_server.options import ServerOptions, options_from_dict


def test_camel_case_settings_map_onto_the_dataclasses():
    opts, problems = options_from_dict({"infill": {
        "model": "/m", "maxBlocks": 2, "stableSteps": 3, "entropyBound": 1, "completionFallback": False,
        "maxDocumentBytes": 1000, "rewriteRenoise": 0.25}})
    assert problems == []
    assert (opts.infill.model, opts.infill.max_blocks, opts.infill.stable_steps) == ("/m", 2, 3)
    assert opts.infill.entropy_bound == 1.0
    assert (opts.completion_fallback, opts.max_document_bytes, opts.infill.renoise) == (False, 1000, 0.25)
    assert options_from_dict({"renoise": 0.75, "rewriteRenoise": 0.25})[0].infill.renoise == 0.75  # the new name wins
    opts, problems = options_from_dict({"automaticSteps": 4, "steps": 12, "repair": 0})
    assert problems == [] and (opts.automatic_steps, opts.infill.steps, opts.infill.repair) == (4, 12, 0)
    opts, problems = options_from_dict({"automaticSteps": -1})
    assert opts.automatic_steps == ServerOptions.automatic_steps and "automaticSteps" in problems[0]


def test_invalid_settings_are_reported_and_fall_back():
    opts, problems = options_from_dict({"candidates": "3", "maxBlocks": True, "nope": 1, "maxDocumentBytes": 0})
    assert opts.infill.candidates == InfillOptions.candidates and opts.infill.max_blocks == 4
    assert opts.max_document_bytes == ServerOptions.max_document_bytes
    assert len(problems) == 4 and any("'nope'" in p for p in problems)
    # a setting out of range is reset alone: the others stay
    opts, problems = options_from_dict({"renoise": 2, "candidates": 2})
    assert opts.infill == InfillOptions(candidates=2) and "renoise must be in (0, 1]" in problems[0]
    assert "'renoise' is 2" in problems[0] and len(problems) == 1
    opts, problems = options_from_dict({"passShare": 1.5, "candidates": 2})
    assert opts.infill == InfillOptions(candidates=2) and "pass-share must be in [0, 1]" in problems[0]
    opts, problems = options_from_dict({"model": "llada", "endpoint": "http://h:8000/v1", "canvas": 600})
    assert (opts.infill.model, opts.infill.endpoint, opts.infill.canvas) == ("llada", "http://h:8000/v1", 0)
    assert opts.infill.context_in_prompt and len(problems) == 1 and "'canvas' is 600" in problems[0]
    opts, problems = options_from_dict({"endpoint": "http://h:8000/v1"})      # no model: the endpoint goes
    assert opts == ServerOptions() and "--endpoint needs --model" in problems[0]
    opts, problems = options_from_dict({"passShare": 0})                   # an integer from a client
    assert problems == [] and opts.infill.pass_share == 0.0
    opts, problems = options_from_dict({"sampler": "magic", "candidates": 2})
    assert opts.infill == InfillOptions(candidates=2) and "unknown sampler" in problems[0]
    assert options_from_dict(None) == (ServerOptions(), [])
    assert options_from_dict([1])[1]


TEXT = "a\U0001F600b\r\nxé\n"


@pytest.mark.parametrize("line, character, encoding, offset", [
    (0, 0, "utf-16", 0), (0, 1, "utf-16", 1), (0, 2, "utf-16", 1),   # inside the pair: before it
    (0, 3, "utf-16", 2), (0, 4, "utf-16", 3),                        # end of line, before \r
    (1, 2, "utf-16", 7), (1, 3, "utf-8", 7), (1, 2, "utf-8", 6), (0, 2, "utf-32", 2), (2, 0, "utf-16", 8),
])
def test_lsp_offset(line, character, encoding, offset):
    assert lsp_offset(TEXT, types.Position(line=line, character=character), encoding) == offset


@pytest.mark.parametrize("line, character", [(3, 0), (0, 5), (1, 9)])
def test_lsp_offset_outside_raises(line, character):
    with pytest.raises(PositionError):
        lsp_offset(TEXT, types.Position(line=line, character=character))


def test_lsp_position_round_trip():
    for offset in (0, 1, 2, 3, 6, 7, 8):
        pos = lsp_position(TEXT, offset)
        assert lsp_offset(TEXT, pos) == offset
    assert lsp_position(TEXT, 2) == types.Position(line=0, character=3)
    assert lsp_position(TEXT, 2, "utf-8") == types.Position(line=0, character=5)


def test_items_completion_language_and_json_ranges():
    result = lsp_inline_items("f()\n", 2, ["x", "x", ""])
    assert len(result.items) == 1 and result.items[0].insert_text == "x)"
    assert result.items[0].range.end == types.Position(line=0, character=3)
    assert lsp_inline_items("f()\n", 2, [""]) is None
    item = lsp_completion_list("", 0, "a = 1\nb = 2").items[0]
    assert item.label == "a = 1\u2026" and item.text_edit.new_text == "a = 1\nb = 2"
    assert item.detail == "infill, 2 lines" and item.documentation == "a = 1\nb = 2"
    # one short line: the text once (the menu showed "infill: key.isupper(): Snippet diffusion
    # infill" and the popup "key.isupper():" again)
    one = lsp_completion_list("", 0, "key.isupper():").items[0]
    assert (one.label, one.kind, one.detail, one.documentation) == (
        "key.isupper():", types.CompletionItemKind.Text, "infill", None)
    assert lsp_language("python", "file:///x.txt") == "python"
    assert lsp_language(None, "file:///x.py") == "python"
    assert lsp_language(42, "file:///x.py") == "python"          # no string: the file's name decides
    with pytest.raises(UnknownLanguageError):
        lsp_language("cobol", "file:///x.py")
    assert lsp_language("typescriptreact", "file:///A.tsx") == "tsx" and lsp_language("sh", "file:///r") == "bash"
    assert lsp_language("typescript.tsx", "file:///A.tsx") == "tsx" and lsp_language(None, "file:///m.go") == "go"
    for mixed in ("vue", "html", "svelte"):
        with pytest.raises(UnknownLanguageError):
            lsp_language(mixed, f"file:///App.{mixed}")
    with pytest.raises(ValueError):
        lsp_range_from_json({"start": {"line": -1, "character": 0}, "end": {"line": 0, "character": 0}})


def test_context_options_and_their_remote_default():
    opts, problems = options_from_dict({"typeCheck": False, "verifyTypes": True, "junitPath": "out/junit.xml",
                                        "typeCheckTimeoutS": 1})
    assert problems == []
    assert (opts.infill.type_check, opts.infill.verify_types, opts.infill.junit_path) == (False, True, "out/junit.xml")
    assert opts.infill.context_in_prompt is False and opts.infill.type_check_timeout_s == 1.0
    remote = {"endpoint": "http://gpu:8000", "model": "served"}
    assert options_from_dict(remote)[0].infill.context_in_prompt is True        # remote: on by default
    assert options_from_dict({**remote, "contextInPrompt": False})[0].infill.context_in_prompt is False
    opts, problems = options_from_dict({"typeCheckTimeoutS": 0})
    assert opts.infill.type_check_timeout_s == 3.0 and "type-check-timeout-s" in problems[0]


def test_lsp_problems_from_forwarded_diagnostics():
    from lsp_server.convert import lsp_problems

    good = {"range": {"start": {"line": 3, "character": 2}, "end": {"line": 3, "character": 5}},
            "message": "bad", "severity": 2, "source": "pyright", "code": "reportX"}
    typed = types.Diagnostic(range=types.Range(start=types.Position(line=1, character=0),
                                               end=types.Position(line=1, character=1)), message="typed")
    problems = lsp_problems([good, typed, {"message": "no range"}, {"range": {"start": {"line": True,
                                                                                          "character": 0}}}, 7])
    assert [(p.line, p.col, p.message, p.severity, p.source, p.code) for p in problems] == [
        (3, 2, "bad", "warning", "pyright", "reportX"), (1, 0, "typed", "error", "client", "")]
    assert lsp_problems(None) == [] and lsp_problems("x") == []


def test_a_rewrite_for_review_carries_a_needs_confirmation_annotation():
    from infill.editing import Edit
    from lsp_server.convert import REVIEW_ANNOTATION, lsp_workspace_edit

    text = "x = 1\ny = 2\n"
    plain = lsp_workspace_edit("file:///a.py", 3, text, Edit(6, 11, "y = 3"))
    assert plain.change_annotations is None and not hasattr(plain.document_changes[0].edits[0], "annotation_id")
    review = lsp_workspace_edit("file:///a.py", 3, text, Edit(6, 11, "y = 3"), review="Rewrite selection (infill)")
    [edit] = review.document_changes[0].edits
    assert edit.annotation_id == REVIEW_ANNOTATION and edit.new_text == "y = 3"
    annotation = review.change_annotations[REVIEW_ANNOTATION]
    assert annotation.needs_confirmation is True and annotation.label == "Rewrite selection (infill)"


def test_known_names_settings_map_and_validate():
    opts, problems = options_from_dict({"knownNames": False, "knownNamesMs": 10})
    assert problems == [] and (opts.infill.known_names, opts.infill.known_names_ms) == (False, 10.0)
    opts, problems = options_from_dict({"knownNamesMs": -5})
    assert opts.infill.known_names_ms == InfillOptions.known_names_ms and problems
