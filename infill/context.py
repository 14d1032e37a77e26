"""What the model sees around a cursor: trimmed prefix and suffix, and the gap's shape.

``extract(text, offset)`` turns a document and a cursor into a ``GapContext``. The
window parse is ``infill.window`` and the gap kind ``infill.gaps``; this module trims:

- the prefix keeps whole lines above the cursor up to its budget, starts on a statement
  (top-level where it can) when that drops little, and always keeps the header of the
  function around the cursor;
- the suffix keeps whole lines below the cursor and ends where a statement ends (the
  enclosing definition, or a later complete one) when that drops little.

Budgets are in tokens: counted with ``count_tokens`` when given (summed line by line,
so approximate), else estimated as characters / ``CHARS_PER_TOKEN``. Only the parsed
window can reach the prompt: it reaches twice the characters the budgets could take on each
side (``REACH_PER_TOKEN``), at least ``MIN_REACH`` before the cursor and ``MIN_REACH_AFTER``
after it (room for the header of a long function), at most ``window.WINDOW_LINES`` lines and
``window.WINDOW_CHARS`` characters: a 5,000-line file costs what a 500-line one does.

Offsets and columns are in characters (Unicode code points); LSP position encodings are
converted by ``lsp_server.convert``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Callable

from tree_sitter import Node, QueryCursor

from infill.errors import PositionError
from infill.gaps import DEFAULT_INDENT_UNIT, GAP_SHAPES, GapShape, classify
from infill.languages import DEFAULT_LANGUAGE, get_language, load_query
from infill.window import WINDOW_CHARS, Window, is_blank, leading_ws, parse_window, prev_nonblank

__all__ = [
    "CHARS_PER_TOKEN", "GAP_SHAPES", "GapContext", "GapShape", "extract",
    "offset_to_position", "position_to_offset",
]

CHARS_PER_TOKEN = 3.5  # estimate used when no token counter is given
REACH_PER_TOKEN = 2 * CHARS_PER_TOKEN   # characters parsed per token of budget
MIN_REACH, MIN_REACH_AFTER = 12_000, 4_000   # characters parsed before / after the cursor at least


@dataclass(frozen=True)
class GapContext:
    prefix: str  # trimmed text before the cursor, as given to the model
    suffix: str  # trimmed text after the cursor, as given to the model
    gap_kind: str  # a key of GAP_SHAPES
    max_new_lines: int  # from GAP_SHAPES[gap_kind]
    indent: str  # indentation the completion's lines should use
    canvas_tokens: int  # from GAP_SHAPES[gap_kind]
    cursor_offset: int  # cursor, in characters from the start of the full text
    line_suffix: str  # rest of the cursor's line after the cursor (no line break)
    line_prefix: str = ""  # text of the cursor's line before the cursor
    whole_line: bool = False  # cursor at column 0 of a non-blank line: the completion is
    #                           whole lines inserted before it and must end with "\n"
    valid_indents: tuple[str, ...] = ()  # indentations a new line may take at the gap;
    #                                       empty when the cursor is not at a line start
    indent_unit: str = DEFAULT_INDENT_UNIT  # one level of indentation in this file
    language: str = DEFAULT_LANGUAGE
    prefix_start: int = 0  # offset where the contiguous part of the prefix starts
    suffix_end: int = 0  # offset where the suffix ends


# ---------------------------------------------------------------- positions


def line_count(text: str) -> int:
    """Lines of a file as editors and ``wc -l`` count them: a final line break ends the last
    line, it does not start another ("a\nb\n" has 2 lines, "a\nb" too, "" none)."""
    return text.count("\n") + (0 if not text or text.endswith("\n") else 1)


def position_to_offset(text: str, line: int, col: int, base: int = 0) -> int:
    """Offset of a 0-based (line, column in code points) position; raises PositionError.

    The empty line after a final line break (where a cursor at the end of the file sits) is a
    valid position, though ``line_count`` does not count it; the ``\r`` of a CRLF line break is
    not a column (its line ends before it). ``base`` only changes how the
    error messages number lines and columns (1 for a CLI).
    """
    if line < 0 or col < 0:
        raise PositionError(f"position ({line + base}, {col + base}) is before the start of the file")
    if line > text.count("\n"):
        raise PositionError(f"line {line + base} is past the end of the file ({line_count(text)} lines)")
    start = 0
    for _ in range(line):
        start = text.index("\n", start) + 1
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    length = end - start - (end > start and text[end - 1] == "\r")   # a CRLF line's \r is no column
    if col > length:
        raise PositionError(
            f"column {col + base} is past the end of line {line + base} ({length} characters)"
        )
    return start + col


def offset_to_position(text: str, offset: int) -> tuple[int, int]:
    """The 0-based (line, column in code points) of an offset; raises PositionError."""
    _check_offset(text, offset)
    line = text.count("\n", 0, offset)
    return line, offset - (text.rfind("\n", 0, offset) + 1)


def _check_offset(text: str, offset: int) -> None:
    if not 0 <= offset <= len(text):
        raise PositionError(
            f"offset {offset} is outside the document ({len(text)} characters)"
        )


# ---------------------------------------------------------------- trimming


def _last_row(node: Node) -> int:
    row, col = node.end_point
    return row - 1 if col == 0 and row > node.start_point.row else row


def _statement_rows(win: Window) -> tuple[list[int], list[int]]:
    """First and last rows of the statements in the scopes around the cursor."""
    starts, ends = set(), set()
    for scope in win.query("scopes", *win.around_cursor()).get("scope", []):
        for child in scope.named_children:
            starts.add(child.start_point.row)
            ends.add(_last_row(child))
    return sorted(starts), sorted(ends)


def _signature_rows(win: Window) -> tuple[int, int] | None:
    """Rows of the header of the innermost function around the cursor, above its line."""
    prev = prev_nonblank(win)
    start = (prev if prev is not None else win.cursor_row, 0)
    cursor = QueryCursor(load_query(win.language, "definitions"))
    cursor.set_point_range(start, win.around_cursor()[1])
    best: tuple[int, int] | None = None
    for _, match in cursor.matches(win.tree.root_node):
        function, body = match["definition.function"][0], match["definition.body"][0]
        if _encloses(win, function) and (best is None or function.start_point.row > best[0]):
            colon = body.prev_sibling  # the header ends where the body starts
            header_end = colon.end_point.row if colon else body.start_point.row
            best = (function.start_point.row, min(header_end, win.cursor_row - 1))
    return best if best is not None and best[0] < win.cursor_row else None


def _encloses(win: Window, function: Node) -> bool:
    """The cursor is in the function: inside its node, or on the lines that follow it
    (a body being extended) with no code between, blank or indented deeper than it."""
    if function.start_point.row >= win.cursor_row:
        return False
    if win.cursor <= tuple(function.end_point):
        return True
    line = win.lines[win.cursor_row]
    deeper = len(leading_ws(line)) > len(leading_ws(win.lines[function.start_point.row]))
    return (is_blank(line) or deeper) and prev_nonblank(win) <= _last_row(function)


def _cut_tail(text: str, cost: Callable[[str], float], budget: float) -> str:
    """Longest end of text within budget (binary search on the start)."""
    low, high = 0, len(text)
    while low < high:
        mid = (low + high) // 2
        if cost(text[mid:]) <= budget:
            high = mid
        else:
            low = mid + 1
    return text[low:]


def _cut_head(text: str, cost: Callable[[str], float], budget: float) -> str:
    return _cut_tail(text[::-1], lambda s: cost(s[::-1]), budget)[::-1]


def _drops_little(lines: list[str], start: int, stop: int, other: int) -> bool:
    """Dropping rows [start, stop) keeps at least as many non-blank rows as it drops,
    of those between start and other (either side)."""
    low, high = min(start, other), max(stop, other)
    dropped = sum(not is_blank(line) for line in lines[start:stop])
    total = sum(not is_blank(line) for line in lines[low:high])
    return 2 * dropped <= total


def _trim_prefix(win: Window, cost: Callable[[str], float], budget: float,
                 starts: list[int]) -> tuple[str, int]:
    cr, lines = win.cursor_row, win.lines
    signature = _signature_rows(win)
    paid = range(signature[0], signature[1] + 1) if signature else range(0)
    used = cost(win.line_prefix) + sum(cost(lines[r] + "\n") for r in paid)
    if used > budget:  # the header does not fit: keep what ends at the cursor
        paid, used = range(0), cost(win.line_prefix)
        if used > budget:
            return _cut_tail(win.line_prefix, cost, budget), win.offset
    top = row = cr
    for row in range(cr - 1, -2, -1):
        if row < 0:
            break
        if row not in paid:
            step = cost(lines[row] + "\n")
            if used + step > budget:
                break
            used += step
        top = row
    if row >= 0:  # the budget binds: start on a statement if that drops little
        i = bisect_left(starts, top)
        if i < len(starts) and starts[i] <= cr and _drops_little(lines, top, starts[i], cr):
            top = starts[i]
    kept = [lines[r] for r in paid if r < top] + lines[top:cr]
    return "".join(line + "\n" for line in kept) + win.line_prefix, win.row_starts[top]


def _trim_suffix(win: Window, cost: Callable[[str], float], budget: float,
                 ends: list[int]) -> tuple[str, int]:
    cr, lines = win.cursor_row, win.lines
    used = cost(win.line_suffix)
    if used > budget:
        head = _cut_head(win.line_suffix, cost, budget)
        return head, win.offset + len(head)
    bottom = row = cr
    for row in range(cr + 1, len(lines) + 1):
        if row == len(lines):
            break
        step = cost("\n" + lines[row])
        if used + step > budget:
            break
        used += step
        bottom = row
    if row < len(lines):  # the budget binds: end on a statement if that drops little
        i = bisect_right(ends, bottom) - 1
        if i >= 0 and ends[i] >= cr and _drops_little(lines, ends[i] + 1, bottom + 1, cr + 1):
            bottom = ends[i]
    end = win.row_starts[bottom] + len(lines[bottom])
    if end < len(win.text) and used + cost("\n") <= budget:
        end += 1  # keep the line break that ends the last line
    return win.text[win.offset : end], end


# ---------------------------------------------------------------- entry point


def extract(
    text: str,
    offset: int,
    language: str = DEFAULT_LANGUAGE,
    prefix_budget: int = 3000,
    suffix_budget: int = 1200,
    count_tokens: Callable[[str], int] | None = None,
) -> GapContext:
    """The model's view of a gap at ``offset`` (characters) in ``text``.

    Budgets are in tokens, counted with ``count_tokens`` or estimated as characters /
    CHARS_PER_TOKEN. Raises PositionError for an offset outside the text and
    UnknownLanguageError for an unsupported language. Works on broken code.
    """
    _check_offset(text, offset)
    get_language(language)  # fails early on an unknown language
    reach = [min(WINDOW_CHARS, max(floor, int(REACH_PER_TOKEN * budget)))
             for floor, budget in ((MIN_REACH, prefix_budget), (MIN_REACH_AFTER, suffix_budget))]
    win = parse_window(text, offset, language, *reach)
    cost = count_tokens if count_tokens is not None else (lambda s: len(s) / CHARS_PER_TOKEN)
    gap = classify(win)
    starts, ends = _statement_rows(win)
    prefix, prefix_start = _trim_prefix(win, cost, prefix_budget, starts)
    suffix, suffix_end = _trim_suffix(win, cost, suffix_budget, ends)
    shape = GAP_SHAPES[gap.kind]
    line_suffix = win.line_suffix.removesuffix("\r")
    return GapContext(
        prefix=prefix,
        suffix=suffix,
        gap_kind=gap.kind,
        max_new_lines=shape.max_new_lines,
        indent=gap.indent,
        canvas_tokens=shape.canvas_tokens,
        cursor_offset=offset,
        line_suffix=line_suffix,
        line_prefix=win.line_prefix,
        whole_line=not win.line_prefix and not is_blank(line_suffix),
        valid_indents=gap.valid_indents,
        indent_unit=gap.indent_unit,
        language=language,
        prefix_start=prefix_start,
        suffix_end=suffix_end,
    )
