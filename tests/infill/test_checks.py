"""infill.checks: golden cases for each check beyond syntax, and what they do to a completion."""

from __future__ import annotations

import pytest

from helpers import Scripted
from infill.checks import REJECT, UNKNOWN, compiles, cut_off, echo, names, passed, run_checks
from infill.complete import complete
from infill.config import InfillOptions

FN = "def f(start_idx, end):\n    total = 0\n    x = "
AFTER = "\n    return x\n"


@pytest.mark.parametrize("text, verdict", [
    ("start_idx + 1", "ok"),
    ("m", REJECT),                                   # bound nowhere (the issue's `m = m`)
    ("total + end", "ok"),
    ("len(range(end))", "ok"),                       # builtins
    ("[y for y in range(end) if y]", "ok"),          # comprehension variables
    ("[y for y in range(end)] + [y]", REJECT),       # ... only inside the comprehension
    ("self.items", REJECT),
    ("end.real", "ok"),                              # attributes are not judged
])
def test_names(text, verdict):
    assert names(FN, text, AFTER).verdict == verdict


def test_names_knows_imports_globals_and_class_scopes():
    before = "import os\nLIMIT = 3\n\nclass A:\n    def m(self, q):\n        return "
    assert names(before, "os.path.join(LIMIT, q, self)", "\n").verdict == "ok"
    assert names(before, "popleft(q)", "\n").verdict == REJECT
    assert names("def f():\n    return ", "g()", "\n\ndef g():\n    return 1\n").verdict == "ok"   # defined later


@pytest.mark.parametrize("before, text, after, why", [
    ("from os.path import *\ndef f():\n    return ", "join", "\n", "star import"),
    ("def f():\n    exec('y = 1')\n    return ", "y", "\n", "dynamically"),
    ("def f(:\n    return ", "y", "\n", "does not parse"),
])
def test_names_says_unknown_where_it_cannot_tell(before, text, after, why):
    check = names(before, text, after)
    assert check.verdict == UNKNOWN and why in check.reason


@pytest.mark.parametrize("text, after, verdict", [
    ("start_", "\n", REJECT),                        # only the start of start_idx
    ("rt", "_idx\n", REJECT),                        # the suffix continues the name
    ("start_idx", "\n", "ok"),
    ("end.re", "\n", "ok"),                          # an attribute: unknown to the check, not rejected
    ("end + 1", "\n", "ok"),
])
def test_cut_off(text, after, verdict):
    assert cut_off(FN, text, after).verdict == verdict


@pytest.mark.parametrize("before, text, after, verdict", [
    ("def f(a):\n    x = ", "x", "\n", REJECT),                         # x = x
    ("def f(a):\n    self.v = ", "self.v", "\n", REJECT),
    ("def f(a):\n    y = a\n", "    y = a\n", "    return y\n", REJECT),  # a copy of the line above
    ("def f(a):\n", "    return a\n", "    return a\n", REJECT),           # ... or below
    ("def f(a):\n    if a:\n        pass\n", "    pass\n", "", "ok"),          # a bare keyword may repeat
    ("def f(a):\n    x = ", "", "\n", REJECT),                           # empty
    ("def f(a):\n    x = ", "a + 1", "\n", "ok"),
])
def test_echo(before, text, after, verdict):
    assert echo(before, text, after).verdict == verdict


@pytest.mark.parametrize("language, before, text, verdict", [
    ("python", "def half(n):\n    while n > 1:\n        ", "n = n // 2", "ok"),     # floor division, no comment
    ("python", "def f(n):\n    ", "n = n  # again", REJECT),
    ("javascript", "function f(n) {\n  ", "n = n; // again", REJECT),
    ("javascript", "function f(n) {\n  ", "n = n -- 1;", "ok"),
    ("lua", "local function f(n)\n  ", "n = n -- again", REJECT),
    ("php", "<?php\nfunction f($n) {\n    ", "$n = $n;", REJECT),
])
def test_echo_reads_the_languages_comment(language, before, text, verdict):
    assert next(c for c in run_checks(before, text, "\n", language) if c.name == "echo").verdict == verdict


def test_compiles_is_true_only_when_the_file_compiles():
    assert compiles("def f(a):\n    for j in a:\n        ", "if j in range", "\n            pass\n").verdict == REJECT
    assert compiles("def f(a):\n    for j in a:\n        ", "if j in range(3):", "\n            pass\n").verdict == "ok"
    assert compiles("def f(a):\n    ", "return", " a\n").verdict == "ok"
    # An error of the file's own, away from the candidate, is not the candidate's.
    broken_elsewhere = compiles("def f(a):\n    return ", "a", "\n\ndef g(:\n    pass\n")
    assert broken_elsewhere.verdict == UNKNOWN and "line 4" in broken_elsewhere.reason
    assert compiles("def f(a):\n    return ", "a +", "\n\ndef g(:\n    pass\n").verdict == REJECT


@pytest.mark.parametrize("language, before, text, after, verdict", [
    ("javascript", "function add(a, b) {\n  return ", "a + b;;)", "\n}\n", REJECT),   # a served model's, shown before
    ("javascript", "function add(a, b) {\n  return ", "a + b;", "\n}\n", "ok"),
    ("go", "func add(a int, b int) int {\n\treturn ", "a + (b", "\n}\n", REJECT),       # a bracket it leaves open
    ("go", "func add(a int, b int) int {\n\treturn ", "a + b", "\n}\n", "ok"),
    ("php", "<?php\nfunction f($n) {\n    return ", "$n + 1;", "\n}\n", "ok"),
    ("javascript", "function f(x) {\n  const y = ", "x + 1;", "\n  return y +;\n}\n", "ok"),  # the file's own error
])
def test_parses_in_languages_without_a_compiler(language, before, text, after, verdict):
    checks = run_checks(before, text, after, language)
    assert [c.name for c in checks] == ["parses", "cut_off", "echo"]
    assert checks[0].verdict == verdict


def test_run_checks_and_passed():
    assert passed(run_checks(FN, "start_idx", AFTER, "python"))
    assert not passed(run_checks(FN, "m", AFTER, "python"))
    assert [c.name for c in run_checks(FN, "m", AFTER, "python")] == ["compiles", "names", "repeated_condition",
                                                                     "none_then_used", "cut_off", "echo"]


def test_a_rejected_best_candidate_gives_way_and_is_not_shown():
    # The model's samples alone (the known names would give way to a valid draft: test_names).
    result = complete(FN + AFTER, len(FN), "python", InfillOptions(repair=0, resample=0, known_names=False),
                      backend=Scripted("m"))
    assert result.text == "m" and not result.shown and result.confidence == 0.0
    assert {c["check"]: c["verdict"] for c in result.checks}["names"] == REJECT

    class Two(Scripted):
        def infill(self, request):
            from engine.api import Candidate, InfillResult
            self.requests.append(request)
            return InfillResult([Candidate("m", -0.1, 1), Candidate("end", -2.0, 1)], 1, 1.0)

    result = complete(FN + AFTER, len(FN), "python", InfillOptions(candidates=2, repair=0, resample=0, known_names=False,
                                                                   min_confidence=0.0), backend=Two("m"))
    assert result.text == "end" and result.shown and result.candidates == ["end", "m"]
    assert result.confidences[0] > 0 and result.confidences[1] == 0.0
    high = InfillOptions(candidates=2, repair=0, resample=0, min_confidence=0.999, known_names=False)
    assert not complete(FN + AFTER, len(FN), "python", high, backend=Two("m")).shown


def test_in_a_large_file_names_bound_far_away_count_as_bound():
    far = "import json\n\n\ndef helper(x):\n    return x\n\n\n" + "".join(
        f"def filler_{i}(a):\n    return a + {i}\n\n\n" for i in range(400))
    before = far + "def f(value):\n    return "
    assert len(before) > 8_000
    assert names(before, "helper(json.dumps(value))", "\n", None).verdict in ("ok", UNKNOWN)
    assert passed(run_checks(before, "helper(json.dumps(value))", "\n", "python"))
    assert not passed(run_checks(before, "helpr(value)", "\n", "python"))      # bound nowhere in the file


# A gap inside a method of a long class: the checks read the method, not the class.
CLASS_HEAD = "import os\n\n\nclass Big:\n    limit = 3\n\n" + "".join(
    f"    def other_{i}(self, a):\n        return a + {i}\n\n" for i in range(300))
METHOD = "    def scale(self, value):\n        total = value * self.limit\n        "
AFTER_METHOD = "\n        return total\n\n    def last(self):\n        return os.sep\n"


def test_a_gap_in_a_method_of_a_long_class_is_checked_in_that_method():
    from infill.syntax import BLOCK_HEAD, adds_syntax_errors, check_window

    before = CLASS_HEAD + METHOD
    head, wb, wa = check_window(before, AFTER_METHOD, "python")
    assert head == BLOCK_HEAD and wb == METHOD and wa == "\n        return total\n\n"
    assert passed(run_checks(before, "total += os.getpid() + self.limit", AFTER_METHOD, "python"))
    unbound = run_checks(before, "total += missing_name", AFTER_METHOD, "python")
    assert [c.reason for c in unbound if c.verdict == REJECT] == ["`missing_name` is bound nowhere in its scope"]
    # Another method's parameter is not in this method's scope; the class's own name is.
    assert [c.reason for c in run_checks(before, "total += a", AFTER_METHOD, "python") if c.verdict == REJECT] \
        == ["`a` is bound nowhere in its scope"]
    assert passed(run_checks(before, "total += Big.limit", AFTER_METHOD, "python"))
    assert adds_syntax_errors(before, "total += (1", AFTER_METHOD, "python")
    assert adds_syntax_errors(before, "if total:", AFTER_METHOD, "python")          # a header with no block
    assert not adds_syntax_errors(before, "total += 1", AFTER_METHOD, "python")


def test_the_method_window_is_not_used_where_it_would_read_the_class_differently():
    from infill.syntax import BLOCK_HEAD, check_window

    # An error of the class's own in another method: the narrow window would not see it.
    broken = CLASS_HEAD.replace("return a + 7\n", "return a +\n", 1) + METHOD
    assert check_window(broken, AFTER_METHOD, "python")[0] != BLOCK_HEAD
    # A string whose lines start at column 0 would end an indentation scan early.
    text_after = "\n        note = \"\"\"\n- at column 0\n\"\"\"\n        return total\n"
    head, wb, wa = check_window(CLASS_HEAD + METHOD, text_after, "python")
    assert head != BLOCK_HEAD and wa.startswith(text_after)


def test_an_error_in_another_function_does_not_blind_the_names_check():
    """The user cut a line of main(): the file does not parse, yet a name bound nowhere in the
    function being completed is still rejected (the checks read that function's statement)."""
    before = "def area(w, h):\n    return "
    after = "\n\n\ndef main():\n    x = \n    print(area(1, 2))\n"
    found = {c.name: c for c in run_checks(before, "w * hh", after, "python")}
    assert found["names"].verdict == REJECT and "`hh`" in found["names"].reason
    assert found["compiles"].verdict == "ok"
    assert {c.name: c.verdict for c in run_checks(before, "w * h", after, "python")}["names"] == "ok"


def test_bound_anywhere_reads_what_each_line_binds_and_no_words_of_a_class_header():
    from infill.scope import bound_anywhere

    text = ("import os, sys as system\nfrom typing import (\n    Any,\n)\nx = 1\n\n"
            "class Node(Base, metaclass=Meta):\n    size: int = 0\n\n    def grow(self, by):\n"
            "        for i, item in enumerate(by):\n            total += item\n")
    got = bound_anywhere(text)
    assert {"os", "system", "Any", "x", "Node", "size", "grow", "i", "item"} <= got
    # A blank line before the class once let the assignment pattern read its whole header.
    assert not {"class", "Base", "metaclass", "Meta", "enumerate"} & got
    assert bound_anywhere(text.replace("x = 1", "y = 1")) == (got - {"x"}) | {"y"}


def test_a_branch_that_tests_what_another_branch_of_its_chain_tests_is_rejected():
    from infill.checks import repeated_condition
    from infill.scope import _parse

    before = "def kind(arg):\n    if isinstance(arg, str):\n        return 1\n    elif "
    after = ":\n        return 2\n    elif arg is None:\n        return 3\n"

    def verdict(text):
        return {c.name: c.verdict for c in run_checks(before, text, after, "python")}["repeated_condition"]

    assert verdict("arg is None") == REJECT            # a branch below asks it: one of them is dead
    assert verdict("isinstance(arg, str)") == REJECT   # and one above
    assert verdict("isinstance(arg, dict)") == "ok"
    # The same test in another chain, or nested under the branch, is fine.
    nested = "def f(a):\n    if a:\n        return 1\n    if "
    assert repeated_condition(nested, "a", ":\n        return 2\n", _parse(nested + "a:\n        return 2\n")).verdict == "ok"
    # Code that does not parse gets no verdict rather than an unknown one (a feature counts those).
    assert repeated_condition(before, "arg is", after, None) is None


def test_in_a_large_file_another_functions_parameter_is_not_bound_in_this_one():
    """The trial's `if verbose:` in a method of dotenv's DotEnv: `verbose` is a parameter of a
    module function far away (its own line) and of __init__, never bound in the method."""
    from infill.scope import module_binds

    far = "def load(\n    path,\n    verbose: bool = False,\n) -> None:\n    global CACHE\n    seen = 1\n"
    filler = "".join(f"CONST_{i} = {i}  # a module constant that makes the file large\n" for i in range(200))
    before = ("import os\n" + filler + "\n\nclass Env:\n    def __init__(self, verbose):\n"
              "        self.verbose = verbose\n\n    def stream(self):\n        if ")
    after = ":\n            return os.getcwd()\n\n\n" + far
    assert {"load", "CACHE", "os", "CONST_7"} <= module_binds(before + after)
    assert not {"path", "verbose", "seen"} & module_binds(far)
    verdict = {c.name: c for c in run_checks(before, "verbose", after, "python")}["names"]
    assert verdict.verdict == REJECT and "`verbose`" in verdict.reason
    for ok in ("self.verbose", "CACHE", "load", "CONST_7"):
        assert passed(run_checks(before, ok, after, "python")), ok
    # A star import beyond the window may bind anything: no verdict.
    starred = {c.name: c for c in run_checks("from helpers import *\n" + before, "verbose", after, "python")}
    assert (starred["names"].verdict, starred["names"].reason) == ("unknown", "a star import may bind it")


def test_a_name_set_to_none_that_the_next_line_uses_is_rejected():
    """The trial's `app_ctx = None` drafted above `app_ctx.push()` (from the else branch)."""
    before = ("def push(self):\n    app_ctx = _cv_app.get(None)\n    if app_ctx is None:\n"
              "        app_ctx = ")
    after = "\n        app_ctx.push()\n    else:\n        app_ctx = None\n    return app_ctx\n"

    def verdict(text):
        return {c.name: c for c in run_checks(before, text, after, "python")}["none_then_used"]
    got = verdict("None")
    assert got.verdict == REJECT and "`app_ctx`" in got.reason
    assert verdict("self.app.app_context()").verdict == "ok"
    # The next line may test it, or set it: nothing is read from None.
    for later in ("\n        if app_ctx is not None:\n            app_ctx.push()\n",
                  "\n        app_ctx = make()\n        app_ctx.push()\n",
                  "\n        use(app_ctx.x if app_ctx else 0)\n"):
        assert {c.name: c.verdict for c in run_checks(before, "None", later, "python")}["none_then_used"] == "ok"


def _big_class(extra_method: str = "") -> str:
    methods = "".join(f"    def method_{i}(self, value):\n        total = value + {i}\n"
                      f"        return self.scale * total\n\n" for i in range(150))
    return ("import os\n\n\nclass Parser:\n    \"\"\"Parse things.\n\n    - usage -- how\n    \"\"\"\n\n"
            "    scale = 2\n\n" + extra_method + methods)


def test_a_gap_in_a_class_body_is_checked_without_the_methods_bodies(monkeypatch):
    """A class docstring or attribute of a 1,000-line class: the checks read the class with
    its methods hollowed (each body one ``...``), with the same verdicts as on the whole."""
    from infill import scope as checks
    doc = _big_class()
    gap = doc.index("    scale = 2\n") + len("    scale = 2\n")           # the blank line after it
    before, after = doc[:gap], doc[gap:]
    wb, wa = checks.parsed_scope(before, after, "python")
    assert "def method_149(self, value):\n        ...\n" in wa and "total = value" not in wa
    assert "total = value" in checks.scope(before, after, "python")[1]      # cut_off and echo read it whole
    cases = (("    limit = os.sep", "ok"), ("    limit = missing_name", "reject"), ("    limit = scale", "ok"))
    found = [{c.name: c.verdict for c in run_checks(before, text, after, "python")} for text, _ in cases]
    assert [f["names"] for f in found] == [v for _, v in cases] and all(f["compiles"] == "ok" for f in found)
    monkeypatch.setattr(checks, "hollow_methods", lambda before, after: None)
    checks.parsed_scope.cache_clear()
    try:
        assert found == [{c.name: c.verdict for c in run_checks(before, text, after, "python")} for text, _ in cases]
        assert "total = value" in checks.parsed_scope(before, after, "python")[1]
    finally:
        checks.parsed_scope.cache_clear()


def test_the_method_just_above_the_gap_and_one_with_a_global_stay_whole():
    from infill.scope import hollow_methods
    doc = _big_class()
    end = doc.index("    def method_1(")
    before, after = doc[:end - 1], doc[end - 1:]          # a blank line after method_0's body
    hb, ha = hollow_methods(before, after)
    assert "return self.scale * total" in hb.split("def method_0")[1] and "def method_1(self, value):\n        ...\n" in ha
    found = {c.name: c.verdict for c in run_checks(before, "        return total", after, "python")}
    assert found["names"] == "ok" and found["compiles"] == "ok"       # `total` of method_0's body
    binds = "    def reset(self):\n        global counter\n        counter = 0\n\n"
    doc = _big_class(binds)
    gap = doc.index("    scale = 2") + 4
    assert hollow_methods(doc[:gap], doc[gap:]) is None


def test_hollowing_keeps_tabs_and_gives_up_on_lone_carriage_returns_and_dynamic_names():
    from infill.scope import _parse, hollow_methods
    doc = _big_class().replace("    ", "\t")
    gap = doc.index("\tscale = 2\n") + len("\tscale = 2\n")
    hb, ha = hollow_methods(doc[:gap], doc[gap:])
    assert "def method_3(self, value):\n\t\t...\n" in ha and _parse(hb + ha) is not None
    doc = _big_class()
    gap = doc.index("    scale = 2\n") + len("    scale = 2\n")
    assert hollow_methods(doc[:gap].replace("\n", "\r", 3), doc[gap:]) is None
    dynamic = _big_class("    def register(self):\n        globals()['late'] = 1\n\n")
    gap = dynamic.index("    scale = 2\n") + len("    scale = 2\n")
    assert hollow_methods(dynamic[:gap], dynamic[gap:]) is None
    found = {c.name: c.verdict for c in run_checks(dynamic[:gap], "    limit = late", dynamic[gap:], "python")}
    assert found["names"] == UNKNOWN


def test_cut_off_reads_the_methods_bodies_that_the_parsing_checks_skip():
    doc = _big_class()
    gap = doc.index("    scale = 2\n") + len("    scale = 2\n")
    found = {c.name: c.verdict for c in run_checks(doc[:gap], "    limit = tot", doc[gap:], "python")}
    assert found["cut_off"] == REJECT            # `tot` is the start of `total`, bound only in the bodies
