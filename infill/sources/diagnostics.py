"""Type errors near the cursor: run mypy, choose what is near, rank candidates by it.

- ``run_mypy`` checks a document's text (written to a temporary file) in a subprocess,
  killed after ``timeout_s``: None on a timeout, a crash or no mypy installed, never an
  error. Imports of the user's own modules are skipped (``--follow-imports=skip``), so a
  check costs what one file does; typeshed results are kept in a cache folder (~0.4 s a
  check once it is warm, ~2 s cold).
- ``parse_mypy_output`` turns its lines into ``Problem`` items;
- ``enclosing_function`` finds the function around the cursor (the ``functions`` query);
  ``near_cursor`` keeps the problems inside it, or within ``RADIUS`` lines without one;
- ``rank_by_type_errors`` re-checks the document with each of the first candidates
  inserted and prefers those that leave fewer errors in the function;

Lines are 0-based. Columns are as the tool counts them (mypy: from the line start in
its own units; a client's diagnostics: the client's); only lines are compared here.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from tree_sitter import Node, QueryCursor

from infill.window import is_blank, leading_ws, parse_window
from infill.languages import DEFAULT_LANGUAGE, load_query, spec_of

RADIUS = 10                 # lines either side of a cursor outside any function
MAX_PROBLEMS = 5            # problems near the cursor that are kept, nearest first
MAX_PROMPT_CHARS = 1200     # of the comment block written into a prompt
SYNTAX_WEIGHT = 100         # a syntax error counts as this many type errors when ranking
MYPY_ARGS = ("--no-error-summary", "--show-column-numbers", "--hide-error-context", "--no-pretty",
             "--no-color-output", "--follow-imports=skip", "--ignore-missing-imports",
             "--check-untyped-defs", "--show-error-codes")
MYPY_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "infill", "mypy")  # per user

_MYPY_LINE = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?:(?P<col>\d+):)?(?:\d+:\d+:)?\s*"
                        r"(?P<severity>error|warning|note): (?P<message>.*?)(?:  \[(?P<code>[a-z0-9-]+)\])?$")


@dataclass(frozen=True)
class Problem:
    line: int                 # 0-based line of the document
    col: int                  # 0-based column, in the reporting tool's units
    message: str
    source: str = "mypy"      # the tool: "mypy", or a client diagnostic's source
    severity: str = "error"   # error | warning | information | hint
    code: str = ""            # e.g. "return-value"; "syntax" for a syntax error

    @property
    def is_syntax(self) -> bool:
        return self.code == "syntax"


# ---------------------------------------------------------------- running mypy


def parse_mypy_output(output: str, file_name: str | None = None) -> list[Problem]:
    """Errors and warnings of mypy's output (with --show-column-numbers); notes are dropped.
    With ``file_name``, only the lines about that file (by its name) are kept."""
    problems = []
    for raw in output.splitlines():
        match = _MYPY_LINE.match(raw.rstrip())
        if match is None or match["severity"] == "note":
            continue
        if file_name is not None and Path(match["file"]).name != file_name:
            continue
        problems.append(Problem(line=int(match["line"]) - 1, col=max(int(match["col"] or 1) - 1, 0),
                                message=match["message"], severity=match["severity"],
                                code=match["code"] or ""))
    return problems


def mypy_available() -> bool:
    return importlib.util.find_spec("mypy") is not None


def run_mypy(text: str, timeout_s: float = 3.0, file_name: str = "document.py",
             cache_dir: str | Path | None = MYPY_CACHE) -> list[Problem] | None:
    """mypy's problems in ``text``; None when mypy is missing, crashes or runs past ``timeout_s``."""
    if timeout_s <= 0 or not mypy_available():
        return None
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\.pyi?", file_name):
        file_name = "document.py"
    cache = ["--cache-dir", str(cache_dir)] if cache_dir else ["--cache-dir", "/dev/null"]
    with tempfile.TemporaryDirectory(prefix="infill-mypy-") as folder:
        Path(folder, file_name).write_text(text, encoding="utf-8", errors="replace")
        try:
            done = subprocess.run([sys.executable, "-m", "mypy", *MYPY_ARGS, *cache, file_name],
                                  cwd=folder, capture_output=True, text=True, timeout=timeout_s,
                                  stdin=subprocess.DEVNULL)
        except (subprocess.TimeoutExpired, OSError):
            return None
    problems = parse_mypy_output(done.stdout, file_name)
    if done.returncode not in (0, 1) and not any(p.is_syntax for p in problems):
        return None   # 2 without a syntax error: mypy crashed or refused its arguments
    return problems


TYPE_CHECKERS: dict[str, Callable[..., "list[Problem] | None"]] = {"mypy": run_mypy}   # LanguageSpec.type_checker


def type_errors(text: str, language: str, timeout_s: float = 3.0, file_name: str = "document.py") -> list[Problem] | None:
    """The problems the language's type checker finds in ``text`` (``LanguageSpec.type_checker``);
    None when the language has none, or it is missing, crashes or runs past ``timeout_s``."""
    checker = spec_of(language).type_checker
    return TYPE_CHECKERS[checker](text, timeout_s, file_name) if checker else None


# ---------------------------------------------------------------- what is near the cursor


@dataclass(frozen=True)
class FunctionSpan:
    name: str
    start_line: int   # 0-based, the "def" line
    end_line: int     # 0-based, the last line of its body (inclusive)


def _last_row(node: Node) -> int:
    row, col = node.end_point
    return row - 1 if col == 0 and row > node.start_point.row else row


def enclosing_function(text: str, offset: int, language: str = DEFAULT_LANGUAGE) -> FunctionSpan | None:
    """The innermost function around ``offset``: inside its node, or on the lines right after
    it, blank or indented deeper than its ``def`` (a body being extended)."""
    win = parse_window(text, offset, language)
    first_line = text.count("\n", 0, win.row_starts[0])
    row, line = win.cursor_row, win.lines[win.cursor_row]
    cursor_indent = len(win.line_prefix) if is_blank(line) else len(leading_ws(line))
    best: tuple[int, Node, Node] | None = None
    for _, match in QueryCursor(load_query(language, "functions")).matches(win.tree.root_node):
        function, name = match["function"][0], match["function.name"][0]
        start, last = function.start_point.row, _last_row(function)
        if start > row:
            continue
        inside = row <= last
        if not inside:   # after the function: the cursor and the lines between indented deeper
            def_indent = len(leading_ws(win.lines[start]))
            inside = cursor_indent > def_indent and all(
                is_blank(between) or len(leading_ws(between)) > def_indent for between in win.lines[last + 1:row])
        if inside and (best is None or start >= best[0]):
            best = (start, function, name)
    if best is None:
        return None
    _, function, name = best
    return FunctionSpan(win.node_text(name), first_line + function.start_point.row,
                        first_line + max(_last_row(function), row))


def near_cursor(problems: Sequence[Problem], cursor_line: int, span: FunctionSpan | None = None,
                radius: int = RADIUS, limit: int = MAX_PROBLEMS) -> list[Problem]:
    """Problems inside ``span`` (or within ``radius`` lines of the cursor), nearest first,
    without repeats, at most ``limit``."""
    low, high = (span.start_line, span.end_line) if span else (cursor_line - radius, cursor_line + radius)
    seen, near = set(), []
    for problem in sorted(problems, key=lambda p: (abs(p.line - cursor_line), p.line, p.col)):
        key = (problem.line, problem.message)
        if low <= problem.line <= high and key not in seen and problem.severity in ("error", "warning"):
            seen.add(key)
            near.append(problem)
    return near[:limit]


def error_weight(problems: Sequence[Problem], low: int, high: int) -> int:
    """Errors on lines low..high, a syntax error counting ``SYNTAX_WEIGHT``."""
    return sum(SYNTAX_WEIGHT if p.is_syntax else 1 for p in problems
               if p.severity == "error" and low <= p.line <= high)


# ---------------------------------------------------------------- ranking


Checker = Callable[[str, float], "list[Problem] | None"]   # (text, seconds) -> problems or None


def rank_by_type_errors(text: str, offset: int, candidates: Sequence[str], low: int, high: int,
                        check: Checker, max_checked: int = 3, budget_s: float = 3.0) -> list[str]:
    """``candidates`` with the first ``max_checked`` reordered by the errors ``check`` finds on
    lines low..high once each is inserted at ``offset`` (fewest first, ties keep their order).

    Stops at the time budget or the first check that gives no answer; fewer than two
    answers leave the order as it was."""
    deadline = time.monotonic() + budget_s
    weights: list[int] = []
    for candidate in candidates[:max_checked]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        problems = check(text[:offset] + candidate + text[offset:], remaining)
        if problems is None:
            break
        weights.append(error_weight(problems, low, high + candidate.count("\n")))
    if len(weights) < 2:
        return list(candidates)
    order = sorted(range(len(weights)), key=lambda i: (weights[i], i))
    return [candidates[i] for i in order] + list(candidates[len(weights):])
