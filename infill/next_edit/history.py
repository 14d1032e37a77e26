"""The recent edits of open documents as whole-line edits, from the texts an editor sends.

Typing sends one change per keystroke; the user's *edit* is the run of them on the same
lines. ``EditHistory.record`` keeps, per document, the text before the current run and
reads the run as one ``LineEdit`` (the lines that differ between that text and now); a
change elsewhere closes the run and starts another. An undo that takes a run back leaves no
edit. The history is bounded (``MAX_EDITS`` per document, ``MAX_DOCUMENTS`` documents).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from .edits import LineEdit

MAX_EDITS = 8
MAX_DOCUMENTS = 64
NEAR_LINES = 1        # a change this close to the current run belongs to it


def _common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix (a binary search over C-level comparisons)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    """Length of the longest common suffix, at most ``limit``."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid:len(a) - lo] == b[len(b) - mid:len(b) - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _lines_in(text: str, start: int, end: int) -> int:
    """Lines of ``text[start:end]`` (a whole-line span; a last line without a break counts)."""
    count = text.count("\n", start, end)
    return count + (1 if end == len(text) and end > start and not text.endswith("\n") else 0)


def line_diff(before: str, after: str) -> LineEdit | None:
    """The one run of whole lines that differs between two texts (None: the same). Linear in
    the text with C-level comparisons: it runs on every change an editor sends."""
    if before == after:
        return None
    p = _common_prefix(before, after)
    start = before.rfind("\n", 0, p) + 1       # whole lines before it: the suffix may reach back to here
    s = _common_suffix(before, after, min(len(before), len(after)) - start)
    a_end, b_end = len(before) - s, len(after) - s

    def at_boundary(text: str, end: int) -> bool:
        return end == start or end == len(text) or text[end - 1] == "\n"

    if not (at_boundary(before, a_end) and at_boundary(after, b_end)):
        k = before.find("\n", a_end)
        grow = (len(before) if k < 0 else k + 1) - a_end
        a_end, b_end = a_end + grow, b_end + grow
    start_line = before.count("\n", 0, start)
    return LineEdit(start_line, start_line + _lines_in(before, start, a_end), before[start:a_end], after[start:b_end])


@dataclass
class _Document:
    base: str                                   # the text before the current run of changes
    current: str
    done: list[LineEdit] = field(default_factory=list)   # closed runs, oldest first

    def run(self) -> LineEdit | None:
        return line_diff(self.base, self.current)


class EditHistory:
    def __init__(self) -> None:
        self._docs: OrderedDict[str, _Document] = OrderedDict()

    def record(self, key: str, before: str | None, after: str) -> None:
        """The document ``key`` went from ``before`` (None: just opened) to ``after``."""
        doc = self._docs.get(key)
        if doc is None or before is None or doc.current != before:
            self._docs[key] = _Document(after, after)        # opened, or the history lost track
            self._trim()
            return
        self._docs.move_to_end(key)
        change, run = line_diff(before, after), doc.run()
        if change is None:
            return
        if run is not None and not _near(run, change):
            doc.done = (doc.done + [run])[-(MAX_EDITS - 1):]
            doc.base = before
        doc.current = after

    def edits(self, key: str, text: str) -> tuple[LineEdit, ...]:
        """The recent edits of a document whose text is now ``text``, oldest first, the current
        run last; none when the history does not know this text or the current run came to
        nothing (an undo took it back: no suggestion follows an undo)."""
        doc = self._docs.get(key)
        if doc is None or doc.current != text:
            return ()
        run = doc.run()
        return () if run is None else (*doc.done, run)

    def forget(self, key: str) -> None:
        self._docs.pop(key, None)

    def _trim(self) -> None:
        while len(self._docs) > MAX_DOCUMENTS:
            self._docs.popitem(last=False)


def _near(run: LineEdit, change: LineEdit) -> bool:
    """Whether ``change`` (lines of the text before it) touches the lines the run wrote."""
    run_end = run.start_line + run.new_text.count("\n")
    return change.start_line <= run_end + NEAR_LINES and run.start_line - NEAR_LINES <= change.end_line
