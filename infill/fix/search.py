"""Test-driven fixes: failing tests in, a verified patch out.

``fix(root, pytest_args, settings, propose)``:

1. copies the repository once (``patch.copy_tree``: no .git, .venv, caches) and runs its
   tests there (``testrun.run_pytest``, in the sandbox): the baseline. A repository that
   cannot be tested (no tests, import errors, pytest missing) raises ``RepositoryError``;
2. for each failing test, finds suspect code (``gaps.suspects``) and its gaps
   (``gaps.gaps_for``), asks ``propose(gap)`` for candidates (the model by default:
   ``ModelProposer``), drops duplicates and those that add syntax errors. Gaps at lines a
   traceback names come first; the line gaps of the functions the test calls are then
   ranked by the lines the failing tests ran and the passing ones did not (``localize``:
   one traced test run, Ochiai scores), then by ``propose.suspicion`` (how much the model
   would like to change each line) when the proposer has it; insert gaps (a missing line)
   come after all of them, then the called functions' blocks and bodies. The first ``candidates`` (K) of each gap are tried, gap after
   gap; when every gap has had its K and time is left, each gap's next candidates up to
   ``deepen_to`` are tried, in the same order (a wider search only where the first one came
   up empty-handed);
3. verifies each candidate in a fresh copy of the snapshot (with TMPDIR beside it, removed
   with it): the failing test and the other tests of its module run in the sandbox
   (``infill.sandbox``: scrubbed environment, wall-time, CPU and memory limits); a candidate wins when the failing test passes,
   no test that passed before fails, and no limit was hit. A candidate stopped by a limit
   (a hang, a memory hog) is counted in ``candidates_killed`` and the search goes on;
4. keeps the winner and goes on with the failing tests still failing.

The repository itself is only read; ``apply`` writes a report's files atomically, after
``check_clean`` has refused a dirty git working tree.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from infill.config import InfillOptions
from infill.errors import RepositoryError
from infill.patch import IGNORED_DIRS, copy_tree, diff_files, github_suggestions, write_atomic
from infill.sources.failing import FailingTest, find_test_function
from infill.syntax import adds_syntax_errors

from .gaps import LANGUAGE, FixGap, function_index, gaps_for, suspects
from .localize import gap_score, ochiai, trace_tests
from .proposer import MAX_CANDIDATES, ModelProposer, Proposer
from .testrun import TestRun, run_pytest


@dataclass
class FixSettings:
    candidates: int = 8             # K candidates per gap (at most MAX_CANDIDATES)
    deepen_to: int = MAX_CANDIDATES  # then, time permitting, up to this many per gap (<= K: no second pass)
    timeout_s: float = 20.0         # wall time per test run; raised to 2x the baseline run + 2 s
    memory_mb: int = 2048           # address-space limit per test run
    max_gaps: int = 8               # gaps per suspect
    max_suspects: int = 8           # suspect places per failing test
    max_failures: int = 5           # failing tests worked on, in report order
    max_time_s: float = 300.0       # stop looking by then (the baseline included): no step starts that would overrun
    python: str = sys.executable    # the interpreter that runs pytest
    plugin_autoload: bool = True    # False: PYTEST_DISABLE_PLUGIN_AUTOLOAD=1, seconds faster per run
    localize: bool = True           # rank called functions' lines by a traced test run (infill.fix.localize)
    missing_lines: bool = False     # also try inserting a missing line (insert gaps: no gain measured yet)


@dataclass
class FixReport:
    status: str                     # fixed | partial | not-fixed | nothing-to-fix
    diff: str = ""                  # unified diff of the winning patch ("" when none)
    files: list[str] = field(default_factory=list)          # files the patch changes
    tests_fixed: list[str] = field(default_factory=list)    # failing before, passing with the patch
    failing: list[str] = field(default_factory=list)        # failing in the baseline run
    candidates_tried: int = 0       # candidates run in the sandbox
    candidates_killed: int = 0      # ... of them stopped by a limit (time, CPU, memory)
    candidates_skipped: int = 0     # duplicates, unchanged text, or new syntax errors
    gaps_tried: int = 0
    localized: bool = False         # the tests were traced and the lines ranked by them
    time_s: float = 0.0
    originals: dict[str, str] = field(default_factory=dict, repr=False)   # path -> text before
    patched: dict[str, str] = field(default_factory=dict, repr=False)     # path -> text after

    @property
    def exit_code(self) -> int:
        return 0 if self.status in ("fixed", "nothing-to-fix") else 1

    def github(self) -> str:
        return github_suggestions({p: (self.originals[p], self.patched[p]) for p in self.patched})

    def to_dict(self) -> dict:
        keys = ("diff", "files", "tests_fixed", "failing", "candidates_tried", "candidates_killed",
                "candidates_skipped", "gaps_tried", "localized", "status")
        return {**{k: getattr(self, k) for k in keys}, "time_s": round(self.time_s, 2)}


# ---------------------------------------------------------------- verification


@dataclass
class Verdict:
    ok: bool
    killed: bool
    fixed: list[str]                # baseline failures that pass now
    broken: list[str]               # baseline passes that fail now


class Verifier:
    """Runs tests in fresh copies of one snapshot of the repository."""

    def __init__(self, snapshot: Path, args: list[str], settings: FixSettings):
        self.snapshot, self.args, self.settings = snapshot, args, settings
        self.timeout_s = settings.timeout_s
        self.baseline: TestRun | None = None

    def run(self, files: dict[str, str], args: list[str], timeout_s: float | None = None,
            env: dict[str, str] | None = None, plugin_dirs: tuple[str, ...] = ()) -> TestRun:
        with tempfile.TemporaryDirectory(prefix="infill-fix-") as tmp:
            work = copy_tree(self.snapshot, Path(tmp, "repo"))
            for rel, text in files.items():
                (work / rel).write_text(text, encoding="utf-8")
            scratch = Path(tmp, "tmp")   # TMPDIR: the tests' temporary files go away with the copy
            scratch.mkdir()
            limit = self.timeout_s if timeout_s is None else min(self.timeout_s, timeout_s)
            return run_pytest(work, args, python=self.settings.python, timeout_s=limit,
                              memory_mb=self.settings.memory_mb, plugin_autoload=self.settings.plugin_autoload,
                              extra_env={"TMPDIR": str(scratch), **(env or {})}, plugin_dirs=plugin_dirs)

    def run_baseline(self) -> TestRun:
        self.baseline = self.run({}, self.args)
        self.timeout_s = max(self.settings.timeout_s, 2 * self.baseline.sandbox.duration_s + 2)
        return self.baseline

    def check(self, files: dict[str, str], target: str, timeout_s: float | None = None) -> Verdict:
        """The failing test ``target`` and the other tests of its module, with ``files`` written;
        ``timeout_s`` lowers the run's wall-time limit (the search's time left)."""
        base = self.baseline
        module = target.split("::")[0]
        run = self.run(files, [module], timeout_s)
        passing = {n for n, o in run.outcomes.items() if o.status == "passed"}
        fixed = [n for n in base.failed if n in passing]
        broken = [n for n in sorted(base.passed) if n.split("::")[0] == module and n not in passing
                  and not (n in run.outcomes and run.outcomes[n].status == "skipped")]
        killed = run.killed
        return Verdict(target in passing and not broken and not killed, killed, fixed, broken)


# ---------------------------------------------------------------- the search


def check_python_repo(root: Path) -> None:
    if not root.is_dir():
        raise RepositoryError(f"{root}: not a directory")
    for path in root.rglob("*.py"):
        if not set(path.relative_to(root).parts) & set(IGNORED_DIRS):
            return
    raise RepositoryError(f"{root} is not a Python repository (no .py files)")


def check_clean(root: Path, pathspec: str = ".") -> None:
    """Refuse a git working tree with uncommitted changes under ``root`` (``pathspec`` ":/": in
    the whole tree ``root`` lies in); no git: nothing to check."""
    try:
        res = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", pathspec],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return
    if res.returncode == 0 and res.stdout.strip():
        first = res.stdout.strip().splitlines()[0]
        raise RepositoryError(f"the git working tree has uncommitted changes ({first.strip()} ...): "
                              "commit or stash them first, or pass --force")


def _context(root: Path, nodeid: str, message: str) -> str:
    test = find_test_function(root, nodeid)
    source = test.source if test is not None else ""
    return FailingTest(nodeid, source, message).comment() + "\n"


Progress = Callable[[str], None]


def fix(root: str | Path, pytest_args: list[str] = (), settings: FixSettings | None = None,
        propose: Proposer | None = None, options: InfillOptions | None = None,
        progress: Progress | None = None) -> FixReport:
    """Look for a patch that makes the failing tests of ``root`` pass; see the module docstring.
    ``progress`` gets a one-line status (the step, gaps tried, candidates tested, time left)
    as the search goes: after the baseline run, after the traced run, after each gap's
    proposals and after each candidate's test run."""
    t0 = time.monotonic()
    settings = settings or FixSettings()
    root = Path(root).resolve()
    check_python_repo(root)
    propose = propose or ModelProposer(options or InfillOptions(), max(settings.candidates, settings.deepen_to))
    with tempfile.TemporaryDirectory(prefix="infill-snapshot-") as tmp:
        snapshot = copy_tree(root, Path(tmp, "repo"))
        verifier = Verifier(snapshot, list(pytest_args), settings)
        if progress:
            progress("running the tests once (the baseline)")
        baseline = verifier.run_baseline()
        problem = baseline.environment_problem()
        if problem:
            raise RepositoryError(problem)
        report = FixReport(status="nothing-to-fix", failing=baseline.failed)
        if baseline.failed:
            _search(snapshot, baseline, verifier, propose, settings, report, t0, progress)
    report.time_s = time.monotonic() - t0
    return report


def _search(snapshot: Path, baseline: TestRun, verifier: Verifier, propose: Proposer,
            settings: FixSettings, report: FixReport, t0: float, progress: Progress | None = None) -> None:
    index = function_index(snapshot)
    fixed: set[str] = set()
    budget = _Budget(t0 + settings.max_time_s)
    budget.tell = (lambda step: progress(f"{step}: {report.gaps_tried} gaps tried, {report.candidates_tried} "
                                         f"candidates tested, {max(0.0, budget.left()):.0f} s left")) \
        if progress else None
    budget.say(f"{len(baseline.failed)} failing tests")
    scores = {}
    if settings.localize:
        coverage = budget.run("trace", trace_tests, verifier.run, verifier.args, max(1.0, budget.left()))
        scores = ochiai(coverage, baseline.failed, baseline.passed) if coverage else {}
        budget.say("traced the tests" if coverage else "tracing gave nothing")
    report.localized = bool(scores)
    K = settings.candidates
    if hasattr(propose, "deadline"):
        propose.deadline = budget.deadline   # generation stops there too, not only the steps after it
    for nodeid in baseline.failed[: settings.max_failures]:
        if nodeid in fixed:
            continue
        outcome = baseline.outcomes[nodeid]
        context = _context(snapshot, nodeid, outcome.message)
        tried: list[tuple[FixGap, list[str], set[str]]] = []   # gap, its proposals, candidates seen
        verdict = None
        for gap in _ordered(_gaps(snapshot, outcome, index, context, settings, report), propose, scores):
            step = f"propose {gap.kind}"
            if not budget.allows(step):
                return _finish(report, fixed)
            report.gaps_tried += 1
            proposals, seen = budget.run(step, propose, gap), {gap.original}
            budget.say(f"{gap.kind} gap at {gap.path}:{gap.first_line}")
            tried.append((gap, proposals, seen))
            verdict = _try_gap(gap, proposals[:K], seen, nodeid, verifier, report, budget)
            if verdict is not None:
                break
        for gap, proposals, seen in tried if verdict is None else ():
            verdict = _try_gap(gap, proposals[K: settings.deepen_to], seen, nodeid, verifier, report, budget)
            if verdict is not None or not budget.allows("check"):
                break
        if verdict is not None:
            fixed |= set(verdict.fixed)
    _finish(report, fixed)


class _Budget:
    """The search's time. A step (a gap's proposals, a test run) starts only when one as long
    as the last of its kind would end by the deadline, and a test run is stopped at the
    deadline (a hanging candidate too): ``max_time_s`` is kept, not overrun."""

    def __init__(self, deadline: float):
        self.deadline = deadline
        self.last: dict[str, float] = {}
        self.tell: Progress | None = None   # the search's progress line, with the time left

    def say(self, step: str) -> None:
        if self.tell:
            self.tell(step)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def allows(self, kind: str) -> bool:
        """``kind``'s first word is its family (``propose line``, ``propose body``): a kind not
        seen yet is expected to take as long as the longest of its family so far."""
        family = kind.split()[0]
        expected = self.last.get(kind, max((t for k, t in self.last.items() if k.split()[0] == family), default=0.0))
        return time.monotonic() + expected <= self.deadline

    def run(self, kind: str, fn, *args):
        start = time.monotonic()
        try:
            return fn(*args)
        finally:
            self.last[kind] = time.monotonic() - start


def _gaps(snapshot: Path, outcome, index, context: str, settings: FixSettings, report: FixReport):
    """(gap, located) for a failing test: each suspect's gaps, in order, cut from its file's
    text with the patch so far; located: the suspect is a line a traceback names."""
    for suspect in suspects(snapshot, outcome, index, settings.max_suspects):
        original = (snapshot / suspect.path).read_text(encoding="utf-8")
        report.originals.setdefault(suspect.path, original)
        for gap in gaps_for(suspect.path, report.patched.get(suspect.path) or original, suspect, context,
                            settings.max_gaps, inserts=settings.missing_lines):
            yield gap, suspect.line is not None


def _ordered(gaps, propose: Proposer, scores: dict[tuple[str, int], float] | None = None):
    """Gaps at lines a traceback names first, in their order, except their insert gaps. Then
    the line gaps of the called functions, ranked by their lines' Ochiai scores (``localize``:
    run by the failing tests, not by the passing ones) when the tests were traced, and then,
    when the proposer can rank lines, by ``suspicion`` (how much the model would like to change
    one). Then the insert gaps (a missing line: the last resort), those at traceback lines
    first, then the called functions', by the scores of the two lines around each; then the
    called functions' blocks and bodies; last, the line and insert gaps no failing test ran.
    With neither ranking, all gaps in their order."""
    rank = getattr(propose, "suspicion", None)
    called, located_inserts = [], []
    for gap, located in gaps:
        if rank is None and not scores:
            yield gap
        elif located and gap.kind == "insert":
            located_inserts.append(gap)
        elif located:
            yield gap
        else:
            called.append(gap)
    lines = [g for g in called if g.kind == "line"]
    inserts = [g for g in called if g.kind == "insert"]
    ran = {id(g): gap_score(scores, g.path, g.first_line, g.last_line) if scores else 1.0 for g in lines}
    ran.update({id(g): gap_score(scores, g.path, g.first_line - 1, g.first_line) if scores else 1.0
                for g in inserts})   # a missing line: between two lines the failing tests ran
    guess = {id(g): rank(g) if rank is not None else 0.0 for g in lines}
    lines.sort(key=lambda g: (-ran[id(g)], -guess[id(g)]))
    inserts.sort(key=lambda g: -ran[id(g)])
    yield from (g for g in lines if ran[id(g)] > 0)
    yield from located_inserts
    yield from (g for g in inserts if ran[id(g)] > 0)
    yield from (g for g in called if g.kind not in ("line", "insert"))
    yield from (g for g in lines + inserts if ran[id(g)] <= 0)


def _try_gap(gap: FixGap, candidates: list[str], seen: set[str], nodeid: str, verifier: Verifier,
             report: FixReport, budget: _Budget) -> Verdict | None:
    for candidate in candidates:
        if not budget.allows("check"):
            return None
        new_text = gap.apply(candidate)
        if candidate in seen or new_text == gap.text or adds_syntax_errors(*gap.pieces(candidate), LANGUAGE):
            report.candidates_skipped += 1
            seen.add(candidate)
            continue
        seen.add(candidate)
        report.candidates_tried += 1
        verdict = budget.run("check", verifier.check, {**report.patched, gap.path: new_text}, nodeid,
                             max(1.0, budget.left()))
        report.candidates_killed += verdict.killed
        budget.say("tested a candidate" + (" (it passes)" if verdict.ok else ""))
        if verdict.ok:
            report.patched[gap.path] = new_text
            return verdict
    return None


def _finish(report: FixReport, fixed: set[str]) -> None:
    report.patched = {p: t for p, t in report.patched.items() if t != report.originals[p]}
    report.originals = {p: report.originals[p] for p in report.patched}
    report.files = sorted(report.patched)
    report.tests_fixed = [n for n in report.failing if n in fixed]
    report.diff = diff_files({p: (report.originals[p], report.patched[p]) for p in report.files})
    if report.failing and len(report.tests_fixed) == len(report.failing):
        report.status = "fixed"
    elif report.tests_fixed:
        report.status = "partial"
    else:
        report.status = "not-fixed"


def apply(root: str | Path, report: FixReport) -> list[str]:
    """Write a report's patched files into ``root`` atomically; refuses a file changed since."""
    root = Path(root).resolve()
    for rel in report.files:
        if (root / rel).read_text(encoding="utf-8") != report.originals[rel]:
            raise RepositoryError(f"{rel} changed while the fix was searched for; nothing was written")
    for rel in report.files:
        write_atomic(root / rel, report.patched[rel])
    return report.files
