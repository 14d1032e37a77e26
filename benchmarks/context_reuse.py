"""Context key/value reuse: encoding a context afresh vs reusing the head it shares with the
previous request, for an edit near the cursor.

    python benchmarks/context_reuse.py [--threads 2] [--edits 40]

On the language-server benchmark's 2,000-line file, at spread-out cursor positions: the
context of a blank line opened under a statement is encoded, then one character is typed
at the cursor and the new context is encoded twice: from scratch, and through
``EmbeddedBackend.encode_cached`` (only the tail after the shared head). Prints a table of
medians and writes ``benchmarks/results/context_reuse.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lsp_latency import body_lines, generate_file  # noqa: E402

from infill.context import extract  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--edits", type=int, default=40)
    p.add_argument("--out", default=str(HERE / "results" / "context_reuse.json"))
    args = p.parse_args()
    from engine.backends.embedded import EmbeddedBackend
    be = EmbeddedBackend(threads=args.threads)
    text = generate_file()
    rows = text.split("\n")
    lines = body_lines(text)
    picks = [lines[int(i * (len(lines) - 1) / max(1, args.edits - 1))] for i in range(args.edits)]

    def context_ids(doc: str, offset: int) -> list[int]:
        ctx = extract(doc, offset, "python", prefix_budget=be.prefix_tokens, suffix_budget=be.suffix_tokens,
                      count_tokens=be.count_tokens)
        return be.encode_text(ctx.prefix, ctx.suffix)

    fresh_ms, reuse_ms, shared, total = [], [], [], []
    with torch.inference_mode():
        for line in picks:
            offset = sum(len(r) + 1 for r in rows[: line + 1]) + 8
            before = context_ids("\n".join(rows[: line + 1] + ["        "] + rows[line + 1:]), offset)
            after = context_ids("\n".join(rows[: line + 1] + ["        z"] + rows[line + 1:]), offset + 1)
            t0 = time.perf_counter()
            be.model.encode_context(torch.tensor([after]))
            fresh_ms.append((time.perf_counter() - t0) * 1000)
            be._last_context = None
            be.encode_cached(before)
            t0 = time.perf_counter()
            _, reused = be.encode_cached(after)
            reuse_ms.append((time.perf_counter() - t0) * 1000)
            shared.append(reused)
            total.append(len(after))
    result = {
        "threads": args.threads, "edits": len(picks),
        "context_tokens_median": statistics.median(total), "reused_tokens_median": statistics.median(shared),
        "edits_with_reuse": sum(1 for s in shared if s > 0),
        "encode_fresh_p50_ms": round(statistics.median(fresh_ms), 2),
        "encode_reused_p50_ms": round(statistics.median(reuse_ms), 2),
    }
    result["speedup"] = round(result["encode_fresh_p50_ms"] / max(1e-6, result["encode_reused_p50_ms"]), 2)
    print(f'threads={args.threads} edits={len(picks)} (one character typed at the cursor)')
    print(f'{"metric":36} {"value":>10}')
    for key in ("context_tokens_median", "reused_tokens_median", "edits_with_reuse", "encode_fresh_p50_ms",
                "encode_reused_p50_ms", "speedup"):
        print(f"{key:36} {result[key]:>10}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
