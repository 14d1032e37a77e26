"""Chunks of code from other sources, the index that finds those like a gap's surroundings,
the ring of recently edited chunks, and a bounded read of a workspace folder.

A source (an open document, a file of the workspace) is cut into ``CHUNK_LINES``-line chunks
every ``CHUNK_STEP`` lines. ``ChunkIndex.search`` scores them with BM25+ over their sets of
identifiers against the identifiers around the gap (``Bm25Plus``: postings in numpy arrays, a
search of 20,000 chunks in about a millisecond). The tables are rebuilt in a background thread
after the sources change (``refresh(wait=False)``), once the index has been left alone for ``QUIET_S``
(no change, no search; ``MAX_WAIT_S`` at most; a new source is indexed at once); a rebuild
maps only the changed sources' identifiers to term ids (the others keep theirs), so after an
edit in a 20,000-chunk workspace it costs about 60 ms (``bm25s`` rebuilt everything in about
half a second, beside the requests typed between). A request reads the
last snapshot and never pays for the rebuild (the document being completed is excluded from
its own search, so its stale chunks do not matter to it); callers that need the new state now
(the CLI, a benchmark) call ``refresh()``.

Everything is bounded: characters kept per source, chunks in the index (the oldest sources
go first), chunks in the ring, files, bytes and directory entries read from a workspace.
"""

from __future__ import annotations

import os
import re
import stat
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

CHUNK_LINES = 16            # lines per chunk
CHUNK_STEP = 8              # a chunk starts every this many lines (chunks overlap by half)
MAX_SOURCE_CHARS = 400_000  # characters of one source that are chunked (the rest is not indexed)
MAX_CHUNKS = 20_000         # chunks in an index; beyond it the least recently updated sources go
MAX_VOCAB = 200_000         # terms kept across rebuilds before a fresh start (the stdlib's 20,000 chunks: 30,000)
QUIET_S = 0.5               # a background rebuild waits until the index was this long untouched ...
MAX_WAIT_S = 10.0           # ... or this long at most (a stream of requests does not starve it)
RING_CHUNKS = 64            # chunks the ring of recent edits keeps
NEAR_DUPLICATE = 0.9        # a new ring chunk this alike (Jaccard of identifiers) replaces the old
WORKSPACE_FILES = 2_000     # files read from a workspace at most
WORKSPACE_BYTES = 8_000_000  # bytes read from a workspace at most
WORKSPACE_ENTRIES = 50_000  # directory entries looked at at most (a huge tree stops here)
FILE_BYTES = 256_000        # a larger file is skipped
SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache",
             ".pytest_cache", "build", "dist", "site-packages", ".eggs"}

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def identifiers(text: str) -> list[str]:
    return IDENTIFIER.findall(text)


@dataclass(frozen=True)
class Chunk:
    source: str                     # where it comes from: a path or a document's name
    line: int                       # 0-based line of its first line in the source
    lines: tuple[str, ...]
    terms: frozenset[str] = field(default=frozenset(), compare=False)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def make_chunk(source: str, line: int, lines: tuple[str, ...]) -> Chunk:
    return Chunk(source, line, lines, frozenset(identifiers("\n".join(lines))))


def chunk_text(source: str, text: str, lines: int = CHUNK_LINES, step: int = CHUNK_STEP) -> list[Chunk]:
    """The chunks of one source: ``lines`` lines every ``step`` lines, blank ones dropped."""
    rows = text[:MAX_SOURCE_CHARS].split("\n")
    out = []
    for start in range(0, max(1, len(rows) - lines + step), step):
        part = tuple(rows[start:start + lines])
        if any(r.strip() for r in part):
            out.append(make_chunk(source, start, part))
    return out


class ChunkIndex:
    """Chunks of several sources, found by BM25 over identifiers. Thread-safe: sources change
    on the editor's thread, searches read the last built snapshot."""

    def __init__(self, max_chunks: int = MAX_CHUNKS, quiet_s: float = QUIET_S, max_wait_s: float = MAX_WAIT_S):
        self.max_chunks = max_chunks
        self.quiet_s, self.max_wait_s = quiet_s, max_wait_s
        self._touched = 0.0                  # time.monotonic() of the last change or search
        self._new_source = False             # a source not yet indexed is pending: no quiet wait
        self._sources: OrderedDict[str, list[Chunk]] = OrderedDict()
        self._lock = threading.Lock()
        self._snapshot: tuple[list[Chunk], object] | None = None   # (chunks, BM25 over them)
        self._version = 0                  # bumped by every change
        self._built = -1                   # the version the snapshot was built from
        self._worker: threading.Thread | None = None
        self._pending: dict[str, str] = {}  # texts given to ``update``, chunked by the next rebuild
        self._dropped: set[str] = set()      # sources dropped while a rebuild chunks pending texts
        self._last_build_s = 0.0
        self._build_lock = threading.Lock()
        self._vocab: dict[str, int] = {}     # term -> id, across builds (a new dict past MAX_VOCAB)
        self._term_ids: dict[str, tuple[list[Chunk], np.ndarray, np.ndarray]] = {}  # per source, by build

    def __len__(self) -> int:
        with self._lock:
            return sum(len(c) for c in self._sources.values())

    def stats(self) -> dict:
        """How much is indexed: sources and chunks given, chunks searchable now, edits pending."""
        with self._lock:
            return {"sources": len(self._sources), "chunks": sum(len(c) for c in self._sources.values()),
                    "searchable": len(self._snapshot[0]) if self._snapshot else 0, "pending": len(self._pending),
                    "current": self._built == self._version}

    def sources(self) -> list[str]:
        with self._lock:
            return list(self._sources)

    def set_source(self, name: str, text: str) -> None:
        self.set_chunks(name, chunk_text(name, text))

    def update(self, name: str, text: str) -> None:
        """A source's new text, chunked by the next rebuild (costs nothing now: for every
        keystroke of an open document)."""
        with self._lock:
            self._pending[name] = text
            self._version += 1
            self._touched = time.monotonic()
            self._new_source |= name not in self._sources

    def set_chunks(self, name: str, chunks: list[Chunk]) -> None:
        with self._lock:
            self._pending.pop(name, None)
            self._new_source |= name not in self._sources
            self._put(name, chunks)
            self._version += 1

    def _put(self, name: str, chunks: list[Chunk]) -> None:
        """(Under the lock.) A source's chunks, the least recently updated sources dropped
        while the index holds more than ``max_chunks``."""
        self._sources.pop(name, None)
        self._sources[name] = list(chunks)[: self.max_chunks]
        total = sum(len(c) for c in self._sources.values())
        while total > self.max_chunks and len(self._sources) > 1:
            _, dropped = self._sources.popitem(last=False)
            total -= len(dropped)

    def drop_source(self, name: str) -> None:
        with self._lock:
            self._pending.pop(name, None)
            self._dropped.add(name)
            self._sources.pop(name, None)
            self._version += 1

    def refresh(self, wait: bool = True) -> None:
        """Rebuild the BM25 tables if the sources changed: now (``wait``), or in a background
        thread while searches go on reading the previous snapshot."""
        if wait:
            self._rebuild()
            return
        with self._lock:
            if self._built == self._version or (self._worker is not None and self._worker.is_alive()):
                return
            self._worker = threading.Thread(target=self._rebuild_soon, name="infill-chunk-index", daemon=True)
            self._worker.start()

    def _rebuild_soon(self) -> None:
        """The background worker: rebuild until the snapshot is current, at most one rebuild
        every ``max(0.1 s, twice the last rebuild)``, each once the index has been untouched
        for ``quiet_s`` (``max_wait_s`` at most): typing and the requests between keystrokes
        run without one beside them. A source not indexed yet (a workspace just read, a
        document just opened) is indexed without waiting."""
        while True:
            time.sleep(max(0.1, 2 * self._last_build_s))
            latest = time.monotonic() + self.max_wait_s
            while (idle := time.monotonic() - self._touched) < self.quiet_s and time.monotonic() < latest \
                    and not self._new_source:
                time.sleep(min(self.quiet_s - idle, max(0.0, latest - time.monotonic())) + 0.001)
            self._rebuild()
            with self._lock:
                if self._built == self._version:
                    self._worker = None
                    return

    def _rebuild(self) -> None:
        t0 = time.perf_counter()
        with self._build_lock:             # the worker and a caller's refresh() take turns
            with self._lock:
                pending, self._pending = self._pending, {}
                self._dropped = set()
                self._new_source = False
                version = self._version
            chunked = {name: chunk_text(name, text) for name, text in pending.items()}
            with self._lock:
                for name, chunks in chunked.items():
                    if name not in self._dropped and name not in self._pending:   # not closed or changed since
                        self._put(name, chunks)
                sources = list(self._sources.items())
            snapshot = self._tables(sources) if sources else None
            with self._lock:
                if version >= self._built:
                    self._snapshot, self._built = snapshot, version
        self._last_build_s = time.perf_counter() - t0

    def _tables(self, sources: list[tuple[str, list[Chunk]]]) -> tuple[list[Chunk], "Bm25Plus"]:
        """(Under the build lock.) The chunks of ``sources`` and BM25+ over them. Each source's
        term ids are kept from the build before unless its chunks changed, so a rebuild after a
        keystroke costs the changed source and a few array operations, not every chunk again."""
        if len(self._vocab) > MAX_VOCAB:       # a long session's vocabulary: start a new one
            self._vocab, self._term_ids = {}, {}
        vocab, ids, lengths, chunks = self._vocab, [], [], []
        for name, part in sources:
            cached = self._term_ids.get(name)
            if cached is None or cached[0] is not part:
                flat = [vocab.setdefault(term, len(vocab)) for c in part for term in c.terms]
                cached = (part, np.array(flat, dtype=np.int64),
                          np.array([len(c.terms) for c in part], dtype=np.int64))
                self._term_ids[name] = cached
            ids.append(cached[1])
            lengths.append(cached[2])
            chunks += part
        for name in set(self._term_ids) - {name for name, _ in sources}:
            del self._term_ids[name]
        return chunks, Bm25Plus(np.concatenate(ids), np.concatenate(lengths), vocab)

    def search(self, terms: list[str], k: int = 4, exclude: str | None = None,
               accept: Callable[[str], bool] | None = None) -> list[Chunk]:
        """The ``k`` chunks most like ``terms`` (BM25) that share a term with them, none from
        ``exclude`` and, with ``accept``, only from sources it accepts (by name)."""
        with self._lock:
            snapshot = self._snapshot
            self._touched = time.monotonic()
        if snapshot is None or not terms:
            return []
        chunks, bm25 = snapshot
        skip = {exclude, os.path.realpath(exclude)} if exclude else set()
        scores, holding = bm25.scores(terms)
        out = []
        # Best first, ties in index order; only chunks holding a query term.
        for i in holding[np.argsort(-scores[holding], kind="stable")].tolist():
            if len(out) == k:
                break
            if chunks[i].source not in skip and (accept is None or accept(chunks[i].source)):
                out.append(chunks[i])
        return out


class Bm25Plus:
    """BM25+ (Lv and Zhai; k1 1.5, b 0.75, delta 1: rank_bm25's constants) over chunks whose
    terms are sets, as postings in numpy arrays.

    Written here rather than taken from a library: ``bm25s`` (used before) and ``rank_bm25``
    build their tables in a Python loop over every document, about half a second for the
    20,000 chunks of a large workspace, and the index is rebuilt after edits, beside the
    requests typed between them. With set-valued terms (tf is 0 or 1) the score of a chunk d
    for a query q is ``norm(d) * sum(idf(t) for t in q & d) + delta * sum(idf(t) for t in q)`` (its last term alike for all)
    with ``norm(d) = (k1 + 1) / (k1 * (1 - b + b * |d| / avg|d|) + 1)`` and
    ``idf(t) = log((N + 1) / df(t))``: built from the chunks' term ids with a few array
    operations (tens of milliseconds for 20,000 chunks), searched by summing the idf of each
    query term's postings (a millisecond).
    """

    K1, B, DELTA = 1.5, 0.75, 1.0

    def __init__(self, term_ids: np.ndarray, lengths: np.ndarray, vocab: dict[str, int]):
        n = len(lengths)
        self.vocab, self.n_vocab = vocab, len(vocab)     # the dict grows later: ids past n_vocab are not here
        df = np.bincount(term_ids, minlength=self.n_vocab)
        self.idf = np.log((n + 1) / np.maximum(df, 1))
        average = lengths.mean() if n and lengths.any() else 1.0
        self.norm = (self.K1 + 1) / (self.K1 * (1 - self.B + self.B * lengths / average) + 1)
        docs = np.repeat(np.arange(n), lengths)
        self.postings = docs[np.argsort(term_ids, kind="stable")]      # the chunks of term 0, then 1, ...
        self.starts = np.concatenate([[0], np.cumsum(df)])
        self.n = n

    def scores(self, terms: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(BM25+ score of every chunk, indices of the chunks holding a query term, ascending)."""
        ids = sorted({i for t in terms if (i := self.vocab.get(t)) is not None and i < self.n_vocab})
        ids = [i for i in ids if self.starts[i + 1] > self.starts[i]]
        if not ids:
            return np.zeros(self.n), np.zeros(0, dtype=np.int64)
        parts = [self.postings[self.starts[i]:self.starts[i + 1]] for i in ids]
        weights = np.repeat(self.idf[ids], [len(p) for p in parts])
        summed = np.bincount(np.concatenate(parts), weights=weights, minlength=self.n)
        return self.norm * summed + self.DELTA * self.idf[ids].sum(), np.flatnonzero(summed > 0)


def jaccard(a: frozenset[str] | set[str], b: frozenset[str] | set[str]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


class ChunkRing:
    """The chunks around the user's recent edits (llama.vim's ring): at most ``size``, the
    oldest evicted first, and a new chunk replaces any older one nearly the same."""

    def __init__(self, size: int = RING_CHUNKS, lines: int = CHUNK_LINES):
        self.size, self.lines = size, lines
        self._chunks: list[Chunk] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._chunks)

    @property
    def chunks(self) -> list[Chunk]:
        with self._lock:
            return list(self._chunks)

    def add(self, source: str, text: str, line: int) -> Chunk | None:
        """Keep the ``lines`` lines of ``text`` centred on ``line`` (0-based) of ``source``."""
        rows = text[:MAX_SOURCE_CHARS].split("\n")
        start = max(0, min(line - self.lines // 2, len(rows) - self.lines))
        part = tuple(rows[start:start + self.lines])
        if not any(r.strip() for r in part):
            return None
        chunk = make_chunk(source, start, part)
        with self._lock:
            self._chunks = [c for c in self._chunks
                            if not (c.source == source and jaccard(c.terms, chunk.terms) >= NEAR_DUPLICATE)]
            self._chunks.append(chunk)
            del self._chunks[:-self.size]
        return chunk


def workspace_index(folder: str | Path, suffixes: tuple[str, ...]) -> ChunkIndex:
    """A built index of a folder's files (``read_workspace``)."""
    index = ChunkIndex()
    for path, text in read_workspace(folder, suffixes):
        index.set_source(path, text)
    index.refresh()
    return index


def read_workspace(folder: str | Path, suffixes: tuple[str, ...], skip: str | Path | None = None,
                   max_files: int = WORKSPACE_FILES, max_bytes: int = WORKSPACE_BYTES,
                   max_entries: int = WORKSPACE_ENTRIES) -> list[tuple[str, str]]:
    """(path, text) of the files under ``folder`` whose name ends in one of ``suffixes``.

    Bounded: at most ``max_files`` files and ``max_bytes`` bytes read, ``max_entries``
    directory entries looked at; files over ``FILE_BYTES``, binary files (a NUL byte), files
    that are not UTF-8 and unreadable folders are skipped; links are not followed, so nothing
    outside the folder is read. ``skip``: a file left out (the document itself).
    """
    root = Path(folder).resolve()
    skip_path = Path(skip).resolve() if skip else None
    out: list[tuple[str, str]] = []
    read = entries = 0
    for dirpath, dirnames, filenames in os.walk(root, onerror=lambda _: None, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            entries += 1
            if entries > max_entries or len(out) >= max_files or read >= max_bytes:
                return out
            if not name.endswith(suffixes):
                continue
            path = Path(dirpath) / name
            if path == skip_path or not _plain_file(path):
                continue
            text = _read_text(path, min(FILE_BYTES, max_bytes - read))
            if text is not None:
                out.append((str(path), text))
                read += len(text)
    return out


def read_file(path: str | Path) -> str | None:
    """One file's text as ``read_workspace`` reads it (None: not a plain UTF-8 text file of at
    most ``FILE_BYTES``)."""
    return _read_text(Path(path), FILE_BYTES) if _plain_file(Path(path)) else None


def _plain_file(path: Path) -> bool:
    """A regular file, not a link (which could lead outside), a FIFO or a device (which could
    block a read forever)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _read_text(path: Path, limit: int) -> str | None:
    """The file's text, or None: larger than ``limit`` bytes, binary, not UTF-8, unreadable."""
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError:
        return None
    if len(data) > limit or b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
