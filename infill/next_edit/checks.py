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


def worse_syntax(lines: list[str], hunk: Hunk, language: str | None) -> bool:
    """More tree-sitter errors in the top-level statements around the hunk with it than
    without it (a grammar that does not finish in time counts as worse)."""
    if language is None:
        return False
    prefix = "".join(lines[:hunk.start_line])
    suffix = "".join(lines[hunk.end_line:])
    before, after = top_level_window(prefix, suffix, window_chars(language))
    old = "".join(lines[hunk.start_line:hunk.end_line])
    try:
        return error_count(before + hunk.new_text + after, language) > error_count(before + old + after, language)
    except ParseTimeout:
        return True


def passes(lines: list[str], hunk: Hunk, recent: tuple[LineEdit, ...], language: str | None) -> bool:
    return not is_noop(lines, hunk) and not is_undo(lines, hunk, recent) and not worse_syntax(lines, hunk, language)
