"""Sampler comparison on HumanEval infilling: quality, latency and forward passes per token.

    python benchmarks/samplers.py [--subset single-line] [--limit 0] [--samplers threshold entropy sequential]

A sampler spec may carry option overrides: ``threshold:threshold=0.7`` or
``entropy:entropy_bound=1.0,stable_steps=2`` (any ``InfillOptions`` field).

Runs ``infill eval``'s harness once per sampler with the same model, tasks and seed, prints
one table (pass@1, exact match, syntax-valid, empty-completion rate, latency p50/p95,
forward passes per committed token, and the pass ratio against the sequential baseline) and
writes the full reports to ``benchmarks/results/samplers-<subset>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from infill.backends import get_backend
from infill.complete import complete  # noqa: E402
from infill.config import InfillOptions  # noqa: E402
from infill.eval.humaneval import evaluate, find_data_dir, load_tasks  # noqa: E402


def run_one(tasks, opts: InfillOptions, workers: int) -> dict:
    def complete_fn(task):
        res = complete(task.prompt + task.suffix, len(task.prompt), "python", opts)
        return {"completion": res.text, "latency_ms": res.latency_ms,
                "forward_passes": res.forward_passes, "tokens": res.tokens}

    report = evaluate(tasks, complete_fn, workers=workers, progress=False)
    return report.summary()


def parse_spec(spec: str, base: InfillOptions) -> InfillOptions:
    """``name[:field=value,...]`` -> options with that sampler and those overrides."""
    name, _, rest = spec.partition(":")
    changes: dict = {"sampler": name}
    if name == "sequential":
        changes["pass_share"] = 0.0      # the baseline: one token a pass, uncapped (unless the spec says)
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        kind = type(getattr(base, key))
        changes[key] = kind(value) if kind is not bool else value.lower() in ("1", "true", "yes")
    return replace(base, **changes)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--subset", default="single-line")
    p.add_argument("--limit", type=int, default=0, help="seeded subset size (0 = all tasks)")
    p.add_argument("--samplers", nargs="+", default=["threshold", "entropy", "sequential"])
    p.add_argument("--model", default=None)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-lines", type=int, default=-1)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", default=None)
    args = p.parse_args()

    tasks = load_tasks(args.subset, find_data_dir(None), limit=args.limit or None, seed=0)
    base = InfillOptions(model=args.model, threads=args.threads, max_lines=args.max_lines)
    get_backend(base)  # load once, outside the timings
    rows = {}
    for spec in args.samplers:
        rows[spec] = run_one(tasks, parse_spec(spec, base), args.workers)
        print(f"{spec}: pass@1 {rows[spec]['pass@1']:.3f}", file=sys.stderr, flush=True)

    seq = rows.get("sequential")
    cols = ["pass@1", "exact_match", "syntax_valid_rate", "empty_rate", "latency_p50_ms", "latency_p95_ms",
            "forward_passes_per_token"]
    width = max(12, *(len(k) + 2 for k in rows))
    head = f"{'sampler':<{width}}" + "".join(f"{c:>15}" for c in cols) + f"{'passes vs seq':>15}"
    print(f"subset {args.subset}, {len(tasks)} tasks, model {args.model or 'embedded'}, "
          f"{args.threads} threads, load {os.getloadavg()[0]:.1f}")
    print(head)
    for name, r in rows.items():
        ratio = (seq["forward_passes_per_token"] / r["forward_passes_per_token"]
                 if seq and r["forward_passes_per_token"] else float("nan"))
        r["passes_ratio_vs_sequential"] = ratio
        print(f"{name:<{width}}" + "".join(f"{r[c]:>15.3f}" for c in cols) + f"{ratio:>14.2f}x")
    out = Path(args.out) if args.out else HERE / "results" / f"samplers-{args.subset}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"subset": args.subset, "tasks": len(tasks), "model": args.model or "embedded",
                               "threads": args.threads, "results": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
