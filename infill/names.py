"""The names valid at the cursor: what a gap that starts with a name may start with.

A small model cannot remember a code base, and it writes names that are cut off or bound
nowhere; static analysis knows the few names that can stand at the cursor. ``lookup`` starts
finding them and ``Pending.get(budget_s)`` waits for them at most that long:

- where the gap is a name's place (``name_slot``: after ``.``, ``=``, an operator, ``return``,
  ``(``, ``[``, ``,``, a keyword argument; with any partial name typed before the cursor);
- for Python from jedi's completions at the position (module members after a dot, imports,
  classes and their attributes, locals, parameters, builtins), with the project root as jedi's
  search root; jedi runs on one worker thread, cached per (text, position), so a lookup started
  at the start of a request runs beside the model and the request waits for it at most its
  budget (after that it goes on without it; the answer, when it comes, serves the next request);
- for every language (and for Python while jedi has not answered) from tree-sitter
  (``doc_names``): the names the document defines, imports and takes as parameters, and after
  ``x.`` the names that follow ``x.`` elsewhere in the document and the top-level names of the
  file ``x`` names.

The names are ranked by ``name_ranking`` (a score fitted on the training corpus: where
around the cursor each occurs, after the same tokens, how recently, its shape and kind) and
bounded (``limit``): a module of 10,000 names costs one pass over them. ``KnownNames.verdict``
says whether a candidate's first name is valid there.
Nothing here raises: a module jedi cannot analyse, a syntax error, a grammar that times out
give fewer names, never an error.
"""

from __future__ import annotations

import hashlib
import json
import queue
import re
import select
import subprocess
import sys
import threading
from collections import Counter, OrderedDict
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path

from . import name_ranking
from .doc_names import Found, document_names, member_pattern, module_names
from .languages import spec_of

LIMIT = 64                 # ranked names kept per request
MAX_KNOWN = 20_000         # names remembered for the validity verdict (a huge module is cut here)
MAX_JEDI_CHARS = 400_000   # a longer document is not given to jedi (tree-sitter names only)

_IDENT = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_PARTIAL = re.compile(r"[A-Za-z_][A-Za-z_0-9]*$")
_RECEIVER = re.compile(r"([A-Za-z_][A-Za-z_0-9]*(?:\.[A-Za-z_][A-Za-z_0-9]*)*)\s*(?:\.|->|::)$")
_MEMBER = re.compile(r"(?:\.|->|::)$")
# What may stand right before a name: an operator, an opening bracket, a separator, a keyword
# that takes an expression. ``==``, ``+=`` and ``=>`` end in ``=`` / ``>`` and are matched too.
_BEFORE_NAME = re.compile(r"(?:[=(\[{,:+\-*/%<>!&|^~@?]|\b(?:return|yield|if|elif|while|in|not|and|or|await|"
                          r"assert|del|is|else|lambda|case|match|from|with|as|new|throw|typeof|let|const|var)"
                          r")\s*$")


@dataclass(frozen=True)
class Slot:
    """A gap that starts with a name: what is typed of it, and what it is a member of."""

    partial: str                    # the part of the name typed before the cursor ("" for none)
    member: bool                    # after ``.`` / ``->`` / ``::``: an attribute of ``receiver``
    receiver: str = ""              # the dotted name before the dot ("" where it is an expression)


def name_slot(before: str) -> Slot | None:
    """The slot at the end of ``before`` (the document before the cursor), None where the gap
    does not start with a name: a blank line, the middle of a string, after a name or a number."""
    # The line's last ``name_ranking.LINE_CHARS`` characters: a minified file is one line, and the patterns
    # below backtrack over a long run of name characters.
    line = before[max(before.rfind("\n") + 1, len(before) - name_ranking.LINE_CHARS):]
    if not line.strip():
        return None                     # a whole line to write: too many names fit
    m = _PARTIAL.search(line)
    partial = m.group(0) if m else ""
    head = line[:len(line) - len(partial)]
    if partial and head[-1:].isdigit():
        return None
    if _MEMBER.search(head):
        r = _RECEIVER.search(head)
        return Slot(partial, True, r.group(1) if r else "")
    if _BEFORE_NAME.search(head) and not _in_string(line):
        return Slot(partial, False)
    return None


def _in_string(line: str) -> bool:
    """A rough test that the line's end is inside a string (an odd count of quotes)."""
    return line.count('"') % 2 == 1 or line.count("'") % 2 == 1


@dataclass(frozen=True)
class KnownNames:
    """The names valid at one cursor, best first."""

    slot: Slot
    names: tuple[str, ...]          # ranked, at most ``limit``; each starts with ``slot.partial``
    known: frozenset[str] = frozenset()   # every name found (bounded by MAX_KNOWN), for the verdict
    complete: bool = False          # the analysis is one that knows the slot (jedi answered with names)
    source: str = ""                # "jedi" | "tree-sitter"
    kinds: dict = field(default_factory=dict, compare=False)   # name -> jedi's type ("param", "module", ...)

    def verdict(self, text: str) -> float:
        """For a candidate (the text after the cursor): 1.0 when the name it completes is one of
        the known names, -1.0 when an analysis that knows the slot says it is none of them, 0.0
        when it cannot tell (no name written, a keyword, names from the document alone)."""
        name = first_name(self.slot.partial, text)
        if not name:
            return 0.0
        if name in self.known:
            return 1.0
        return -1.0 if self.complete and name not in _KEYWORDS_ANY else 0.0

    def complete_name(self, text: str) -> str | None:
        """A candidate whose first name is cut off or garbled (``tent``, ``andle``) with it
        completed to the best-ranked known name it starts or is part of; ``text`` itself when
        its name is known or no known name fits it; None when it should be dropped: an analysis
        that knows the scope has no name it is part of (not after a dot, where an attribute set
        dynamically is beyond it: there the verdict lowers the confidence instead)."""
        name = first_name(self.slot.partial, text)
        if not name or name in self.known or name in _KEYWORDS_ANY:
            return text
        written = name[len(self.slot.partial):]
        fits = [n for n in self.names if n.startswith(name) or (len(name) >= 3 and name in n)]
        if not fits:
            return None if self.complete and not self.slot.member else text
        best = fits[0]
        rest = text.lstrip()[len(written):]
        return text[:len(text) - len(text.lstrip())] + best[len(self.slot.partial):] + rest


_KEYWORDS_ANY = frozenset({"None", "True", "False", "not", "lambda", "await", "yield", "self", "cls", "super",
                           "null", "true", "false", "this", "new", "nil", "undefined"})


def first_name(partial: str, text: str) -> str:
    """The name a candidate completes: the typed ``partial`` and the name the text starts with."""
    m = _IDENT.match(text) if partial else _IDENT.match(text.lstrip())
    return partial + (m.group(0) if m else "") if (m or partial) else ""


# ---------------------------------------------------------------------------------------------
# Looking the names up.

class Pending:
    """A lookup under way: ``get`` gives the names found within a budget."""

    def __init__(self, text: str, offset: int, language: str, slot: Slot, future: Future | None,
                 folders: tuple[str, ...] = ()):
        self.text, self.offset, self.language, self.slot, self.future = text, offset, language, slot, future
        self.folders = folders      # where files the document imports may lie (its folder, the project root)

    def get(self, budget_s: float) -> KnownNames:
        """The known names: jedi's where it answers within ``budget_s`` seconds, else (and for
        the other languages) the document's own."""
        found = None
        if self.future is not None:
            try:
                found = self.future.result(timeout=max(0.0, budget_s))
            except FutureTimeout:
                found = None        # the request goes on without it; the answer will be cached
            except Exception:       # noqa: BLE001 - an analysis that fails is no analysis
                found = None
        if found:
            return rank(self.slot, found, self.text, self.offset, "jedi", complete=True)
        found = document_names(self.text, self.offset, self.language, self.slot)
        if self.slot.member and self.slot.receiver:
            found = module_names(self.slot.receiver, self.language, self.folders) + found
        return rank(self.slot, found, self.text, self.offset, "tree-sitter", complete=False)


def lookup(text: str, offset: int, language: str, root: str | None = None, path: str | None = None) -> Pending | None:
    """Start finding the names valid at ``offset`` (None where the gap does not start with a
    name). For Python, jedi runs on the worker thread (or its cached answer is taken)."""
    slot = name_slot(text[:offset])
    if slot is None:
        return None
    future = None
    if spec_of(language).scope_analysis == "pyflakes" and len(text) <= MAX_JEDI_CHARS:
        future = _JEDI.submit(text, offset, root, path)
    folders = tuple(dict.fromkeys(f for f in (str(Path(path).parent) if path else None, root) if f))
    return Pending(text, offset, language, slot, future, folders)


def known_names(text: str, offset: int, language: str, budget_s: float = 0.04, root: str | None = None,
                path: str | None = None) -> KnownNames | None:
    """``lookup`` and ``get`` in one: the names valid at ``offset`` within ``budget_s``."""
    pending = lookup(text, offset, language, root, path)
    return pending.get(budget_s) if pending is not None else None


class _JediWorker:
    """jedi in a process of its own (``jedi_worker``), fed by one daemon thread; its answers
    cached per (text, position). A request finds the answer it needs done, running or queued;
    at most ``QUEUE`` lookups wait (a newer one beyond them is skipped). An answer that takes
    longer than ``KILL_S`` is given up and the process killed (the next lookup starts a fresh
    one): jedi cannot be stopped inside a thread, and it runs beside the model without holding
    the interpreter's lock."""

    CACHE = 64
    QUEUE = 2
    KILL_S = 3.0

    def __init__(self):
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple, Future] = OrderedDict()
        self._jobs: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._proc: subprocess.Popen | None = None

    def submit(self, text: str, offset: int, root: str | None, path: str | None) -> Future | None:
        key = (hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest(), offset, root, path)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            if sum(not f.done() for f in self._cache.values()) >= self.QUEUE:
                return None
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._serve, name="infill-names", daemon=True)
                self._thread.start()
            future: Future = Future()
            self._cache[key] = future
            while len(self._cache) > self.CACHE:
                self._cache.popitem(last=False)
        before = text[:offset]
        self._jobs.put((future, {"text": text, "line": before.count("\n") + 1,
                                 "column": len(before) - (before.rfind("\n") + 1), "root": root, "path": path,
                                 "limit": MAX_KNOWN}))
        return future

    def _serve(self) -> None:
        while True:
            future, request = self._jobs.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(self._ask(request))
            except Exception:       # noqa: BLE001 - never a traceback from the names
                future.set_result([])

    def _ask(self, request: dict) -> Found:
        """jedi's answer for one request, [] when it fails or runs past ``KILL_S``."""
        proc = self._process()
        if proc is None:
            return []
        try:
            proc.stdin.write((json.dumps(request) + "\n").encode("utf-8", "surrogatepass"))
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], self.KILL_S)
            line = proc.stdout.readline() if ready else b""
        except (OSError, ValueError):
            line = b""
        if not line:                # past its time, or the process died: a fresh one next time
            self.close()
            return []
        try:
            reply = json.loads(line)
            return [(str(n), str(k)) for n, k in reply.get("names", [])]
        except (ValueError, TypeError):
            return []

    def _process(self) -> subprocess.Popen | None:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        try:
            self._proc = subprocess.Popen([sys.executable, "-m", "infill.jedi_worker"], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                          cwd=str(Path(__file__).resolve().parent.parent))
        except OSError:
            self._proc = None
        return self._proc

    def close(self) -> None:
        """End the jedi process (a lookup afterwards starts a fresh one)."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            try:
                proc.wait(timeout=1)
            except subprocess.TimeoutExpired:   # pragma: no cover
                pass


_JEDI = _JediWorker()


# ---------------------------------------------------------------------------------------------
# Ranking.

def fitting(slot: Slot, found: Found) -> tuple[dict[str, str], list[str]]:
    """(name -> kind of every name found, the first kind an analysis gave; at most ``MAX_KNOWN``
    read) and the names that complete the typed partial: what ``rank`` orders, and what
    ``training.name_rank`` fits the order on."""
    kinds: dict[str, str] = {}
    for name, kind in found[:MAX_KNOWN]:
        kinds.setdefault(name, kind)
    return kinds, [n for n in kinds if n.startswith(slot.partial) and n != slot.partial]


def ranking_context(slot: Slot, text: str, offset: int) -> name_ranking.Context:
    """What the text around the cursor says about names (``name_ranking.Context``), with the
    names that follow the slot's receiver elsewhere in the document."""
    member = Counter()
    if slot.member and slot.receiver:
        member = Counter(m.group(1) for m in member_pattern(slot.receiver).finditer(text))
    return name_ranking.Context(text, offset, slot.member, member, slot.partial)


def rank(slot: Slot, found: Found, text: str, offset: int, source: str, complete: bool,
         limit: int = LIMIT) -> KnownNames:
    """The names that fit the typed partial, best first, at most ``limit``, by
    ``name_ranking``'s fitted score (how near, how recently and where around the cursor each
    occurs, its shape and kind)."""
    kinds, fit = fitting(slot, found)
    scorer = name_ranking.Scorer(ranking_context(slot, text, offset), slot.partial)
    scored = sorted((-scorer(name, kinds[name]), len(name), name) for name in fit)
    return KnownNames(slot, tuple(n for _, _, n in scored[:limit]), frozenset(kinds), complete and bool(kinds),
                      source, kinds)
