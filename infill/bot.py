"""The CI-bot commands of ``infill``: ``rewrite`` and ``fix``.

    infill rewrite FILE:START-END [--format diff|json|github] [--apply]
    infill fix [--repo DIR] [--format diff|json|github] [--apply [--force]] [-- PYTEST ARGS...]

Both print a unified diff by default and leave files alone unless ``--apply`` is given,
which writes through ``patch.write_atomic``. ``fix`` exits 0 when every failing test is
fixed (or none fails), 1 without a verified fix for all of them (a fix for some of them,
status "partial", is still printed and applied), 2 on a usage or environment error (no
tests, import errors, not Python, pytest missing, a dirty tree for ``--apply``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from .config import InfillOptions, add_option_flags
from .errors import InputFileError, PositionError, RepositoryError, UsageError
from .patch import github_suggestions, unified_diff, write_atomic

FORMATS = ("diff", "json", "github")


def add_bot_parsers(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("rewrite", help="re-denoise lines START-END (1-based, inclusive) of FILE; print a diff")
    r.add_argument("location", metavar="FILE:START-END")
    r.add_argument("--language", help="the file's language (a name such as typescript, or an LSP id such as typescriptreact) instead of the one its name gives")
    _output_flags(r)
    add_option_flags(r)
    f = sub.add_parser("fix", help="find a patch that makes the failing tests pass, verified in a sandbox")
    f.add_argument("pytest_args", nargs="*", metavar="PYTEST_ARGS", help="after --: arguments for pytest")
    f.add_argument("--repo", default=".", help="repository root (default: the current folder)")
    f.add_argument("--test-timeout", type=float, default=20.0, help="seconds per test run")
    f.add_argument("--test-memory-mb", type=int, default=2048, help="address-space limit per test run")
    f.add_argument("--max-gaps", type=int, default=8, help="gaps tried per suspect place")
    f.add_argument("--max-time", type=float, default=300.0, help="seconds before the search gives up")
    f.add_argument("--deepen-to", type=int, default=16, metavar="N",
                   help="when every gap has had its --candidates and time is left, try each gap's next "
                        "candidates up to N (at most 16; N <= --candidates: no second pass)")
    f.add_argument("--python", default=sys.executable, help="interpreter that runs pytest")
    f.add_argument("--plugin-autoload", action=argparse.BooleanOptionalAction, default=True,
                   help="let pytest load third-party plugins (off: faster runs)")
    f.add_argument("--localize", action=argparse.BooleanOptionalAction, default=True,
                   help="trace the tests once and try first the lines the failing tests run and the "
                        "passing ones do not (Ochiai)")
    f.add_argument("--quiet", action="store_true",
                   help="no progress line on stderr (shown only on a terminal, and never with --format json)")
    f.add_argument("--missing-lines", action=argparse.BooleanOptionalAction, default=False,
                   help="also try a line inserted before statements near the failure, last (off: the "
                        "embedded model rarely writes the missing line, and the tries cost time)")
    _output_flags(f)
    add_option_flags(f)
    f.set_defaults(candidates=8)


def _output_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=FORMATS, default="diff", help="unified diff, JSON or GitHub suggestions")
    p.add_argument("--apply", action="store_true", help="write the change (atomically)")
    p.add_argument("--force", action="store_true", help="--apply even with uncommitted git changes")


# ---------------------------------------------------------------- rewrite


def parse_line_range(spec: str) -> tuple[str, int, int]:
    """``FILE:START-END`` or ``FILE:LINE`` (1-based, inclusive) -> (file, start, end)."""
    path, _, lines = spec.rpartition(":")
    first, _, last = lines.partition("-")
    if not path or not first.isdigit() or not (last or first).isdigit():
        raise UsageError(f"expected FILE:START-END with 1-based line numbers, got {spec!r}")
    if not last and re.fullmatch(r".+:\d+", path) and not os.path.exists(path) \
            and os.path.exists(path.rpartition(":")[0]):
        raise UsageError(f"expected FILE:START-END with 1-based line numbers, got {spec!r} "
                         "(a FILE:LINE:COL position: rewrite takes whole lines)")
    start, end = int(first), int(last or first)
    if start < 1 or end < start:
        raise UsageError(f"lines are 1-based and START <= END, got {start}-{end}")
    return path, start, end


def line_span(text: str, first: int, last: int) -> tuple[int, int]:
    """Offsets of lines first..last (1-based): from the first one's first non-blank character
    (its indentation stays) to the last one's end (its line break stays)."""
    from .context import line_count
    lines = text.split("\n")
    count = line_count(text)
    if last > count:
        raise PositionError(f"line {last} is past the end of the file ({count} lines)")
    indent = len(lines[first - 1]) - len(lines[first - 1].lstrip(" \t"))
    start = sum(len(line) + 1 for line in lines[: first - 1]) + indent
    return start, sum(len(line) + 1 for line in lines[:last]) - 1


def display_path(path: str) -> str:
    """The path as diff headers show it: relative to the current folder when inside it."""
    rel = os.path.relpath(os.path.abspath(path))
    return Path(rel if not rel.startswith("..") else path.lstrip("/")).as_posix()


def cmd_rewrite(args: argparse.Namespace, opts: InfillOptions) -> int:
    from .files import read_source
    from .editing import rewrite
    from .languages import language_for_path, resolve_language
    from .suggest import Request

    path, first, last = parse_line_range(args.location)
    language = resolve_language(args.language) if args.language else language_for_path(path)
    text = read_source(path)
    if args.apply and not args.force:
        from .fix import check_clean
        check_clean(Path(path).resolve().parent, ":/")      # the whole tree the file lies in
    start, end = line_span(text, first, last)
    result = rewrite(text, start, end, language, opts, path=Request(text, start, language, path=path).shown_path())
    new = text[:start] + result.text + text[end:]
    shown = display_path(path)
    applied = bool(args.apply and new != text)
    if applied:
        _write(path, new)
    if args.format == "json":
        print(json.dumps({"file": shown, "start_line": first, "end_line": last,
                          "diff": unified_diff(shown, text, new), "text": result.text,
                          "syntax_valid": result.syntax_valid, "forward_passes": result.forward_passes,
                          "latency_ms": round(result.latency_ms, 2), "applied": applied,
                          "refused": result.refused}))
        return 0
    if result.refused:       # the selection stays: say why on stderr, an empty diff on stdout
        print(f"{shown}:{first}-{last}: {result.refused}", file=sys.stderr)
    if args.format == "github":
        sys.stdout.write(github_suggestions({shown: (text, new)}))
    else:
        sys.stdout.write(unified_diff(shown, text, new))
    return 0


def _write(path: str | Path, text: str) -> None:
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot write ({exc.strerror})") from None


# ---------------------------------------------------------------- fix


class ProgressLine:
    """One status line on a terminal, rewritten in place (``\r``), ended by ``close``."""

    def __init__(self, stream):
        self.stream, self.width = stream, 0

    def __call__(self, text: str) -> None:
        line = f"infill fix: {text}"[:119]
        self.stream.write("\r" + line + " " * max(0, self.width - len(line)))
        self.stream.flush()
        self.width = len(line)

    def close(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


def cmd_fix(args: argparse.Namespace, opts: InfillOptions) -> int:
    from . import fix as fixing

    if not 1 <= opts.candidates <= fixing.MAX_CANDIDATES:
        raise RepositoryError(f"--candidates must be between 1 and {fixing.MAX_CANDIDATES} for fix")
    if not 0 <= args.deepen_to <= fixing.MAX_CANDIDATES:
        raise RepositoryError(f"--deepen-to must be between 0 and {fixing.MAX_CANDIDATES}")
    for flag, value in (("--max-time", args.max_time), ("--test-timeout", args.test_timeout)):
        if not value > 0:
            raise RepositoryError(f"{flag} must be a positive number of seconds, got {value}")
    if args.max_gaps < 1 or args.test_memory_mb < 1:
        raise RepositoryError("--max-gaps and --test-memory-mb must be at least 1")
    root = Path(args.repo)
    if args.apply and not args.force:
        fixing.check_python_repo(root.resolve())
        fixing.check_clean(root)
    settings = fixing.FixSettings(
        candidates=opts.candidates, timeout_s=args.test_timeout, memory_mb=args.test_memory_mb,
        max_gaps=args.max_gaps, max_time_s=args.max_time, deepen_to=args.deepen_to,
        python=os.path.abspath(args.python) if os.sep in args.python else args.python,
        plugin_autoload=args.plugin_autoload, localize=args.localize,
        missing_lines=args.missing_lines)
    show = not args.quiet and args.format != "json" and sys.stderr.isatty()
    progress = ProgressLine(sys.stderr) if show else None
    try:
        report = fixing.fix(root, args.pytest_args, settings, options=opts, progress=progress)
    finally:
        if progress:
            progress.close()
    if args.apply and report.files:
        fixing.apply(root, report)
    if args.format == "json":
        print(json.dumps({**report.to_dict(), "applied": bool(args.apply and report.files)}))
    elif args.format == "github":
        sys.stdout.write(report.github())
    else:
        sys.stdout.write(report.diff)
    print(f"infill fix: {report.status}: {len(report.tests_fixed)}/{len(report.failing)} failing tests fixed, "
          f"{report.candidates_tried} candidates tried ({report.candidates_killed} killed) "
          f"in {report.time_s:.1f} s", file=sys.stderr)
    return report.exit_code
