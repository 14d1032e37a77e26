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

``--phases``: where a request's wall time goes, each phase's own time (a phase inside another
is taken out of it) as a mean per request: the model's passes by what asked for them (the
canvas's sampling, reading the context, the drafts' likelihood, the retrieval seeds, the known
names' continuations, repair and resampling), the checks, the rest of judging, the context's
extraction, and the rest. The phases are timed by wrapping those functions, so the request
costs a little more than without it.
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


class Phases:
    """Each phase's own wall time: the functions a request runs, wrapped where their callers
    look them up; a phase entered inside another is taken out of the outer one's time."""

    def __init__(self):
        import engine.layers as layers
        import infill.complete as complete
        import infill.rescue as rescue

        self.own: dict[str, float] = {}
        self.stack: list[list] = []      # [name, started, time of the phases inside it]
        self.requests: list[float] = []
        for name, label in (("run_backend", "canvas: sampling"), ("extract", "context extraction"),
                            ("likelihoods", "drafts' likelihood"), ("draft_candidates", "retrieval drafts"),
                            ("name_drafts", "known names' drafts"), ("lookup", "known names' lookup"),
                            ("run_checks", "checks"), ("copies_a_body", "checks"), ("judge", "judging (rest)")):
            setattr(complete, name, self.wrap(getattr(complete, name), label))
        complete.STEPS = tuple(self.wrap(step, f"rescue: {step.__name__}") for step in rescue.STEPS)
        layers.CanvasMixin.encode_context = self.wrap(layers.CanvasMixin.encode_context, "canvas: reading the context")

    def wrap(self, fn, label):
        def timed(*args, **kwargs):
            self.stack.append([label, time.perf_counter(), 0.0])
            try:
                return fn(*args, **kwargs)
            finally:
                name, started, inner = self.stack.pop()
                spent = time.perf_counter() - started
                self.own[name] = self.own.get(name, 0.0) + spent - inner
                if self.stack:
                    self.stack[-1][2] += spent
        timed.__name__ = getattr(fn, "__name__", label)
        return timed

    def request(self, wall_s: float) -> None:
        self.requests.append(wall_s)

    def table(self) -> dict[str, float]:
        n = max(1, len(self.requests))
        out = {name: round(spent / n * 1000, 1) for name, spent in sorted(self.own.items(), key=lambda kv: -kv[1])}
        out["the rest"] = round((sum(self.requests) - sum(self.own.values())) / n * 1000, 1)
        out["request (mean)"] = round(sum(self.requests) / n * 1000, 1)
        print(f"{'phase (own wall time, mean per request)':40} {'ms':>8}")
        for name, ms in out.items():
            print(f"{name:40} {ms:>8}")
        return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--positions", type=int, default=24)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=4, help="the server's automaticSteps")
    p.add_argument("--known-names", action="store_true", help="look up the names valid at the cursor too")
    p.add_argument("--out", default=str(HERE / "results" / "request_cpu.json"))
    p.add_argument("--rows", default=None, help="also write each position's answer here")
    p.add_argument("--phases", action="store_true", help="also time the phases of each request (wall)")
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
    phases = Phases() if args.phases else None

    import argparse as module
    text = Path(module.__file__).read_text(encoding="utf-8")
    rows = text.split("\n")
    results = []
    for line in real_positions(text, args.positions):
        indent = rows[line][:len(rows[line]) - len(rows[line].lstrip())]
        doc = "\n".join(rows[:line] + [indent] + rows[line + 1:])
        offset = sum(len(r) + 1 for r in rows[:line]) + len(indent)
        start, wall = time.process_time(), time.perf_counter()
        res = suggest(Request(doc, offset, "python", path=module.__file__), options)
        if phases:
            phases.request(time.perf_counter() - wall)
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
    if phases:
        summary["phases_ms"] = phases.table()
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
