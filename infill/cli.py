"""The ``infill`` command: headless infilling for people and CI bots.

    infill complete FILE:LINE:COL [--json]    print the text to insert (1-based line and column); when
                                              nothing is shown, one line on stderr says why
    infill batch < tasks.jsonl                one JSON line out per task line in
    infill eval [--subset single-line]        HumanEval infilling: pass@1, exact match, latency
    infill rewrite FILE:START-END             re-denoise lines, print a unified diff (infill.bot)
    infill fix [-- PYTEST ARGS]               a test-verified patch for failing tests (infill.bot)
    infill next-edit < tasks.jsonl            the edit after the user's last one, per task (infill.next_edit)

Errors in the library are typed (``InfillError``) and become one line on stderr here, with
exit status 1 (2 for bad usage and a repository ``fix`` or ``--apply`` refuses); in ``batch`` they become an ``error`` field and the batch
goes on.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .bot import add_bot_parsers, cmd_fix, cmd_rewrite
from .config import InfillOptions, add_option_flags, options_from_args
from .errors import InfillError, RepositoryError, TaskError, UsageError
from .files import read_source

def parse_location(spec: str) -> tuple[str, int, int]:
    """``FILE:LINE:COL`` (1-based) -> (file, line, col); the file may itself contain colons."""
    parts = spec.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        raise UsageError(f"expected FILE:LINE:COL with 1-based numbers, got {spec!r}")
    line, col = int(parts[1]), int(parts[2])
    if line < 1 or col < 1:      # bad usage (2), as -1 is: only what lies past the file's end is input (1)
        raise UsageError(f"line and column are 1-based, got {line}:{col}")
    return parts[0], line, col


def cmd_complete(args, opts: InfillOptions) -> int:
    from .backends import check_language, get_backend
    from .context import position_to_offset
    from .decision import decision
    from .drafting import workspace_neighbours
    from .languages import language_for_path, resolve_language
    from .suggest import Request, suggest

    path, line, col = parse_location(args.location)
    language = resolve_language(args.language) if args.language else language_for_path(path)
    text = read_source(path)
    offset = position_to_offset(text, line - 1, col - 1, base=1)
    if opts.known_names:                 # the names at the cursor are looked up while the model loads
        from .names import lookup
        from .suggest import Request as _Request
        lookup(text, offset, language, _Request(text, offset, language, path=path).project_root(), path)
    t0 = time.perf_counter()
    backend = get_backend(opts)          # loaded once: latency_ms is the request alone
    load_ms = (time.perf_counter() - t0) * 1000
    check_language(backend, language)    # before the workspace is read for it
    neighbours = workspace_neighbours(opts, path, language)
    result = suggest(Request(text, offset, language, path=path, neighbours=neighbours), opts, backend=backend)
    said = decision(result, opts.min_confidence)
    if args.json:
        row = result.to_dict()
        if not args.debug:
            row.pop("features", None)
        print(json.dumps({"file": path, "line": line, "column": col, **row, "text": result.text if result.shown else "",
                          "best": result.text, "decision": said["reason"], "message": said["message"],
                          "load_ms": round(load_ms, 1)}))
    elif result.shown:
        sys.stdout.write(result.text if result.text.endswith("\n") else result.text + "\n")
    else:                  # silence that says why: one line on stderr, exit 0
        print(f"infill: {said['message']}", file=sys.stderr)
    return 0


def run_task(task: dict, opts: InfillOptions) -> dict:
    from .drafting import workspace_neighbours
    from .suggest import Request, suggest

    if not isinstance(task, dict):
        raise TaskError("a task must be a JSON object")
    prefix, suffix = task.get("prefix"), task.get("suffix", "")
    if not isinstance(prefix, str) or not isinstance(suffix, str):
        raise TaskError("a task needs string fields 'prefix' (and optionally 'suffix')")
    from .languages import DEFAULT_LANGUAGE, language_for_path, resolve_language
    language, path = task.get("language"), task.get("path")
    if not isinstance(language, (str, type(None))) or not isinstance(path, (str, type(None))):
        raise TaskError("a task's 'language' and 'path' must be strings ('typescript', 'src/app.ts')")
    if path is not None and "\x00" in path:
        raise TaskError("a task's 'path' holds a NUL character")
    if language is not None:
        language = resolve_language(language)
    else:
        language = language_for_path(path) if path else DEFAULT_LANGUAGE
    t0 = time.perf_counter()
    neighbours = workspace_neighbours(opts, path, language)
    res = suggest(Request(prefix + suffix, len(prefix), language, path=path, neighbours=neighbours), opts)
    return {"completion": res.text, "forward_passes": res.forward_passes, "tokens": res.tokens,
            "latency_ms": round((time.perf_counter() - t0) * 1000, 2), "gap_kind": res.gap_kind,
            "syntax_valid": res.syntax_valid, "candidates": res.candidates, "confidence": res.confidence,
            "shown": res.shown, "drafted": bool(res.retrieved and res.retrieved[0] > 0)}


def cmd_batch(args, opts: InfillOptions) -> int:
    for n, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        task_id = None
        try:
            task = json.loads(line)
            task_id = task.get("task_id", n) if isinstance(task, dict) else n
            out = {"task_id": task_id, **run_task(task, opts)}
        except json.JSONDecodeError as exc:
            out = {"task_id": n, "error": f"line {n}: invalid JSON ({exc.msg})"}
        except InfillError as exc:
            out = {"task_id": task_id if task_id is not None else n, "error": str(exc)}
        print(json.dumps(out), flush=True)
    return 0


def cmd_eval(args, opts: InfillOptions) -> int:
    from .eval.humaneval import evaluate, find_data_dir, load_tasks

    data_dir = find_data_dir(args.data)
    tasks = load_tasks(args.subset, data_dir, limit=args.limit or None, seed=args.subset_seed)
    from .backends import get_backend
    get_backend(opts)  # load before timing starts

    def complete_fn(task):
        out = run_task({"prefix": task.prompt, "suffix": task.suffix}, opts)
        return out

    report = evaluate(tasks, complete_fn, workers=args.workers, timeout_s=args.timeout,
                      progress=not args.quiet, any_of=args.any_of)
    print(f"subset {args.subset}, {len(tasks)} tasks, sampler {opts.sampler}, candidates {opts.candidates}")
    print(report.format_table())
    if args.out:
        payload = {"subset": args.subset, "options": vars(opts), **report.to_dict()}
        Path(args.out).write_text(json.dumps(payload, indent=1))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="infill", description="Code infilling with a discrete-diffusion model.")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("complete", help="print the text to insert at FILE:LINE:COL (1-based)")
    c.add_argument("location", metavar="FILE:LINE:COL")
    c.add_argument("--json", action="store_true", help="print a JSON object with statistics: `text` is what is "
                   "shown (empty when nothing is), `best` the best candidate, `message` why it is shown or not")
    c.add_argument("--debug", action="store_true", help="with --json: the confidence's raw `features` too")
    c.add_argument("--language", help="the file's language (a name such as typescript, or an LSP id such as typescriptreact) instead of the one its name gives")
    b = sub.add_parser("batch", help="JSON Lines tasks on stdin -> JSON Lines results on stdout")
    e = sub.add_parser("eval", help="HumanEval infilling benchmark")
    e.add_argument("--subset", default="single-line",
                   choices=["single-line", "multi-line", "random-span", "random-span-light"])
    e.add_argument("--data", help="folder with the HumanEval-*Infilling.jsonl.gz files")
    e.add_argument("--limit", type=int, default=0, help="a fixed seeded subset of this many tasks")
    e.add_argument("--subset-seed", type=int, default=0)
    e.add_argument("--workers", type=int, default=2, help="test subprocesses at once")
    e.add_argument("--timeout", type=float, default=10.0, help="seconds per test run")
    e.add_argument("--out", help="write the full report as JSON here")
    e.add_argument("--any-of", action="store_true",
                   help="also test every distinct candidate (with --candidates K) and report pass@any, "
                        "the share of tasks some candidate passes: the ceiling of a perfect ranker")
    e.add_argument("--quiet", action="store_true")
    n = sub.add_parser("next-edit", help="JSON Lines next-edit tasks on stdin -> one prediction line per task")
    for sp in (c, b, e, n):
        add_option_flags(sp)
    add_bot_parsers(sub)  # rewrite, fix
    return p


def cmd_next_edit(args, opts: InfillOptions) -> int:
    from .next_edit.cli import cmd_next_edit as run
    return run(args, opts)


COMMANDS = {"complete": cmd_complete, "batch": cmd_batch, "eval": cmd_eval,
            "rewrite": cmd_rewrite, "fix": cmd_fix, "next-edit": cmd_next_edit}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        opts = options_from_args(args)
        return COMMANDS[args.command](args, opts)
    except InfillError as exc:
        print(f"infill: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, (UsageError, RepositoryError)) else 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
