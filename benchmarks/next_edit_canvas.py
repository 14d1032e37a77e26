"""Next-edit canvas trial: could the embedded model find the next edit where propagation has
nothing? An upper bound, measured before building it into ``infill.next_edit``.

    python benchmarks/next_edit_canvas.py [--tasks 60] [--lines 2] [--candidates 2]

For each Python task of the next-edit benchmark's ``dev`` split (the embedded model knows
Python only), the lines around the user's edit (the first ``--lines`` non-blank lines below it
and the first above) are each re-masked whole and denoised in the context of the document,
which holds the user's edit (``InfillRequest.init_text`` + ``remask_spans``, four extra tokens
allowed), ``--candidates`` draws per line. A task counts as *reachable* when any draw on any
line is one of the task's expected edits (``score.is_right``): no confidence could do better
than that count. Also the model's likelihood gain of each changed draw over the line as it
stands (what a confidence would have to read) and the time per task (one thread). Writes
``benchmarks/results/next_edit_canvas.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from next_edit import DATA, load, percentile  # noqa: E402


def window(lines: list[str], edit: dict, below: int) -> list[int]:
    start, stop = edit["start_line"], edit["start_line"] + len(edit["new_text"].splitlines())
    after = [i for i in range(stop, min(len(lines), stop + below + 2)) if lines[i].strip()][:below]
    before = [i for i in range(start - 1, max(-1, start - 4), -1) if lines[i].strip()][:1]
    return after + before


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, default=60, help="Python dev tasks, in file order")
    ap.add_argument("--lines", type=int, default=2, help="non-blank lines below the edit re-masked (plus one above)")
    ap.add_argument("--candidates", type=int, default=2, help="draws per line")
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    import torch
    torch.set_num_threads(1)
    from engine.api import InfillRequest
    from infill.backends import get_backend, run_backend
    from infill.config import InfillOptions

    backend = get_backend(InfillOptions(threads=1))
    tasks, scorer, _ = load("dev", args.data)
    tasks = [t for t in tasks if t["language"] == "python"][:args.tasks]
    reachable, changed, gains, times = 0, 0, [], []
    for task in tasks:
        lines = task["document"].splitlines(keepends=True)
        t0, hit = time.perf_counter(), False
        for i in window(lines, task["recent_edit"], args.lines):
            line = lines[i].rstrip("\n")
            indent = line[:len(line) - len(line.lstrip())]
            body, before, after = line[len(indent):], "".join(lines[:i]) + indent, "\n" + "".join(lines[i + 1:])
            request = InfillRequest(prefix=before, suffix=after, init_text=body, remask_spans=((0, len(body)),),
                                    extra_tokens=4, candidates=args.candidates, seed=0, language="python")
            for cand in run_backend(backend, request).candidates:
                new = cand.text.split("\n")[0]
                if new.strip() == body.strip():
                    continue
                changed += 1
                edit = {"start_line": i, "end_line": i + 1, "new_text": indent + new + "\n"}
                right = task["kind"] != "none" and scorer.is_right(edit, task["expected"], task["document"])
                old_score, new_score = backend.likelihood(before, after, [body, new])
                gains.append({"gain": new_score - old_score, "right": right})
                hit |= right
        times.append((time.perf_counter() - t0) * 1000)
        reachable += hit
    summary = {"split": "dev", "tasks": len(tasks), "lines_per_task": args.lines + 1, "candidates": args.candidates,
               "reachable": reachable, "changed_draws": changed,
               "gain_above_0": sum(g["gain"] > 0 for g in gains),
               "ms_per_task_p50": percentile(times, 0.5), "ms_per_task_p95": percentile(times, 0.95)}
    print(f"next-edit canvas trial, dev, {len(tasks)} Python tasks, {args.lines + 1} lines re-masked each, "
          f"{args.candidates} draws per line")
    print(f"{'reachable':>10} {'changed draws':>14} {'liked more':>11} {'p50 ms':>8} {'p95 ms':>8}")
    print(f"{reachable:>10} {changed:>14} {summary['gain_above_0']:>11} {summary['ms_per_task_p50']:>8.0f} "
          f"{summary['ms_per_task_p95']:>8.0f}")
    (HERE / "results" / "next_edit_canvas.json").write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
