"""Is one model's pass@1 really better than another's? A paired comparison of evaluations.

    infill eval --subset single-line --model A --out a.json      # the same tasks for each
    infill eval --subset single-line --model B --out b.json
    python benchmarks/compare_evals.py a.json b.json [c.json ...] [--out results.json]

The first report is the base; each other one is compared with it on the task ids both hold.
Printed per pair: the tasks each passes, those only one of them passes, the difference in
pass@1, McNemar's exact two-sided p on the tasks where they disagree, and a 95% bootstrap
interval of the difference that resamples HumanEval problems rather than tasks (the 1,033
single-line tasks come from 164 problems, so tasks of one problem pass or fail together).
A fine-tune that moves pass@1 by 10 tasks can be churn: this says how likely.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from infill.errors import TaskError  # noqa: E402
from infill.eval.humaneval import paired_comparison, passed_by_task  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("reports", nargs="+", help="`infill eval --out` reports; the first is the base")
    p.add_argument("--resamples", type=int, default=2000)
    p.add_argument("--out", default=None, help="write the comparisons as JSON here")
    args = p.parse_args(argv)
    if len(args.reports) < 2:
        p.error("give a base report and at least one to compare with it")
    try:
        runs = {r: passed_by_task(json.loads(Path(r).read_text())) for r in args.reports}
        base = args.reports[0]
        rows = {r: paired_comparison(runs[base], runs[r], resamples=args.resamples) for r in args.reports[1:]}
    except (OSError, ValueError, TaskError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"base {base}")
    cols = ("tasks", "base_passed", "other_passed", "only_base", "only_other")
    print(f"{'report':<40}" + "".join(f"{c:>13}" for c in cols) + f"{'diff':>8}{'p':>8}{'95% CI':>18}")
    for name, r in rows.items():
        lo, hi = r["ci95"]
        print(f"{name[-40:]:<40}" + "".join(f"{r[c]:>13}" for c in cols)
              + f"{r['difference']:>+8.3f}{r['mcnemar_p']:>8.3f}{f'[{lo:+.3f}, {hi:+.3f}]':>18}")
    if args.out:
        Path(args.out).write_text(json.dumps({"base": base, "comparisons": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
