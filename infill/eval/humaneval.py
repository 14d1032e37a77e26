"""HumanEval-infilling: load tasks, check completions in the sandbox, report pass@1.

This module knows the benchmark's files and how a task is scored. It knows nothing about
the model: completions come from a ``complete_fn(task) -> dict`` given by the caller.
The data (MIT, from openai/human-eval-infilling) is not shipped with the package; it is
found through ``find_data_dir``.

Scoring follows the benchmark: run
``prompt + completion + suffix + "\\n" + test + "\\n" + f"check({entry_point})"``;
pass@1 is the fraction of tasks whose program exits with status 0.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from infill.errors import InfillError, TaskError
from infill.sandbox import SandboxResult, run_python

SUBSETS = {
    "single-line": "HumanEval-SingleLineInfilling.jsonl.gz",
    "multi-line": "HumanEval-MultiLineInfilling.jsonl.gz",
    "random-span": "HumanEval-RandomSpanInfilling.jsonl.gz",
    "random-span-light": "HumanEval-RandomSpanInfillingLight.jsonl.gz",
}
DATA_ENV = "INFILL_HUMANEVAL_DIR"
_RELATIVE_DATA_DIR = Path("..") / "shared" / "benchmarks" / "human-eval-infilling"
_TASK_FIELDS = ("task_id", "entry_point", "prompt", "suffix", "canonical_solution", "test")


@dataclass(frozen=True)
class Task:
    task_id: str  # e.g. "SingleLineInfilling/HumanEval/0/L0"
    entry_point: str  # name of the function that check() is given
    prompt: str  # code before the gap
    suffix: str  # code after the gap
    canonical_solution: str  # the reference text of the gap
    test: str  # defines check(candidate)


@dataclass
class TaskOutcome:
    task_id: str
    completion: str
    passed: bool  # the test program exited with status 0
    exact_match: bool  # equal up to trailing whitespace: leading indentation counts (it is Python)
    syntax_valid: bool  # prompt + completion + suffix compiles (CPython's own parser)
    empty: bool  # completion.strip() == ""
    latency_ms: float  # as reported by complete_fn (wall time of the call if it gave none)
    forward_passes: int
    tokens: int
    error: str | None = None  # complete_fn raised or returned something malformed
    failure: str | None = None  # why the check failed: "timeout", or the last stderr line
    passed_any: bool | None = None  # with ``any_of``: some candidate of the request passes
    candidates_checked: int = 0  # with ``any_of``: distinct candidates run through the tests


CompleteFn = Callable[[Task], dict]


def find_data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The folder holding the ``HumanEval-*Infilling*.jsonl.gz`` files.

    Tried in order: ``explicit`` (only it, when given), ``$INFILL_HUMANEVAL_DIR``,
    ``../shared/benchmarks/human-eval-infilling`` relative to the working directory and
    relative to the repository root (the folder that holds the ``infill`` package).
    """
    if explicit is not None:
        candidates = [Path(explicit)]
    else:
        candidates = [Path(p) for p in [os.environ.get(DATA_ENV)] if p]
        repo_root = Path(__file__).resolve().parent.parent
        candidates += [Path.cwd() / _RELATIVE_DATA_DIR, repo_root / _RELATIVE_DATA_DIR]
    for path in candidates:
        if path.is_dir() and any((path / name).is_file() for name in SUBSETS.values()):
            return path.resolve()
    tried = ", ".join(str(p) for p in candidates)
    raise InfillError(
        f"HumanEval-infilling data not found (tried: {tried}). Pass the folder holding "
        f"{SUBSETS['single-line']} explicitly or set {DATA_ENV}."
    )


def load_tasks(subset: str, data_dir: str | os.PathLike | None = None,
               limit: int | None = None, seed: int = 0) -> list[Task]:
    """Tasks of one subset; with ``limit``, a fixed seeded sample kept in file order."""
    if subset not in SUBSETS:
        raise TaskError(f"Unknown HumanEval subset {subset!r}; choose one of {', '.join(SUBSETS)}.")
    path = find_data_dir(data_dir) / SUBSETS[subset]
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
    except (OSError, json.JSONDecodeError) as exc:
        raise TaskError(f"Cannot read HumanEval file {path}: {exc}") from exc
    tasks = [_task_from_row(row, path) for row in rows]
    if limit is not None and limit < len(tasks):
        keep = sorted(random.Random(seed).sample(range(len(tasks)), max(limit, 0)))
        tasks = [tasks[i] for i in keep]
    return tasks


def _task_from_row(row: Any, path: Path) -> Task:
    if not isinstance(row, dict) or not all(isinstance(row.get(k), str) for k in _TASK_FIELDS):
        raise TaskError(f"Malformed task in {path}: needs string fields {', '.join(_TASK_FIELDS)}.")
    return Task(**{k: row[k] for k in _TASK_FIELDS})


def check_program(task: Task, completion: str) -> str:
    """The program whose exit status decides the task."""
    return (task.prompt + completion + task.suffix + "\n" + task.test + "\n"
            + f"check({task.entry_point})")


def run_check(task: Task, completion: str, timeout_s: float = 10.0) -> SandboxResult:
    """Run the task's test program on ``completion`` in the sandbox."""
    return run_python(check_program(task, completion), timeout_s=timeout_s)


def check_completion(task: Task, completion: str, timeout_s: float = 10.0) -> bool:
    """True if ``completion`` passes the task's tests."""
    return run_check(task, completion, timeout_s).passed


def syntax_valid(task: Task, completion: str) -> bool:
    """True if prompt + completion + suffix compiles; nothing is executed."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")      # SyntaxWarning ('"is not" with a literal') is no error
            compile(task.prompt + completion + task.suffix, task.task_id, "exec")
    except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError):
        return False
    return True


@dataclass
class EvalReport:
    outcomes: list[TaskOutcome] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        """Rates over all tasks; latency over tasks whose generation did not fail."""
        n = len(self.outcomes)
        ok = [o for o in self.outcomes if o.error is None]
        latencies = sorted(o.latency_ms for o in ok)
        tokens = sum(o.tokens for o in ok)
        any_of = [o for o in self.outcomes if o.passed_any is not None]
        ceiling = {"pass@any": _rate(o.passed_any for o in any_of),
                   "candidates_checked": sum(o.candidates_checked for o in any_of) / len(any_of)} if any_of else {}
        return {
            "n": n,
            "pass@1": _rate(o.passed for o in self.outcomes),
            "exact_match": _rate(o.exact_match for o in self.outcomes),
            "syntax_valid_rate": _rate(o.syntax_valid for o in self.outcomes),
            "empty_rate": _rate(o.empty for o in self.outcomes),
            "errors": n - len(ok),
            "latency_p50_ms": _percentile(latencies, 50),
            "latency_p95_ms": _percentile(latencies, 95),
            "forward_passes_per_token": sum(o.forward_passes for o in ok) / tokens if tokens else 0.0,
            "mean_tokens": tokens / len(ok) if ok else 0.0,
            **ceiling,
        }

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), "outcomes": [asdict(o) for o in self.outcomes]}

    def format_table(self) -> str:
        rows = [(k, v if isinstance(v, int) else f"{v:.3f}") for k, v in self.summary().items()]
        width = max(len(k) for k, _ in rows)
        lines = [f"{'metric':<{width}}  value", f"{'-' * width}  -----"]
        lines += [f"{k:<{width}}  {v}" for k, v in rows]
        return "\n".join(lines)


def _rate(flags) -> float:
    flags = list(flags)
    return sum(flags) / len(flags) if flags else 0.0


def _percentile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); 0.0 when empty."""
    if not sorted_values:
        return 0.0
    pos = (len(sorted_values) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def evaluate(tasks: list[Task], complete_fn: CompleteFn, *, workers: int = 2,
             timeout_s: float = 10.0, progress: bool = True, any_of: bool = False) -> EvalReport:
    """Generate every completion (sequentially, timed), then check them ``workers`` at a time.

    ``any_of``: where the first completion fails, also check the other distinct candidates
    ``complete_fn`` returned (``candidates``, best first) until one passes. ``passed_any``
    and the summary's ``pass@any`` are then the ceiling a perfect ranker of those candidates
    would reach; ``pass@1`` stays the first candidate's.

    Generation and test execution never overlap, so latency is not distorted by test
    subprocesses. If ``complete_fn`` raises or returns a malformed dict, the task fails
    with ``error`` set and the evaluation goes on.
    """
    generated = [_generate(task, complete_fn) for task in _bar(tasks, progress, "generate")]
    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        futures = [pool.submit(_score, task, gen, timeout_s, any_of) for task, gen in zip(tasks, generated)]
        outcomes = [f.result() for f in _bar(futures, progress, "check")]
    return EvalReport(outcomes)


def _generate(task: Task, complete_fn: CompleteFn) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        out = complete_fn(task)
        if not isinstance(out, dict) or not isinstance(out.get("completion"), str):
            raise TaskError(f"complete_fn must return a dict with a 'completion' string, got {out!r:.200}.")
        wall_ms = (time.perf_counter() - start) * 1000
        others = out.get("candidates") or []
        return {
            "completion": out["completion"],
            "candidates": [c for c in others if isinstance(c, str)],
            "latency_ms": float(out.get("latency_ms", wall_ms)),
            "forward_passes": int(out.get("forward_passes", 0)),
            "tokens": int(out.get("tokens", 0)),
            "error": None,
        }
    except Exception as exc:  # a broken generation is a failed task, not a failed eval
        wall_ms = (time.perf_counter() - start) * 1000
        return {"completion": "", "candidates": [], "latency_ms": wall_ms, "forward_passes": 0, "tokens": 0,
                "error": f"{type(exc).__name__}: {exc}"}


def _score(task: Task, gen: dict[str, Any], timeout_s: float, any_of: bool = False) -> TaskOutcome:
    completion = gen["completion"]
    passed, failure = False, None
    passed_any, checked = (False, 0) if any_of else (None, 0)
    if gen["error"] is None:
        result = run_check(task, completion, timeout_s)
        passed = result.passed
        if not passed:
            failure = result.killed_reason if result.timed_out else _last_line(result.stderr)
        if any_of:
            checked, passed_any = 1, passed
            for other in dict.fromkeys(gen.get("candidates", [])):
                if passed_any:
                    break
                if other != completion:
                    checked += 1
                    passed_any = run_check(task, other, timeout_s).passed
    return TaskOutcome(
        task_id=task.task_id, completion=completion, passed=passed,
        exact_match=completion.rstrip() == task.canonical_solution.rstrip(),
        syntax_valid=syntax_valid(task, completion), empty=completion.strip() == "",
        latency_ms=gen["latency_ms"], forward_passes=gen["forward_passes"], tokens=gen["tokens"],
        error=gen["error"], failure=failure, passed_any=passed_any, candidates_checked=checked,
    )


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "nonzero exit status"


def _bar(items, progress: bool, desc: str):
    if not progress:
        return items
    from tqdm import tqdm  # only when asked: keeps the import light for library use

    return tqdm(items, desc=desc, file=sys.stderr, leave=False)


# ---------------------------------------------------------------------------------------------
# Paired comparison of two evaluations of the same tasks. Fine-tunes move pass@1 by a few
# tasks, and HumanEval's 1,033 single-line tasks come from only 164 problems, so a difference
# is judged on the tasks both runs share: McNemar's exact test on the tasks where they
# disagree, and a bootstrap over problems (not tasks) for the interval.

def problem_of(task_id: str) -> str:
    """``SingleLineInfilling/HumanEval/12/L3`` -> ``HumanEval/12`` (the id itself otherwise)."""
    parts = task_id.split("/")
    return "/".join(parts[1:3]) if len(parts) >= 4 else task_id


def paired_comparison(base: dict[str, bool], other: dict[str, bool], *, resamples: int = 2000,
                      seed: int = 0) -> dict[str, Any]:
    """Pass/fail per task id of two runs -> counts, the difference in pass@1 (other - base),
    McNemar's exact two-sided p and a 95% bootstrap interval of the difference over problems."""
    from math import comb

    common = sorted(base.keys() & other.keys())
    if not common:
        raise TaskError("the two evaluations share no task ids")
    only_base = sum(base[t] and not other[t] for t in common)
    only_other = sum(other[t] and not base[t] for t in common)
    discordant = only_base + only_other
    tail = sum(comb(discordant, i) for i in range(min(only_base, only_other) + 1)) / 2 ** discordant
    groups: dict[str, list[int]] = {}
    for t in common:
        groups.setdefault(problem_of(t), []).append(int(other[t]) - int(base[t]))
    sums = [(sum(g), len(g)) for g in groups.values()]
    rng = random.Random(seed)
    draws = []
    for _ in range(resamples):
        picked = [sums[rng.randrange(len(sums))] for _ in sums]
        draws.append(sum(s for s, _ in picked) / sum(n for _, n in picked))
    draws.sort()
    return {
        "tasks": len(common), "problems": len(groups),
        "base_passed": sum(base[t] for t in common), "other_passed": sum(other[t] for t in common),
        "both_passed": sum(base[t] and other[t] for t in common),
        "only_base": only_base, "only_other": only_other,
        "difference": (only_other - only_base) / len(common),
        "mcnemar_p": min(1.0, 2 * tail),
        "ci95": [draws[int(0.025 * (resamples - 1))], draws[int(0.975 * (resamples - 1))]],
    }


def passed_by_task(report: dict[str, Any]) -> dict[str, bool]:
    """Pass/fail per task id from an ``infill eval --out`` report."""
    try:
        return {o["task_id"]: bool(o["passed"]) for o in report["outcomes"]}
    except (KeyError, TypeError) as exc:
        raise TaskError("not an `infill eval --out` report (it needs 'outcomes' with "
                        f"'task_id' and 'passed'): {exc!r}") from None
