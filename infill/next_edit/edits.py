"""The values of a next-edit request: whole-line edits, the request, the answer.

Lines are 0-based and ranges end-exclusive; texts are whole lines, each ending in "\\n" (empty
for a pure insertion's old text or a pure deletion's new text), the shape of the next-edit
benchmark's tasks and of ``infill next-edit``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from infill.errors import PositionError


@dataclass(frozen=True)
class LineEdit:
    """Lines ``[start_line, end_line)`` of the text before were replaced by ``new_text``, which
    starts at ``start_line`` of the text after. ``old_text`` may be "" when unknown (a
    suggestion: it replaces whatever the lines hold)."""
    start_line: int
    end_line: int
    old_text: str
    new_text: str

    def to_dict(self) -> dict:
        return {"start_line": self.start_line, "end_line": self.end_line, "new_text": self.new_text}


@dataclass(frozen=True)
class NextEditRequest:
    document: str                       # the whole current text
    language: str | None                # infill's language name; None: no grammar (no syntax check)
    recent_edits: tuple[LineEdit, ...]  # oldest first; the last one is what the user just did
    cursor_line: int = 0
    cursor_character: int = 0
    path: str | None = None
    cancelled: Callable[[], bool] = field(default=lambda: False, compare=False)


@dataclass
class NextEdit:
    edit: LineEdit | None               # the suggestion (None: silent), lines of the current document
    confidence: float                   # probability it is right (calibrated on the benchmark's dev split)
    jump_targets: list[int] = field(default_factory=list)   # lines further away where edits look due, nearest first
    source: str = ""                    # which rule proposed it ("rename", "token", "block", ...)
    candidates: int = 0                 # candidates that passed the checks
    latency_ms: float = 0.0
    model_ran: bool = False             # the canvas asked the model (``nextEditCanvas``)

    def to_dict(self) -> dict:
        return {"edit": self.edit.to_dict() if self.edit else None, "confidence": round(self.confidence, 4),
                "jump_targets": self.jump_targets, "source": self.source,
                "latency_ms": round(self.latency_ms, 2)}


def split_lines(text: str) -> list[str]:
    """Lines of a text, each with its "\\n" ("" -> []; the last one may lack it). Only "\\n"
    breaks a line, as in LSP positions and the benchmark's ranges (``str.splitlines`` would also
    break at a form feed, which Python sources hold)."""
    if not text:
        return []
    lines = text.split("\n")
    last = lines.pop()
    return [line + "\n" for line in lines] + ([last] if last else [])


def check_fits(document_lines: list[str], edit: LineEdit) -> None:
    """The last edit's new text must be what the document holds at its place; raises
    PositionError for a stale edit (the ring no longer matches the document)."""
    new = split_lines(edit.new_text)
    if edit.start_line < 0 or edit.end_line < edit.start_line:
        raise PositionError(f"the recent edit's range [{edit.start_line}, {edit.end_line}) is not a range")
    if edit.start_line + len(new) > len(document_lines):
        raise PositionError(f"the recent edit's new text runs past the document's {len(document_lines)} lines")
    here = document_lines[edit.start_line:edit.start_line + len(new)]
    if [line.rstrip("\r\n") for line in here] != [line.rstrip("\r\n") for line in new]:
        raise PositionError(f"the recent edit's new text is not what the document holds at line {edit.start_line}")
