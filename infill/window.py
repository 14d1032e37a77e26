"""The parsed window around a cursor: the lines near it, parsed with tree-sitter; and the
text windows the checks read (``top_level_window``, ``enclosing_def``).

``parse_window`` parses only the lines around the cursor (at most ``WINDOW_LINES`` lines and
``WINDOW_CHARS`` characters on each side, less where the caller asks), so a 5 MB file costs
what a small one does. Rows and tree-sitter points here are relative to the window; points are
(row, UTF-8 byte column), as tree-sitter counts.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from tree_sitter import Node, QueryCursor, Tree

from infill.languages import load_query, parse, prelude

WINDOW_LINES = 1000  # lines parsed on each side of the cursor, at most
WINDOW_CHARS = 64_000  # characters parsed on each side of the cursor, at most
LINE_CHARS = 10_000  # of a single huge line (minified code), parsed on each side
# A line that starts a top-level statement, where a parsed window may start: a name or keyword at
# column 0, but not one that goes on with the statement above it ("else:", "end", "fi").
TOP_LEVEL_LINE = re.compile(r"^(?!(?:else|elif|elsif|elseif|except|finally|catch|rescue|ensure|end|fi|done|"
                            r"esac|until|then|do|in|when)\b)[A-Za-z_@$]", re.MULTILINE)

Point = tuple[int, int]  # (row, UTF-8 byte column), as tree-sitter counts
WINDOW_THRESHOLD = 8_000   # characters of prefix + suffix above which the checks read only a window


@dataclass
class Window:
    """The parsed lines around a cursor; rows count from the window's first line."""

    text: str  # the full document
    offset: int  # the cursor
    lines: list[str]  # window lines, without their "\n"
    row_starts: list[int]  # offset in text of each window line
    cursor_row: int  # window row of the cursor
    line_prefix: str  # cursor's line before the cursor
    line_suffix: str  # cursor's line after the cursor
    tree: Tree
    language: str

    @property
    def cursor(self) -> Point:
        return self.cursor_row, len(self.line_prefix.encode("utf-8"))

    def query(self, name: str, start: Point, end: Point) -> dict[str, list[Node]]:
        cursor = QueryCursor(load_query(self.language, name))
        cursor.set_point_range(start, end)
        return cursor.captures(self.tree.root_node)

    def node_text(self, node: Node) -> str:
        """The text of a node of the window's tree."""
        data = "\n".join(self.lines).encode("utf-8")
        return data[node.start_byte:node.end_byte].decode("utf-8", errors="replace")

    def around_cursor(self) -> tuple[Point, Point]:
        row, col = self.cursor
        return (row, max(col - 1, 0)), (row, col + 1)


def _window_bounds(text: str, offset: int, before: int = WINDOW_CHARS, after: int = WINDOW_CHARS) -> tuple[int, int]:
    """Start (a line start) and end (a line end) of the text to parse around offset: whole lines
    within ``before`` / ``after`` characters of it (and ``WINDOW_LINES`` lines), the start moved
    down to a top-level line where there is one."""
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    low = offset - before
    if low <= 0:
        start = 0
    else:                                  # the first line that starts at or after low
        found = text.find("\n", low - 1, line_start)
        start = found + 1 if found >= 0 else line_start
    above = text[start:line_start].split("\n")[:-1]
    if len(above) > WINDOW_LINES:
        start = line_start - sum(len(line) + 1 for line in above[-WINDOW_LINES:])
    if start > 0:  # begin on a top-level line so that the parse starts cleanly
        found = TOP_LEVEL_LINE.search(text, start, line_start + 1)
        start = found.start() if found else start
    high = offset + after
    if high >= len(text):
        end = len(text)
    else:                                  # the last line that ends at or before high
        found = text.rfind("\n", line_end, high + 1)
        end = found if found >= 0 else line_end
    below = text[line_end + 1:end].split("\n") if end > line_end else []
    if len(below) > WINDOW_LINES:
        end = line_end + sum(len(line) + 1 for line in below[:WINDOW_LINES])
    if end - start > 2 * WINDOW_CHARS:  # a huge line (minified code): cut around the cursor
        return max(start, offset - LINE_CHARS), min(end, offset + LINE_CHARS)
    return start, end


def parse_window(text: str, offset: int, language: str, before: int = WINDOW_CHARS,
                 after: int = WINDOW_CHARS) -> Window:
    """Parse the window of lines around offset (``before`` / ``after``: its reach in characters)."""
    start, end = _window_bounds(text, offset, before, after)
    window = text[start:end]
    lines = window.split("\n")
    row_starts = [start]
    for line in lines[:-1]:
        row_starts.append(row_starts[-1] + len(line) + 1)
    row = bisect_right(row_starts, offset) - 1
    col = offset - row_starts[row]
    line = lines[row]
    return Window(text, offset, lines, row_starts, row, line[:col], line[col:],
                  _parse_piece(text, start, window, language), language)


def _parse_piece(text: str, start: int, window: str, language: str) -> Tree:
    """The tree of ``window`` (``text`` from ``start``), parsed after the language's prelude where
    it needs one (PHP's ``<?php``), which is then edited out: the nodes keep the window's rows."""
    head = prelude(language, text, start)
    if not head:
        return parse(window, language)
    tree = parse(head + window, language)       # the prelude ends with a line break: whole rows go
    tree.edit(start_byte=0, old_end_byte=len(head.encode("utf-8")), new_end_byte=0, start_point=(0, 0),
              old_end_point=(head.count("\n"), 0), new_end_point=(0, 0))
    return tree


# ---------------------------------------------------------------- lines and indentation


def leading_ws(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def is_blank(line: str) -> bool:
    return not line.strip()


def prev_nonblank(win: Window) -> int | None:
    for row in range(win.cursor_row - 1, -1, -1):
        if not is_blank(win.lines[row]):
            return row
    return None


# ---------------------------------------------------------------------------------------------
# The text windows the checks read (``syntax.check_window``): cheap scans of the text, no parse.

def top_level_window(prefix: str, suffix: str, max_chars: int | None = None,
                     threshold: int = WINDOW_THRESHOLD) -> tuple[str, str]:
    """The end of prefix and the start of suffix that hold the top-level statements
    around the gap (a cheap text scan; at most WINDOW_LINES lines on each side). With
    ``max_chars``, at most that many characters on each side: where no top-level line comes
    within them (or within WINDOW_LINES lines) the window starts on the least indented line it
    may (a member of the class around the gap) and ends on a line break. Texts of ``threshold``
    characters or fewer come back whole."""
    if len(prefix) + len(suffix) <= threshold:
        return prefix, suffix
    floor = max(0, len(prefix) - max_chars) if max_chars else 0
    start = len(prefix)
    best, best_indent = None, None       # the least indented statement start seen, topmost on ties
    for _ in range(WINDOW_LINES):
        start = prefix.rfind("\n", 0, max(start - 1, 0)) + 1
        if start == 0 or TOP_LEVEL_LINE.match(prefix, start):
            break
        if start < floor:
            start = best if best is not None else floor + prefix[floor:].find("\n") + 1
            break
        end = prefix.find("\n", start)
        line = prefix[start:end if end >= 0 else len(prefix)]
        code = line.lstrip(" \t")
        if TOP_LEVEL_LINE.match(code):       # a statement's start, not a "}" or "else" going on
            indent = len(line) - len(code)
            if best_indent is None or indent <= best_indent:
                best, best_indent = start, indent
    else:                                     # WINDOW_LINES lines and still no top-level line
        if max_chars and best is not None:
            start = best
    start = max(start, floor)                 # one huge line (minified code): cut it too
    first_break = suffix.find("\n")
    end = len(suffix) if first_break < 0 else first_break + 1
    ceiling = max_chars if max_chars else len(suffix)
    for _ in range(WINDOW_LINES):
        if end >= len(suffix) or TOP_LEVEL_LINE.match(suffix, end) or end >= ceiling:
            break
        nxt = suffix.find("\n", end)
        end = len(suffix) if nxt < 0 else nxt + 1
    return prefix[start:], suffix[:min(end, ceiling)]


# A method's window: the gap's outermost indented ``def``, read as the block of an ``if`` so
# that its indentation stands (``if True:`` takes a block at any depth).
_DEF = re.compile(r"(?:async[ \t]+)?def[ \t]")
BLOCK_HEAD = "if True:\n"


def enclosing_def(before: str, after: str) -> tuple[int, int] | None:
    """(where in ``before`` its line starts, where in ``after`` it ends) of the outermost
    indented ``def`` that holds the gap, by indentation (blank and comment lines skipped), or
    None where the gap lies in no indented def (a class body, top-level code)."""
    line_start = before.rfind("\n") + 1
    current = before[line_start:]
    limit = len(current) - len(current.lstrip(" \t"))       # the cursor line's indentation
    found, pos = None, line_start
    for _ in range(WINDOW_LINES):
        if pos <= 0:
            break
        start = before.rfind("\n", 0, pos - 1) + 1
        line, pos = before[start:pos - 1], start
        code = line.lstrip(" \t")
        if not code or code.startswith("#"):
            continue
        indent = len(line) - len(code)
        if indent < limit:                      # a header of a block that holds the gap
            limit = indent
            if _DEF.match(code):
                found = (start, indent)
            if indent == 0:
                break
    if found is None or found[1] == 0:
        return None
    start, indent = found
    end = after.find("\n") + 1 if "\n" in after else len(after)
    for _ in range(WINDOW_LINES):
        if end >= len(after):
            return start, len(after)
        nxt = after.find("\n", end)
        line = after[end:len(after) if nxt < 0 else nxt]
        code = line.lstrip(" \t")
        if code and not code.startswith("#") and len(line) - len(code) <= indent:
            return start, end
        end = len(after) if nxt < 0 else nxt + 1
    return None
