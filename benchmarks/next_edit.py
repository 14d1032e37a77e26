"""Next-edit benchmark: the edit after the one the user just made, on tasks cut from real
commits (``../shared/benchmarks/next-edit/``, read there, never copied: its README says how
they were cut).

    python benchmarks/next_edit.py [--split test]   # predict every task, print the table, write JSON
    python benchmarks/next_edit.py --fit            # fit the confidence model on dev, print WEIGHTS

Per kind (below, above, far, none): right / silent / wrong; the score (the mean of per-kind
accuracy, ``none`` counted by its silence rate) computed here with the data's own
``score.is_right`` and checked equal to what ``score.py`` prints for the same predictions;
the precision of what is shown; latency p50 / p95 of ``infill.next_edit.suggest_next_edit``
(in process, one thread); with ``--server N``, N tasks through the real server over stdio with
10 other documents open, timed from request to answer. Writes a summary to
``benchmarks/results/next_edit.json`` (test; dev: ``next_edit-dev.json``).
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT.parent / "shared" / "benchmarks" / "next-edit"
KINDS = ("below", "above", "far", "none")


def load(split: str, data: Path) -> tuple[list[dict], object, Path]:
    path = data / f"{split}.jsonl.gz"
    if not path.is_file() or not (data / "score.py").is_file():
        sys.exit(f"next-edit data not found: expected {path} and {data / 'score.py'} "
                 "(the shared benchmark folder beside the worktree; --data names another)")
    spec = importlib.util.spec_from_file_location("next_edit_score", data / "score.py")
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()], scorer, path


def predict(tasks: list[dict], min_confidence: float, weights=None, backend=None) -> list[dict]:
    from infill.next_edit.cli import run_next_edit_task
    return [run_next_edit_task(t, min_confidence, weights, backend) for t in tasks]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def summarise(tasks: list[dict], preds: list[dict], scorer) -> dict:
    rows = {k: {"tasks": 0, "right": 0, "silent": 0, "wrong": 0} for k in KINDS}
    for task, pred in zip(tasks, preds):
        row, edit = rows[task["kind"]], pred.get("edit")
        row["tasks"] += 1
        if edit is None:
            row["silent"] += 1
            row["right"] += task["kind"] == "none"
        elif task["kind"] != "none" and scorer.is_right(edit, task["expected"], task["document"]):
            row["right"] += 1
        else:
            row["wrong"] += 1
    present = [k for k in KINDS if rows[k]["tasks"]]
    score = sum(rows[k]["right"] / rows[k]["tasks"] for k in present) / len(present)
    shown = sum(r["tasks"] - r["silent"] for r in rows.values())
    shown_right = sum(rows[k]["right"] for k in KINDS if k != "none")
    latency = [p["latency_ms"] for p in preds]
    return {"tasks": len(tasks), "score": score, "kinds": rows,
            "shown": shown, "precision_of_shown": shown_right / shown if shown else 0.0,
            "none_silent": rows["none"]["silent"] / rows["none"]["tasks"] if rows["none"]["tasks"] else None,
            "latency_ms_p50": percentile(latency, 0.5), "latency_ms_p95": percentile(latency, 0.95),
            "errors": sum("error" in p for p in preds)}


def official_score(path: Path, preds: list[dict], data: Path) -> float:
    """What score.py itself says for these predictions."""
    with tempfile.TemporaryDirectory() as tmp:
        pred_file, out = Path(tmp) / "predictions.jsonl", Path(tmp) / "score.json"
        pred_file.write_text("".join(json.dumps({"task_id": p["task_id"], "edit": p.get("edit")}) + "\n"
                                     for p in preds))
        subprocess.run([sys.executable, str(data / "score.py"), str(path), str(pred_file), "--json", str(out)],
                       check=True, capture_output=True)
        return json.loads(out.read_text())["score"]


def table(summary: dict) -> str:
    lines = [f"{'kind':<7} {'tasks':>6} {'right':>7} {'silent':>7} {'wrong':>7}"]
    for k in KINDS:
        r = summary["kinds"][k]
        if r["tasks"]:
            n = r["tasks"]
            lines.append(f"{k:<7} {n:>6} {r['right'] / n:>7.3f} {r['silent'] / n:>7.3f} {r['wrong'] / n:>7.3f}")
    lines.append(f"score {summary['score']:.4f} (score.py: {summary['official_score']:.4f}); "
                 f"shown {summary['shown']}, {summary['precision_of_shown']:.1%} right; "
                 f"none silent {summary['none_silent']:.1%}")
    lines.append(f"latency p50 {summary['latency_ms_p50']:.1f} ms, p95 {summary['latency_ms_p95']:.1f} ms "
                 f"(in process, one thread; {summary['errors']} error rows)")
    return "\n".join(lines)


def fit(tasks: list[dict], l2: float = 1.0) -> dict[str, float]:
    """Logistic regression (Newton steps, L2) of 'the nearest candidate is right' on its features."""
    import numpy as np

    from infill.next_edit import LineEdit, NextEditRequest
    from infill.next_edit.confidence import FEATURES
    from infill.next_edit.suggest import candidates

    xs, ys = [], []
    for t in tasks:
        e = t["recent_edit"]
        req = NextEditRequest(t["document"], t["language"], (LineEdit(e["start_line"], e["end_line"], e["old_text"],
                                                                       e["new_text"]),), t["cursor"]["line"])
        found = candidates(req)
        if not found:
            continue
        hunk, feats = found[0]
        edit = {"start_line": hunk.start_line, "end_line": hunk.end_line, "new_text": hunk.new_text}
        right = t["kind"] != "none" and SCORER.is_right(edit, t["expected"], t["document"])
        xs.append([feats[f] for f in FEATURES])
        ys.append(float(right))
    x, y = np.array(xs), np.array(ys)
    w = np.zeros(x.shape[1])
    reg = l2 * np.eye(x.shape[1])
    reg[0, 0] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ w))
        grad = x.T @ (p - y) + reg @ w
        hess = x.T @ (x * (p * (1 - p))[:, None]) + reg
        w -= np.linalg.solve(hess, grad)
    print(f"{len(ys)} tasks with a candidate, {int(y.sum())} right")
    return {f: round(float(v), 3) for f, v in zip(FEATURES, w) if abs(v) >= 5e-4}


def before_text(task: dict) -> str:
    """The document before the user's edit (the task's edit taken back)."""
    e = task["recent_edit"]
    lines = task["document"].splitlines(keepends=True)
    new = e["new_text"].splitlines(keepends=True) if e["new_text"] else []
    return "".join(lines[:e["start_line"]]) + e["old_text"] + "".join(lines[e["start_line"] + len(new):])


async def server_latency(tasks: list[dict], open_docs: int, threshold: float) -> dict:
    """Each task through the real server (stdio, pygls client): the document opened as it was
    before the user's edit, the edit sent as a didChange, then ``textDocument/copilotInlineEdit``
    timed from request to answer, with ``open_docs`` other tasks' documents open the whole time.
    The answers are compared with the library's (the same edit or the same silence)."""
    from lsprotocol import types
    from pygls.lsp.client import LanguageClient

    from infill.next_edit.cli import run_next_edit_task

    client = LanguageClient("next-edit-bench", "0")
    await client.start_io(sys.executable, "-m", "lsp_server")
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities(),
                                                         initialization_options={"threads": 1}))
    client.initialized(types.InitializedParams())
    suffix = {"python": "py", "javascript": "js", "typescript": "ts", "go": "go", "rust": "rs"}
    for k, other in enumerate(tasks[-open_docs:] if open_docs else []):
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=f"file:///bench/open_{k}.{suffix[other['language']]}", language_id=other["language"], version=1,
            text=other["document"])))
    latencies, same, shown = [], 0, 0
    for n, task in enumerate(tasks):
        uri = f"file:///bench/task_{n}.{suffix[task['language']]}"
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id=task["language"], version=1, text=before_text(task))))
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=task["document"])]))
        t0 = time.perf_counter()
        result = await client.protocol.send_request_async("textDocument/copilotInlineEdit", {
            "textDocument": {"uri": uri, "version": 2}, "position": task["cursor"]})
        latencies.append((time.perf_counter() - t0) * 1000)
        edits = result.edits if result is not None else []
        mine = run_next_edit_task(task, threshold)["edit"]
        shown += bool(edits)
        if not edits:
            same += mine is None
        elif mine is not None:
            same += edits[0].range.start.line == mine["start_line"] and edits[0].text.rstrip("\n") == \
                mine["new_text"].rstrip("\n")
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return {"tasks": len(tasks), "open_documents": open_docs, "shown": shown, "same_as_library": same,
            "latency_ms_p50": percentile(latencies, 0.5), "latency_ms_p95": percentile(latencies, 0.95)}


SCORER = None


def main() -> int:
    global SCORER
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="test", choices=["dev", "test"])
    ap.add_argument("--data", type=Path, default=DATA, help="the next-edit benchmark folder")
    ap.add_argument("--min-confidence", type=float, default=None,
                    help="threshold (default: nextEditMinConfidence of infill.config)")
    ap.add_argument("--fit", action="store_true", help="fit the confidence model on dev and print WEIGHTS")
    ap.add_argument("--sweep", action="store_true", help="also print score and precision over thresholds")
    ap.add_argument("--server", type=int, default=0, metavar="N",
                    help="also time N tasks through the real server (copilotInlineEdit) with --open-docs open")
    ap.add_argument("--open-docs", type=int, default=10)
    ap.add_argument("--canvas", action="store_true",
                    help="the canvas too (nextEditCanvas): the model rewrites the lines around the edit where "
                         "propagation shows nothing; writes next_edit[-dev]-canvas.json")
    ap.add_argument("--model", default=None, help="--canvas: the model folder, or with --endpoint the served name")
    ap.add_argument("--endpoint", default=None, help="--canvas: an OpenAI-compatible server's URL")
    args = ap.parse_args()
    import torch
    torch.set_num_threads(1)
    if args.fit:
        tasks, SCORER, _ = load("dev", args.data)
        print("WEIGHTS =", json.dumps(fit(tasks)))
        return 0
    from infill.config import InfillOptions
    threshold = InfillOptions().next_edit_min_confidence if args.min_confidence is None else args.min_confidence
    tasks, SCORER, path = load(args.split, args.data)
    backend = None
    if args.canvas:
        from infill.backends import get_backend
        backend = get_backend(InfillOptions(model=args.model, endpoint=args.endpoint, threads=1))
    preds = predict(tasks, 0.0 if args.sweep else threshold, backend=backend)
    if args.sweep:
        for th in [0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6]:
            cut = [p if p.get("confidence", 0) >= th else {**p, "edit": None} for p in preds]
            s = summarise(tasks, cut, SCORER)
            print(f"threshold {th:.2f}: score {s['score']:.4f} shown {s['shown']} precision "
                  f"{s['precision_of_shown']:.3f} none silent {s['none_silent']:.3f}")
        preds = [p if p.get("confidence", 0) >= threshold else {**p, "edit": None} for p in preds]
    summary = summarise(tasks, preds, SCORER)
    if backend is not None:                 # what the canvas added: the answers that differ from propagation's
        alone = predict(tasks, 0.0 if args.sweep else threshold)
        added = [(t, p) for t, p, q in zip(tasks, preds, alone) if p.get("edit") != q.get("edit")
                 and (not args.sweep or p.get("confidence", 0) >= threshold)]
        summary["canvas_shown"] = sum(p.get("edit") is not None for _, p in added)
        summary["canvas_right"] = sum(p.get("edit") is not None and t["kind"] != "none"
                                      and SCORER.is_right(p["edit"], t["expected"], t["document"]) for t, p in added)
    summary["official_score"] = official_score(path, preds, args.data)
    assert abs(summary["official_score"] - summary["score"]) < 1e-9, "this script and score.py disagree"
    summary.update(split=args.split, min_confidence=threshold, canvas=backend.name if backend else None, data=str(path.relative_to(args.data.parent.parent))
                   if args.data == DATA else str(path))
    if args.server:
        import asyncio
        summary["server"] = asyncio.run(server_latency(tasks[:args.server], args.open_docs, threshold))
    print(f"next-edit benchmark, {args.split} split, {len(tasks)} tasks, threshold {threshold}")
    print(table(summary))
    if backend is not None:
        print(f"canvas ({backend.name}): {summary['canvas_shown']} suggestions where propagation was silent, "
              f"{summary['canvas_right']} right")
    if "server" in summary:
        sv = summary["server"]
        print(f"server (stdio, {sv['open_documents']} other documents open, {sv['tasks']} tasks): "
              f"copilotInlineEdit p50 {sv['latency_ms_p50']:.1f} ms, p95 {sv['latency_ms_p95']:.1f} ms; "
              f"{sv['shown']} shown; {sv['same_as_library']}/{sv['tasks']} answers the same as the library's")
    name = "next_edit" + ("" if args.split == "test" else f"-{args.split}") + ("-canvas" if args.canvas else "")
    out = HERE / "results" / f"{name}.json"
    out.write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
