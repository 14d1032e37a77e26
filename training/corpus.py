"""Training corpus: permissively licensed Python found on this machine.

Sources are the CPython standard library (PSF licence, its own test suite left out) and
installed distributions whose metadata declares MIT, BSD, Apache, PSF or ISC (those of this
interpreter, and of any further site folders named, such as the system's dist-packages).
Files are read as UTF-8 (unreadable or non-UTF-8 files are skipped and counted), exact
duplicates are dropped, near duplicates optionally too (``near_dup``: most of a file's
distinctive lines already kept, as in the copied model files of transformers), files that
contain HumanEval problems or solutions are dropped, each source keeps at most a byte cap, and
a fixed share of files (chosen by a hash of the path, so it is stable across runs) is held out
for validation.

    python -m training.corpus --out data2/corpus --cap-mb 20 --near-dup 0.6 \
        --site /usr/lib/python3/dist-packages

The result is two JSON Lines files (``train.jsonl``, ``valid.jsonl``: one ``{"path", "text"}``
per line) and ``manifest.json`` recording every source distribution with its licence and
what was skipped and why.

    python -m training.corpus --functions-from data/corpus --out data-fn/corpus [--methods] [--docstring-only]

writes function-shaped documents from a built corpus instead: each small top-level function
with the imports it uses (``function_documents``), split as its file was; with ``--methods``
also each small method of a top-level class, under its class header.
"""

from __future__ import annotations

import ast
import gzip
import hashlib
import importlib.metadata as md
import json
import re
import sys
import sysconfig
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Iterator

CORPUS_LANGUAGES = ("python",)   # what the corpus holds: the model's config records it (engine Capabilities)

# Licence strings we accept, matched case-insensitively against the metadata.
PERMISSIVE = re.compile(r"\b(MIT|BSD|Apache|PSF|Python Software Foundation|ISC)\b", re.I)
# Anything naming a copyleft licence is excluded even if it also names a permissive one.
COPYLEFT = re.compile(r"\b(GPL|LGPL|AGPL|MPL|EPL|CDDL)\b", re.I)

MAX_FILE_BYTES = 400_000          # generated tables and vendored blobs are not useful code
MAX_BYTES_PER_DIST = 8_000_000    # no single package may dominate the corpus
VALID_SHARE = 0.02                # share of files held out for validation
STDLIB_SKIP = {"test", "tests", "idlelib", "site-packages", "lib2to3", "turtledemo", "__pycache__"}


@dataclass
class Source:
    """One origin of files: the stdlib or one installed distribution."""

    name: str
    version: str
    licence: str
    files: list[Path]


@dataclass
class Stats:
    files_seen: int = 0
    files_kept: int = 0
    bytes_kept: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1


def _dist_licence(dist: md.Distribution) -> str:
    meta = dist.metadata
    parts = [meta.get("License-Expression") or "", (meta.get("License") or "").splitlines()[0:1]]
    text = " ".join([parts[0], *parts[1]])
    classifiers = [c for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    return (text + " " + " ".join(classifiers)).strip()


def is_permissive(licence: str) -> bool:
    return bool(PERMISSIVE.search(licence)) and not COPYLEFT.search(licence)


def stdlib_source() -> Source:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = [p for p in sorted(root.rglob("*.py"))
             if not STDLIB_SKIP.intersection(p.relative_to(root).parts)]
    return Source("cpython-stdlib", sys.version.split()[0], "PSF-2.0", files)


def distribution_sources(exclude: Iterable[str] = (), paths: list[str] | None = None) -> list[Source]:
    """Installed distributions with a permissive licence, one Source each (deduplicated by
    name: the first found wins). ``paths``: site folders to look in instead of this
    interpreter's ``sys.path``."""
    seen: set[str] = {e.lower() for e in exclude}
    out = []
    for dist in (md.distributions(path=paths) if paths is not None else md.distributions()):
        name = (dist.metadata.get("Name") or "").lower()
        if not name or name in seen:
            continue
        seen.add(name)
        licence = _dist_licence(dist)
        if not is_permissive(licence):
            continue
        files = [Path(dist.locate_file(f)) for f in dist.files or [] if str(f).endswith(".py")]
        if files:
            out.append(Source(name, dist.version, licence, sorted(files)))
    return out


# ---------------------------------------------------------------------------------------------
# Decontamination against HumanEval.

def default_bench_dir() -> Path | None:
    """The HumanEval-infilling folder (for the contamination filter), found as ``infill eval``
    finds it (``infill.eval.humaneval.find_data_dir``); None when it is not there."""
    from infill.errors import InfillError
    from infill.eval.humaneval import find_data_dir
    try:
        return find_data_dir()
    except InfillError:
        return None


def benchmark_fingerprints(bench_dir: Path | None) -> tuple[set[str], list[set[str]]]:
    """Signature lines of every HumanEval problem and, per problem, its distinctive code lines."""
    signatures: set[str] = set()
    problems: list[set[str]] = []
    if bench_dir is None or not bench_dir.is_dir():
        return signatures, problems
    for path in sorted(bench_dir.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                task = json.loads(line)
                full = task["prompt"] + task["canonical_solution"] + task["suffix"]
                for ln in full.splitlines():
                    s = ln.strip()
                    if s.startswith("def ") and f"def {task['entry_point']}(" in s:
                        signatures.add(s)
                problems.append({ln.strip() for ln in full.splitlines() if len(ln.strip()) >= 30})
    return signatures, problems


def is_contaminated(text: str, signatures: set[str], problems: list[set[str]]) -> bool:
    lines = {ln.strip() for ln in text.splitlines()}
    if signatures & lines:
        return True
    return any(len(p & lines) >= 3 for p in problems)


# ---------------------------------------------------------------------------------------------

def read_source(path: Path, stats: Stats) -> str | None:
    try:
        raw = path.read_bytes()
    except OSError:
        stats.skip("unreadable")
        return None
    if len(raw) > MAX_FILE_BYTES:
        stats.skip("too large")
        return None
    if b"\x00" in raw:
        stats.skip("binary")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        stats.skip("not utf-8")
        return None
    if len(text.strip()) < 64:
        stats.skip("tiny")
        return None
    return text.replace("\r\n", "\n").expandtabs(4) if "\t" in text else text.replace("\r\n", "\n")


def is_validation(key: str) -> bool:
    h = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16)
    return h < VALID_SHARE * 0xFFFFFFFF


# Near duplicates: a line counts if, stripped, it is at least this long (short lines such as
# "return None" or "else:" are in every file and say nothing about copying).
NEAR_DUP_LINE_CHARS = 24
NEAR_DUP_MIN_LINES = 8            # files with fewer distinctive lines are never near duplicates


class NearDuplicates:
    """Greedy near-duplicate filter over the kept files, in the order they are offered: a file
    is a near duplicate when at least ``share`` of its distinctive lines (stripped, at least
    NEAR_DUP_LINE_CHARS long, each counted once) are already in files kept before it. Kept
    files add their lines. Memory: one 64-bit hash per distinct line kept."""

    def __init__(self, share: float):
        if not 0 < share <= 1:
            raise ValueError("the near-duplicate share must be in (0, 1]")
        self.share, self.seen = share, set()

    @staticmethod
    def _lines(text: str) -> set[int]:
        return {int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little")
                for s in (ln.strip() for ln in text.splitlines()) if len(s) >= NEAR_DUP_LINE_CHARS}

    def check_and_add(self, text: str) -> bool:
        """True (and nothing added) if ``text`` is a near duplicate; else its lines are added."""
        lines = self._lines(text)
        if len(lines) >= NEAR_DUP_MIN_LINES and len(lines & self.seen) >= self.share * len(lines):
            return True
        self.seen |= lines
        return False


def iter_documents(sources: list[Source], bench_dir: Path | None, stats: Stats,
                   per_source: dict[str, dict], cap_bytes: int = MAX_BYTES_PER_DIST,
                   near_dup: float | None = None) -> Iterator[tuple[str, str]]:
    """Yield (key, text) for every kept file, deduplicated and decontaminated; each source
    keeps at most ``cap_bytes`` (the standard library twice that)."""
    signatures, problems = benchmark_fingerprints(bench_dir)
    seen_hashes: set[str] = set()
    near = NearDuplicates(near_dup) if near_dup else None
    for src in sources:
        used = 0
        kept = 0
        cap = cap_bytes * (2 if src.name == "cpython-stdlib" else 1)
        # A stable pseudo-random order, so that a package cap keeps a spread of modules.
        for path in sorted(src.files, key=lambda p: hashlib.sha1(str(p).encode()).digest()):
            stats.files_seen += 1
            text = read_source(path, stats)
            if text is None:
                continue
            digest = hashlib.sha1(re.sub(r"\s+", " ", text).encode()).hexdigest()
            if digest in seen_hashes:
                stats.skip("duplicate")
                continue
            seen_hashes.add(digest)
            if is_contaminated(text, signatures, problems):
                stats.skip("benchmark overlap")
                continue
            if used + len(text) > cap:
                stats.skip("package cap")
                continue
            if near is not None and near.check_and_add(text):
                stats.skip("near duplicate")
                continue
            used += len(text)
            kept += 1
            stats.files_kept += 1
            stats.bytes_kept += len(text)
            yield f"{src.name}/{path.name}:{digest[:8]}", text
        per_source[src.name] = {"version": src.version, "licence": src.licence,
                                "files": kept, "bytes": used}


# ---------------------------------------------------------------------------------------------
# Function-shaped documents: one small top-level function with the imports it uses, the shape
# of an editor's gap in a function body (and of HumanEval's problems), instead of whole modules.

FUNCTION_MIN_LINES = 3
FUNCTION_MAX_LINES = 40


def _imported_names(node: ast.Import | ast.ImportFrom) -> set[str]:
    return {(a.asname or a.name).split(".")[0] for a in node.names}


def _is_trivial(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A body that is only a docstring, ``pass``, ``...`` or ``raise NotImplementedError``."""
    body = list(fn.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    if len(body) != 1:
        return not body
    stmt = body[0]
    if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
        return True
    return isinstance(stmt, ast.Raise) and "NotImplementedError" in ast.dump(stmt)


def _module_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The module's imports: top-level ones, and those one level down in a top-level ``try``
    (an optional dependency) or ``if`` (``if TYPE_CHECKING:``). Of a fallback chain such as
    ``try: import ujson as json / except ImportError: import json``, only the first is kept."""
    out: list[ast.Import | ast.ImportFrom] = []
    bound: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found = [node]
        elif isinstance(node, ast.Try):
            found = [n for block in (node.body, *(h.body for h in node.handlers), node.orelse, node.finalbody)
                     for n in block if isinstance(n, (ast.Import, ast.ImportFrom))]
        elif isinstance(node, ast.If):
            found = [n for n in (*node.body, *node.orelse) if isinstance(n, (ast.Import, ast.ImportFrom))]
        else:
            continue
        for n in found:
            names = _imported_names(n)
            if n.col_offset and names <= bound:
                continue                            # a nested fallback for a name already imported
            out.append(n)
            bound |= names
    return out


def _import_source(node: ast.Import | ast.ImportFrom, text: str, lines: list[str]) -> str:
    """A top-level import's whole lines; a nested one's own text (``try: import x`` gives
    ``import x``), which stands at the left margin."""
    if node.col_offset == 0:
        return "\n".join(lines[node.lineno - 1:node.end_lineno or node.lineno])
    return ast.get_source_segment(text, node) or ""


def _first_line(node: ast.stmt) -> int:
    """The line a statement starts on, its decorators included."""
    return min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])


def function_documents(text: str, min_lines: int = FUNCTION_MIN_LINES,
                       max_lines: int = FUNCTION_MAX_LINES, methods: bool = False,
                       docstring_only: bool = False) -> list[str]:
    """Each top-level function of a module (decorators included) whose body is not trivial and
    whose source has ``min_lines``..``max_lines`` lines, preceded by the module's top-level
    imports that bind a name it reads. With ``methods``, also each such method of a top-level
    class, kept at its indentation under its class's header line(s) (the imports are those
    the method or the class's bases read). With ``docstring_only``, only the functions that open
    with a docstring, the shape of a HumanEval problem. A file that does not parse gives none."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    lines = text.splitlines()
    imports = _module_imports(tree)

    def document(fn: ast.AST, above: str = "", reads: tuple[ast.AST, ...] = ()) -> str | None:
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or fn.end_lineno is None:
            return None
        start = _first_line(fn)
        if not min_lines <= fn.end_lineno - start + 1 <= max_lines or _is_trivial(fn):
            return None
        if docstring_only and ast.get_docstring(fn) is None:
            return None
        used = {n.id for node in (fn, *reads) for n in ast.walk(node) if isinstance(n, ast.Name)}
        header = [_import_source(n, text, lines) for n in imports if _imported_names(n) & used]
        body = "\n".join(lines[start - 1:fn.end_lineno])
        return ("\n".join(header) + "\n\n\n" if header else "") + above + body + "\n"

    docs = []
    for node in tree.body:
        if methods and isinstance(node, ast.ClassDef) and node.body:
            # The class statement's own lines: from ``class`` to the line before its first member.
            first_line = _first_line(node.body[0])
            if first_line <= node.lineno:
                continue                            # ``class A: ...`` on one line
            above = "\n".join(lines[node.lineno - 1:first_line - 1]).rstrip() + "\n"
            bases = (*node.bases, *node.keywords)
            docs += [d for m in node.body if (d := document(m, above, bases)) is not None]
        elif (d := document(node)) is not None:
            docs.append(d)
    return docs


def _whole_files(rows: list[dict], budget: int) -> list[dict]:
    """Whole files up to ``budget`` characters, in a stable pseudo-random order (by key)."""
    out, used = [], 0
    for row in sorted(rows, key=lambda r: hashlib.sha1(r["path"].encode()).digest()):
        if used + len(row["text"]) <= budget:
            out.append(row)
            used += len(row["text"])
    return out


def build_function_corpus(src_dir: Path, out_dir: Path, files_bytes: int = 0, methods: bool = False,
                          docstring_only: bool = False) -> dict:
    """Function-shaped documents from a built corpus's train and valid files (each split keeps
    its own files' functions, so the held-out split stays held out); the source manifest is
    carried over with the counts added. ``files_bytes``: whole training files (a stable
    pseudo-random choice, by a hash of the key) added to the training split up to this many
    characters, so that a fine-tune keeps seeing whole modules too. ``methods``: also the
    methods of top-level classes, under their class header; ``docstring_only``: only functions
    with a docstring (see ``function_documents``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, dict[str, int]] = {}
    for split in ("train", "valid"):
        n_files = n_docs = n_bytes = 0
        rows: list[dict] = []       # the training files, kept only when whole ones are wanted
        with open(src_dir / f"{split}.jsonl", encoding="utf-8") as src, \
             open(out_dir / f"{split}.jsonl", "w", encoding="utf-8") as dst:
            for line in src:
                row = json.loads(line)
                if split == "train" and files_bytes > 0:
                    rows.append(row)
                docs = function_documents(row["text"], methods=methods, docstring_only=docstring_only)
                n_files += 1
                for i, doc in enumerate(docs):
                    dst.write(json.dumps({"path": f"{row['path']}#{i}", "text": doc}) + "\n")
                    n_docs += 1
                    n_bytes += len(doc)
            whole = _whole_files(rows, files_bytes)
            for row in whole:
                dst.write(json.dumps(row) + "\n")
        counts[split] = {"files": n_files, "functions": n_docs, "bytes": n_bytes,
                         "whole_files": len(whole), "whole_bytes": sum(len(r["text"]) for r in whole)}
    manifest = json.loads((src_dir / "manifest.json").read_text()) if (src_dir / "manifest.json").exists() else {}
    manifest["function_documents"] = {"from": str(src_dir), "min_lines": FUNCTION_MIN_LINES,
                                      "max_lines": FUNCTION_MAX_LINES, "whole_files_bytes": files_bytes,
                                      "methods": methods, "docstring_only": docstring_only,
                                      **counts}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def directory_source(root: Path, name: str, licence: str) -> Source:
    """Every .py file under a folder whose licence the caller vouches for."""
    return Source(name, "local", licence, sorted(root.rglob("*.py")))


def normalized(name: str) -> str:
    """A distribution or import name as PEP 503 compares them (``stack_data`` is ``stack-data``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def benchmark_packages() -> set[str]:
    """Normalized names of the packages the real-code benchmark cuts its gaps from (its
    ``manifest.json`` in ``../shared/benchmarks/real-code/``), empty when it is not there.
    The corpus never takes them, whatever is installed (jedi and parso are, for known names),
    nor a copy of one vendored inside another package (pip's ``_vendor/requests``)."""
    manifest = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmarks" / "real-code" / "manifest.json"
    try:
        return {normalized(name) for name in json.loads(manifest.read_text()).get("packages", {})}
    except (OSError, ValueError, AttributeError):
        return set()


def _vendored(path: Path, held_out: set[str]) -> bool:
    """A file of a held-out package copied under another's ``_vendor`` or ``vendor`` folder."""
    parts = path.parts
    return any(part in ("_vendor", "vendor") and i + 1 < len(parts)
               and ({normalized(parts[i + 1]), "python-" + normalized(parts[i + 1])} & held_out)
               for i, part in enumerate(parts))


def default_sources(sites: Iterable[str] = (), only: set[str] | None = None) -> list[Source]:
    """The standard library, this interpreter's distributions, then those of ``sites`` not
    already found (by name); never the real-code benchmark's packages; with ``only``, just the
    sources of those names (another corpus's manifest, to keep a fine-tune on seen code)."""
    held_out = benchmark_packages()
    found, names = [stdlib_source()], ["diffusion-infill"]
    for paths in (None, *([site] for site in sites)):
        more = [s for s in distribution_sources(exclude=names, paths=paths) if normalized(s.name) not in held_out]
        found += more
        names += [s.name for s in more]
    if only is not None:
        found = [s for s in found if s.name.lower() in only]
    return [replace(s, files=[f for f in s.files if not _vendored(Path(f), held_out)]) for s in found]


def build_corpus(out_dir: Path, bench_dir: Path | None, sources: list[Source] | None = None,
                 cap_bytes: int = MAX_BYTES_PER_DIST, near_dup: float | None = None) -> dict:
    """Write train/valid JSON Lines and the licence manifest; return the manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sources = default_sources() if sources is None else sources
    stats = Stats()
    per_source: dict[str, dict] = {}
    counts = {"train": 0, "valid": 0}
    with open(out_dir / "train.jsonl", "w", encoding="utf-8") as tr, \
         open(out_dir / "valid.jsonl", "w", encoding="utf-8") as va:
        for key, text in iter_documents(sources, bench_dir, stats, per_source, cap_bytes, near_dup):
            split = "valid" if is_validation(key) else "train"
            counts[split] += 1
            (va if split == "valid" else tr).write(json.dumps({"path": key, "text": text}) + "\n")
    manifest = {
        "sources": per_source,
        "files_seen": stats.files_seen,
        "files_kept": stats.files_kept,
        "bytes_kept": stats.bytes_kept,
        "skipped": stats.skipped,
        "split_files": counts,
        "decontaminated_against": str(bench_dir) if bench_dir and bench_dir.is_dir() else None,
        "cap_bytes_per_source": cap_bytes,
        "near_duplicate_share": near_dup,
        "languages": list(CORPUS_LANGUAGES),
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def load_texts(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh]


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m training.corpus", description="Build the training corpus.")
    p.add_argument("--out", required=True, help="folder for train.jsonl, valid.jsonl, manifest.json")
    p.add_argument("--bench", default=None, help="HumanEval infilling data to decontaminate against "
                   "(default: ../shared/benchmarks/human-eval-infilling when present)")
    p.add_argument("--cap-mb", type=float, default=MAX_BYTES_PER_DIST / 1e6, help="most MB kept per source")
    p.add_argument("--near-dup", type=float, default=0.0,
                   help="drop a file when this share of its distinctive lines is already kept (0 = off)")
    p.add_argument("--site", action="append", default=[], help="a further site folder of distributions")
    p.add_argument("--only-sources", default=None, metavar="MANIFEST",
                   help="keep only the sources another corpus's manifest.json names (e.g. "
                        "engine/model/corpus_manifest.json: code the shipped model has seen)")
    p.add_argument("--functions-from", default=None, metavar="CORPUS",
                   help="instead of building, write function-shaped documents from a built corpus folder")
    p.add_argument("--whole-files-mb", type=float, default=0.0,
                   help="with --functions-from: also keep this many MB of whole training files")
    p.add_argument("--methods", action="store_true",
                   help="with --functions-from: also the methods of top-level classes, under their class header")
    p.add_argument("--docstring-only", action="store_true",
                   help="with --functions-from: only the functions (and methods) that have a docstring")
    args = p.parse_args(argv)
    if args.functions_from:
        src = Path(args.functions_from)
        if not (src / "train.jsonl").exists() or not (src / "valid.jsonl").exists():
            print(f"error: {src} has no train.jsonl and valid.jsonl", file=sys.stderr)
            return 2
        fn = build_function_corpus(src, Path(args.out), int(args.whole_files_mb * 1e6),
                                   methods=args.methods, docstring_only=args.docstring_only)["function_documents"]
        print(f"functions: train {fn['train']['functions']} ({fn['train']['bytes'] / 1e6:.1f} MB) "
              f"from {fn['train']['files']} files, valid {fn['valid']['functions']}; "
              f"whole files {fn['train']['whole_files']} ({fn['train']['whole_bytes'] / 1e6:.1f} MB)")
        return 0
    if args.bench:
        bench = Path(args.bench)
    else:
        bench = default_bench_dir()
    if bench is None or not bench.is_dir():
        print("error: no benchmark data to decontaminate against (--bench)", file=sys.stderr)
        return 2
    only = None
    if args.only_sources:
        try:
            only = {name.lower() for name in json.loads(Path(args.only_sources).read_text())["sources"]}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"error: --only-sources {args.only_sources}: not a corpus manifest ({exc})", file=sys.stderr)
            return 2
    manifest = build_corpus(Path(args.out), bench, default_sources(args.site, only), int(args.cap_mb * 1e6),
                            args.near_dup or None)
    print(f"corpus: {manifest['files_kept']} files, {manifest['bytes_kept'] / 1e6:.1f} MB, "
          f"{len(manifest['sources'])} sources, skipped {manifest['skipped']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
