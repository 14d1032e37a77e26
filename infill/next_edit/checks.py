"""Checks every next-edit candidate passes before it is ranked: it changes something, it does
not undo what the user just did, and it does not make the syntax around it worse."""

from __future__ import annotations

from infill.errors import ParseTimeout
from infill.syntax import error_count, top_level_window, window_chars

from .edits import LineEdit, split_lines
from .propagate import Hunk


def _strip(lines: list[str]) -> list[str]:
    return [l.rstrip() for l in lines]


def is_noop(lines: list[str], hunk: Hunk) -> bool:
    return _strip(lines[hunk.start_line:hunk.end_line]) == _strip(hunk.new_lines)


def is_undo(lines: list[str], hunk: Hunk, recent: tuple[LineEdit, ...]) -> bool:
    """The candidate puts back text a recent edit took away, where that edit wrote it."""
    here, there = _strip(lines[hunk.start_line:hunk.end_line]), _strip(hunk.new_lines)
    for edit in recent:
        old, new = _strip(split_lines(edit.old_text)), _strip(split_lines(edit.new_text))
        if here == new and there == old:
            return True
        if old and [l.strip() for l in there] == [l.strip() for l in old] and \
                [l.strip() for l in here] == [l.strip() for l in new]:
            return True
    return False


WHOLE_DOCUMENT_CHARS = 300_000   # up to this size the whole document is parsed (a window may start inside a string)


class SyntaxCheck:
    """Whether a hunk makes the syntax worse: more tree-sitter errors with it than without, in
    the whole document (the count without it parsed once), or in a larger one in the top-level
    statements around the hunk. A grammar that does not finish in time counts as worse."""

    def __init__(self, lines: list[str], language: str | None) -> None:
        self.lines, self.language = lines, language
        self.whole = language is not None and sum(len(l) for l in lines) <= WHOLE_DOCUMENT_CHARS
        self._before: int | None = None

    def worse(self, hunk: Hunk) -> bool:
        if self.language is None:
            return False
        prefix = "".join(self.lines[:hunk.start_line])
        suffix = "".join(self.lines[hunk.end_line:])
        try:
            if self.whole:
                if self._before is None:
                    self._before = error_count("".join(self.lines), self.language)
                return error_count(prefix + hunk.new_text + suffix, self.language) > self._before
            before, after = top_level_window(prefix, suffix, window_chars(self.language))
            old = "".join(self.lines[hunk.start_line:hunk.end_line])
            return error_count(before + hunk.new_text + after, self.language) > \
                error_count(before + old + after, self.language)
        except ParseTimeout:
            return True


def worse_syntax(lines: list[str], hunk: Hunk, language: str | None) -> bool:
    return SyntaxCheck(lines, language).worse(hunk)


def passes(lines: list[str], hunk: Hunk, recent: tuple[LineEdit, ...], syntax: SyntaxCheck) -> bool:
    return not is_noop(lines, hunk) and not is_undo(lines, hunk, recent) and not syntax.worse(hunk)
