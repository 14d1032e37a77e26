"""How well the K candidates of a request are ranked: the shipped ranking against a vote.

    python benchmarks/rerank.py [--candidates 8] [--limit 0] [--model DIR] [--threads 2]

Each single-line HumanEval task is completed once with ``--candidates K`` (row 0 greedy,
the other rows sampled; one batch sharing the context cache). Every distinct candidate is
then run through the task's tests in the sandbox, so each ranking of the same candidates
can be scored without generating again:

- ``model``: what ``infill.complete.complete`` returns (syntax-valid first, then the model's mean
  log-probability), i.e. pass@1 of the default decoding with K candidates;
- ``vote``: the candidate most rows wrote (after post-processing), ties broken by ``model``;
- ``vote-valid``: the same among syntax-valid candidates only;
- ``any``: some candidate passes, the ceiling of any ranking of these candidates.

Prints one table (pass@1 and the paired comparison with ``model``: tasks only one ranking
passes, McNemar's p, 95% interval over problems) and writes JSON to
``benchmarks/results/rerank.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from infill.backends import get_backend  # noqa: E402
from infill.complete import complete  # noqa: E402
from infill.config import InfillOptions  # noqa: E402
from infill.eval.humaneval import find_data_dir, load_tasks, paired_comparison, run_check, syntax_valid  # noqa: E402


def vote(candidates: list[str], votes: list[int], allowed: list[bool] | None = None) -> int:
    """Index of the candidate most rows wrote; ties go to the earlier (better ranked) one.
    ``allowed``: only those candidates take part (all of them when none is allowed)."""
    pool = [i for i in range(len(candidates)) if allowed is None or allowed[i]] or list(range(len(candidates)))
    return max(pool, key=lambda i: (votes[i], -i))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--candidates", type=int, default=8)
    p.add_argument("--limit", type=int, default=0, help="seeded subset size (0 = all 1,033 tasks)")
    p.add_argument("--model", default=None)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workers", type=int, default=2, help="test subprocesses at once")
    p.add_argument("--out", default=str(HERE / "results" / "rerank.json"))
    args = p.parse_args()

    tasks = load_tasks("single-line", find_data_dir(), limit=args.limit or None, seed=0)
    opts = InfillOptions(candidates=args.candidates, threads=args.threads,
                         **({"model": args.model} if args.model else {}))
    get_backend(opts)                                    # load before timing
    rows = []
    for task in tasks:
        c = complete(task.prompt + task.suffix, len(task.prompt), "python", opts)
        rows.append({"task_id": task.task_id, "candidates": c.candidates or [c.text],
                     "votes": c.votes or [1], "latency_ms": c.latency_ms})
    with ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool:
        for task, row in zip(tasks, rows):
            row["passed"] = list(pool.map(lambda cand, t=task: run_check(t, cand).passed, row["candidates"]))
            row["valid"] = [syntax_valid(task, cand) for cand in row["candidates"]]

    picks = {
        "model": lambda r: 0,
        "vote": lambda r: vote(r["candidates"], r["votes"]),
        "vote-valid": lambda r: vote(r["candidates"], r["votes"], r["valid"]),
    }
    passed = {name: {r["task_id"]: r["passed"][pick(r)] for r in rows} for name, pick in picks.items()}
    passed["any"] = {r["task_id"]: any(r["passed"]) for r in rows}
    n = len(rows)
    result = {"tasks": n, "candidates": args.candidates, "model": args.model or "engine/model",
              "threads": args.threads,
              "latency_p50_ms": statistics.median(r["latency_ms"] for r in rows),
              "distinct_candidates_mean": sum(len(r["candidates"]) for r in rows) / n,
              "rankings": {}}
    print(f"{n} single-line tasks, K = {args.candidates}, distinct candidates per task "
          f"{result['distinct_candidates_mean']:.2f}, latency p50 {result['latency_p50_ms']:.0f} ms")
    print(f"{'ranking':<12} {'pass@1':>7} {'passed':>7} {'only_model':>11} {'only_this':>10} {'p':>7}  95% CI")
    for name, by_task in passed.items():
        cmp = paired_comparison(passed["model"], by_task)
        result["rankings"][name] = {"pass@1": sum(by_task.values()) / n, "passed": sum(by_task.values()), **cmp}
        print(f"{name:<12} {sum(by_task.values()) / n:>7.3f} {sum(by_task.values()):>7} {cmp['only_base']:>11} "
              f"{cmp['only_other']:>10} {cmp['mcnemar_p']:>7.3f}  [{cmp['ci95'][0]:+.3f}, {cmp['ci95'][1]:+.3f}]")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
