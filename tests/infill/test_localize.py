"""Fault localization: a traced pytest run in the sandbox, and the Ochiai ranking of lines."""

import math
import textwrap

import pytest

from infill.fix import FixSettings
from infill.fix.search import Verifier
from infill.fix.localize import gap_score, ochiai, trace_tests

SHAPES = textwrap.dedent('''\
    def area(w, h):
        if w == h:
            return w * w
        return w + h


    def unused():
        return 0
''')
TESTS = textwrap.dedent('''\
    from shapes import area


    def test_square():
        assert area(2, 2) == 4


    def test_rectangle():
        assert area(2, 3) == 6


    def test_other_rectangle():
        assert area(1, 3) == 3
''')


@pytest.fixture
def verifier(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "shapes.py").write_text(SHAPES)
    (tmp_path / "tests" / "test_shapes.py").write_text(TESTS)
    v = Verifier(tmp_path, [], FixSettings(plugin_autoload=False, timeout_s=30))
    v.run_baseline()
    return v


def test_each_test_records_the_source_lines_it_ran_and_not_the_tests(verifier):
    coverage = trace_tests(verifier.run, [])
    square, rect = "tests/test_shapes.py::test_square", "tests/test_shapes.py::test_rectangle"
    assert set(coverage) == set(verifier.baseline.outcomes)
    assert set(coverage[square]) == {"shapes.py"}                  # test files are not traced
    assert {2, 3} <= coverage[square]["shapes.py"] and 4 not in coverage[square]["shapes.py"]
    assert {2, 4} <= coverage[rect]["shapes.py"] and 3 not in coverage[rect]["shapes.py"]
    assert 8 not in set().union(*(c["shapes.py"] for c in coverage.values()))   # unused() never ran


def test_ochiai_puts_the_lines_only_failing_tests_run_first(verifier):
    base = verifier.baseline
    assert base.failed == ["tests/test_shapes.py::test_rectangle", "tests/test_shapes.py::test_other_rectangle"]
    scores = ochiai(trace_tests(verifier.run, []), base.failed, base.passed)
    assert scores[("shapes.py", 4)] == 1.0                       # both failing tests, no passing one
    assert scores[("shapes.py", 2)] == pytest.approx(2 / math.sqrt(2 * 3))
    assert ("shapes.py", 3) not in scores                        # only the passing test ran it
    assert gap_score(scores, "shapes.py", 3, 4) == 1.0 and gap_score(scores, "shapes.py", 7, 8) == 0.0


def test_a_traced_run_that_does_not_finish_gives_none(verifier):
    (verifier.snapshot / "shapes.py").write_text("import time\ntime.sleep(30)\n" + SHAPES)
    verifier.timeout_s = 2
    assert trace_tests(verifier.run, []) is None
