"""Language-server latency: inline completion on a 2,000-line file, cache hits, a typing burst.

    python benchmarks/lsp_latency.py [--model DIR] [--threads 2] [--requests 40] [--burst 300]

Starts the real server (``python -m lsp_server``, stdio) with the embedded model unless
``--model`` is given, opens a generated 2,000-line Python file and measures, from the
client (so stdio framing is included):

- inline completion latency (automatic trigger, a cache miss each) at spread-out positions;
- typing into a shown suggestion (the prefix cache answers): the next character typed;
- an edit near the cursor that is not the suggestion (a prefix-cache miss whose context
  keys and values are mostly reused from the previous request): one other character typed;
- a burst of requests one every 30 ms, each after one typed character, as an editor without
  debounce would send them: how many were answered / superseded / failed, how long after
  the burst's end the last one was answered, and the server's resident memory growth;
- ``--edits`` edits (one typed character each, spread over the file) with no request: the
  resident memory before and after, with the chunk index of the open documents and the ring
  of recent edits updated on every one.

- a real 2,600-line module, ``argparse.py`` of the interpreter's own standard library (read
  where it is installed; nothing is copied): ``--real-requests`` lines of its methods, chosen
  with a fixed seed, each blanked after its indentation as if the user had just opened it,
  one automatic request each, and typing the first character of each shown suggestion.

``--open-docs`` other generated modules (different names, same shapes) are open the whole
time, so drafts and the chunk index of open documents are part of every request. The server
runs with ``minConfidence`` 0 (``--min-confidence``): every suggestion is shown, so typing into
one can be timed; the work per request is the same at any threshold.

Prints a table and writes ``benchmarks/results/lsp_latency.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

HERE = Path(__file__).resolve().parent
URI = "file:///bench/big.py"


def generate_file(lines: int = 2000, tag: str = "") -> str:
    """A plausible Python module of about ``lines`` lines: small classes and functions
    (``tag`` changes its names: another module of the same project)."""
    out, i = ["import os", "import sys", "from dataclasses import dataclass", "", ""], 0
    while len(out) < lines:
        out += [
            "@dataclass", f"class Record{tag}{i}:", f"    name: str", f"    size: int = {i}", "",
            f"    def total(self, items: list[int]) -> int:", "        result = 0",
            "        for item in items:", f"            result += item * {i % 7 + 1}",
            "        return result + self.size", "", "",
            f"def load{tag}_{i}(path: str) -> list[str]:", "    with open(path) as handle:",
            "        lines = [line.strip() for line in handle]", "    return [l for l in lines if l]", "", "",
        ]
        i += 1
    return "\n".join(out[:lines]) + "\n"


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def inline(uri: str, line: int, character: int) -> types.InlineCompletionParams:
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=character),
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic))


class Session:
    def __init__(self, client: LanguageClient, text: str):
        self.client, self.text, self.version = client, text, 1

    def set_text(self, text: str) -> None:
        self.version += 1
        self.text = text
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=self.version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))

    async def ask(self, line: int, character: int):
        t0 = time.perf_counter()
        result = await self.client.text_document_inline_completion_async(inline(URI, line, character))
        return result, (time.perf_counter() - t0) * 1000


def body_lines(text: str) -> list[int]:
    """Lines that end a statement inside a function body: the cursor goes at their end."""
    return [i for i, l in enumerate(text.split("\n")) if l.startswith("        result = 0")]


def real_positions(text: str, n: int, seed: int = 0) -> list[int]:
    """``n`` lines of code inside functions (indented 8 or more), chosen with a fixed seed."""
    rows = text.split("\n")
    code = [i for i, line in enumerate(rows) if line.startswith("        ") and line.strip()
            and not line.strip().startswith(("#", '"', "'", ")", "]", "}"))]
    return sorted(random.Random(seed).sample(code, min(n, len(code))))


async def real_file(client: LanguageClient, requests: int) -> dict:
    """Automatic requests on a blanked line of each of ``requests`` places of a real module."""
    import argparse as module
    path = Path(module.__file__)
    text = path.read_text(encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    version, latencies, typed, answered = 1, [], [], 0

    def change(new: str) -> None:
        nonlocal version
        version += 1
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=new)]))

    async def ask(line: int, character: int):
        t0 = time.perf_counter()
        result = await client.text_document_inline_completion_async(inline(uri, line, character))
        return result, (time.perf_counter() - t0) * 1000

    rows = text.split("\n")
    for line in real_positions(text, requests):
        indent = rows[line][:len(rows[line]) - len(rows[line].lstrip())]
        blanked = rows[:line] + [indent] + rows[line + 1:]
        change("\n".join(blanked))
        result, ms = await ask(line, len(indent))
        latencies.append(ms)
        if result and result.items and result.items[0].insert_text[:1].strip():
            answered += 1
            first = result.items[0].insert_text[0]
            change("\n".join(blanked[:line] + [indent + first] + blanked[line + 1:]))
            _, hit_ms = await ask(line, len(indent) + 1)
            typed.append(hit_ms)
    change(text)
    return {"file": f"argparse.py of Python {sys.version_info.major}.{sys.version_info.minor}",
            "file_lines": len(rows), "requests": len(latencies), "answered": answered,
            "p50_ms": round(percentile(latencies, 0.5), 1), "p95_ms": round(percentile(latencies, 0.95), 1),
            "latencies_ms": [round(ms) for ms in latencies],       # in request order: where the slow ones are
            "typing_into_suggestion": {"requests": len(typed), "p50_ms": round(percentile(typed, 0.5), 2),
                                       "p95_ms": round(percentile(typed, 0.95), 2)}}


async def measure(args) -> dict:
    client = LanguageClient("lsp-latency-bench", "0")
    await client.start_io(sys.executable, "-m", "lsp_server")
    pid = client._server.pid
    init = {"threads": args.threads, "minConfidence": args.min_confidence, **({"model": args.model} if args.model else {})}
    t0 = time.perf_counter()
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities(),
                                                         initialization_options=init))
    client.initialized(types.InitializedParams())
    text = generate_file()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=URI, language_id="python", version=1, text=text)))
    for k in range(args.open_docs):
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=f"file:///bench/other_{k}.py", language_id="python", version=1,
            text=generate_file(tag=f"_m{k}"))))
    s = Session(client, text)
    await s.ask(3, 0)   # waits for the model load (queued behind it on the worker)
    load_s = time.perf_counter() - t0
    await asyncio.sleep(1.0)   # the chunk index of the open documents is built in the background

    # 1. cache misses at spread-out positions: a blank line opened under a statement
    lines = body_lines(text)
    picks = [lines[int(i * (len(lines) - 1) / max(1, args.requests - 1))] for i in range(args.requests)]
    latencies, hit_latencies, edit_latencies, answered = [], [], [], 0
    for line in picks:
        rows = text.split("\n")
        base = "\n".join(rows[: line + 1] + ["        "] + rows[line + 1:])
        s.set_text(base)
        result, ms = await s.ask(line + 1, 8)
        latencies.append(ms)
        if not result or not result.items:
            s.set_text(text)
            continue
        answered += 1
        # 2a. type a character the suggestion does not start with: a new completion, whose
        # context differs from the last one only at the cursor
        other = "z" if not result.items[0].insert_text.startswith("z") else "q"
        rows2 = base.split("\n")
        rows2[line + 1] = "        " + other
        s.set_text("\n".join(rows2))
        _, edit_ms = await s.ask(line + 1, 9)
        edit_latencies.append(edit_ms)
        s.set_text(base)
        result, _ = await s.ask(line + 1, 8)   # the first suggestion again (a prefix-cache hit)
        if not result or not result.items:
            s.set_text(text)
            continue
        # 2b. type the first characters of the suggestion: answered from the cache
        suggestion = result.items[0].insert_text
        typed = ""
        for ch in suggestion[: min(3, len(suggestion) - 1)]:
            if ch == "\n":
                break
            typed += ch
            rows2 = base.split("\n")
            rows2[line + 1] = "        " + typed
            s.set_text("\n".join(rows2))
            _, hit_ms = await s.ask(line + 1, 8 + len(typed))
            hit_latencies.append(hit_ms)
        s.set_text(text)

    real = await real_file(client, args.real_requests)

    # 3. a burst at typing speed: one character, one request, every 30 ms
    rss_before = rss_mb(pid)
    line = lines[len(lines) // 2]
    rows = text.split("\n")
    typed_word = ("value = compute(items, size) + offset * 2 " * 20)[: args.burst]
    tasks, sent_at = [], []
    burst_start = time.perf_counter()
    for k in range(args.burst):
        rows_k = rows[: line + 1] + ["        " + typed_word[: k + 1]] + rows[line + 1:]
        s.set_text("\n".join(rows_k))
        sent_at.append(time.perf_counter())
        tasks.append(asyncio.ensure_future(s.ask(line + 1, 8 + k + 1)))
        await asyncio.sleep(0.030)
    burst_end = time.perf_counter()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    last_done = time.perf_counter()
    rss_after = rss_mb(pid)
    errors = sum(isinstance(o, BaseException) for o in outcomes)
    results = [o[0] for o in outcomes if not isinstance(o, BaseException)]
    with_items = sum(1 for r in results if r and r.items)
    last = outcomes[-1]
    last_ms = last[1] if not isinstance(last, BaseException) else float("nan")

    # 4. many edits, no requests: what the chunk index and the ring of edits keep
    await asyncio.sleep(1.0)
    rss_edits_before = rss_mb(pid)
    current = text
    for k in range(args.edits):
        rows = current.split("\n")
        row = (k * 37) % (len(rows) - 1)
        rows[row] = rows[row] + ("x" if k % 2 == 0 else "")
        current = "\n".join(rows)
        s.set_text(current)
        if k % 50 == 49:
            await asyncio.sleep(0.05)
    result, _ = await s.ask(lines[0] + 1, 0)      # the server has taken in every edit
    await asyncio.sleep(1.0)
    rss_edits_after = rss_mb(pid)

    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return {
        "model": args.model or "embedded", "threads": args.threads, "file_lines": len(text.split("\n")) - 1,
        "open_docs": args.open_docs,
        "edits": {"count": args.edits, "rss_before_mb": round(rss_edits_before, 1),
                  "rss_after_mb": round(rss_edits_after, 1),
                  "rss_growth_mb": round(rss_edits_after - rss_edits_before, 1)},
        "startup_and_load_s": round(load_s, 2),
        "real_file": real,
        "inline": {"requests": len(latencies), "answered": answered,
                   "p50_ms": round(percentile(latencies, 0.5), 1), "p95_ms": round(percentile(latencies, 0.95), 1)},
        "edit_near_cursor": {"requests": len(edit_latencies), "p50_ms": round(percentile(edit_latencies, 0.5), 1),
                             "p95_ms": round(percentile(edit_latencies, 0.95), 1)},
        "cache_hit": {"requests": len(hit_latencies), "p50_ms": round(percentile(hit_latencies, 0.5), 2),
                      "p95_ms": round(percentile(hit_latencies, 0.95), 2)},
        "burst": {"requests": args.burst, "interval_ms": 30, "errors": errors,
                  "answered_with_items": with_items, "null_superseded_or_empty": len(results) - with_items,
                  "last_request_ms": round(last_ms, 1),
                  "last_answered_after_burst_end_ms": round((last_done - burst_end) * 1000, 1),
                  "duration_s": round(burst_end - burst_start, 2),
                  "rss_before_mb": round(rss_before, 1), "rss_after_mb": round(rss_after, 1),
                  "rss_growth_mb": round(rss_after - rss_before, 1)},
    }


def print_table(r: dict) -> None:
    rows = [
        ("inline completion p50 (ms)", r["inline"]["p50_ms"], "<= 120"),
        ("inline completion p95 (ms)", r["inline"]["p95_ms"], "<= 300"),
        ("edit near cursor p50 (ms)", r["edit_near_cursor"]["p50_ms"], "-"),
        ("cache hit p50 (ms)", r["cache_hit"]["p50_ms"], "<= 5"),
        (f'{r["real_file"]["file_lines"]}-line argparse.py: inline p50 (ms)', r["real_file"]["p50_ms"], "<= 120"),
        (f'{r["real_file"]["file_lines"]}-line argparse.py: inline p95 (ms)', r["real_file"]["p95_ms"], "<= 300"),
        ("argparse.py: typing into a suggestion p50 (ms)", r["real_file"]["typing_into_suggestion"]["p50_ms"], "<= 5"),
        ("burst: answered / null / errors",
         f'{r["burst"]["answered_with_items"]} / {r["burst"]["null_superseded_or_empty"]} / {r["burst"]["errors"]}',
         "errors 0"),
        ("burst: last answered after end (ms)", r["burst"]["last_answered_after_burst_end_ms"], "<= 300"),
        ("burst: RSS growth (MB)", r["burst"]["rss_growth_mb"], "< 50"),
        (f'RSS after {r["edits"]["count"]} edits (MB)', r["edits"]["rss_after_mb"], "-"),
        ("RSS growth over those edits (MB)", r["edits"]["rss_growth_mb"], "bounded"),
    ]
    print(f'model={r["model"]} threads={r["threads"]} file={r["file_lines"]} lines open-docs={r["open_docs"]} '
          f'inline n={r["inline"]["requests"]} cache-hit n={r["cache_hit"]["requests"]}')
    print(f'{"metric":40} {"value":>16} {"target":>10}')
    for name, value, target in rows:
        print(f"{name:40} {str(value):>16} {target:>10}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default=None, help="model folder (default: the embedded model)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--requests", type=int, default=40, help="cache-miss inline requests")
    p.add_argument("--burst", type=int, default=300)
    p.add_argument("--real-requests", type=int, default=32, help="requests on the real 2,600-line module")
    p.add_argument("--min-confidence", type=float, default=0.0,
                   help="the server's minConfidence: 0 (default) shows every suggestion, so that typing into "
                        "one can be timed; latency does not depend on it")
    p.add_argument("--open-docs", type=int, default=10, help="other open documents (drafts come from them)")
    p.add_argument("--edits", type=int, default=1000, help="edits with no request, for the memory figure")
    p.add_argument("--out", default=str(HERE / "results" / "lsp_latency.json"))
    args = p.parse_args()
    result = asyncio.run(measure(args))
    print_table(result)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
