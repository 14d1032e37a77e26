"""Real-code benchmark: gaps cut where an editor leaves the cursor, in permissively licensed
Python the training corpus never saw; precision of what is shown against coverage.

    python benchmarks/real_code.py run          # complete every task, print the table, write a summary
    python benchmarks/real_code.py run --split all --rows /tmp/rows.json   # ... and every task's row
    python benchmarks/real_code.py calibrate --input /tmp/rows.json        # fit the confidence -> infill/data
    python benchmarks/real_code.py rescore --input /tmp/rows.json --split test   # its figures, from the rows
    python benchmarks/real_code.py humaneval    # the same figures for HumanEval single-line (pass)
    python benchmarks/real_code.py rewrites     # rewrite 50 working function bodies: what comes back
    python benchmarks/real_code.py rewrites --source stdlib --show   # ... of code the calibration never saw
    python benchmarks/real_code.py build --out DIR   # cut the tasks again from this machine's packages

The files and tasks are other projects' code: they live in ``../shared/benchmarks/real-code/``
beside the checkout (``shared_data.folder``), not in the repository. ``run`` and ``humaneval``
write a summary (the table's figures) to ``benchmarks/results/``; the per-task rows, which hold
the completions of that code, go only to a path named with ``--rows``.

Sources: installed distributions whose licence is MIT, BSD, Apache, PSF or ISC and that are not
in the embedded model's corpus (``engine/model/corpus_manifest.json``); each file's package,
version and licence is in the data folder's ``manifest.json``. Positions: the rest of a line
after ``=``, ``return ``, ``(``, ``.`` and ``if ``; a whole line on a blank line inside a
block (the cursor after its indentation); 2-5 line runs of statements in a function body.
Files are split into dev (calibration) and test by a hash of their path.

Scores per task: exact match, edit similarity, whether the first name written is the right
one; for the run: coverage (the share shown) and precision (the share of shown that are
exact; for HumanEval, that pass), over a sweep of the confidence threshold.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import functools
import gzip
import hashlib
import json
import random
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from shared_data import folder, output_folder  # noqa: E402  (beside this script)

DATA = "real-code"          # ../shared/benchmarks/real-code: tasks.jsonl, files.jsonl.gz (each file once), manifest.json
PACKAGES = ("requests", "werkzeug", "flask", "itsdangerous", "urllib3", "jedi", "parso", "pyparsing",
            "dateutil", "charset_normalizer", "jsonschema", "referencing", "docker", "trio", "graphql",
            "joserfc", "pexpect", "prompt_toolkit", "wcwidth", "cloudpickle", "jmespath", "asttokens",
            "executing", "rsa", "pyasn1", "dotenv", "wrapt", "s3transfer", "boto3", "stack_data")
KINDS = ("after_eq", "after_return", "after_paren", "after_dot", "after_if", "blank_line", "body")
THRESHOLDS = [round(0.01 * i, 2) for i in range(13)] + [round(0.05 * i, 2) for i in range(3, 20)]
_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


# ---------------------------------------------------------------------------------------------
# Building the tasks.

def corpus_sources() -> set[str]:
    data = json.loads((ROOT / "engine" / "model" / "corpus_manifest.json").read_text())
    return {n.lower().replace("_", "-") for n in data["sources"]}


def site_folders() -> list[str]:
    """This interpreter's path and the base installation's site-packages (outside a venv)."""
    import sysconfig
    base = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_prefix})["purelib"]
    return [p for p in sys.path if p] + [base, "/usr/lib/python3/dist-packages"]


def held_out_distributions() -> list[tuple[str, object]]:
    """(top-level package, distribution) of each PACKAGES entry installed, permissive, unseen."""
    import importlib.metadata as md

    from training.corpus import _dist_licence, is_permissive

    seen = corpus_sources()
    by_top: dict[str, object] = {}
    for dist in md.distributions(path=site_folders()):
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if not name or name in seen or not is_permissive(_dist_licence(dist)):
            continue
        for f in dist.files or []:
            top = str(f).split("/", 1)[0]
            if top in PACKAGES and str(f).endswith(".py"):
                by_top.setdefault(top, dist)
    return [(top, by_top[top]) for top in PACKAGES if top in by_top]


def _segment(line: str, col: int) -> int:
    """A character column from an ast (UTF-8 byte) column of an ASCII line."""
    return len(line.encode()[:col].decode("utf-8", "ignore"))


def cuts(text: str) -> dict[str, list[dict]]:
    """Every position of each kind in one file: {kind: [{prefix, suffix, answer}]}."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return {}
    lines = text.split("\n")
    starts = [0]
    for ln in lines:
        starts.append(starts[-1] + len(ln) + 1)
    out: dict[str, list[dict]] = {k: [] for k in KINDS}

    def rest_of_line(kind: str, lineno: int, col: int) -> None:
        line = lines[lineno - 1]
        if not line.isascii() or "#" in line[col:]:
            return
        answer = line[col:].rstrip()
        if len(answer) < 2:
            return
        at = starts[lineno - 1] + col
        end = starts[lineno - 1] + len(line)
        out[kind].append({"cut": [at, end], "answer": answer})

    for node in ast.walk(tree):
        if isinstance(node, ast.If) and node.test.lineno == node.test.end_lineno == node.lineno:
            line = lines[node.lineno - 1]
            if line.lstrip().startswith("if ") and line.rstrip().endswith(":"):
                rest_of_line("after_if", node.lineno, _segment(line, node.test.col_offset))
            continue
        if getattr(node, "lineno", None) is None or node.lineno != getattr(node, "end_lineno", None):
            continue
        line = lines[node.lineno - 1]
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            rest_of_line("after_eq", node.lineno, _segment(line, node.value.col_offset))
        elif isinstance(node, ast.Return) and node.value is not None:
            rest_of_line("after_return", node.lineno, _segment(line, node.value.col_offset))
        elif isinstance(node, ast.Call) and node.args and _segment(line, node.end_col_offset) == len(line.rstrip()):
            col = _segment(line, node.func.end_col_offset)
            if line[col:col + 1] == "(":
                rest_of_line("after_paren", node.lineno, col + 1)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            col = _segment(line, node.value.end_col_offset)
            if line[col:col + 1] == ".":
                rest_of_line("after_dot", node.lineno, col + 1)
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        simple = [s for s in fn.body if s.lineno == s.end_lineno and not isinstance(s, ast.Expr)
                  or isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and s.lineno == s.end_lineno]
        for s in simple:
            line = lines[s.lineno - 1]
            indent = line[:len(line) - len(line.lstrip())]
            if line.isascii() and "#" not in line and len(line.strip()) > 3:
                at = starts[s.lineno - 1]
                out["blank_line"].append({"cut": [at, starts[s.lineno]], "before": indent, "after": "\n",
                                          "answer": line.strip()})
        body = fn.body[1:] if fn.body and isinstance(fn.body[0], ast.Expr) \
            and isinstance(fn.body[0].value, ast.Constant) and isinstance(fn.body[0].value.value, str) else fn.body
        for i in range(len(body)):
            n = 2 + (hash((fn.lineno, i)) % 4)
            run = body[i:i + n]
            if len(run) == n and all(s.lineno == s.end_lineno for s in run) \
                    and run[-1].lineno - run[0].lineno == n - 1:
                seg = lines[run[0].lineno - 1:run[-1].lineno]
                if all(ln.isascii() and "#" not in ln for ln in seg):
                    a, b = starts[run[0].lineno - 1], starts[run[-1].lineno]
                    out["body"].append({"cut": [a, b], "answer": "\n".join(seg) + "\n"})
    return out


def split_of(key: str) -> str:
    return "dev" if int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) % 10 < 4 else "test"


def build(per_file: int, files_per_package: int, seed: int, out: Path) -> None:
    from training.corpus import _dist_licence

    rng = random.Random(seed)
    tasks, manifest = [], {"seed": seed, "kinds": list(KINDS), "packages": {}}
    sources: list[dict] = []
    for top, dist in held_out_distributions():
        files = sorted(str(f) for f in dist.files or [] if str(f).startswith(top + "/") and str(f).endswith(".py")
                       and "/tests/" not in str(f) and "/test_" not in str(f) and "vendor" not in str(f))
        rng.shuffle(files)
        used = []
        for rel in files:
            if len(used) >= files_per_package:
                break
            path = Path(dist.locate_file(rel))
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if not 40 <= text.count("\n") <= 3000:
                continue
            by_kind = cuts(text)
            picked = []
            for kind in KINDS:
                if by_kind.get(kind):
                    picked.append((kind, rng.choice(by_kind[kind])))
            rng.shuffle(picked)
            if not picked:
                continue
            used.append(rel)
            sources.append({"path": rel, "package": dist.metadata["Name"], "text": text})
            for kind, cut in picked[:per_file]:
                tasks.append({"task_id": f"{rel}:{kind}", "kind": kind, "package": dist.metadata["Name"],
                              "path": rel, "split": split_of(rel), **cut})
        manifest["packages"][dist.metadata["Name"]] = {"version": dist.version, "licence": _dist_licence(dist),
                                                       "files": used}
    manifest["tasks"] = len(tasks)
    manifest["by_kind"] = {k: sum(t["kind"] == k for t in tasks) for k in KINDS}
    manifest["by_split"] = {s: sum(t["split"] == s for t in tasks) for s in ("dev", "test")}
    (out / "tasks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in tasks))
    with gzip.GzipFile(out / "files.jsonl.gz", "wb", compresslevel=9, mtime=0) as f:   # mtime 0: the same bytes each build
        f.write("".join(json.dumps(src) + "\n" for src in sources).encode("utf-8"))
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{len(tasks)} tasks from {len(manifest['packages'])} packages: {manifest['by_kind']}, {manifest['by_split']}")


# ---------------------------------------------------------------------------------------------
# Scoring.

def normal(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").split("\n")).strip()


def first_name(text: str) -> str | None:
    m = _NAME.search(text)
    return m.group(0) if m else None


def score_task(task: dict, completion: str) -> dict:
    got, want = normal(completion), normal(task["answer"])
    return {"exact": got == want, "similarity": round(difflib.SequenceMatcher(None, got, want).ratio(), 4),
            "first_name": first_name(got) == first_name(want) and first_name(want) is not None}


def curve(rows: list[dict], right: str) -> list[dict]:
    """Coverage and precision of what is shown at each confidence threshold."""
    out = []
    for t in THRESHOLDS:
        shown = [r for r in rows if r["passed_checks"] and r["confidence"] >= t and r["completion"].strip()]
        out.append({"threshold": t, "coverage": round(len(shown) / max(1, len(rows)), 4),
                    "precision": round(sum(r[right] for r in shown) / max(1, len(shown)), 4), "shown": len(shown)})
    return out


def everything(rows: list[dict], right: str) -> float:
    """Precision when every non-empty suggestion is shown."""
    shown = [r for r in rows if r["completion"].strip()]
    return round(sum(r[right] for r in shown) / max(1, len(shown)), 4)


def complete_row(prefix: str, suffix: str, opts, neighbours=None, path: str | None = None,
                 root: str | None = None, source: str | None = None) -> dict:
    from infill.checks import Check, passed
    from infill.suggest import Request, suggest

    res = suggest(Request(prefix + suffix, len(prefix), "python", path=path, root=root, neighbours=neighbours,
                          source=source), opts)
    checks = [Check(c["check"], c["verdict"], c.get("reason", "")) for c in res.checks]   # of res.text
    judged = res.candidates[:len(res.features)]
    return {"completion": res.text, "confidence": res.confidence, "shown": res.shown,
            "passed_checks": passed(checks), "rejected_by": [c.name for c in checks if c.verdict == "reject"],
            "features": res.features[0] if res.features else [], "drafted": bool(res.retrieved and res.retrieved[0]),
            "judged": [{"text": t, "features": f, "confidence": c} for t, f, c in
                       zip(judged, res.features, res.confidences)],
            "latency_ms": round(res.latency_ms, 1), "syntax_valid": res.syntax_valid,
            "names_source": res.names_source, "forward_passes": res.forward_passes, "tokens": res.tokens}


@functools.lru_cache(maxsize=None)
def installed_root(rel: str) -> str | None:
    """The site folder where the task's package is installed (its file at ``rel`` there): the
    project root the known names are looked up in, as an editor would have the package open."""
    for site in site_folders():
        if (Path(site) / rel).is_file():
            return site
    return None


def package_neighbours() -> dict:
    """A chunk index per package of the other benchmark files of that package (the workspace
    an editor would have open beside the file)."""
    from infill.retrieval import ChunkIndex

    out: dict = {}
    with gzip.open(folder(DATA) / "files.jsonl.gz", "rt", encoding="utf-8") as f:
        for src in map(json.loads, f):
            out.setdefault(src["package"], ChunkIndex()).set_source(src["path"], src["text"])
    for index in out.values():
        index.refresh()
    return out


def print_curve(title: str, rows: list[dict], right: str) -> dict:
    base = everything(rows, right)
    c = curve(rows, right)
    print(f"{title}: {len(rows)} tasks; everything shown: precision {base:.3f}, "
          f"coverage {sum(bool(r['completion'].strip()) for r in rows) / max(1, len(rows)):.3f}")
    print(f"{'threshold':>9} {'coverage':>9} {'precision':>9} {'x all':>6} {'shown':>6}")
    for p in c:
        print(f"{p['threshold']:>9.2f} {p['coverage']:>9.3f} {p['precision']:>9.3f} "
              f"{p['precision'] / base if base else 0:>6.2f} {p['shown']:>6}")
    return {"precision_all": base, "curve": c}


def load(split: str | None = None) -> list[dict]:
    """The tasks of a split, each with its ``prefix`` and ``suffix`` cut from its file."""
    data = folder(DATA)
    with gzip.open(data / "files.jsonl.gz", "rt", encoding="utf-8") as f:
        texts = {src["path"]: src["text"] for src in map(json.loads, f)}
    tasks = [json.loads(line) for line in (data / "tasks.jsonl").read_text().splitlines() if line.strip()]
    out = []
    for t in tasks:
        if split in (None, "all") or t["split"] == split:
            text, (a, b) = texts[t["path"]], t["cut"]
            out.append({**t, "prefix": text[:a] + t.get("before", ""), "suffix": t.get("after", "") + text[b:]})
    return out


def run(args) -> None:
    from infill.backends import get_backend
    from infill.config import InfillOptions

    opts = InfillOptions(model=args.model, threads=args.threads, candidates=args.candidates, min_confidence=0.0,
                         retrieval=args.retrieval != "none", references=args.references,
                         prefix_tokens=args.prefix_tokens, suffix_tokens=args.suffix_tokens,
                         known_names=args.known_names, known_names_ms=args.known_names_ms, steps=args.steps,
                         examples=args.examples)
    if args.pass_share is not None:
        opts = replace(opts, pass_share=args.pass_share)
    opts.validate()
    get_backend(opts)
    tasks = load(args.split)[: args.limit or None]
    neighbours = package_neighbours() if args.retrieval == "workspace" else {}
    rows = []
    t0 = time.time()
    for task in tasks:
        root = installed_root(task["path"])
        path = str(Path(root) / task["path"]) if root else task["path"]
        row = {"task_id": task["task_id"], "kind": task["kind"], "split": task["split"],
               **complete_row(task["prefix"], task["suffix"], opts, neighbours.get(task["package"]), path, root,
                              task["path"])}
        row.update(score_task(task, row["completion"]))
        for j in row["judged"]:
            j["exact"] = score_task(task, j["text"])["exact"]
        rows.append(row)
    lat = sorted(r["latency_ms"] for r in rows)
    print(f"real code, split {args.split}, candidates {args.candidates}, model {args.model or 'embedded'}, "
          f"retrieval {args.retrieval}, {time.time() - t0:.0f} s; latency p50 {lat[len(lat) // 2]:.0f} ms")
    n = max(1, len(rows))
    print(f"exact {sum(r['exact'] for r in rows) / n:.3f}, edit similarity "
          f"{sum(r['similarity'] for r in rows) / n:.3f}, first name {sum(r['first_name'] for r in rows) / n:.3f}, "
          f"rejected by checks {sum(not r['passed_checks'] for r in rows) / n:.3f}, "
          f"a draft chosen {sum(r['drafted'] for r in rows) / n:.3f}, known names from jedi "
          f"{sum(r.get('names_source') == 'jedi' for r in rows) / n:.3f}, right among the judged "
          f"{sum(any(j['exact'] for j in r['judged']) for r in rows) / n:.3f}")
    for kind in KINDS:
        kr = [r for r in rows if r["kind"] == kind]
        if kr:
            print(f"  {kind:<13} {len(kr):>4} tasks  exact {sum(r['exact'] for r in kr) / len(kr):.3f}  "
                  f"first name {sum(r['first_name'] for r in kr) / len(kr):.3f}")
    summary = print_curve("precision/coverage", rows, "exact")
    figures = {k: round(sum(r[k] for r in rows) / n, 4) for k in ("exact", "similarity", "first_name")}
    figures["latency_p50_ms"] = lat[len(lat) // 2] if lat else None
    passes = sum(r.get("forward_passes", 0) for r in rows)
    # The model's sampled answer: its tokens over every canvas pass the request spent.
    figures["tokens_per_pass"] = round(sum(r.get("tokens", 0) for r in rows) / passes, 3) if passes else None
    print(f"tokens committed per forward pass {figures['tokens_per_pass']}")
    figures["by_kind"] = {kind: round(sum(r["exact"] for r in rows if r["kind"] == kind)
                                      / max(1, sum(r["kind"] == kind for r in rows)), 4) for kind in KINDS}
    write(args, {"split": args.split, "tasks": len(rows), "candidates": args.candidates, "steps": args.steps,
                 "retrieval": args.retrieval, "backend": get_backend(opts).name, **figures, **summary}, rows)


def write(args, summary: dict, rows: list[dict]) -> None:
    """The summary to ``--out`` (the figures, no task's text); the rows only to ``--rows``."""
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=1) + "\n")
    print(f"wrote {out}")
    if args.rows:
        Path(args.rows).parent.mkdir(parents=True, exist_ok=True)
        Path(args.rows).write_text(json.dumps({**summary, "rows": rows}, indent=1))
        print(f"wrote {args.rows} ({len(rows)} rows)")


def _standing(row: dict) -> list[tuple[int, dict]]:
    """(index, judged candidate) of a row's judged candidates the checks pass (a confidence
    above 0) and that say something."""
    return [(i, j) for i, j in enumerate(row["judged"]) if j["confidence"] > 0 and j["text"].strip()]


def _scale_features(row: dict, prefix: str) -> dict[int, list[float]]:
    """Per judged candidate of a row (by its index): the scale-only features
    (``confidence.SCALE_ONLY``), recomputed from the task's prefix (the slot) and the row's judged
    texts and similarities (a rival draft among those the checks pass: a judged confidence above
    0), so rows written before a feature existed fit too."""
    from infill.confidence import FEATURES, rivals, slot

    where = list(slot(prefix))
    flag = FEATURES.index("rival_draft")
    if all(len(j["features"]) == len(FEATURES) for j in row["judged"]):
        # written with the flag: take the product's own (a passing draft whose confidence
        # rounds to 0 still counted as a rival there)
        return {i: where + [j["features"][flag]] for i, j in enumerate(row["judged"])}
    at = FEATURES.index("retrieved")
    standing = _standing(row)
    tied = rivals([j["text"] for _, j in standing], [j["features"][at] if len(j["features"]) > at else 0.0
                                                    for _, j in standing])
    out = {i: where + [0.0] for i in range(len(row["judged"]))}
    out.update({i: where + [float(t)] for (i, _), t in zip(standing, tied)})
    return out


def calibrate(args) -> None:
    """Fit the ranking weights on every judged dev candidate the checks pass, then the scale
    that makes the best candidate's score the probability it is right (Platt scaling). The
    scale-only features (``confidence.SCALE_ONLY``: what the line before the cursor ends with,
    the same for every candidate of a task, and whether the best is a retrieval draft another
    draft ties with) go into the scale only, so the ranking, and which candidate is best, is the
    base features' alone; their weights are stored divided by the slope. They are recomputed
    from each row (``_scale_features``), so rows written before they existed fit too."""
    from infill.confidence import CALIBRATION, FEATURES, SCALE_ONLY, fit

    data = json.loads(Path(args.input).read_text())
    rows = [r for r in data["rows"] if r["split"] == "dev"]
    prefixes = {t["task_id"]: t["prefix"] for t in load("dev")}
    base = len(FEATURES) - len(SCALE_ONLY)
    dev = [j for r in rows for _, j in _standing(r)]
    weights = fit([(j["features"][:base], j["exact"]) for j in dev])
    z = lambda f: sum(w * v for w, v in zip(weights, f[:base]))   # noqa: E731
    tops = [(max(_standing(r), key=lambda ij: z(ij[1]["features"])), r) for r in rows if _standing(r)]
    slope, intercept, *by_scale = fit([([z(j["features"]), 1.0, *_scale_features(r, prefixes[r["task_id"]])[i]],
                                        j["exact"]) for (i, j), r in tops], l2=0.01)
    weights += [round(v / slope, 6) for v in by_scale]
    CALIBRATION.parent.mkdir(parents=True, exist_ok=True)
    try:                                   # the docstring examples' rates (examples_gaps.py) stay
        kept = {k: v for k, v in json.loads(CALIBRATION.read_text()).items() if k == "examples"}
    except (OSError, ValueError, AttributeError):
        kept = {}
    CALIBRATION.write_text(json.dumps({
        "features": list(FEATURES), "weights": weights, "scale": [slope, intercept],
        "fitted_on": f"benchmarks/real_code.py dev split: weights on {len(dev)} judged candidates the checks "
                     f"pass, scale and scale-only weights on the best of {len(tops)} tasks",
        "label": "exact match", "candidates": data["candidates"], "backend": data.get("backend", "embedded"),
        **kept}, indent=1) + "\n")
    print(f"fitted on {len(dev)} dev candidates: {dict(zip(FEATURES, weights))}; scale {slope:.3f}, "
          f"{intercept:.3f} on {len(tops)} tasks; wrote {CALIBRATION}")


def rescore(args) -> None:
    """The figures of a split as the shipped calibration ranks and shows it, read from the rows
    of a run (``run --split all --rows ROWS``) instead of running the model again: each task's
    judged candidates (those the checks pass) re-ranked by their features, the best one's exact
    match and first name, and the precision/coverage curve. What a run would print, except for
    what the calibration does not decide (candidates, checks, the known names' timing). The
    scale-only features are recomputed from each row (``_scale_features``, as ``calibrate``
    does), so rows written before them rescore too."""
    from infill.confidence import FEATURES, SCALE_ONLY, load_calibration, probability, unranked

    cal = load_calibration()
    if cal is None:
        raise SystemExit("rescore: the shipped calibration is missing or unusable")
    data = json.loads(Path(args.input).read_text())
    tasks = {t["task_id"]: t for t in load(args.split)}
    base = len(FEATURES) - len(SCALE_ONLY)
    rows = []
    for r in data["rows"]:
        task = tasks.get(r["task_id"])
        if task is None:
            continue
        scale = _scale_features(r, task["prefix"])
        # Ordered as ``complete.judge`` orders them (``confidence.ranking_confidence``): by the
        # rounded confidence without the scale-only features that differ between candidates.
        judged = [(round(probability(unranked(j["features"][:base] + scale[i]), cal), 4),
                   probability(j["features"][:base] + scale[i], cal), j) for i, j in _standing(r)
                  if len(j["features"]) >= base]
        _, conf, best = max(judged, key=lambda pj: pj[0]) if judged else (0.0, 0.0, {"text": r["completion"]})
        rows.append({"kind": r["kind"], "completion": best["text"], "confidence": conf, "passed_checks": bool(judged),
                     **score_task(task, best["text"])})
    n = max(1, len(rows))
    print(f"rescored {len(rows)} {args.split} tasks of {args.input} with the shipped calibration: exact "
          f"{sum(r['exact'] for r in rows) / n:.3f}, first name {sum(r['first_name'] for r in rows) / n:.3f}")
    summary = print_curve("precision/coverage", rows, "exact")
    write(args, {"split": args.split, "tasks": len(rows), "rescored_from": "rows of a run",
                 **{k: round(sum(r[k] for r in rows) / n, 4) for k in ("exact", "similarity", "first_name")},
                 **summary}, [])


def humaneval(args) -> None:
    from infill.backends import get_backend
    from infill.config import InfillOptions
    from infill.eval.humaneval import find_data_dir, load_tasks, run_check

    opts = InfillOptions(model=args.model, threads=args.threads, candidates=args.candidates, min_confidence=0.0,
                         known_names=args.known_names, known_names_ms=args.known_names_ms, examples=args.examples)
    get_backend(opts)
    tasks = load_tasks("single-line", find_data_dir(None), limit=args.limit or None, seed=0)
    rows = []
    for task in tasks:
        row = {"task_id": task.task_id, **complete_row(task.prompt, task.suffix, opts)}
        row["pass"] = bool(run_check(task, row["completion"]).passed)
        rows.append(row)
    n = max(1, len(rows))
    print(f"HumanEval single-line, {len(rows)} tasks, candidates {args.candidates}: pass@1 of the best "
          f"{sum(r['pass'] for r in rows) / n:.3f}")
    summary = print_curve("precision/coverage", rows, "pass")
    write(args, {"tasks": len(rows), "candidates": args.candidates, "pass@1": round(sum(r["pass"] for r in rows) / n, 4),
                 **summary}, rows)


# Code the calibration was not fitted on, for ``rewrites --source``: read from this interpreter's
# installation at run time, nothing copied into the repository. The standard library's modules
# were in the model's training corpus (cpython-stdlib), not in the calibration's packages; the
# installed packages are in neither (nor in the real-code manifest).
OTHER_SOURCES = {
    "stdlib": ("textwrap", "argparse", "fractions", "statistics", "shlex"),
    "packages": ("pyflakes", "tomlkit", "pathspec", "tqdm", "hypothesis"),
}


def module_files(module: str) -> list[tuple[str, Path]]:
    """(path shown, file) of each non-test .py file of an importable module or package, sorted."""
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return []
    origin = Path(spec.origin)
    if origin.name != "__init__.py":
        return [(origin.name, origin)]
    top = origin.parent
    return [(f"{module}/{f.relative_to(top)}", f) for f in sorted(top.rglob("*.py"))
            if "test" not in str(f.relative_to(top)) and "vendor" not in str(f.relative_to(top))]


def other_body_tasks(source: str, count: int, seed: int = 0) -> list[dict]:
    """``count`` runs of 2-5 function-body lines (``cuts``' body kind), spread evenly over the
    modules of ``OTHER_SOURCES[source]`` that are installed, chosen with ``seed``. Modules whose
    distribution is among the real-code manifest's packages are refused (the calibration saw them)."""
    fitted = {n.lower().replace("_", "-") for n in json.loads((folder(DATA) / "manifest.json").read_text())["packages"]}
    modules = [m for m in OTHER_SOURCES[source] if m.replace("_", "-") not in fitted and module_files(m)]
    rng = random.Random(seed)
    tasks = []
    for i, module in enumerate(modules):
        found = []
        for shown, path in module_files(module):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            for cut in cuts(text).get("body", []):
                a, b = cut["cut"]
                found.append({"task_id": f"{shown}:{text.count(chr(10), 0, a) + 1}:body", "kind": "body",
                              "package": module, "path": shown, "answer": cut["answer"],
                              "prefix": text[:a], "suffix": text[b:]})
        share = count // len(modules) + (i < count % len(modules))
        tasks += rng.sample(found, min(share, len(found)))
    return tasks


def rewrites(args) -> None:
    """Rewrite 50 runs of working function-body lines of the benchmark's files (``--source
    benchmark``) or of code the calibration never saw (``stdlib``, ``packages``: read from this
    installation): how many come back as edits, and whether any returned edit breaks
    compilation or leaves a name unbound. ``--show`` prints each returned edit beside the
    original, to read by eye (the summary JSON holds no code)."""
    from infill.backends import get_backend
    from infill.checks import run_checks
    from infill.config import InfillOptions
    from infill.editing import rewrite

    opts = InfillOptions(model=args.model, threads=args.threads)
    get_backend(opts)
    if args.source == "benchmark":
        tasks = [t for t in load("all") if t["kind"] == "body"][: args.limit or 50]
    else:
        tasks = other_body_tasks(args.source, args.limit or 50, args.seed)
    rows = []
    for t in tasks:
        text = t["prefix"] + t["answer"] + t["suffix"]
        start, end = len(t["prefix"]), len(t["prefix"]) + len(t["answer"].rstrip("\n"))
        res = rewrite(text, start, end, "python", opts)
        bad = [] if res.refused else [c.name for c in run_checks(text[:start], res.text, text[end:], "python")
                                      if c.verdict == "reject" and c.name in ("compiles", "names")]
        rows.append({"task_id": t["task_id"], "refused": res.refused, "broken_by": bad,
                     "changed": not res.refused and res.text != t["answer"].rstrip("\n")})
        if args.show and rows[-1]["changed"]:
            print(f"--- {t['task_id']}\n{t['answer'].rstrip()}\n+++ rewritten{' (broken: ' + ', '.join(bad) + ')' if bad else ''}"
                  f"\n{res.text.rstrip()}\n", flush=True)
    n = len(rows)
    print(f"{args.source}: rewrites of {n} working function-body runs: {sum(bool(r['refused']) for r in rows)} refused "
          f"(no better rewrite), {sum(r['changed'] for r in rows)} returned, "
          f"{sum(bool(r['broken_by']) for r in rows)} of those break compilation or leave a name unbound")
    Path(args.out).write_text(json.dumps({"source": args.source, "modules": sorted({t["package"] for t in tasks}),
                                          "rows": rows}, indent=1))
    print(f"wrote {args.out}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("what", choices=("build", "run", "calibrate", "rescore", "humaneval", "rewrites"))
    p.add_argument("--split", default="test", choices=("dev", "test", "all"))
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--model", default=None)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--candidates", type=int, default=4)
    p.add_argument("--steps", type=int, default=0,
                   help="run: forward passes per block at most (the server's automaticSteps is 4; 0: no budget)")
    p.add_argument("--pass-share", type=float, default=None,
                   help="run: with no --steps, passes per block at most this share of its tokens (the option's "
                        "default unless given; 0: no cap)")
    p.add_argument("--per-file", type=int, default=7, help="build: tasks per file at most")
    p.add_argument("--files", type=int, default=12, help="build: files per package at most")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--input", default=None, help="calibrate: the rows a run wrote with --rows (--split all)")
    p.add_argument("--out", default=None, help="run/humaneval/rewrites: the summary JSON; build: the data folder")
    p.add_argument("--rows", default=None, help="run/humaneval: also write every task's row here (not in the repo)")
    p.add_argument("--retrieval", default="workspace", choices=("none", "file", "workspace"),
                   help="run: drafts from nothing, the task's file, or it and the other files of its package")
    p.add_argument("--references", action="store_true", help="run: retrieved chunks before the prefix")
    p.add_argument("--prefix-tokens", type=int, default=0)
    p.add_argument("--known-names", action=argparse.BooleanOptionalAction, default=True,
                   help="run, humaneval: the names valid at the cursor as drafts (the option's default: on)")
    p.add_argument("--known-names-ms", type=float, default=40.0, help="run, humaneval: their time budget")
    p.add_argument("--suffix-tokens", type=int, default=0)
    p.add_argument("--examples", action=argparse.BooleanOptionalAction, default=True,
                   help="run, humaneval: run the docstring's examples against the candidates (the option's default: on)")
    p.add_argument("--source", default="benchmark", choices=("benchmark", *OTHER_SOURCES),
                   help="rewrites: the benchmark's files, or code the calibration never saw, read from this "
                        "installation (stdlib: " + ", ".join(OTHER_SOURCES["stdlib"]) + "; packages: "
                        + ", ".join(OTHER_SOURCES["packages"]) + ")")
    p.add_argument("--show", action="store_true", help="rewrites: print each returned edit beside the original")
    args = p.parse_args()
    if args.what == "build":
        build(args.per_file, args.files, args.seed, output_folder(args.out, DATA))
    elif args.what in ("calibrate", "rescore") and not args.input:
        p.error(f"{args.what} needs --input ROWS: the rows of `run --split all --rows ROWS`")
    elif args.what == "run":
        args.out = args.out or str(HERE / "results" / f"real_code-{args.split}.json")
        run(args)
    elif args.what == "calibrate":
        calibrate(args)
    elif args.what == "rescore":
        args.out = args.out or str(HERE / "results" / f"real_code-{args.split}-rescored.json")
        rescore(args)
    elif args.what == "rewrites":
        suffix = "" if args.source == "benchmark" else f"-{args.source}"
        args.out = args.out or str(HERE / "results" / f"real_code-rewrites{suffix}.json")
        rewrites(args)
    else:
        args.out = args.out or str(HERE / "results" / "real_code-humaneval.json")
        humaneval(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
