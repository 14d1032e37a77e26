"""Where the benchmarks' data lives: other projects' code, kept beside the project, not in it.

The real-code and languages benchmarks cut their gaps from source files of permissively
licensed packages (each file's package, version and licence in the folder's
``manifest.json``). Those files are other projects' code, so the repository holds only the
scripts; the data is in ``../shared/benchmarks/<name>/`` beside the checkout (the layout this
project's CI and every developer machine have). ``$INFILL_BENCHMARK_DATA`` names another
folder that holds the same ``<name>/`` subfolders.

    folder("real-code")     # -> Path of ../shared/benchmarks/real-code, or a clear SystemExit

Nothing in the product reads this: only benchmarks and tests do.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = "INFILL_BENCHMARK_DATA"
NEEDED = ("files.jsonl.gz", "tasks.jsonl")


class MissingData(SystemExit):
    """The benchmark's data folder is not where it is looked for: one line that says where."""


def candidates() -> list[Path]:
    """The folders that may hold the benchmarks' data, in the order they are tried."""
    found = [Path(p) for p in [os.environ.get(ENV)] if p]
    return found + [ROOT.parent / "shared" / "benchmarks", Path.cwd().parent / "shared" / "benchmarks"]


def folder(name: str) -> Path:
    """The data folder of one benchmark (``real-code``, ``languages``): it holds ``files.jsonl.gz``,
    ``tasks.jsonl`` and ``manifest.json``."""
    tried = []
    for base in candidates():
        path = base / name
        if path in tried:
            continue
        tried.append(path)
        if all((path / f).is_file() for f in NEEDED):
            return path.resolve()
    raise MissingData(f"benchmark data {name!r} not found (looked in {', '.join(map(str, tried))}): it lives in "
                      f"../shared/benchmarks/{name}/ beside the checkout; set {ENV}=DIR to a folder holding "
                      f"{name}/{NEEDED[0]} and {name}/{NEEDED[1]}")


def output_folder(path: str | None, what: str) -> Path:
    """Where ``build`` writes: only a folder the user names (the data is not the project's)."""
    if not path:
        raise SystemExit(f"{what} build writes other projects' code: name the folder with --out DIR "
                         f"(the shared copy is ../shared/benchmarks/{what}/)")
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    return out
