"""CPU per request on a real file: ``infill.suggest`` alone, as the language server calls it.

    python benchmarks/request_cpu.py [--positions 24] [--threads 1] [--steps 4] [--out PATH]

Reads the interpreter's own ``argparse.py`` (2,600 lines of the standard library, where it is
installed; nothing is copied), blanks a line in each of ``--positions`` methods (chosen with
a fixed seed: the positions of ``lsp_latency.py``'s real-file case) after its indentation, and
completes it with the server's automatic options (``--steps`` forward passes per block, the
embedded model, no known names unless ``--known-names``). It measures the process's CPU time
(``time.process_time``) of each request and of the imports and model load: on a shared machine
CPU time moves less than wall time, and one thread keeps it comparable between runs.

Prints a table (p50 / p95 CPU per request, imports and load) and writes the summary to
``--out`` (``benchmarks/results/request_cpu.json``); ``--rows PATH`` also writes each position's
answer and confidence (completions of the standard library's code: not for the repository).
Two commits whose rows agree position by position made the same suggestions.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--positions", type=int, default=24)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=4, help="the server's automaticSteps")
    p.add_argument("--known-names", action="store_true", help="look up the names valid at the cursor too")
    p.add_argument("--out", default=str(HERE / "results" / "request_cpu.json"))
    p.add_argument("--rows", default=None, help="also write each position's answer here")
    args = p.parse_args()

    t0 = time.process_time()
    from infill.backends import get_backend
    from infill.config import InfillOptions
    from infill.suggest import Request, suggest
    from lsp_latency import real_positions

    options = replace(InfillOptions(), steps=args.steps, threads=args.threads)
    if "known_names" in {f for f in InfillOptions.__dataclass_fields__}:
        options = replace(options, known_names=args.known_names)
    get_backend(options)
    load_s = time.process_time() - t0

    import argparse as module
    text = Path(module.__file__).read_text(encoding="utf-8")
    rows = text.split("\n")
    results = []
    for line in real_positions(text, args.positions):
        indent = rows[line][:len(rows[line]) - len(rows[line].lstrip())]
        doc = "\n".join(rows[:line] + [indent] + rows[line + 1:])
        offset = sum(len(r) + 1 for r in rows[:line]) + len(indent)
        start = time.process_time()
        res = suggest(Request(doc, offset, "python", path=module.__file__), options)
        results.append({"line": line, "cpu_ms": round((time.process_time() - start) * 1000, 1),
                        "answer": res.text, "confidence": round(res.confidence, 4), "shown": res.shown,
                        "forward_passes": res.forward_passes})
    cpu = sorted(r["cpu_ms"] for r in results)
    summary = {"file": f"argparse.py of Python {sys.version_info.major}.{sys.version_info.minor}",
               "positions": len(results), "threads": args.threads, "steps": args.steps,
               "known_names": args.known_names, "imports_and_load_cpu_s": round(load_s, 2),
               "cpu_p50_ms": statistics.median(cpu), "cpu_p95_ms": cpu[int(0.95 * (len(cpu) - 1))],
               "shown": sum(r["shown"] for r in results)}
    print(f"{summary['file']}, {len(results)} positions, {args.threads} thread(s), steps {args.steps}, "
          f"known names {'on' if args.known_names else 'off'}")
    print(f"{'metric':32} {'value':>10}")
    for name, key in (("CPU per request p50 (ms)", "cpu_p50_ms"), ("CPU per request p95 (ms)", "cpu_p95_ms"),
                      ("imports and load CPU (s)", "imports_and_load_cpu_s"), ("shown", "shown")):
        print(f"{name:32} {summary[key]:>10}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=1) + "\n")
    print(f"wrote {out}")
    if args.rows:
        Path(args.rows).write_text(json.dumps({**summary, "rows": results}, indent=1) + "\n")
        print(f"wrote {args.rows}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
