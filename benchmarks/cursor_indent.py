"""The cursor where an editor leaves it after Enter: inside the new line's indentation.

    python benchmarks/cursor_indent.py [--limit 400] [--model DIR] [--threads 2]

HumanEval single-line tasks put the gap at a line start (the middle carries the
indentation and the newline). Editors put the cursor after the indentation of a blank line
instead. This benchmark moves each middle's leading indentation into the prompt and its
newline into the suffix (the canonical answer is then the rest of the line) and runs the
seeded subset twice: with token healing (``--heal-indent``, ``InfillOptions.heal_indent``: the prefix ends at
the line start, the canvas writes the indentation too, the completion is cut back to the
cursor) and without (the prefix ends in the indentation). One table, and
JSON in ``benchmarks/results/cursor_indent.json``.
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

from infill.backends import get_backend  # noqa: E402
from infill.config import InfillOptions  # noqa: E402
from infill.eval.humaneval import find_data_dir, load_tasks  # noqa: E402
from samplers import run_one  # noqa: E402  (the same harness call as the sampler benchmark)


def cursor_after_indent(task):
    """The task as an editor shows it: the cursor after the indentation of a blank line.

    The canonical middle's leading indentation moves into the prompt and its closing newline
    into the suffix; the answer is the rest of the line.
    """
    middle = task.canonical_solution
    indent = middle[:len(middle) - len(middle.lstrip(" \t"))]
    if not indent or not task.prompt.endswith("\n") or not middle.endswith("\n"):
        return None
    return replace(task, prompt=task.prompt + indent, suffix="\n" + task.suffix,
                   canonical_solution=middle[len(indent):-1])


def run(tasks, opts: InfillOptions, heal: bool, workers: int) -> dict:
    return run_one(tasks, replace(opts, heal_indent=heal), workers)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--limit", type=int, default=400, help="seeded subset size (0 = all tasks)")
    p.add_argument("--model", default=None)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", default=str(HERE / "results" / "cursor_indent.json"))
    args = p.parse_args()

    tasks = load_tasks("single-line", find_data_dir(None), limit=args.limit or None, seed=0)
    moved = [t for t in map(cursor_after_indent, tasks) if t is not None]
    opts = InfillOptions(model=args.model, threads=args.threads)
    get_backend(opts)  # load once, outside the timings
    rows = {"healed": run(moved, opts, True, args.workers), "not healed": run(moved, opts, False, args.workers)}
    cols = ["pass@1", "exact_match", "syntax_valid_rate", "empty_rate", "latency_p50_ms", "latency_p95_ms"]
    print(f"single-line, cursor after the indentation: {len(moved)} of {len(tasks)} tasks, "
          f"model {args.model or 'embedded'}, {args.threads} threads, load {os.getloadavg()[0]:.1f}")
    print(f"{'prefix':<12}" + "".join(f"{c:>19}" for c in cols))
    for name, r in rows.items():
        print(f"{name:<12}" + "".join(f"{r[c]:>19.3f}" for c in cols))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"tasks": len(moved), "model": args.model or "embedded",
                               "threads": args.threads, "results": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
