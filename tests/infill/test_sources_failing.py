"""infill.sources.failing (and the JUnit reader) on a real workspace: pytest run once on tiny failing tests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from infill.sources.failing import (
    FailingTest,
    failing_tests,
    find_test_function,
    junit_report,
    read_junit,
    read_last_failed,
)

CALC = "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n"
TESTS = textwrap.dedent('''
    import pytest
    from calc import add, mul


    def test_add():
        assert add(1, 2) == 3


    class TestMore:
        @pytest.mark.parametrize("n", [1, 2])
        def test_param(self, n):
            assert add(n, n) == 2 * n


    def test_mul_passes():
        assert mul(2, 3) == 6


    def test_unrelated():
        assert "add" == "sub"   # names add only in a string
''')


def make_failing_workspace(root: Path, junit: str | None = "junit.xml") -> Path:
    """A workspace with calc.py, its tests, and the records of one real pytest run."""
    (root / "tests").mkdir(parents=True, exist_ok=True)
    (root / "calc.py").write_text(CALC)
    (root / "tests" / "test_calc.py").write_text(TESTS)
    args = [sys.executable, "-m", "pytest", "-q", "tests"]
    args += [f"--junitxml={junit}"] if junit else []
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONPATH": str(root)}
    subprocess.run(args, cwd=root, env=env, capture_output=True, timeout=60)
    return root


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return make_failing_workspace(tmp_path_factory.mktemp("ws"))


def test_last_failed_cache_and_junit_report(workspace: Path):
    failed = read_last_failed(workspace)
    assert set(failed) == {"tests/test_calc.py::test_add", "tests/test_calc.py::TestMore::test_param[1]",
                           "tests/test_calc.py::TestMore::test_param[2]", "tests/test_calc.py::test_unrelated"}
    report = junit_report(workspace)
    assert report == workspace / "junit.xml"
    cases = read_junit(report, workspace)
    messages = {nodeid: case.message for nodeid, case in cases.items() if case.status in ("failed", "error")}
    assert set(messages) == set(failed)                    # JUnit classnames map back to node ids
    assert messages["tests/test_calc.py::test_add"].startswith("assert -1 == 3")
    assert {case.status for case in cases.values()} == {"failed", "passed"}


def test_failing_tests_that_call_the_function(workspace: Path):
    found = failing_tests(workspace, "add")
    assert [t.nodeid for t in found] == ["tests/test_calc.py::test_add", "tests/test_calc.py::TestMore::test_param[1]",
                                         "tests/test_calc.py::TestMore::test_param[2]"]
    first = found[0]
    assert first.source == "def test_add():\n    assert add(1, 2) == 3"
    assert "where -1 = add(1, 2)" in first.message
    assert found[1].source.startswith("def test_param(self, n):")   # dedented, decorator left out
    assert failing_tests(workspace, "mul") == []                        # its test passes
    assert failing_tests(workspace, "add", limit=1) == found[:1]
    comment = first.comment()
    assert comment.splitlines()[0] == "# failing test: tests/test_calc.py::test_add"
    assert "#         assert add(1, 2) == 3" in comment and "# assertion: assert -1 == 3" in comment


def test_cache_only_gives_sources_without_messages(tmp_path: Path):
    root = make_failing_workspace(tmp_path, junit=None)
    assert junit_report(root) is None
    found = failing_tests(root, "add")
    assert len(found) == 3 and all(t.message == "" for t in found)
    assert "# assertion" not in found[0].comment()


def test_missing_or_broken_records_give_nothing(tmp_path: Path):
    assert read_last_failed(tmp_path) == [] and failing_tests(tmp_path, "add") == []
    (tmp_path / ".pytest_cache/v/cache").mkdir(parents=True)
    (tmp_path / ".pytest_cache/v/cache/lastfailed").write_text("[not json")
    (tmp_path / "report.xml").write_text("<testsuites><testcase")
    assert read_last_failed(tmp_path) == [] and read_junit(tmp_path / "report.xml", tmp_path) == {}
    assert failing_tests(tmp_path, "add", junit_path="report.xml") == []


def test_node_ids_outside_the_root_are_not_read(tmp_path: Path):
    (tmp_path / "ws").mkdir()
    (tmp_path / "secret_test.py").write_text("def test_x():\n    add()\n")
    assert find_test_function(tmp_path / "ws", "../secret_test.py::test_x") is None
    assert find_test_function(tmp_path, "secret_test.py::test_x").calls == frozenset({"add"})


def test_comment_is_bounded():
    long = FailingTest("t.py::test_long", "def test_long():\n" + "    x = 1\n" * 50, "boom\n" * 10)
    lines = long.comment().splitlines()
    assert len(lines) < 30 and lines[-1] == "# assertion: boom"
