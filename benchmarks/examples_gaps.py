"""Docstring examples as evidence (``infill.examples``): single-line gaps in the functions of the
standard library whose docstrings show examples, completed the way the server completes them.

    python benchmarks/examples_gaps.py [--limit N] [--write]

Each gap is one line of such a function's body after its docstring (the whole line, as in
HumanEval's single-line set), at most ``--per-function`` per function, chosen with a fixed
seed. The modules are read from this interpreter's standard library at run time (nothing is
copied into the repository): they were in the embedded model's training corpus (so exact
matches run high) but never in the calibration's packages nor in HumanEval. Modules with side
effects on import or needing a display or network are left out.

Prints, for the best candidate: how often it is exactly right when the examples keep it alone
(``only``), keep it with others (``shared``), or say nothing (``none``), with its calibrated
confidence and the latency; writes ``benchmarks/results/examples_gaps.json``. ``--write``
stores the two rates as the confidence floor of candidates the examples keep
(``infill/data/confidence.json``, ``examples``): the share of them that is right, read as the
probability the suggestion is right, as the rest of the calibration is.
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import statistics
import sys
import sysconfig
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from real_code import normal  # noqa: E402  (beside this script: one reading of "the same line")

# Standard-library modules whose functions' docstrings show runnable examples; those left out
# open windows (turtle), sockets or processes, or only document interactive sessions.
MODULES = ("statistics", "difflib", "collections/__init__", "textwrap", "urllib/parse", "fractions", "heapq",
           "_pydecimal", "pickletools", "datetime", "ipaddress", "string", "functools", "typing", "enum",
           "locale", "shutil", "getopt", "codecs", "random", "http/cookiejar", "optparse", "pickle", "secrets")


def gaps(per_function: int, seed: int) -> list[dict]:
    """One task per chosen body line: prefix, suffix, the line, where it comes from."""
    from infill import examples

    root = Path(sysconfig.get_paths()["stdlib"])
    rng = random.Random(seed)
    tasks = []
    for module in MODULES:
        path = root / f"{module}.py"
        try:
            text = path.read_text(encoding="utf-8")
            tree = ast.parse(text)
        except (OSError, UnicodeDecodeError, SyntaxError):
            continue
        lines = text.splitlines(keepends=True)
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(line))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or len(node.body) < 2:
                continue
            doc = ast.get_docstring(node, clean=True)
            if not doc or not examples.read_examples(doc, node.name):
                continue
            first = node.body[1].lineno - 1                       # the line after the docstring
            body = [i for i in range(first, node.end_lineno) if lines[i].strip()
                    and not lines[i].lstrip().startswith("#")]
            for i in sorted(rng.sample(body, min(per_function, len(body)))):
                tasks.append({"task_id": f"{module}.py:{i + 1}", "function": node.name,
                              "prefix": text[:starts[i]], "suffix": text[starts[i + 1]:], "answer": lines[i]})
    return tasks


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-function", type=int, default=4)
    ap.add_argument("--limit", type=int, default=0, help="at most this many gaps (0: all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--write", action="store_true", help="store the rates in infill/data/confidence.json")
    ap.add_argument("--out", default=str(HERE / "results" / "examples_gaps.json"))
    args = ap.parse_args()

    from infill.complete import complete
    from infill.config import InfillOptions
    from infill.confidence import CALIBRATION

    tasks = gaps(args.per_function, args.seed)
    if args.limit:
        tasks = random.Random(args.seed).sample(tasks, min(args.limit, len(tasks)))
    opts = InfillOptions(threads=args.threads, min_confidence=0.0, retrieval=False, known_names_ms=300)
    rows = []
    for task in tasks:
        t0 = time.perf_counter()
        done = complete(task["prefix"] + task["suffix"], len(task["prefix"]), "python", opts)
        verdicts = [c for t, cs in done.checked.items() for c in cs if c.name == "examples" and t.strip()]
        ok = sum(c.verdict == "ok" for c in verdicts)
        best_ok = any(c["check"] == "examples" and c["verdict"] == "ok" for c in done.checks)
        rows.append({"task_id": task["task_id"], "exact": normal(done.text) == normal(task["answer"]),
                     "confidence": done.confidence,
                     "examples": ("only" if ok == 1 else "shared") if best_ok else "none",
                     "ms": (time.perf_counter() - t0) * 1000})
    table = {}
    print(f"{len(rows)} gaps in {len({t['task_id'].split(':')[0] for t in tasks})} modules")
    print(f"{'examples':<8} {'gaps':>5} {'exact':>7} {'mean conf':>10}")
    for kind in ("only", "shared", "none"):
        part = [r for r in rows if r["examples"] == kind]
        right = sum(r["exact"] for r in part) / len(part) if part else 0.0
        conf = sum(r["confidence"] for r in part) / len(part) if part else 0.0
        table[kind] = {"gaps": len(part), "exact": round(right, 4), "mean_confidence": round(conf, 4)}
        print(f"{kind:<8} {len(part):>5} {right:>7.3f} {conf:>10.3f}")
    ms = [r["ms"] for r in rows]
    p95 = sorted(ms)[max(0, int(0.95 * len(ms)) - 1)] if ms else 0.0
    print(f"latency p50 {statistics.median(ms) if ms else 0:.0f} ms, p95 {p95:.0f} ms (one thread)")
    summary = {"gaps": len(rows), "per_function": args.per_function, "seed": args.seed, "by_examples": table,
               "latency_ms_p50": round(statistics.median(ms), 1) if ms else 0.0, "latency_ms_p95": round(p95, 1)}
    Path(args.out).write_text(json.dumps(summary, indent=1) + "\n")
    print(f"wrote {args.out}")
    if args.write:
        data = json.loads(CALIBRATION.read_text())
        data["examples"] = {"only": table["only"]["exact"], "shared": table["shared"]["exact"],
                            "fitted_on": f"benchmarks/examples_gaps.py: {len(rows)} single-line gaps of standard-"
                                         f"library functions with docstring examples, label exact match"}
        CALIBRATION.write_text(json.dumps(data, indent=1) + "\n")
        print(f"wrote the examples' rates to {CALIBRATION}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
