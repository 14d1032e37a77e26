"""Seeded-bug benchmark for ``infill fix``: verified fix rate, candidates tried, time per fix.

    python benchmarks/seeded_bugs.py [--limit 0] [--only ID,ID] [--candidates 8] [--max-time 60] [--proposer model]

Each bug copies one project of ``benchmarks/seeded_bugs/`` to a temporary folder, seeds one
mutation from the fixed list ``BUGS`` (a line or block deleted, or a line mutated), checks
that it makes a test fail, and runs ``infill.fix.fix`` on the copy with the chosen proposer:

- ``model``: the embedded model (or ``--model DIR``), K candidates per gap;
- ``oracle``: a proposer that returns the original text of a gap whenever the gap covers the
  seeded change; it measures the gap choice and the verification loop, not the model.

Bugs are interleaved across projects, so ``--limit 10`` covers every project. Prints one
table and the fix rate and the median time per attempted fix; writes
``benchmarks/results/seeded_bugs.json`` (``seeded_bugs-oracle.json`` for the oracle).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from infill.config import InfillOptions  # noqa: E402
from infill.errors import RepositoryError  # noqa: E402
from infill.fix import FixSettings, fix  # noqa: E402
from infill.fix.gaps import FixGap  # noqa: E402

PROJECTS = HERE / "seeded_bugs"


@dataclass(frozen=True)
class Bug:
    id: str
    project: str
    file: str
    old: str        # occurs exactly once in the file
    new: str        # "" deletes it (whole lines, with their line breaks)

    @property
    def kind(self) -> str:
        if self.new:
            return "mutate"
        return "delete-line" if self.old.count("\n") == 1 else "delete-block"


def _b(id, project, file, old, new=""):
    return Bug(id, project, file, old, new)


BUGS = [
    _b("stack-01", "stack", "minstack.py", "return len(self.items) == 0", "return len(self.items) == 1"),
    _b("stack-02", "stack", "minstack.py", "self.items.append(item)", "self.items.insert(0, item)"),
    _b("stack-03", "stack", "minstack.py", "return self.items.pop()", "return self.items.pop(0)"),
    _b("stack-04", "stack", "minstack.py",
       "        elif ch in PAIRS:\n            if stack.is_empty() or stack.pop() != PAIRS[ch]:\n"
       "                return False\n"),
    _b("stack-05", "stack", "minstack.py", "    return stack.is_empty()", "    return True"),
    _b("stack-06", "stack", "minstack.py", "stack.push(left - right)", "stack.push(right - left)"),
    _b("stack-07", "stack", "minstack.py", "            right = stack.pop()\n"),
    _b("arith-01", "arith", "arith.py", "tokens.append(int(text[i:j]))", "tokens.append(int(text[i:j + 1]))"),
    _b("arith-02", "arith", "arith.py", "value += self.term()", "value -= self.term()"),
    _b("arith-03", "arith", "arith.py", 'while self.peek() in ("*", "/"):', 'if self.peek() in ("*", "/"):'),
    _b("arith-04", "arith", "arith.py", "value /= self.factor()", "value *= self.factor()"),
    _b("arith-05", "arith", "arith.py", "return -self.factor()", "return self.factor()"),
    _b("arith-06", "arith", "arith.py",
       '            if self.take() != ")":\n                raise ValueError("missing )")\n'),
    _b("arith-07", "arith", "arith.py", "if parser.peek() is not None:", "if parser.peek() is None:"),
    _b("arith-08", "arith", "arith.py", "self.pos += 1", "self.pos += 2"),
    _b("intervals-01", "intervals", "intervals.py", "(year % 100 != 0 or year % 400 == 0)", "year % 100 != 0"),
    _b("intervals-02", "intervals", "intervals.py", "if month == 2 and is_leap(year):", "if month == 2:"),
    _b("intervals-03", "intervals", "intervals.py", "range(1, month)", "range(1, month + 1)"),
    _b("intervals-04", "intervals", "intervals.py", "a[0] <= b[1] and b[0] <= a[1]", "a[0] < b[1] and b[0] < a[1]"),
    _b("intervals-05", "intervals", "intervals.py", "interval[1] - interval[0] + 1", "interval[1] - interval[0]"),
    _b("intervals-06", "intervals", "intervals.py", "start <= result[-1][1] + 1", "start <= result[-1][1]"),
    _b("intervals-07", "intervals", "intervals.py", "max(result[-1][1], end))", "end)"),
    _b("intervals-08", "intervals", "intervals.py",
       '    if not 1 <= month <= 12:\n        raise ValueError("month must be 1..12")\n'),
    _b("wraptext-01", "wraptext", "wraptext.py", "len(current) + 1 + len(word) <= width",
       "len(current) + 1 + len(word) < width"),
    _b("wraptext-02", "wraptext", "wraptext.py", "            lines.append(current)\n"),
    _b("wraptext-03", "wraptext", "wraptext.py", "    if current:\n        lines.append(current)\n"),
    _b("wraptext-04", "wraptext", "wraptext.py", "left = pad // 2", "left = pad - pad // 2"),
    _b("wraptext-05", "wraptext", "wraptext.py", "if len(text) <= limit:", "if len(text) < limit:"),
    _b("wraptext-06", "wraptext", "wraptext.py", "text[: limit - len(ellipsis)]", "text[:limit]"),
    _b("wraptext-07", "wraptext", "wraptext.py", '        word = word.strip(".,;:!?")\n'),
    _b("wraptext-08", "wraptext", "wraptext.py", "counts.get(word, 0) + 1", "1"),
    _b("matrix-01", "matrix", "matrix.py", "m[i][i] = 1", "m[0][i] = 1"),
    _b("matrix-02", "matrix", "matrix.py", "[[m[r][c] for r", "[[m[c][r] for r"),
    _b("matrix-03", "matrix", "matrix.py", "a[i][t] * b[t][j]", "a[i][t] * b[j][t]"),
    _b("matrix-04", "matrix", "matrix.py", "            total = 0\n"),
    _b("matrix-05", "matrix", "matrix.py", "if k != k2:", "if k == k2:"),
    _b("matrix-06", "matrix", "matrix.py", "m[i][i] for i in range(len(m))", "m[i][0] for i in range(len(m))"),
    _b("matrix-07", "matrix", "matrix.py", "[[0] * cols for _ in range(rows)]", "[[0] * rows for _ in range(cols)]"),
]


def interleaved(bugs: list[Bug]) -> list[Bug]:
    """Round-robin over projects, so that any prefix spreads over all of them."""
    by_project: dict[str, list[Bug]] = {}
    for bug in bugs:
        by_project.setdefault(bug.project, []).append(bug)
    rank = {bug.id: (i, list(by_project).index(bug.project)) for group in by_project.values()
            for i, bug in enumerate(group)}
    return sorted(bugs, key=lambda b: rank[b.id])


def seed(bug: Bug, dst: Path) -> str:
    """Copy the bug's project to ``dst`` with the bug seeded; returns the original file text."""
    shutil.copytree(PROJECTS / bug.project, dst)
    path = dst / bug.file
    original = path.read_text()
    if original.count(bug.old) != 1:
        raise SystemExit(f"{bug.id}: {bug.old!r} occurs {original.count(bug.old)} times in {bug.file}")
    path.write_text(original.replace(bug.old, bug.new))
    return original


def oracle(bug: Bug, original: str):
    """A proposer that returns the original text of the gap when the gap covers the bug."""
    def propose(gap: FixGap) -> list[str]:
        before, after = gap.text[: gap.start], gap.text[gap.end:]
        if gap.path == bug.file and original.startswith(before) and original.endswith(after) \
                and len(before) + len(after) <= len(original):
            middle = original[len(before): len(original) - len(after)]
            return [middle.strip("\n").lstrip(" \t") if gap.kind == "insert" else middle]
        return []
    return propose


def run_bug(bug: Bug, args, opts: InfillOptions) -> dict:
    settings = FixSettings(candidates=args.candidates, timeout_s=args.test_timeout, memory_mb=1024,
                           max_time_s=args.max_time, plugin_autoload=False, deepen_to=args.deepen_to,
                           localize=args.localize, missing_lines=args.missing_lines)
    with tempfile.TemporaryDirectory(prefix="seeded-bug-") as tmp:
        root = Path(tmp, bug.project)
        original = seed(bug, root)
        propose = oracle(bug, original) if args.proposer == "oracle" else None   # None: fix's ModelProposer
        t0 = time.monotonic()
        try:
            report = fix(root, [], settings, propose=propose, options=opts)
        except RepositoryError as exc:
            return {"id": bug.id, "kind": bug.kind, "status": "error", "error": str(exc), "fixed": False,
                    "candidates_tried": 0, "time_s": round(time.monotonic() - t0, 2)}
        restored = report.patched.get(bug.file) == original
    return {"id": bug.id, "kind": bug.kind, "status": report.status, "fixed": report.status == "fixed",
            "restored_original": restored, "candidates_tried": report.candidates_tried,
            "candidates_killed": report.candidates_killed, "candidates_skipped": report.candidates_skipped,
            "gaps_tried": report.gaps_tried, "time_s": round(report.time_s, 2), "diff": report.diff}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--limit", type=int, default=0, help="the first N bugs, interleaved across projects (0 = all)")
    p.add_argument("--only", default="", help="comma-separated bug ids (stack-02,arith-03): these bugs only")
    p.add_argument("--candidates", type=int, default=8, help="K candidates per gap (<= 16)")
    p.add_argument("--deepen-to", type=int, default=16,
                   help="then, time permitting, up to this many candidates per gap (<= 16)")
    p.add_argument("--max-time", type=float, default=60.0, help="seconds per bug before fix gives up")
    p.add_argument("--test-timeout", type=float, default=10.0, help="seconds per test run")
    p.add_argument("--proposer", choices=["model", "oracle"], default="model")
    p.add_argument("--localize", action=argparse.BooleanOptionalAction, default=True,
                   help="rank lines by a traced test run (fix's default)")
    p.add_argument("--missing-lines", action=argparse.BooleanOptionalAction, default=False,
                   help="also try insert gaps for a missing line (fix's --missing-lines)")
    p.add_argument("--model", default=None, help="model folder (default: the embedded model)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=None)
    args = p.parse_args()
    if not 1 <= args.candidates <= 16 or not 0 <= args.deepen_to <= 16:
        p.error("--candidates must be between 1 and 16, --deepen-to between 0 and 16")
    opts = InfillOptions(model=args.model, threads=args.threads, candidates=args.candidates)
    bugs = interleaved(BUGS)[: args.limit or None]
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {b.id for b in BUGS}
        if unknown:
            p.error(f"--only: no bug {', '.join(sorted(unknown))}")
        bugs = [b for b in bugs if b.id in wanted]
    rows = []
    print(f"{'bug':<14} {'kind':<13} {'status':<15} {'fixed':<6} {'tried':>5} {'killed':>6} {'time s':>7}")
    for bug in bugs:
        row = run_bug(bug, args, opts)
        rows.append(row)
        print(f"{row['id']:<14} {row['kind']:<13} {row['status']:<15} {'yes' if row['fixed'] else 'no':<6} "
              f"{row['candidates_tried']:>5} {row.get('candidates_killed', 0):>6} {row['time_s']:>7.1f}",
              flush=True)
    attempted = [r for r in rows if r["status"] not in ("error", "nothing-to-fix")]
    fixed = [r for r in attempted if r["fixed"]]
    rate = len(fixed) / len(attempted) if attempted else 0.0
    median = statistics.median(r["time_s"] for r in attempted) if attempted else 0.0
    print(f"\nproposer {args.proposer}, K={args.candidates} (then up to {args.deepen_to}): fixed {len(fixed)}/{len(attempted)} "
          f"({rate:.0%}), median time per attempted fix {median:.1f} s, "
          f"{len(rows) - len(attempted)} bugs not attempted (seeding error or no failing test)")
    out = Path(args.out) if args.out else HERE / "results" / (
        "seeded_bugs.json" if args.proposer == "model" else "seeded_bugs-oracle.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"proposer": args.proposer, "candidates": args.candidates,
                               "deepen_to": args.deepen_to, "localize": args.localize,
                               "missing_lines": args.missing_lines,
                               "max_time_s": args.max_time, "model": args.model or "embedded",
                               "bugs": len(rows), "attempted": len(attempted), "fixed": len(fixed),
                               "fix_rate": round(rate, 3), "median_time_s": round(median, 2),
                               "results": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
