"""infill.examples: a docstring's examples run against the candidates in a sandboxed child."""

from __future__ import annotations

import time
from dataclasses import replace

from engine.api import Candidate, Capabilities, InfillResult
from infill import examples
from infill.complete import complete
from infill.config import InfillOptions

AREA = '''import math

def area(r):
    """The area of a circle.

    >>> round(area(1), 2)
    3.14
    >>> area(0)
    0.0
    """
    return '''

ADD = '''def add(a, b):
    """Add two numbers.

    add(1, 2) => 3
    add(a, b) => 7
    """
    return '''


def verdicts(before: str, texts: list[str], after: str = "\n") -> dict[str, str]:
    return {t: c.verdict for t, c in examples.run(before, texts, after).items()}


def test_the_doctests_keep_the_candidate_that_satisfies_them_and_reject_the_others():
    found = examples.run(AREA, ["math.pi * r * r", "r * r", "2 * math.pi * r"], "\n")
    assert {t: c.verdict for t, c in found.items()} == {"math.pi * r * r": "ok", "r * r": "reject",
                                                       "2 * math.pi * r": "reject"}
    assert found["math.pi * r * r"].reason == "satisfies the 2 docstring examples"
    assert found["2 * math.pi * r"].reason.startswith("fails 1 of 2 docstring examples (first: round(area(1), 2)")


def test_one_line_examples_count_and_one_whose_arguments_do_not_read_is_left_out():
    found = examples.run(ADD, ["a + b", "a * b"], "\n")
    assert {t: c.verdict for t, c in found.items()} == {"a + b": "ok", "a * b": "reject"}
    assert found["a + b"].reason == "satisfies the 1 docstring examples"      # add(a, b): a is unbound


def test_examples_nothing_satisfies_say_nothing():
    # The function is not finished, or every candidate is wrong: no verdict, nobody rejected.
    assert verdicts(AREA, ["r", "r + 1"]) == {}
    unfinished = AREA.replace("    return ", "    x = ")
    assert verdicts(unfinished, ["r * r", "math.pi * r * r"], "\n    # the rest comes later\n") == {}


def test_a_candidate_that_never_returns_or_raises_is_rejected_in_bounded_time():
    t0 = time.perf_counter()
    found = verdicts(AREA, ["math.pi * r * r", "[i for i in iter(int, 1)][0]", "1 / 0", "undefined_name"])
    assert time.perf_counter() - t0 < 5
    assert found == {"math.pi * r * r": "ok", "[i for i in iter(int, 1)][0]": "reject", "1 / 0": "reject",
                     "undefined_name": "reject"}


def test_only_the_modules_imports_and_definitions_run(tmp_path):
    marker = tmp_path / "ran"
    after = f"\n\nopen({str(marker)!r}, 'w').write('x')\nraise SystemExit(3)\n"
    assert verdicts(AREA, ["math.pi * r * r", "r * r"], after) == {"math.pi * r * r": "ok", "r * r": "reject"}
    assert not marker.exists()


def test_no_examples_no_child(monkeypatch):
    import infill.sandbox

    def boom(*a, **k):
        raise AssertionError("no child should start")

    monkeypatch.setattr(infill.sandbox, "run_python", boom)
    plain = 'def f(x):\n    """Twice x."""\n    return '
    assert not examples.maybe(plain) and verdicts(plain, ["x * 2"]) == {}
    assert not examples.maybe("x = ") and verdicts("x = ", ["1"]) == {}
    assert verdicts("def f(:\n    '''>>> f(1)\n    2\n    '''\n    return ", ["2"]) == {}   # does not parse


def test_a_nested_function_reads_the_examples_of_the_one_around_it():
    before = AREA.replace("    return ", "    def inner():\n        return ")
    found = verdicts(before, ["math.pi * r * r", "r * r"], "\n    return inner()\n")
    assert found == {"math.pi * r * r": "ok", "r * r": "reject"}


class Several:
    """A backend that answers with the given candidates, best score first."""

    name = "several"

    def __init__(self, *texts: str):
        self.texts = texts
        self.capabilities = Capabilities(rewrite=False)

    def infill(self, request):
        return InfillResult([Candidate(t, -0.1 - i, 4) for i, t in enumerate(self.texts)], forward_passes=4,
                            latency_ms=1.0)

    def count_tokens(self, text: str) -> float:
        return len(text) / 3.5

    def describe(self):
        return {"backend": self.name}


OPTS = InfillOptions(retrieval=False, known_names=False, min_confidence=0.0)


def test_complete_puts_the_candidate_the_examples_keep_first():
    doc = AREA + "\n"
    backend = Several("r * r", "math.pi * r * r")            # the model prefers the wrong one
    done = complete(doc, len(AREA), "python", OPTS, backend)
    assert done.text == "math.pi * r * r"
    assert {"check": "examples", "verdict": "ok", "reason": "satisfies the 2 docstring examples"} in done.checks
    assert done.confidences[-1] == 0.0                        # the rejected one comes last, at 0
    off = complete(doc, len(AREA), "python", replace(OPTS, examples=False), backend)
    assert off.text == "r * r" and not any(c["check"] == "examples" for c in off.checks)


class BySeed(Several):
    """Wrong candidates for the first seed, the right one among those of the next."""

    def __init__(self):
        super().__init__()
        self.requests = []

    def infill(self, request):
        self.requests.append(request)
        self.texts = ("r * r", "r + r") if request.seed == 0 else ("2 * r", "math.pi * r * r", "r")
        return super().infill(request)


def test_when_no_candidate_satisfies_the_examples_fresh_batches_are_drawn_and_checked():
    doc = AREA + "\n"
    backend = BySeed()
    done = complete(doc, len(AREA), "python", OPTS, backend)
    assert done.text == "math.pi * r * r" and done.forward_passes == 8
    fresh = backend.requests[1]
    assert (fresh.seed, fresh.candidates, fresh.sampler.temperature) == (1, 8, 0.8)   # every row sampled
    assert complete(doc, len(AREA), "python", replace(OPTS, examples_rounds=0), BySeed()).text == "r * r"
    budget = BySeed()                                      # under a pass budget latency comes first
    assert complete(doc, len(AREA), "python", replace(OPTS, steps=4), budget).text == "r * r"
    assert len(budget.requests) == 1


def test_no_search_where_there_are_no_examples():
    backend = BySeed()
    doc = 'def area(r):\n    """The area."""\n    return \n'
    assert complete(doc, doc.index("return ") + 7, "python", OPTS, backend).text == "r * r"
    assert len(backend.requests) == 1


def test_the_confidence_floor_of_what_the_examples_keep():
    from infill.checks import Check
    from infill.confidence import examples_floor

    cal = {"examples": {"only": 0.3, "shared": 0.1}}
    kept, failed = [Check("examples", "ok")], [Check("examples", "reject")]
    assert examples_floor(kept, True, cal) == 0.3 and examples_floor(kept, False, cal) == 0.1
    assert examples_floor(failed, True, cal) == 0.0 and examples_floor([], True, cal) == 0.0
    assert examples_floor(kept, True, cal, calibrated=False) == 0.0          # another backend's scores
    assert examples_floor(kept, True, {"weights": []}) == 0.0                  # a calibration without rates
    assert examples_floor(kept, True, {"examples": {"only": "x"}}) == 0.0


def test_only_the_function_around_the_cursor_is_looked_at_for_examples():
    other = AREA.replace("    return ", "    return math.pi * r * r\n\n\ndef perimeter(r):\n    \"\"\"No examples.\"\"\"\n    return ")
    assert examples.maybe(AREA) and not examples.maybe(other)
    nested = AREA.replace("    return ", "    def inner():\n        return ")
    assert examples.maybe(nested)


def test_a_return_annotation_is_no_example():
    assert not examples.maybe('def total(self, items: list[int]) -> int:\n    result = 0\n    return ')
    assert examples.maybe('def total(items):\n    """total([1]) -> 1"""\n    return ')


def test_examples_that_never_run_the_candidates_lines_say_nothing():
    # The example calls another copy (an installed package's, here the standard library's).
    other = 'import math\n\ndef root(x):\n    """Square root.\n\n    >>> math.sqrt(4)\n    2.0\n    """\n    return '
    assert verdicts(other, ["math.sqrt(x)", "x"]) == {}
    # The example stops before the gap: only the branch that reaches it tells.
    early = ('def sign(x):\n    """Sign.\n\n    >>> sign(0)\n    0\n    >>> sign(-3)\n    -1\n    """\n'
             '    if x == 0:\n        return 0\n    return ')
    assert verdicts(early, ["-1 if x < 0 else 1", "1", "x"]) == {"-1 if x < 0 else 1": "ok", "1": "reject",
                                                                 "x": "reject"}


def test_a_candidate_that_ends_the_child_or_floods_its_output_gives_no_verdict_and_no_error():
    before = "import os\n" + AREA
    assert verdicts(before, ["math.pi * r * r", "os._exit(0)"]) == {}
    flood = verdicts(before, ["math.pi * r * r", "print('@@RESULTS@@' * 100000) or r"])
    assert flood in ({}, {"math.pi * r * r": "ok", "print('@@RESULTS@@' * 100000) or r": "reject"})


def test_a_top_level_try_or_an_assignment_that_calls_out_does_not_run(tmp_path):
    marker = tmp_path / "ran"
    after = (f"\n\ntry:\n    open({str(marker)!r}, 'w').write('x')\nexcept OSError:\n    pass\n"
             f"handle = open({str(marker)!r}, 'a')\nPATTERN = __import__('re').compile('x')\n")
    assert verdicts(AREA, ["math.pi * r * r", "r * r"], after) == {"math.pi * r * r": "ok", "r * r": "reject"}
    assert not marker.exists()


def test_each_candidate_runs_in_its_own_module():
    # is_odd calls back into the gap's function: it must find this candidate's, not the first's;
    # a memo filled by one candidate must not answer for the next.
    before = ('def is_odd(n):\n    return n != 0 and is_even(n - 1)\n\n\ndef is_even(n):\n'
              '    """Even.\n\n    >>> is_even(3)\n    False\n    >>> is_even(4)\n    True\n    """\n    ')
    found = verdicts(before, ["return True", "return n == 0 or is_odd(n - 1)"], "\n")
    assert found == {"return True": "reject", "return n == 0 or is_odd(n - 1)": "ok"}
    memo = ('_memo = {}\n\n\ndef fib(n):\n    """Fibonacci.\n\n    >>> fib(10)\n    55\n    """\n'
            '    if n in _memo:\n        return _memo[n]\n    _memo[n] = ')
    rest = "\n    return _memo[n]\n"
    found = verdicts(memo, ["n if n < 2 else fib(n - 1) + fib(n - 2)", "n if n < 2 else fib(n - 1) + fib(n - 2) + 1"],
                     rest)
    assert found == {"n if n < 2 else fib(n - 1) + fib(n - 2)": "ok",
                     "n if n < 2 else fib(n - 1) + fib(n - 2) + 1": "reject"}


def test_doctest_directives_and_expected_exceptions_are_kept():
    before = ('import random\n\ndef pick(xs):\n    """One of them.\n\n    >>> pick([1, 2, 3])  # doctest: +SKIP\n'
              '    2\n    >>> pick([])\n    Traceback (most recent call last):\n    ...\n    IndexError: empty\n'
              '    >>> pick([7])\n    7\n    """\n    if not xs:\n        raise IndexError("empty")\n    return ')
    found = verdicts(before, ["random.choice(xs)", "xs[-1] + 1"], "\n")
    assert found == {"random.choice(xs)": "ok", "xs[-1] + 1": "reject"}


def test_a_form_feed_before_the_function_does_not_shift_its_lines():
    assert verdicts("\x0c\n" + AREA, ["math.pi * r * r", "r * r"]) == {"math.pi * r * r": "ok", "r * r": "reject"}
