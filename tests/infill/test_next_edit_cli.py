"""``infill next-edit < tasks.jsonl``: one line out per task line in, in input order, error rows
for bad lines, never a traceback."""

import io
import json

from infill.cli import main
from infill.next_edit.cli import run_lines

DOC = "x = bar(1)\ny = foo(2)\n"
EDIT = {"start_line": 0, "end_line": 1, "old_text": "x = foo(1)\n", "new_text": "x = bar(1)\n"}
GOOD = {"task_id": "t1", "document": DOC, "cursor": {"line": 1, "character": 0}, "recent_edit": EDIT,
        "language": "python", "kind": "ignored"}


def run(*tasks, raw_lines=(), threshold=0.0):
    text = "".join(json.dumps(t) + "\n" for t in tasks) + "".join(raw_lines)
    out = io.StringIO()
    assert run_lines(io.StringIO(text), out, threshold) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_task_gets_its_edit_confidence_and_latency():
    [row] = run(GOOD)
    assert row["task_id"] == "t1"
    assert row["edit"] == {"start_line": 1, "end_line": 2, "new_text": "y = bar(2)\n"}
    assert 0 < row["confidence"] <= 1 and row["latency_ms"] >= 0 and "error" not in row


def test_recent_edits_as_a_list_and_the_language_from_the_path():
    task = {**GOOD, "recent_edits": [EDIT], "path": "src/m.py"}
    del task["recent_edit"], task["language"]
    assert run(task)[0]["edit"]["new_text"] == "y = bar(2)\n"


def test_bad_lines_get_error_rows_in_input_order_and_the_run_goes_on():
    bad = [
        {"task_id": "no-doc", "cursor": {"line": 0}, "recent_edit": EDIT},
        {**GOOD, "task_id": "no-cursor", "cursor": None},
        {**GOOD, "task_id": "no-edit", "recent_edit": None},
        {**GOOD, "task_id": "missing-field", "recent_edit": {"start_line": 0, "end_line": 1}},
        {**GOOD, "task_id": "stale", "recent_edit": {**EDIT, "new_text": "x = baz(1)\n"}},
        {**GOOD, "task_id": "out-of-bounds", "recent_edit": {**EDIT, "start_line": 40, "end_line": 41}},
        {**GOOD, "task_id": "negative", "cursor": {"line": -1, "character": 0}},
        {**GOOD, "task_id": "cursor-past-end", "cursor": {"line": 99, "character": 0}},
        {**GOOD, "task_id": "binary", "document": DOC + "\x00\x01"},
        {**GOOD, "task_id": "unknown-language", "language": "cobol"},
    ]
    rows = run(GOOD, *bad, raw_lines=["{not json\n", "[1, 2]\n"])
    assert [r["task_id"] for r in rows] == ["t1"] + [t["task_id"] for t in bad] + [12, 13]
    assert "error" not in rows[0]
    for row in rows[1:]:
        assert row["edit"] is None and row["error"], row
    messages = {r["task_id"]: r["error"] for r in rows[1:]}
    assert "document" in messages["no-doc"] and "cursor" in messages["no-cursor"]
    assert "lacks old_text, new_text" in messages["missing-field"]
    assert "not what the document holds" in messages["stale"]
    assert "runs past" in messages["out-of-bounds"] and "binary" in messages["binary"]
    assert "cobol" in messages["unknown-language"] and "invalid JSON" in messages[12]


def test_an_unknown_file_extension_is_read_without_a_grammar():
    task = {**GOOD, "path": "notes.txt"}
    del task["language"]
    assert run(task)[0]["edit"] is not None


def test_a_100000_line_document_answers(capsys, monkeypatch):
    doc = "".join(f"v{i} = compute({i})\n" for i in range(100_000))
    task = {"task_id": 1, "document": doc, "cursor": {"line": 0, "character": 0},
            "recent_edit": {"start_line": 0, "end_line": 0, "old_text": "", "new_text": "v0 = compute(0)\n"}}
    [row] = run(task)
    assert "error" not in row and row["edit"] is None


def test_the_command_reads_stdin_and_applies_the_threshold(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(GOOD) + "\n"))
    assert main(["next-edit", "--next-edit-min-confidence", "1.0"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["edit"] is None and row["confidence"] > 0
    assert main(["next-edit", "--next-edit-min-confidence", "2"]) == 2
