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


def line_diff(before: str, after: str) -> LineEdit | None:
    """The one run of whole lines that differs between two texts (None: the same)."""
    if before == after:
        return None
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    start = 0
    while start < len(a) and start < len(b) and a[start] == b[start]:
        start += 1
    end_a, end_b = len(a), len(b)
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a, end_b = end_a - 1, end_b - 1
    return LineEdit(start, end_a, "".join(a[start:end_a]), "".join(b[start:end_b]))


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
