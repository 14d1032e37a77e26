"""Failing tests that call the function under the cursor: their source and assertion message.

Two records of the last test run, both optional, are read from the workspace:

- pytest's last-failed cache, ``.pytest_cache/v/cache/lastfailed`` (a JSON object whose
  keys are node ids such as ``tests/test_calc.py::TestAdd::test_small[1]``): which tests
  failed, without messages;
- a JUnit XML report (``pytest --junitxml``; ``junit.xml`` or ``report.xml`` under the
  root unless a path is given): failed tests with their assertion messages.

A failing test is kept when its function's source calls the function (by name, plain or
as a method: ``add(...)``, ``calc.add(...)``), found with the ``calls`` query. The test's
source is read from the test file, which must lie under the root. Nothing here runs
pytest; parsed test files are cached by (path, modification time, size).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tree_sitter import Node, QueryCursor

from infill.languages import language_for_test_runner, load_query, parse

from .junit import read_junit

RUNNER = "pytest"                 # whose records these are (``LanguageSpec.test_runner``)
LANGUAGE = language_for_test_runner(RUNNER)   # the language of the test files it runs
LAST_FAILED = Path(".pytest_cache", "v", "cache", "lastfailed")
JUNIT_DEFAULTS = ("junit.xml", "report.xml")
MAX_TEST_FILE_BYTES = 1_000_000   # larger test files are not read
MAX_SOURCE_LINES = 20             # of a test's source, in the prompt comment


@dataclass(frozen=True)
class FailingTest:
    nodeid: str       # pytest's id: "tests/test_calc.py::TestAdd::test_small[1]"
    source: str       # the test function's source, from its file
    message: str = ""  # the assertion message from the JUnit report; "" when only the cache names it

    def comment(self, marker: str = "#") -> str:
        """The test as a comment block (``marker``: the document's line comment), for a prompt."""
        lines = self.source.splitlines()
        if len(lines) > MAX_SOURCE_LINES:
            lines = lines[:MAX_SOURCE_LINES] + ["..."]
        out = [f"{marker} failing test: {self.nodeid}"] + [f"{marker}     {line}".rstrip() for line in lines]
        if self.message:
            out += [f"{marker} assertion: {line}".rstrip() for line in self.message.splitlines()[:4]]
        return "\n".join(out)


# ---------------------------------------------------------------- the records of the last run


def read_last_failed(root: str | Path) -> list[str]:
    """Node ids in pytest's last-failed cache under ``root``; [] when there is none."""
    try:
        data = json.loads((Path(root) / LAST_FAILED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [key for key in data if isinstance(key, str)] if isinstance(data, dict) else []


def junit_report(root: str | Path, junit_path: str | None = None) -> Path | None:
    """The JUnit report to read: ``junit_path`` (relative to root) or a default name."""
    names = (junit_path,) if junit_path else JUNIT_DEFAULTS
    for name in names:
        path = Path(root) / name
        if path.is_file():
            return path
    return None


# ---------------------------------------------------------------- test sources


@dataclass(frozen=True)
class _TestFunction:
    source: str
    calls: frozenset[str]   # names it calls


def _classes(node: Node) -> tuple[str, ...]:
    names = []
    parent = node.parent
    while parent is not None:
        if parent.type == "class_definition" and (name := parent.child_by_field_name("name")):
            names.append(name.text.decode("utf-8", "replace"))
        parent = parent.parent
    return tuple(reversed(names))


@lru_cache(maxsize=64)
def _test_functions(path: str, mtime_ns: int, size: int,
                    language: str) -> dict[tuple[str, ...], _TestFunction]:
    """The functions of a test file by (classes..., name); cached per file version."""
    data = Path(path).read_bytes()
    tree = parse(data, language)
    calls_query = load_query(language, "calls")
    found: dict[tuple[str, ...], _TestFunction] = {}
    for _, match in QueryCursor(load_query(language, "functions")).matches(tree.root_node):
        function, name = match["function"][0], match["function.name"][0]
        cursor = QueryCursor(calls_query)
        cursor.set_byte_range(function.start_byte, function.end_byte)
        calls = frozenset(n.text.decode("utf-8", "replace")
                          for n in cursor.captures(function).get("call.name", []))
        line_start = data.rfind(b"\n", 0, function.start_byte) + 1   # keep the first line's indent
        source = data[line_start:function.end_byte].decode("utf-8", "replace")
        key = (*_classes(function), name.text.decode("utf-8", "replace"))
        found.setdefault(key, _TestFunction(_dedent(source), calls))
    return found


def _dedent(source: str) -> str:
    lines = source.splitlines()
    indent = len(lines[0]) - len(lines[0].lstrip()) if lines else 0
    return "\n".join(line[indent:] if line[:indent].isspace() else line for line in lines)


def find_test_function(root: str | Path, nodeid: str, language: str = LANGUAGE) -> _TestFunction | None:
    """The function a node id names, read from its file under root; None when not found."""
    file, _, rest = nodeid.partition("::")
    root_path = Path(root).resolve()
    path = (root_path / file).resolve()
    if not rest or not path.is_relative_to(root_path) or not path.is_file():
        return None
    stat = path.stat()
    if stat.st_size > MAX_TEST_FILE_BYTES:
        return None
    parts = rest.split("::")
    key = (*parts[:-1], parts[-1].split("[", 1)[0])
    try:
        return _test_functions(str(path), stat.st_mtime_ns, stat.st_size, language).get(key)
    except OSError:
        return None


# ---------------------------------------------------------------- entry point


def failing_tests(root: str | Path, function_name: str, junit_path: str | None = None,
                  language: str = LANGUAGE, limit: int = 3) -> list[FailingTest]:
    """Failing tests (last-failed cache and JUnit report) whose source calls ``function_name``:
    those with an assertion message first, at most ``limit``."""
    report = junit_report(root, junit_path)
    cases = read_junit(report, root) if report else {}
    messages = {nodeid: case.message for nodeid, case in cases.items() if case.status in ("failed", "error")}
    nodeids = list(dict.fromkeys([*messages, *read_last_failed(root)]))
    found: list[FailingTest] = []
    for nodeid in nodeids:
        function = find_test_function(root, nodeid, language)
        if function is not None and function_name in function.calls:
            found.append(FailingTest(nodeid, function.source, messages.get(nodeid, "")))
    found.sort(key=lambda t: not t.message)   # stable: report order, then the cache's
    return found[:limit]
