"""infill.sources.diagnostics: mypy output, the function around the cursor, nearness, ranking, prompt."""

from __future__ import annotations

import textwrap

import pytest

from infill.sources import diagnostics
from infill.sources import CursorContext, cursor_context
from infill.sources.diagnostics import (
    FunctionSpan,
    Problem,
    enclosing_function,
    near_cursor,
    parse_mypy_output,
    rank_by_type_errors,
    run_mypy,
)
from infill.sources.failing import FailingTest

CODE = textwrap.dedent('''\
    import os


    def f(x: int) -> str:
        y = x + "a"
        return y


    class C:
        def m(self) -> int:
            return "s"

        def n(self):
            pass


    def g() -> int:
        return 1
''')


def offset_of(needle: str, text: str = CODE) -> int:
    return text.index(needle)


def test_parse_mypy_output():
    out = ('document.py:5:13: error: Unsupported operand types for + ("int" and "str")  [operator]\n'
           'document.py:5:13: note: Left operand is of type "int"\n'
           'other.py:1:1: error: Name "z" is not defined  [name-defined]\n'
           'document.py:12: error: invalid syntax  [syntax]\n'
           'document.py:7:5:7:9: warning: Unused "type: ignore" comment  [unused-ignore]\n'
           'Found 2 errors in 1 file (checked 1 source file)\n')
    problems = parse_mypy_output(out, "document.py")
    assert problems == [
        Problem(4, 12, 'Unsupported operand types for + ("int" and "str")', code="operator"),
        Problem(11, 0, "invalid syntax", code="syntax"),
        Problem(6, 4, 'Unused "type: ignore" comment', severity="warning", code="unused-ignore"),
    ]
    assert problems[1].is_syntax and len(parse_mypy_output(out)) == 4


@pytest.mark.parametrize("needle, expected", [
    ("return y", FunctionSpan("f", 3, 5)),
    ('return "s"', FunctionSpan("m", 9, 10)),       # the innermost: the method, not the class
    ("pass", FunctionSpan("n", 12, 13)),
    ("import os", None),
    ("class C", None),
])
def test_enclosing_function(needle, expected):
    assert enclosing_function(CODE, offset_of(needle)) == expected


def test_enclosing_function_after_its_last_line():
    text = "def f():\n    x = 1\n    \n"
    assert enclosing_function(text, len("def f():\n    x = 1\n    ")) == FunctionSpan("f", 0, 2)   # extending it
    assert enclosing_function(text + "\n", len(text)) is None                                       # column 0


def test_near_cursor_keeps_the_function_or_a_radius():
    problems = [Problem(4, 0, "a"), Problem(5, 0, "b"), Problem(5, 0, "b"), Problem(10, 0, "c"),
                Problem(4, 2, "note", severity="hint")]
    span = FunctionSpan("f", 3, 5)
    assert [p.message for p in near_cursor(problems, 5, span)] == ["b", "a"]      # nearest first, once
    assert [p.message for p in near_cursor(problems, 5)] == ["b", "a", "c"]      # +-10 lines
    assert [p.message for p in near_cursor(problems, 5, radius=1)] == ["b", "a"]
    assert near_cursor(problems, 5, limit=1) == [Problem(5, 0, "b")]


def test_rank_by_type_errors_prefers_fewer_errors_in_the_region():
    text = "def f() -> int:\n    return \n\nz = 'far'\n"
    offset = text.index("return ") + len("return ")
    calls = []

    def check(candidate_text: str, seconds: float):
        calls.append(candidate_text)
        body = candidate_text.split("\n")[1]
        problems = [Problem(30, 0, "far away")]          # outside the region: not counted
        if "'" in body:
            problems.append(Problem(1, 11, "Incompatible return value type"))
        if "(" in body and ")" not in body:
            problems.append(Problem(1, 0, "invalid syntax", code="syntax"))
        return problems

    candidates = ["'a'", "1", "(", "2"]
    assert rank_by_type_errors(text, offset, candidates, 0, 1, check) == ["1", "'a'", "(", "2"]
    assert len(calls) == 3                                       # at most max_checked checks
    assert rank_by_type_errors(text, offset, candidates, 0, 1, lambda t, s: None) == candidates
    assert rank_by_type_errors(text, offset, candidates, 0, 1, check, budget_s=0) == candidates
    assert rank_by_type_errors(text, offset, ["'a'"], 0, 1, check) == ["'a'"]


def test_prompt_is_a_bounded_comment_block():
    test = FailingTest("tests/test_f.py::test_f", "def test_f():\n    assert f(1) == '1'", "assert '1a' == '1'")
    ctx = CursorContext(5, FunctionSpan("f", 3, 5), [Problem(5, 11, 'Incompatible return value type')], [test])
    prompt = ctx.prompt(CODE, "python")
    assert prompt.splitlines() == [
        "# type error: line 6 `return y`: Incompatible return value type",
        "# failing test: tests/test_f.py::test_f",
        "#     def test_f():",
        "#         assert f(1) == '1'",
        "# assertion: assert '1a' == '1'",
    ]
    assert prompt.endswith("\n") and CursorContext(0).prompt(CODE, "python") == ""
    assert ctx.prompt(CODE, "python", max_chars=80).count("\n") == 1           # whole items only
    assert ctx.region == (3, 5) and CursorContext(20).region == (10, 30)
    assert ctx.to_dict()["failingTests"][0]["nodeid"] == "tests/test_f.py::test_f"


@pytest.fixture(scope="module")
def mypy_problems():
    if not diagnostics.mypy_available():
        pytest.skip("mypy is not installed")
    problems = run_mypy(CODE, timeout_s=30)
    assert problems is not None
    return problems


def test_run_mypy_reports_type_errors(mypy_problems):
    assert {(p.line, p.code) for p in mypy_problems} == {(4, "operator"), (5, "return-value"), (10, "return-value")}
    ctx = cursor_context(CODE, offset_of("return y"), "python", mypy_problems)
    assert ctx.function == FunctionSpan("f", 3, 5) and [p.line for p in ctx.problems] == [5, 4]


def test_run_mypy_reports_syntax_errors():
    if not diagnostics.mypy_available():
        pytest.skip("mypy is not installed")
    problems = run_mypy(CODE + "def broken(:\n", timeout_s=30)
    assert problems and all(p.is_syntax for p in problems) and problems[0].line == len(CODE.splitlines())


def test_run_mypy_gives_none_on_timeout_or_when_missing(monkeypatch):
    assert run_mypy(CODE, timeout_s=0.001) is None
    monkeypatch.setattr(diagnostics, "mypy_available", lambda: False)
    assert run_mypy(CODE) is None


def test_extra_context_reaches_the_backend_prompt_only():
    from engine.api import Candidate, Capabilities, InfillResult
    from infill.complete import complete
    from infill.config import InfillOptions

    class Recording:
        name = "recording"
        prefix = ""
        capabilities = Capabilities()

        def count_tokens(self, text):
            return len(text) / 3.5

        def infill(self, request):
            Recording.prefix = request.prefix
            return InfillResult([Candidate("1", 0.0, 1)], 1, 1.0)

    text = "def f() -> int:\n    return \n"
    extra = "# type error: line 2 `return`: Incompatible return value type\n"
    result = complete(text, len(text) - 1, "python", InfillOptions(), backend=Recording(), extra_context=extra)
    assert Recording.prefix.startswith(extra) and Recording.prefix.endswith("    return ")
    assert result.text == "1"
    complete(text, len(text) - 1, "python", InfillOptions(), backend=Recording())
    assert Recording.prefix.startswith("def f()")
