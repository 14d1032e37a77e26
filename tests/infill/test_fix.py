"""``infill fix``: the verification loop end to end with a scripted proposer, the bad inputs
of the issue, and the pieces (JUnit node ids, suspects, gaps) on their own."""

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from infill.fix import proposer, search as fixing
from infill.cli import main
from infill.fix.gaps import FixGap, Suspect, gaps_for, is_test_file, suspects
from infill.patch import tree_digest
from infill.fix.testrun import Frame, Outcome
from infill.sources.junit import node_id as _nodeid

CALC = textwrap.dedent('''\
    def add(a, b):
        return a - b


    def double(x):
        return 2 * x
''')
TESTS = textwrap.dedent('''\
    from calc import add, double


    def test_add():
        assert add(1, 2) == 3


    def test_add_zero():
        assert add(0, 0) == 0


    def test_double():
        assert double(2) == 4
''')
WRONG = "return 3"                              # fixes test_add, breaks test_add_zero
HANGS = "while True: pass"
EATS_MEMORY = "return len(bytearray(2 ** 40))"
RIGHT = "return a + b"
FAST = ["--no-plugin-autoload", "--test-timeout", "3", "--test-memory-mb", "1024"]


pytestmark = pytest.mark.usefixtures("fresh_backends")


@pytest.fixture
def repo(tmp_path) -> Path:
    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "calc.py").write_text(CALC)
    (root / "tests" / "test_calc.py").write_text(TESTS)
    (root / "README.md").write_text("calc\n")
    return root


def scripted(monkeypatch, candidates: list[str]) -> list[FixGap]:
    """Replace the model with a proposer that returns ``candidates`` for every gap."""
    seen: list[FixGap] = []

    def propose(gap: FixGap) -> list[str]:
        seen.append(gap)
        return list(candidates)

    monkeypatch.setattr(fixing, "ModelProposer", lambda *a, **k: propose)
    return seen


def run_fix(repo, capsys, *extra):
    code = main(["fix", "--repo", str(repo), *FAST, *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_right_candidate_wins_and_the_tree_is_untouched(repo, monkeypatch, capsys):
    gaps = scripted(monkeypatch, [WRONG, HANGS, EATS_MEMORY, RIGHT])
    before = tree_digest(repo)
    code, out, err = run_fix(repo, capsys, "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["status"] == "fixed" and report["files"] == ["calc.py"]
    assert report["tests_fixed"] == ["tests/test_calc.py::test_add"]
    assert report["candidates_tried"] == 4 and report["candidates_killed"] == 2
    assert report["localized"] is True       # the tests were traced and the lines ranked
    assert report["diff"].startswith("--- a/calc.py\n+++ b/calc.py\n")
    assert "-    return a - b\n+    return a + b\n" in report["diff"]
    assert set(report) >= {"diff", "files", "tests_fixed", "candidates_tried", "candidates_killed", "time_s"}
    assert tree_digest(repo) == before
    first = gaps[0]   # the failing test and its message reach the prompt
    assert (first.kind, first.path, first.first_line, first.original) == ("line", "calc.py", 2, "return a - b")
    assert "tests/test_calc.py::test_add" in first.context and "assert -1 == 3" in first.context


def test_the_model_proposer_runs_end_to_end_with_the_tiny_model(repo, tiny_model_dir, capsys):
    before = tree_digest(repo)
    code, out, err = run_fix(repo, capsys, "--format", "json", "--model", str(tiny_model_dir),
                             "--candidates", "2", "--max-gaps", "1", "--canvas", "8", "--max-blocks", "1")
    report = json.loads(out)
    assert code == (0 if report["status"] == "fixed" else 1), err
    assert report["failing"] == ["tests/test_calc.py::test_add"] and report["gaps_tried"] >= 1
    assert report["candidates_tried"] + report["candidates_skipped"] >= 1
    assert tree_digest(repo) == before


@pytest.mark.parametrize("family", ["llada", "dream"])
def test_the_model_proposer_runs_on_a_diffusion_family_checkpoint(repo, family, tmp_path, capsys):
    """``fix`` on a checkpoint in a published family layout (unshifted LLaDA, shifted Dream):
    its rewrites and fresh completions are proposed and tried, the tree stays untouched."""
    from diffusion_checkpoints import WRITERS
    WRITERS[family](tmp_path)
    before = tree_digest(repo)
    code, out, err = run_fix(repo, capsys, "--format", "json", "--model", str(tmp_path),
                             "--candidates", "2", "--max-gaps", "1", "--canvas", "8", "--max-blocks", "1",
                             "--steps", "2", "--header-bodies", "0")
    report = json.loads(out)
    assert code == (0 if report["status"] == "fixed" else 1), err
    assert report["failing"] == ["tests/test_calc.py::test_add"] and report["gaps_tried"] >= 1
    assert report["candidates_tried"] + report["candidates_skipped"] >= 1
    assert tree_digest(repo) == before


def test_apply_writes_only_the_target_file(repo, monkeypatch, capsys):
    scripted(monkeypatch, [RIGHT])
    os.chmod(repo / "calc.py", 0o640)
    others = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and p.name != "calc.py"}
    code, out, err = run_fix(repo, capsys, "--apply")
    assert code == 0, err
    assert out.startswith("--- a/calc.py") and "fixed" in err
    assert (repo / "calc.py").read_text() == CALC.replace("a - b", "a + b")
    assert (repo / "calc.py").stat().st_mode & 0o777 == 0o640
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and p.name != "calc.py"} == others


def test_github_format_gives_a_suggestion(repo, monkeypatch, capsys):
    scripted(monkeypatch, [RIGHT])
    code, out, _ = run_fix(repo, capsys, "--format", "github")
    assert code == 0
    assert out == "**calc.py** line 2\n```suggestion\n    return a + b\n```\n"


def test_no_verified_fix_exits_1_with_an_empty_diff(repo, monkeypatch, capsys):
    scripted(monkeypatch, [WRONG, "return a * b"])
    before = tree_digest(repo)
    code, out, err = run_fix(repo, capsys, "--format", "json", "--max-gaps", "1", "--no-localize")
    assert code == 1, err
    report = json.loads(out)
    assert report["status"] == "not-fixed" and report["diff"] == "" and report["candidates_tried"] == 2
    assert report["localized"] is False      # --no-localize: no traced run
    assert tree_digest(repo) == before


def _git(repo, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True,
                   capture_output=True)


def test_dirty_tree_refuses_apply_without_force(repo, monkeypatch, capsys):
    scripted(monkeypatch, [RIGHT])
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "init")
    (repo / "README.md").write_text("changed\n")
    code, out, err = run_fix(repo, capsys, "--apply")
    assert code == 2 and out == ""
    assert "uncommitted changes" in err and "--force" in err and err.count("\n") == 1
    assert (repo / "calc.py").read_text() == CALC
    code, _, err = run_fix(repo, capsys, "--apply", "--force")
    assert code == 0, err
    assert "a + b" in (repo / "calc.py").read_text()


@pytest.mark.parametrize("layout, message", [
    ({"calc.py": CALC}, "no tests found"),
    ({"calc.py": CALC, "test_broken.py": "import not_a_module\n\ndef test_x():\n    pass\n"},
     "tests fail to import"),
    ({"calc.py": "def f(:\n", "test_calc.py": "from calc import f\n\ndef test_f():\n    f()\n"},
     "SyntaxError"),
    ({"index.js": "console.log(1)\n", "README.md": "hi\n"}, "not a Python repository"),
])
def test_repositories_that_cannot_be_fixed_exit_2(tmp_path, monkeypatch, capsys, layout, message):
    scripted(monkeypatch, [RIGHT])
    for name, text in layout.items():
        (tmp_path / name).write_text(text)
    code, out, err = run_fix(tmp_path, capsys)
    assert code == 2 and out == ""
    assert err.startswith("infill: error: ") and message in err and err.count("\n") == 1, err


def test_too_many_candidates_is_a_usage_error(repo, capsys):
    code, _, err = run_fix(repo, capsys, "--candidates", "17")
    assert code == 2 and "between 1 and 16" in err
    code, _, err = run_fix(repo, capsys, "--deepen-to", "17")
    assert code == 2 and "--deepen-to must be between 0 and 16" in err


@pytest.mark.parametrize("deepen_to, status, tried", [("0", "not-fixed", 1), ("2", "not-fixed", 2),
                                                      ("3", "fixed", 3)])
def test_a_second_pass_tries_more_candidates_only_when_the_first_found_nothing(
        repo, monkeypatch, capsys, deepen_to, status, tried):
    gaps = scripted(monkeypatch, [WRONG, "return a * b", RIGHT])
    code, out, err = run_fix(repo, capsys, "--format", "json", "--candidates", "1", "--deepen-to", deepen_to,
                             "--max-gaps", "1")
    report = json.loads(out)
    assert (report["status"], report["candidates_tried"]) == (status, tried), err
    assert len(gaps) == report["gaps_tried"] == 1     # the second pass reuses the gap's proposals


def test_a_missing_line_is_inserted_before_the_loop_at_its_indentation(tmp_path, monkeypatch, capsys):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "total.py").write_text("def total(xs):\n    for x in xs:\n        s += x\n    return s\n")
    (root / "test_total.py").write_text("from total import total\n\n\ndef test_total():\n"
                                       "    assert total([1, 2, 3]) == 6\n")
    gaps = scripted(monkeypatch, ["s = 0"])
    code, out, err = run_fix(root, capsys, "--format", "json", "--no-missing-lines")
    assert code == 1 and "insert" not in {g.kind for g in gaps}     # off by default
    gaps.clear()
    code, out, err = run_fix(root, capsys, "--format", "json", "--missing-lines")
    report = json.loads(out)
    assert code == 0 and report["status"] == "fixed", err
    assert "\n def total(xs):\n+    s = 0\n     for x in xs:\n" in report["diff"]
    # Tried in order: the failing line, its loop's header, the block and body, the called
    # function's lines, and last, as a missing line, a line inserted before the failing one
    # and before its loop.
    assert [(g.kind, g.first_line) for g in gaps][:2] == [("line", 3), ("line", 2)]
    assert [(g.kind, g.first_line) for g in gaps if g.kind == "insert"] == [("insert", 3), ("insert", 2)]
    assert [g.kind for g in gaps][-2:] == ["insert", "insert"] and "block" in [g.kind for g in gaps]
    assert gaps[-2].apply("s = 0\n") == "def total(xs):\n    for x in xs:\n        s = 0\n        s += x\n    return s\n"
    assert gaps[-2].apply("  ") == gaps[-2].text     # nothing to insert


def test_a_missing_line_is_copied_from_the_nearest_simple_statements():
    text = textwrap.dedent('''\
        def evaluate(tokens):
            stack = Stack()
            for tok in tokens:
                if tok in "+-":
                    left = stack.pop()
                    stack.push(left - right)
                else:
                    stack.push(int(tok))
            return stack.pop()
    ''')
    assert proposer.nearby_statements(text, 5) == [
        "left = stack.pop()", "stack.push(left - right)", "stack.push(int(tok))", "stack = Stack()"]
    assert proposer.nearby_statements(text, 5, reach=1) == ["left = stack.pop()", "stack.push(left - right)"]


def test_called_functions_lines_are_tried_most_suspicious_first():
    text = "def f(x):\n    a = 1\n    b = 2\n    return a + b\n"
    def gap(kind, line):
        start = text.index(text.split("\n")[line - 1].strip())
        return FixGap("m.py", kind, text, start, text.index("\n", start), line, line)
    frame, body = gap("line", 4), gap("body", 2)
    called = [gap("line", 4), gap("line", 3), gap("line", 2), body]
    gaps = [(frame, True)] + [(g, False) for g in called]

    class Ranked:
        def __call__(self, g):
            return []

        def suspicion(self, g):
            assert g.kind == "line"
            return {"a = 1": 2.0, "b = 2": 5.0, "return a + b": -1.0}[g.original]

    assert [(g.kind, g.original) for g in fixing._ordered(iter(gaps), Ranked())] == [
        ("line", "return a + b"),                                       # the traceback's line
        ("line", "b = 2"), ("line", "a = 1"), ("line", "return a + b"),  # by suspicion
        ("body", "a = 1")]
    assert list(fixing._ordered(iter(gaps), lambda g: [])) == [frame, *called]


def test_traced_lines_rank_called_functions_lines_before_the_models_suspicion():
    text = "def f(x):\n    a = 1\n    b = 2\n    return a + b\n"
    def gap(kind, line):
        start = text.index(text.split("\n")[line - 1].strip())
        return FixGap("m.py", kind, text, start, text.index("\n", start), line, line)
    called = [gap("line", 4), gap("line", 3), gap("line", 2), gap("body", 2)]
    scores = {("m.py", 2): 0.5, ("m.py", 3): 1.0, ("m.py", 4): 0.5}   # line 3: run by the failing tests only

    class Ranked:
        def __call__(self, g):
            return []

        def suspicion(self, g):
            return {"a = 1": 2.0, "b = 2": -5.0, "return a + b": -1.0}[g.original]

    order = [(g.kind, g.original) for g in fixing._ordered(((g, False) for g in called), Ranked(), scores)]
    assert order == [("line", "b = 2"), ("line", "a = 1"), ("line", "return a + b"), ("body", "a = 1")]
    del scores[("m.py", 2)]             # a line no failing test ran goes after the blocks and bodies
    order = [(g.kind, g.original) for g in fixing._ordered(((g, False) for g in called), lambda g: [], scores)]
    assert order == [("line", "b = 2"), ("line", "return a + b"), ("body", "a = 1"), ("line", "a = 1")]


def test_interleave_spreads_each_ranked_list_over_the_result():
    assert proposer.interleave([["e1", "e2", "e3", "e4", "e5", "e6"], ["r1"], ["c1"]]) == \
        ["e1", "e2", "e3", "r1", "c1", "e4", "e5", "e6"]
    assert proposer.interleave([[], ["r1", "r2"], ["c1"]]) == ["r1", "c1", "r2"]
    assert proposer.interleave([[], []]) == []


def test_template_edits_keep_places_of_their_own_among_the_models_edits():
    from types import SimpleNamespace as E
    ranked = [E(text=f"s{i}", kind="substitute") for i in range(20)]
    ranked[14] = E(text="op-a", kind="operator")
    ranked[17] = E(text="op-b", kind="operator")
    ranked[19] = E(text="obo-a", kind="off-by-one")
    ranked[3] = E(text="obo-top", kind="off-by-one")
    # K = 16: the best 10, two more of each template not already in, and no more than 14 in all.
    assert proposer.template_quota(ranked, 16) == [e.text for e in ranked[:10]] + ["op-a", "op-b", "obo-a"]
    # K = 8: the best 5, one of each template, then the next best up to 6.
    assert proposer.template_quota(ranked, 8) == ["s0", "s1", "s2", "obo-top", "s4", "op-a", "obo-a"]
    plain = [E(text=f"s{i}", kind="substitute") for i in range(20)]
    assert proposer.template_quota(plain, 16) == [f"s{i}" for i in range(12)]     # no templates: as before
    assert proposer.template_quota([], 8) == []


# ---------------------------------------------------------------- the pieces


@pytest.mark.parametrize("file, classname, name, nodeid", [
    ("tests/test_a.py", "tests.test_a", "test_x", "tests/test_a.py::test_x"),
    ("tests/test_a.py", "tests.test_a.TestA", "test_x[1-2]", "tests/test_a.py::TestA::test_x[1-2]"),
    ("test_b.py", "", "test_b", "test_b.py"),   # a collection error names the module
])
def test_node_ids_from_junit_fields(file, classname, name, nodeid):
    assert _nodeid(file, classname, name) == nodeid


def test_test_files_are_recognised():
    assert is_test_file("tests/helpers.py") and is_test_file("test_x.py") and is_test_file("pkg/x_test.py")
    assert is_test_file("conftest.py") and not is_test_file("pkg/testing.py")


NESTED = textwrap.dedent('''\
    def clamp(xs, lo):
        """Doc."""
        out = []
        for x in xs:
            if x < lo:
                x = lo
            out.append(x)
        return out
''')


def test_gaps_for_a_failing_line_go_from_line_to_block_to_body():
    gaps = gaps_for("m.py", NESTED, Suspect("m.py", 6), inserts=True)
    assert [(g.kind, g.first_line, g.last_line) for g in gaps] == [
        ("line", 6, 6), ("line", 5, 5), ("block", 5, 6), ("body", 3, 8), ("insert", 6, 6), ("insert", 5, 5)]
    assert gaps[0].original == "x = lo" and gaps[1].original == "if x < lo:"   # the condition that let it run
    assert gaps[3].original.startswith("out = []") and gaps[3].original.endswith("return out")
    assert gaps[0].apply("x = lo + 1") == NESTED.replace("x = lo\n", "x = lo + 1\n")


def test_a_failing_line_inside_an_if_also_tries_the_condition():
    text = "def check(k, k2):\n    if k == k2:\n        raise ValueError('no')\n    return k\n"
    gaps = gaps_for("m.py", text, Suspect("m.py", 3), inserts=True)
    assert [(g.kind, g.original) for g in gaps][:2] == [("line", "raise ValueError('no')"), ("line", "if k == k2:")]
    loop = "def f(xs):\n    for x in xs:\n        pass\n    else:\n        raise ValueError\n"
    assert [g.original for g in gaps_for("m.py", loop, Suspect("m.py", 5), inserts=True) if g.kind == "line"] == ["raise ValueError"]


def test_gaps_for_a_called_function_try_each_line_last_first():
    gaps = gaps_for("m.py", NESTED, Suspect("m.py", None, function_line=1), max_gaps=20, inserts=True)
    lines = [g.first_line for g in gaps if g.kind == "line"]
    assert lines == [8, 7, 6, 5, 4, 3]
    kinds = [g.kind for g in gaps]
    assert kinds[kinds.index("body") + 1:] == ["insert"] * 6       # then a missing line before each
    assert [g.first_line for g in gaps if g.kind == "insert"] == [8, 7, 6, 5, 4, 3] and "block" in kinds


def test_suspects_skip_test_frames_and_fall_back_to_called_functions(repo):
    from infill.fix.gaps import Definition, function_index
    index = function_index(repo)
    assert index == {"add": [Definition("calc.py", 1, ())], "double": [Definition("calc.py", 5, ())]}
    only_test = Outcome("tests/test_calc.py::test_add", "failed", "assert -1 == 3",
                        [Frame("tests/test_calc.py", 5)])
    assert suspects(repo, only_test, index) == [Suspect("calc.py", None, 1)]   # add(...) is on the line
    deep = Outcome("tests/test_calc.py::test_add", "failed", "boom",
                   [Frame("tests/test_calc.py", 5), Frame("calc.py", 2), Frame("/usr/lib/x.py", 3)])
    assert suspects(repo, deep, index)[0] == Suspect("calc.py", 2)


def test_suspects_follow_calls_breadth_first(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "lib.py").write_text("def outer(x):\n    return inner(x) + 1\n\n\n"
                                     "def inner(x):\n    return helper(x)\n\n\ndef helper(x):\n    return x\n")
    (tmp_path / "tests" / "test_lib.py").write_text("from lib import outer\n\n\n"
                                                    "def test_outer():\n    assert outer(1) == 3\n")
    from infill.fix.gaps import function_index
    outcome = Outcome("tests/test_lib.py::test_outer", "failed", "", [Frame("tests/test_lib.py", 5)])
    found = suspects(tmp_path, outcome, function_index(tmp_path))
    assert [s.function_line for s in found] == [1, 5, 9]
    assert suspects(tmp_path, outcome, function_index(tmp_path), limit=2)[-1].function_line == 5


def test_the_time_budget_starts_no_step_that_would_overrun_it():
    import time
    budget = fixing._Budget(time.monotonic() + 1.0)
    assert budget.allows("check") and budget.run("check", time.sleep, 0.6) is None
    assert not budget.allows("check")      # another 0.6 s run would end after the deadline
    assert budget.allows("propose line")   # a family never timed is allowed until the deadline
    budget.run("propose line", time.sleep, 0.5)
    assert not budget.allows("propose body")   # a new kind is expected to take as long as its family


def test_a_hanging_candidate_is_stopped_at_the_search_deadline(repo, monkeypatch, capsys):
    scripted(monkeypatch, [HANGS, RIGHT])
    code, out, err = run_fix(repo, capsys, "--format", "json", "--max-time", "6", "--test-timeout", "60")
    report = json.loads(out)
    assert report["candidates_killed"] == 1 and report["status"] == "not-fixed"
    assert report["time_s"] < 12          # the 60 s test limit gave way to the search's 6 s


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("flags, shown", [([], True), (["--quiet"], False), (["--format", "json"], False)])
def test_progress_goes_to_a_terminal_unless_quiet_or_json(repo, monkeypatch, capsys, flags, shown):
    scripted(monkeypatch, [WRONG, RIGHT])
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    code = main(["fix", "--repo", str(repo), *FAST, *flags])
    assert code == 0
    err = terminal.getvalue()
    steps = [part for part in err.split("\r") if part.strip().startswith("infill fix: ") and "left" in part]
    assert bool(steps) == shown
    if shown:
        assert any("1 gaps tried, 2 candidates tested" in s and "s left" in s for s in steps)
        assert err.split("\r")[-1].startswith("infill fix: fixed: 1/1")   # the line is cleared for the summary


def test_no_progress_when_stderr_is_not_a_terminal(repo, monkeypatch, capsys):
    scripted(monkeypatch, [RIGHT])
    code, _, err = run_fix(repo, capsys)
    assert code == 0 and "\r" not in err and "candidates tested" not in err


def test_a_rewrite_that_changes_a_literal_is_a_fix_candidate():
    """The checks that keep a user's selection (a changed literal is no rewrite) do not apply to
    the fix search: its fix is often a changed literal, and the tests judge every candidate.
    Refused there, `== 1` -> `== 0` (seeded bug stack-01's fix) was never tried."""
    from helpers import Scripted
    from infill.config import InfillOptions

    text = "def is_empty(items):\n    return len(items) == 1\n"
    start = text.index("return")
    gap = FixGap("stack.py", "line", text, start, text.index("\n", start), 2, 2)
    backend = Scripted(first="len(items)", fix="return len(items) == 0")
    proposals = proposer.ModelProposer(InfillOptions(), 4, backend=backend)(gap)
    assert "return len(items) == 0" in proposals


def test_the_fresh_completions_keep_to_their_share_so_every_edit_is_within_k(monkeypatch):
    """``complete`` returns its drafts beside the K it samples; taken all, they pushed the last
    edits (the off-by-one template's ``insert(0 + 1, item)``, seeded bug stack-02's round-7 fix)
    past the 16 places a gap is given, and they were never tried."""
    from types import SimpleNamespace as NS
    from engine.api import Capabilities
    from infill.config import InfillOptions

    class Scoring:
        name = "scoring"
        capabilities = Capabilities(rewrite=True, token_scoring=True)

        def token_edits(self, prefix, suffix, text, **kw):
            return [NS(text=f"x = {i}", kind="substitute") for i in range(14)]

    monkeypatch.setattr(proposer, "rewrite", lambda *a, **k: NS(candidates=["x = y"]))
    monkeypatch.setattr(proposer, "complete",
                        lambda *a, **k: NS(candidates=["x = z", "x = d1", "x = d2", "x = d3", "x = d4"]))
    text = "def f(y):\n    x = 1\n    return x\n"
    start = text.index("x = 1")
    gap = FixGap("f.py", "line", text, start, start + len("x = 1"), 2, 2)
    proposals = proposer.ModelProposer(InfillOptions(), 16, backend=Scoring())(gap)
    edits = [f"x = {i}" for i in range(12)]          # K * 3/4 of them: the edits' share
    assert set(edits) <= set(proposals[:16])
    assert len(proposals) <= 16 and "x = y" in proposals and "x = z" in proposals


def test_the_fresh_completions_are_the_models_samples_without_drafts(monkeypatch):
    """The drafts of ``complete`` (copied lines, known names) each cost the model's likelihood:
    7 of the 9 s of a gap's completion on seeded bug intervals-06, time the 60 s search needs
    for its edits."""
    from types import SimpleNamespace as NS
    from helpers import Scripted
    from infill.config import InfillOptions

    seen = []
    monkeypatch.setattr(proposer, "complete", lambda doc, offset, language, options, *a, **k:
                        seen.append(options) or NS(candidates=["x = 2"]))
    text = "def f():\n    x = 1\n    return x\n"
    start = text.index("x = 1")
    gap = FixGap("f.py", "line", text, start, start + 5, 2, 2)
    proposer.ModelProposer(InfillOptions(), 4, backend=Scripted("x = 2", "x = 3"))(gap)
    assert seen and not seen[0].retrieval and not seen[0].known_names
