"""``infill next-edit``: JSON Lines tasks on stdin, one prediction line out per task line in,
in input order (the shape of the next-edit benchmark and of a CI bot's call).

In: ``task_id``, ``document``, ``cursor`` ``{line, character}`` (0-based), ``recent_edit``
``{start_line, end_line, old_text, new_text}`` or ``recent_edits`` (a list, oldest first),
optionally ``path`` and ``language``; other fields are ignored. Out: ``{"task_id", "edit":
null | {"start_line", "end_line", "new_text"}, "confidence", "latency_ms"}``; a bad line gets
an ``error`` field (and ``edit`` null) and the run goes on.
"""

from __future__ import annotations

import json
import sys
import time
from typing import IO

from infill.errors import InfillError, TaskError
from infill.languages import language_for_path, resolve_language

from .edits import LineEdit, NextEditRequest
from .suggest import suggest_next_edit

EDIT_FIELDS = ("start_line", "end_line", "old_text", "new_text")


def _int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TaskError(f"{what} must be a non-negative integer, got {value!r}")
    return value


def _edit(raw, what: str) -> LineEdit:
    if not isinstance(raw, dict):
        raise TaskError(f"{what} must be an object with {', '.join(EDIT_FIELDS)}")
    missing = [f for f in EDIT_FIELDS if f not in raw]
    if missing:
        raise TaskError(f"{what} lacks {', '.join(missing)}")
    start, end = _int(raw["start_line"], f"{what}.start_line"), _int(raw["end_line"], f"{what}.end_line")
    if end < start:
        raise TaskError(f"{what}'s end_line {end} is before its start_line {start}")
    old, new = raw["old_text"], raw["new_text"]
    if not isinstance(old, str) or not isinstance(new, str):
        raise TaskError(f"{what}'s old_text and new_text must be strings")
    return LineEdit(start, end, old, new)


def parse_task(task) -> NextEditRequest:
    """A task line's object as a request; raises TaskError (or UnknownLanguageError) naming
    what is wrong."""
    if not isinstance(task, dict):
        raise TaskError("a task must be a JSON object")
    document = task.get("document")
    if not isinstance(document, str):
        raise TaskError("a task needs a string field 'document'")
    if "\x00" in document:
        raise TaskError("the document looks binary (it holds NUL characters)")
    cursor = task.get("cursor")
    if not isinstance(cursor, dict) or "line" not in cursor:
        raise TaskError("a task needs 'cursor': {\"line\": L, \"character\": C} (0-based)")
    line = _int(cursor["line"], "cursor.line")
    character = _int(cursor.get("character", 0), "cursor.character")
    if "recent_edits" in task:
        raw = task["recent_edits"]
        if not isinstance(raw, list) or not raw:
            raise TaskError("'recent_edits' must be a non-empty list of edits, oldest first")
        edits = tuple(_edit(e, f"recent_edits[{i}]") for i, e in enumerate(raw))
    elif "recent_edit" in task:
        edits = (_edit(task["recent_edit"], "recent_edit"),)
    else:
        raise TaskError("a task needs 'recent_edit' (or 'recent_edits', oldest first)")
    language, path = task.get("language"), task.get("path")
    if not isinstance(language, (str, type(None))) or not isinstance(path, (str, type(None))):
        raise TaskError("a task's 'language' and 'path' must be strings ('python', 'src/app.py')")
    if language is not None:
        language = resolve_language(language)
    elif path:
        try:
            language = language_for_path(path)
        except InfillError:
            language = None          # no grammar: propagation still reads the text
    return NextEditRequest(document, language, edits, line, character, path)


def run_next_edit_task(task, min_confidence: float, weights=None, backend=None) -> dict:
    """One output row for one task object: the prediction, or an ``error`` row (``backend``: the
    canvas's model, ``nextEditCanvas``)."""
    t0 = time.perf_counter()
    task_id = task.get("task_id") if isinstance(task, dict) else None
    try:
        result = suggest_next_edit(parse_task(task), min_confidence, weights, backend)
    except InfillError as exc:
        return {"task_id": task_id, "edit": None, "confidence": 0.0,
                "latency_ms": round((time.perf_counter() - t0) * 1000, 2), "error": str(exc)}
    return {"task_id": task_id, "edit": result.edit.to_dict() if result.edit else None,
            "confidence": round(result.confidence, 4), "latency_ms": round((time.perf_counter() - t0) * 1000, 2)}


def run_lines(stdin: IO[str], stdout: IO[str], min_confidence: float, backend=None) -> int:
    """Every line of ``stdin`` -> one line of ``stdout``; returns 0 (bad lines are error rows)."""
    for n, line in enumerate(stdin, 1):
        if not line.strip():
            continue
        try:
            task = json.loads(line)
        except json.JSONDecodeError as exc:
            out = {"task_id": n, "edit": None, "confidence": 0.0, "latency_ms": 0.0,
                   "error": f"line {n}: invalid JSON ({exc.msg})"}
        else:
            out = run_next_edit_task(task, min_confidence, backend=backend)
            if out["task_id"] is None:
                out["task_id"] = n
        stdout.write(json.dumps(out) + "\n")
        stdout.flush()
    return 0


def cmd_next_edit(args, opts) -> int:
    backend = None
    if opts.next_edit_canvas:
        from infill.backends import get_backend
        backend = get_backend(opts)
    return run_lines(sys.stdin, sys.stdout, opts.next_edit_min_confidence, backend)
