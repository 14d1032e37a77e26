"""Context beyond the text around the cursor: type errors near it and failing tests that call it.

- ``diagnostics``: mypy on the document (``run_mypy``), the problems near the cursor, and
  candidates ranked by the type errors they leave (``rank_by_type_errors``);
- ``failing``: the failing tests of the last test run (pytest's last-failed cache, a JUnit
  report) whose source calls the function under the cursor;
- ``junit``: the one JUnit XML reader (also ``fix``'s);
- here: ``CursorContext``, all of it for one cursor, and its comment block for a prompt.

Nothing here runs a model or knows an editor; ``suggest`` uses it for a request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from infill.languages import spec_of

from .diagnostics import MAX_PROMPT_CHARS, RADIUS, FunctionSpan, Problem, enclosing_function, near_cursor
from .failing import RUNNER, FailingTest, failing_tests


@dataclass
class CursorContext:
    """What is known around the cursor beyond the text: the function, its problems, its failing tests."""

    cursor_line: int
    function: FunctionSpan | None = None
    problems: list[Problem] = field(default_factory=list)      # near the cursor, nearest first
    tests: list[FailingTest] = field(default_factory=list)     # failing tests calling the function

    @property
    def region(self) -> tuple[int, int]:
        """Lines whose errors rank candidates: the function, or RADIUS lines around the cursor."""
        if self.function is not None:
            return self.function.start_line, self.function.end_line
        return self.cursor_line - RADIUS, self.cursor_line + RADIUS

    def prompt(self, text: str, language: str, max_chars: int = MAX_PROMPT_CHARS) -> str:
        """The context as a comment block of the document's language, ending with a line break
        ("" when empty)."""
        marker = spec_of(language).line_comment or "#"
        lines = text.split("\n")
        blocks = []
        for p in self.problems:
            code = lines[p.line].strip() if 0 <= p.line < len(lines) else ""
            where = f"line {p.line + 1}" + (f" `{code[:80]}`" if code else "")
            blocks.append(f"{marker} type error: {where}: {p.message}".replace("\n", " "))
        blocks += [test.comment(marker) for test in self.tests]
        kept, used = [], 0
        for block in blocks:
            if used + len(block) + 1 > max_chars:
                break
            kept.append(block)
            used += len(block) + 1
        return "".join(block + "\n" for block in kept)

    def to_dict(self) -> dict:
        return {"function": self.function.name if self.function else None,
                "typeErrors": [{"line": p.line, "character": p.col, "message": p.message, "source": p.source}
                               for p in self.problems],
                "failingTests": [{"nodeid": t.nodeid, "message": t.message} for t in self.tests]}


def cursor_context(text: str, offset: int, language: str, problems: Sequence[Problem] = (),
                   root: str | Path | None = None, junit_path: str | None = None) -> CursorContext:
    """The function around the cursor, the problems near it and the failing tests calling it."""
    line = text.count("\n", 0, offset)
    function = enclosing_function(text, offset, language)
    runs = spec_of(language).test_runner == RUNNER     # the records are pytest's: of its language's files
    tests = failing_tests(root, function.name, junit_path) if root and function and runs else []
    return CursorContext(line, function, near_cursor(problems, line, function), tests)
