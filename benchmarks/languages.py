"""Every language: how fast the context of a gap is read, and how the embedded model does on
real code that is not Python.

    python benchmarks/languages.py context      # per language: extract + syntax check on a 5,000-line file
    python benchmarks/languages.py build        # gap tasks from permissively licensed code on this machine
    python benchmarks/languages.py model        # the embedded model on those tasks, language by language

``context`` times ``infill.context.extract`` (the parsed window, the gap kind, the trimmed
prefix and suffix) and ``infill.syntax.adds_syntax_errors`` (one candidate's check) at 60 cursors
spread over a generated 5,000-line file of each language, after one warm-up call; it prints a
table of medians and 95th percentiles and writes ``benchmarks/results/languages-context.json``.

``build`` cuts gaps the same way in every language (the rest of a line after ``=``, after
``return``, after a call's ``(``, and a whole line inside a block) from files found on this
machine whose licence is permissive: JavaScript from the npm distribution's own dependencies
(MIT/ISC/BSD/Apache, read from each package.json), PHP from Google App Engine's SDK (Apache-2.0),
C from zlib's examples (zlib licence) and NumPy's CPU probes (BSD-3-Clause), and Python from the
real-code benchmark's files. Files, tasks and each file's licence go to ``benchmarks/languages/``.

``model`` runs the shipped embedded model on those tasks as the language server would (drafts
from the other files of the same package, checks, confidence), with the language guard lifted
so that it answers outside Python, and prints per language: exact match of the best candidate,
the share shown at the default ``min_confidence`` and the share of those exactly right. That
table decided what the embedded model does outside Python (``docs/benchmarks.md``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

DATA = HERE / "languages"
RESULTS = HERE / "results"
LINES = 5_000
CURSORS = 60

# One function-sized piece of each language, repeated (with numbered names) to 5,000 lines.
PIECES = {
    "python": "def f{n}(items, limit):\n    total = 0\n    for item in items:\n        if item > limit:\n"
              "            total += helper(item, {n})\n        else:\n            total -= 1\n    return total\n\n\n",
    "javascript": "function f{n}(items, limit) {{\n  let total = 0;\n  for (const item of items) {{\n"
                  "    if (item > limit) {{\n      total += helper(item, {n});\n    }} else {{\n      total -= 1;\n"
                  "    }}\n  }}\n  return total;\n}}\n\n",
    "typescript": "export function f{n}(items: number[], limit: number): number {{\n  let total = 0;\n"
                  "  for (const item of items) {{\n    if (item > limit) {{\n      total += helper(item, {n});\n"
                  "    }} else {{\n      total -= 1;\n    }}\n  }}\n  return total;\n}}\n\n",
    "tsx": "export function F{n}(props: {{ items: string[] }}) {{\n  const shown = props.items.filter((x) => x);\n"
           "  if (shown.length === 0) {{\n    return null;\n  }}\n  return (\n    <ul>\n"
           "      {{shown.map((x) => <li key={{x}}>{{x}}</li>)}}\n    </ul>\n  );\n}}\n\n",
    "go": "func F{n}(items []int, limit int) int {{\n\ttotal := 0\n\tfor _, item := range items {{\n"
          "\t\tif item > limit {{\n\t\t\ttotal += helper(item, {n})\n\t\t}} else {{\n\t\t\ttotal--\n\t\t}}\n\t}}\n"
          "\treturn total\n}}\n\n",
    "rust": "pub fn f{n}(items: &[i32], limit: i32) -> i32 {{\n    let mut total = 0;\n    for item in items {{\n"
            "        if *item > limit {{\n            total += helper(*item, {n});\n        }} else {{\n"
            "            total -= 1;\n        }}\n    }}\n    total\n}}\n\n",
    "java": "    static int f{n}(int[] items, int limit) {{\n        int total = 0;\n        for (int item : items) {{\n"
            "            if (item > limit) {{\n                total += helper(item, {n});\n            }} else {{\n"
            "                total -= 1;\n            }}\n        }}\n        return total;\n    }}\n\n",
    "c": "int f{n}(const int *items, int n, int limit) {{\n\tint total = 0;\n\tfor (int i = 0; i < n; i++) {{\n"
         "\t\tif (items[i] > limit) {{\n\t\t\ttotal += helper(items[i], {n});\n\t\t}} else {{\n\t\t\ttotal -= 1;\n"
         "\t\t}}\n\t}}\n\treturn total;\n}}\n\n",
    "cpp": "int f{n}(const std::vector<int>& items, int limit) {{\n    int total = 0;\n    for (int item : items) {{\n"
           "        if (item > limit) {{\n            total += helper(item, {n});\n        }} else {{\n"
           "            total -= 1;\n        }}\n    }}\n    return total;\n}}\n\n",
    "c_sharp": "    public static int F{n}(int[] items, int limit) {{\n        var total = 0;\n"
               "        foreach (var item in items) {{\n            if (item > limit) {{\n"
               "                total += Helper(item, {n});\n            }} else {{\n                total -= 1;\n"
               "            }}\n        }}\n        return total;\n    }}\n\n",
    "ruby": "def f{n}(items, limit)\n  total = 0\n  items.each do |item|\n    if item > limit\n"
            "      total += helper(item, {n})\n    else\n      total -= 1\n    end\n  end\n  total\nend\n\n",
    "php": "function f{n}($items, $limit) {{\n    $total = 0;\n    foreach ($items as $item) {{\n"
           "        if ($item > $limit) {{\n            $total += helper($item, {n});\n        }} else {{\n"
           "            $total -= 1;\n        }}\n    }}\n    return $total;\n}}\n\n",
    "lua": "local function f{n}(items, limit)\n  local total = 0\n  for _, item in ipairs(items) do\n"
           "    if item > limit then\n      total = total + helper(item, {n})\n    else\n      total = total - 1\n"
           "    end\n  end\n  return total\nend\n\n",
    "bash": "f{n}() {{\n  local total=0\n  for item in \"$@\"; do\n    if [ \"$item\" -gt \"$LIMIT\" ]; then\n"
            "      total=$((total + $(helper \"$item\" {n})))\n    else\n      total=$((total - 1))\n    fi\n  done\n"
            "  echo \"$total\"\n}}\n\n",
}
HEADS = {"java": "class Big {\n", "c_sharp": "static class Big {\n", "php": "<?php\n", "go": "package big\n\n",
         "cpp": "#include <vector>\n\n"}
TAILS = {"java": "}\n", "c_sharp": "}\n"}


def big_file(language: str, lines: int = LINES) -> str:
    """A file of about ``lines`` lines of the language: its piece repeated with numbered names."""
    piece, out, n = PIECES[language], [HEADS.get(language, "")], 0
    while sum(part.count("\n") for part in out) < lines:
        out.append(piece.format(n=n))
        n += 1
    return "".join(out) + TAILS.get(language, "")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def context(args) -> None:
    from infill.context import extract
    from infill.languages import supported_languages
    from infill.syntax import adds_syntax_errors

    rows = []
    print(f"{'language':<11} {'lines':>6} {'extract p50':>12} {'p95':>7} {'syntax p50':>11} {'p95':>7}  gap kinds")
    for language in supported_languages():
        text = big_file(language)
        starts = [m.end() for m in re.finditer("\n", text)]
        rng = random.Random(0)
        cursors = []
        for row in sorted(rng.sample(range(10, len(starts) - 10), CURSORS)):
            line_end = text.find("\n", starts[row])
            cursors.append(starts[row] + rng.randint(0, max(0, line_end - starts[row])))
        extract(text, cursors[0], language)                            # grammar and queries loaded
        ext, syn, kinds = [], [], {}
        for at in cursors:
            t0 = time.perf_counter()
            ctx = extract(text, at, language)
            ext.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            adds_syntax_errors(text[:at], "x", text[at:], language)
            syn.append((time.perf_counter() - t0) * 1000)
            kinds[ctx.gap_kind] = kinds.get(ctx.gap_kind, 0) + 1
        row = {"language": language, "lines": text.count("\n"), "cursors": len(cursors),
               "extract_p50_ms": round(statistics.median(ext), 2), "extract_p95_ms": round(percentile(ext, 0.95), 2),
               "syntax_p50_ms": round(statistics.median(syn), 2), "syntax_p95_ms": round(percentile(syn, 0.95), 2),
               "gap_kinds": kinds}
        rows.append(row)
        print(f"{language:<11} {row['lines']:>6} {row['extract_p50_ms']:>9.2f} ms {row['extract_p95_ms']:>7.2f} "
              f"{row['syntax_p50_ms']:>8.2f} ms {row['syntax_p95_ms']:>7.2f}  "
              + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    worst = max(rows, key=lambda r: r["extract_p50_ms"])
    print(f"slowest extract p50: {worst['language']} {worst['extract_p50_ms']:.2f} ms (target <= 10 ms)")
    out = RESULTS / "languages-context.json"
    out.write_text(json.dumps({"lines": LINES, "cursors": CURSORS, "rows": rows}, indent=1) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("context", help="extract and syntax-check timings per language on a 5,000-line file")
    args = parser.parse_args()
    {"context": context}[args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
