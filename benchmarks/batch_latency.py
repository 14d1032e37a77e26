"""Latency of ``infill batch`` as a CI bot runs it: HumanEval single-line gaps through the CLI.

    python benchmarks/batch_latency.py [--limit 200] [--subset single-line] [--out PATH] [-- BATCH OPTIONS]

Starts ``infill batch`` once (a new process, the embedded model, the default options unless
options follow ``--``), writes a fixed seeded subset of HumanEval-infilling tasks to its
standard input (``prefix``, ``suffix``, ``task_id``) and reads one answer per task. Reports
each request's ``latency_ms`` as the command measured it (p50, p95, max), the forward passes
and candidates per task, the share shown, and the process's wall time with what is not a
request's (start-up: imports, the model load, reading the tasks). No code is run: this is a speed
benchmark, not a pass@1 one (``infill eval`` measures that).

Needs ``../shared/benchmarks/human-eval-infilling`` (or ``$INFILL_HUMANEVAL_DIR``). Prints a
table and writes the summary to ``--out`` (``benchmarks/results/batch_latency.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--subset", default="single-line")
    p.add_argument("--limit", type=int, default=200, help="a fixed seeded subset (0 = all tasks)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(HERE / "results" / "batch_latency.json"))
    args = p.parse_args(argv)

    from infill.errors import InfillError
    from infill.eval.humaneval import load_tasks
    try:
        tasks = load_tasks(args.subset, limit=args.limit or None, seed=args.seed)
    except InfillError as exc:
        print(f"batch_latency: {exc}", file=sys.stderr)
        return 2
    lines = "".join(json.dumps({"task_id": t.task_id, "prefix": t.prompt, "suffix": t.suffix}) + "\n"
                    for t in tasks)
    infill = Path(sys.executable).with_name("infill")
    command = [str(infill) if infill.exists() else sys.executable, *([] if infill.exists() else ["-m", "infill.cli"]),
               "batch", *extra]
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(lines)
    proc.stdin.close()
    rows = [json.loads(line) for line in proc.stdout]
    wall = time.perf_counter() - start
    if proc.wait() != 0 or len(rows) != len(tasks):
        print(f"batch_latency: infill batch exited {proc.returncode} after {len(rows)} of {len(tasks)} answers",
              file=sys.stderr)
        return 1
    ok = [r for r in rows if "error" not in r]
    lat = [r["latency_ms"] for r in ok]
    summary = {
        "subset": args.subset, "tasks": len(tasks), "errors": len(rows) - len(ok), "options": extra,
        "latency_p50_ms": round(statistics.median(lat), 1), "latency_p95_ms": round(percentile(lat, 0.95), 1),
        "latency_max_ms": round(max(lat), 1),
        "forward_passes_mean": round(statistics.fmean(r["forward_passes"] for r in ok), 2),
        "candidates_mean": round(statistics.fmean(len(r.get("candidates") or []) for r in ok), 2),
        "shown": round(sum(bool(r.get("shown")) for r in ok) / max(1, len(ok)), 3),
        "startup_s": round(wall - sum(lat) / 1000, 2),
        "wall_s": round(wall, 1),
    }
    print(f"infill batch on HumanEval {args.subset}, {len(tasks)} tasks, options: {' '.join(extra) or 'defaults'}")
    print(f"{'metric':34} {'value':>10}")
    for name, key in (("latency p50 (ms)", "latency_p50_ms"), ("latency p95 (ms)", "latency_p95_ms"),
                      ("latency max (ms)", "latency_max_ms"), ("forward passes per task", "forward_passes_mean"),
                      ("candidates per task", "candidates_mean"), ("shown (share)", "shown"),
                      ("wall outside requests (s)", "startup_s"), ("wall (s)", "wall_s"),
                      ("errors", "errors")):
        print(f"{name:34} {summary[key]!s:>10}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
