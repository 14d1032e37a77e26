"""Each diffusion family's tiny checkpoint through ``infill complete``: load, passes, latency, memory.

    python benchmarks/checkpoints.py [--threads 1] [--repeats 5]

For each family (LLaDA, Dream, DreamOn, Open-dCoder, CoDA) a tiny checkpoint is written in
its published layout (``tests/diffusion_checkpoints.py``: random weights, 2 layers, hidden 32),
then, in a fresh subprocess per family so peak memory is that family's alone:

- load: ``load_backend(DIR)`` wall time (config, headers, weights, tokenizer), Python's
  imports of torch and transformers done before the clock starts;
- ``infill complete examples/stats.py:7:14`` (the CLI's ``--json`` path, 4 candidates, no
  workspace): forward passes and latency (median of ``--repeats`` runs after one warm-up);
- peak memory: the process's maximum resident set (``ru_maxrss``), Python and torch included.

The embedded model (the one shipped in the package) runs the same way as the baseline row.
The figures measure our loading and decoding path on CPU, not any model's quality: the
weights are random. Writes ``benchmarks/results/checkpoints.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

LOCATION = f"{ROOT / 'examples' / 'stats.py'}:7:14"
FAMILIES = ["llada", "dream", "dreamon", "open_dcoder", "coda"]


def _import_modules() -> None:
    import transformers

    import engine.backends.checkpoint  # noqa: F401
    import engine.backends.embedded  # noqa: F401
    import engine.backends.transformers_local  # noqa: F401
    for name in ("LlamaForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM", "PreTrainedTokenizerFast",
                 "AutoTokenizer"):
        getattr(transformers, name)


def measure(family: str, threads: int, repeats: int) -> dict:
    """One family in this process: write, load, complete."""
    import torch

    from infill.cli import main
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp:
        folder = None
        if family != "embedded":
            from diffusion_checkpoints import WRITERS
            folder = Path(tmp)
            WRITERS[family](folder)
        from engine.backends import load_backend
        _import_modules()                                # load time without Python's imports
        t0 = time.perf_counter()
        backend = load_backend(str(folder) if folder else None, threads=threads)
        load_ms = (time.perf_counter() - t0) * 1000
        args = ["complete", LOCATION, "--json", "--workspace", "", "--threads", str(threads)]
        args += ["--model", str(folder)] if folder else []
        runs = []
        for _ in range(repeats + 1):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                assert main(args) == 0
            runs.append(json.loads(out.getvalue()))
        runs = runs[1:]                                  # the first run warms caches up
        info = backend.describe()
    return {"family": family, "architecture": info.get("architecture", "canvas denoiser"),
            "parameters": info.get("parameters"), "load_ms": round(load_ms, 1),
            "forward_passes": statistics.median(r["forward_passes"] for r in runs),
            "latency_ms": round(statistics.median(r["latency_ms"] for r in runs), 1),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--one", help=argparse.SUPPRESS)             # run one family in this process
    ap.add_argument("--out", default=str(HERE / "results" / "checkpoints.json"))
    args = ap.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.threads, args.repeats)))
        return
    rows = []
    for family in ["embedded", *FAMILIES]:
        proc = subprocess.run([sys.executable, __file__, "--one", family, "--threads", str(args.threads),
                               "--repeats", str(args.repeats)], capture_output=True, text=True, check=False)
        if proc.returncode:
            sys.exit(f"{family} failed:\n{proc.stderr[-2000:]}")
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    head = f"{'family':<12} {'architecture':<22} {'params':>9} {'load ms':>8} {'passes':>7} {'latency ms':>11} {'peak MiB':>9}"
    print(head)
    for r in rows:
        print(f"{r['family']:<12} {r['architecture']:<22} {r['parameters'] or 0:>9} {r['load_ms']:>8} "
              f"{r['forward_passes']:>7} {r['latency_ms']:>11} {r['peak_rss_mib']:>9}")
    payload = {"command": f"python benchmarks/checkpoints.py --threads {args.threads} --repeats {args.repeats}",
               "location": "examples/stats.py:7:14", "threads": args.threads, "repeats": args.repeats,
               "machine": platform.platform(), "python": platform.python_version(),
               "note": "tiny random-weight checkpoints in each family's published layout; CPU fp32; "
                       "latency = median of repeats after one warm-up; peak = ru_maxrss of a fresh process",
               "rows": rows}
    Path(args.out).write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
