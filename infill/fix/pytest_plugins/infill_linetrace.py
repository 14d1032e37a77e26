"""A pytest plugin that records, for each test, the lines of the repository's code it ran.

``infill.fix.localize`` loads it into a sandboxed pytest run (``-p infill_linetrace``, with this
folder on PYTHONPATH). It imports nothing from ``infill``: it runs inside the tested
project's Python. The environment names the repository root (``INFILL_LINETRACE_ROOT``)
and the JSON file to write (``INFILL_LINETRACE_OUT``): ``{node id: {relative path: [lines]}}``.
Only frames whose code lives under the root, outside ``tests/`` folders and ``test_*.py``
files, are traced; other calls are not followed, which keeps the cost to the code under test.
"""

from __future__ import annotations

import json
import os
import re
import sys

import pytest

_TEST_NAME = re.compile(r"^(test_.*|.*_test|conftest)\.py$")


class _Tracer:
    def __init__(self, root: str):
        self.root = os.path.realpath(root) + os.sep
        self.wanted: dict[str, str | None] = {}     # code file name -> relative path, or None
        self.lines: dict[str, set[int]] = {}

    def relative(self, filename: str) -> str | None:
        if filename not in self.wanted:
            path = os.path.realpath(filename)
            rel = path[len(self.root):].replace(os.sep, "/") if path.startswith(self.root) else None
            if rel is not None:
                parts = rel.split("/")
                if not rel.endswith(".py") or _TEST_NAME.match(parts[-1]) or \
                        any(p in ("tests", "test") for p in parts[:-1]):
                    rel = None
            self.wanted[filename] = rel
        return self.wanted[filename]

    def global_trace(self, frame, event, arg):
        rel = self.relative(frame.f_code.co_filename)
        if rel is None:
            return None
        lines = self.lines.setdefault(rel, set())
        lines.add(frame.f_lineno)

        def local(frame, event, arg):
            if event == "line":
                lines.add(frame.f_lineno)
            return local
        return local


_results: dict[str, dict[str, list[int]]] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    tracer = _Tracer(os.environ.get("INFILL_LINETRACE_ROOT", os.getcwd()))
    previous = sys.gettrace()
    sys.settrace(tracer.global_trace)
    try:
        yield
    finally:
        sys.settrace(previous)
        _results[item.nodeid] = {rel: sorted(lines) for rel, lines in tracer.lines.items()}


def pytest_sessionfinish(session, exitstatus):
    out = os.environ.get("INFILL_LINETRACE_OUT")
    if out:
        with open(out, "w", encoding="utf-8") as f:
            json.dump(_results, f)
