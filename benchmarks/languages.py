"""Every language: how fast the context of a gap is read, and how the embedded model does on
real code that is not Python.

    python benchmarks/languages.py context      # per language: extract + syntax check on a 5,000-line file
    python benchmarks/languages.py build --out DIR   # gap tasks from permissively licensed code here
    python benchmarks/languages.py model        # the embedded model on those tasks, language by language

``context`` times ``infill.context.extract`` (the parsed window, the gap kind, the trimmed
prefix and suffix) with the embedded model's budgets (224 / 48 tokens) and a served model's
(1,536 / 512), and ``infill.syntax.adds_syntax_errors`` (one candidate's check), at 60 cursors
spread over a generated 5,000-line file of each language, after one warm-up call; it prints a
table of medians and 95th percentiles and writes ``benchmarks/results/languages-context.json``.

``build`` cuts gaps the same way in every language (the rest of a line after ``=``, after
``return``, after a call's ``(``, and a whole line inside a block) from files found on this
machine whose licence is permissive: JavaScript from the npm distribution's own dependencies
(MIT/ISC/BSD/Apache, read from each package.json), PHP from Google App Engine's SDK (Apache-2.0),
C from zlib's examples (zlib licence) and NumPy's CPU probes (BSD-3-Clause), and Python from the
real-code benchmark's files. Files, tasks and each file's licence go to the folder named with
``--out`` (they are other projects' code: the shared copy is ``../shared/benchmarks/languages/``,
which ``model`` reads; ``shared_data.folder``).

``model`` runs the shipped embedded model on those tasks as the language server would (drafts
from the other files of the same package, checks, confidence), with the language guard lifted
so that it answers outside Python, and prints per language: exact match of the best candidate,
the share whose best is a draft, the share shown at the default ``min_confidence`` and the share
of those exactly right, and how often the right text is among the model's own samples ("model
wrote it": the model without the drafts). That table decided what the embedded model does
outside Python (``docs/benchmarks.md``).
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

from shared_data import folder, output_folder  # noqa: E402  (beside this script)

DATA = "languages"             # ../shared/benchmarks/languages: tasks.jsonl, files.jsonl.gz, manifest.json
RESULTS = HERE / "results"
LINES = 5_000
CURSORS = 60
BUDGETS = {"embedded": (224, 48), "served": (1536, 512)}   # prefix / suffix tokens (Capabilities)

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
    print(f"{'language':<11} {'lines':>6} {'extract p50':>12} {'p95':>7} {'served p50':>11} {'p95':>7} "
          f"{'syntax p50':>11} {'p95':>7}  gap kinds")
    for language in supported_languages():
        text = big_file(language)
        starts = [m.end() for m in re.finditer("\n", text)]
        rng = random.Random(0)
        cursors = []
        for row in sorted(rng.sample(range(10, len(starts) - 10), CURSORS)):
            line_end = text.find("\n", starts[row])
            cursors.append(starts[row] + rng.randint(0, max(0, line_end - starts[row])))
        extract(text, cursors[0], language)                            # grammar and queries loaded
        ext, served, syn, kinds = [], [], [], {}
        for at in cursors:
            t0 = time.perf_counter()
            ctx = extract(text, at, language, *BUDGETS["embedded"])
            ext.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            extract(text, at, language, *BUDGETS["served"])
            served.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            adds_syntax_errors(text[:at], "x", text[at:], language)
            syn.append((time.perf_counter() - t0) * 1000)
            kinds[ctx.gap_kind] = kinds.get(ctx.gap_kind, 0) + 1
        row = {"language": language, "lines": text.count("\n"), "cursors": len(cursors),
               "extract_p50_ms": round(statistics.median(ext), 2), "extract_p95_ms": round(percentile(ext, 0.95), 2),
               "served_p50_ms": round(statistics.median(served), 2),
               "served_p95_ms": round(percentile(served, 0.95), 2),
               "syntax_p50_ms": round(statistics.median(syn), 2), "syntax_p95_ms": round(percentile(syn, 0.95), 2),
               "gap_kinds": kinds}
        rows.append(row)
        print(f"{language:<11} {row['lines']:>6} {row['extract_p50_ms']:>9.2f} ms {row['extract_p95_ms']:>7.2f} "
              f"{row['served_p50_ms']:>8.2f} ms {row['served_p95_ms']:>7.2f} "
              f"{row['syntax_p50_ms']:>8.2f} ms {row['syntax_p95_ms']:>7.2f}  "
              + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    for key, name in (("extract_p50_ms", "embedded budgets"), ("served_p50_ms", "served budgets")):
        worst = max(rows, key=lambda r: r[key])
        print(f"slowest extract p50 ({name}): {worst['language']} {worst[key]:.2f} ms (target <= 10 ms)")
    out = RESULTS / "languages-context.json"
    out.write_text(json.dumps({"lines": LINES, "cursors": CURSORS, "budgets": BUDGETS, "rows": rows}, indent=1)
                   + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


# ---------------------------------------------------------------------------------------------
# Real code in other languages: the tasks.

NPM = Path("/usr/lib/node_modules/npm/node_modules")
APPENGINE_PHP = Path("/usr/lib/google-cloud-sdk/platform/google_appengine/php/sdk/google/appengine")
ZLIB_EXAMPLES = Path("/usr/share/doc/zlib1g-dev/examples")
PERMISSIVE = {"MIT", "ISC", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "0BSD", "BlueOak-1.0.0"}
FILES_PER_LANGUAGE, FILES_PER_PACKAGE, TASKS_PER_FILE = 60, 3, 4
KINDS = ("after_eq", "after_return", "whole_line")
_COMMENT = re.compile(r"#|//|/\*|\*/|^\s*\*|--")
_AFTER_EQ = re.compile(r"^\s*\S.*?[^=!<>+\-*/%&|^:.?]\s=\s(?=[^=>\s])")
_AFTER_RETURN = re.compile(r"^\s*return\s+(?=\S)")
_CLOSER = re.compile(r"^\s*(?:[)\]}]|end\b|else\b|elif\b|elsif\b|fi\b|done\b|case\b|default\b)")


def npm_sources() -> list[dict]:
    """JavaScript of npm's own dependencies whose package.json names a permissive licence."""
    out = []
    for manifest in sorted(NPM.glob("*/package.json")) + sorted(NPM.glob("@*/*/package.json")):
        try:
            licence = json.loads(manifest.read_text()).get("license")
        except (OSError, ValueError):
            continue
        if licence not in PERMISSIVE:
            continue
        files = sorted(p for p in manifest.parent.rglob("*.js") if "node_modules" not in p.relative_to(NPM).parts[2:]
                       and ".min." not in p.name)
        out += [{"language": "javascript", "package": manifest.parent.relative_to(NPM).as_posix(), "licence": licence,
                 "file": f}
                for f in files[:FILES_PER_PACKAGE * 3]]
    return out


def other_sources() -> list[dict]:
    php = [{"language": "php", "package": "google-appengine-php-sdk", "licence": "Apache-2.0", "file": f}
           for f in sorted(APPENGINE_PHP.rglob("*.php")) if "testing" not in f.parts]
    c = [{"language": "c", "package": "zlib-examples", "licence": "Zlib", "file": f}
         for f in sorted(ZLIB_EXAMPLES.glob("*.c"))]
    return php + c


def line_cuts(text: str) -> dict[str, list[dict]]:
    """Every position of each kind in one file, found by the same text rules in every language."""
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    out: dict[str, list[dict]] = {k: [] for k in KINDS}
    for i, line in enumerate(lines):
        if not line.isascii() or _COMMENT.search(line) or len(line) > 160:
            continue
        for kind, rule in (("after_eq", _AFTER_EQ), ("after_return", _AFTER_RETURN)):
            found = rule.match(line)
            if found and len(line.rstrip()) - found.end() >= 2:
                out[kind].append({"cut": [starts[i] + found.end(), starts[i] + len(line.rstrip())],
                                  "answer": line[found.end():].rstrip()})
        indent = line[:len(line) - len(line.lstrip())]
        if indent and len(line.strip()) > 3 and i > 0 and lines[i - 1].strip() and not _CLOSER.match(line) \
                and not line.rstrip().endswith(("{", "(", "[", ",")):
            out["whole_line"].append({"cut": [starts[i], starts[i + 1]], "before": indent, "after": "\n",
                                      "answer": line.strip()})
    return out


def build(args) -> None:
    rng = random.Random(args.seed)
    files, tasks, licences = [], [], {}
    out, real_code = output_folder(args.out, DATA), folder("real-code")
    python = json.loads((real_code / "manifest.json").read_text())["packages"]
    with gzip.open(real_code / "files.jsonl.gz", "rt", encoding="utf-8") as f:
        sources = [{"language": "python", "package": s["package"], "text": s["text"], "path": s["path"],
                    "licence": python[s["package"]]["licence"]} for s in map(json.loads, f)]
    for src in npm_sources() + other_sources():
        try:
            text = src["file"].read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        root = NPM if src["language"] == "javascript" else src["file"].parents[len(src["file"].parents) - 3]
        sources.append({**src, "text": text, "path": str(src["file"].relative_to(root))})
    by_language: dict[str, list[dict]] = {}
    for src in sources:
        if 40 <= src["text"].count("\n") <= 3000:
            by_language.setdefault(src["language"], []).append(src)
    for language, found in sorted(by_language.items()):
        rng.shuffle(found)
        per_package: dict[str, int] = {}
        cap = max(FILES_PER_PACKAGE, FILES_PER_LANGUAGE // len({src["package"] for src in found}))
        kept = 0
        for src in found:
            if kept >= FILES_PER_LANGUAGE or per_package.get(src["package"], 0) >= cap:
                continue
            cuts = line_cuts(src["text"])
            picked = [(kind, rng.choice(cuts[kind])) for kind in KINDS if cuts[kind]]
            if not picked:
                continue
            per_package[src["package"]] = per_package.get(src["package"], 0) + 1
            kept += 1
            files.append({k: src[k] for k in ("language", "package", "path", "text")})
            licences.setdefault(language, {})[src["package"]] = src["licence"]
            rng.shuffle(picked)
            for kind, cut in picked[:TASKS_PER_FILE]:
                tasks.append({"task_id": f"{language}:{src['path']}:{kind}", "language": language, "kind": kind,
                              "package": src["package"], "path": src["path"], **cut})
    (out / "tasks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in tasks))
    with gzip.GzipFile(out / "files.jsonl.gz", "wb", compresslevel=9, mtime=0) as f:
        f.write("".join(json.dumps(src) + "\n" for src in files).encode("utf-8"))
    counts = {lang: sum(t["language"] == lang for t in tasks) for lang in sorted(by_language)}
    (out / "manifest.json").write_text(json.dumps({"seed": args.seed, "kinds": list(KINDS), "tasks": counts,
                                                     "licences": licences}, indent=1) + "\n")
    print(f"{len(tasks)} tasks from {len(files)} files: {counts}")


# ---------------------------------------------------------------------------------------------
# Real code in other languages: the embedded model on it.

class AnyLanguage:
    """A backend whose card lists no language: the embedded model with its guard lifted, for
    measuring what it would do outside Python."""

    def __init__(self, backend):
        self._backend = backend
        self.capabilities = replace(backend.capabilities, languages=None)

    def __getattr__(self, name):
        return getattr(self._backend, name)


def model(args) -> None:
    from infill.backends import get_backend
    from infill.checks import Check, passed
    from infill.complete import complete
    from infill.config import InfillOptions
    from infill.retrieval import ChunkIndex

    opts = InfillOptions(threads=args.threads, min_confidence=0.0)
    backend = AnyLanguage(get_backend(opts))
    data = folder(DATA)
    with gzip.open(data / "files.jsonl.gz", "rt", encoding="utf-8") as f:
        files = [json.loads(line) for line in f]
    texts = {(s["language"], s["path"]): s["text"] for s in files}
    neighbours: dict[tuple, ChunkIndex] = {}
    for s in files:
        neighbours.setdefault((s["language"], s["package"]), ChunkIndex()).set_source(s["path"], s["text"])
    for index in neighbours.values():
        index.refresh()
    tasks = [json.loads(line) for line in (data / "tasks.jsonl").read_text().splitlines() if line.strip()]
    if args.languages:
        tasks = [t for t in tasks if t["language"] in args.languages.split(",")]
    rows, t0 = [], time.time()
    for task in tasks[: args.limit or None]:
        text, (a, b) = texts[(task["language"], task["path"])], task["cut"]
        prefix, suffix = text[:a] + task.get("before", ""), task.get("after", "") + text[b:]
        res = complete(prefix + suffix, len(prefix), task["language"], opts, backend,
                       neighbours=neighbours[(task["language"], task["package"])], source=task["path"])
        checks = [Check(c["check"], c["verdict"], c.get("reason", "")) for c in res.checks]
        rows.append({"task_id": task["task_id"], "language": task["language"], "kind": task["kind"],
                     "completion": res.text, "answer": task["answer"], "confidence": round(res.confidence, 4),
                     "passed_checks": passed(checks), "drafted": bool(res.retrieved and res.retrieved[0]),
                     "exact": res.text.strip() == task["answer"].strip(), "latency_ms": round(res.latency_ms, 1),
                     "model_wrote_it": any(c.strip() == task["answer"].strip() and not r
                                           for c, r in zip(res.candidates, res.retrieved))})
    threshold = InfillOptions().min_confidence
    print(f"the embedded model ({len(rows)} tasks, {time.time() - t0:.0f} s), shown at min_confidence {threshold}")
    print(f"{'language':<11} {'tasks':>5} {'exact':>6} {'drafted':>8} {'shown':>6} {'right|shown':>12} "
          f"{'model wrote it':>15}")
    summary = {}
    for language in sorted({r["language"] for r in rows}):
        lr = [r for r in rows if r["language"] == language]
        shown = [r for r in lr if r["passed_checks"] and r["confidence"] >= threshold and r["completion"].strip()]
        summary[language] = {
            "tasks": len(lr), "exact": round(sum(r["exact"] for r in lr) / len(lr), 4),
            "drafted": round(sum(r["drafted"] for r in lr) / len(lr), 4),
            "shown": round(len(shown) / len(lr), 4),
            "right_when_shown": round(sum(r["exact"] for r in shown) / max(1, len(shown)), 4),
            "model_wrote_it": round(sum(r["model_wrote_it"] for r in lr) / len(lr), 4),
            "by_kind": {k: round(sum(r["exact"] for r in lr if r["kind"] == k) / max(1, sum(r["kind"] == k for r in lr)), 4)
                        for k in KINDS}}
        s = summary[language]
        print(f"{language:<11} {s['tasks']:>5} {s['exact']:>6.3f} {s['drafted']:>8.3f} {s['shown']:>6.3f} "
              f"{s['right_when_shown']:>12.3f} {s['model_wrote_it']:>15.3f}")
    out = RESULTS / "languages-model.json"
    out.write_text(json.dumps({"min_confidence": threshold, "summary": summary}, indent=1) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")
    if args.rows:     # every task's completion and answer: other projects' code, so not in the repository
        Path(args.rows).write_text(json.dumps({"min_confidence": threshold, "rows": rows}, indent=1) + "\n")
        print(f"wrote {args.rows} ({len(rows)} rows)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("context", help="extract and syntax-check timings per language on a 5,000-line file")
    b = sub.add_parser("build", help="gap tasks from permissively licensed code on this machine")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--out", default=None, help="the folder the files, tasks and manifest go to")
    m = sub.add_parser("model", help="the embedded model on the tasks, per language")
    m.add_argument("--threads", type=int, default=2)
    m.add_argument("--limit", type=int, default=0)
    m.add_argument("--languages", default="", help="comma-separated: only these")
    m.add_argument("--rows", default=None, help="also write every task's row here (not in the repository)")
    args = parser.parse_args()
    {"context": context, "build": build, "model": model}[args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
