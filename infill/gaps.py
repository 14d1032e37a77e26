"""What kind of gap the cursor is in, and which indentation its completion takes.

``classify`` names the gap ("line", "block", "arguments", "expression") from the parsed window
around the cursor (``infill.window``), using the captures of ``queries/<language>/gaps.scm``
and the language's spec (its blocks, its comments), with a bracket scan of the text where
the tree is broken, and says which indentation the completion should take. Nothing here
branches on a language's name.

Rows and tree-sitter points here are relative to the window; points are
(row, UTF-8 byte column), as tree-sitter counts.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from tree_sitter import Node

from infill.languages import spec_of
from infill.window import Point, Window, is_blank, leading_ws, prev_nonblank

DEFAULT_INDENT_UNIT = "    "

_OPENERS = "([{"
_CLOSERS = ")]}"

Found = tuple[tuple[int, int], str]  # ((row, character column) of a bracket, gap kind)


@dataclass(frozen=True)
class GapShape:
    max_new_lines: int  # lines a completion of this kind may span
    canvas_tokens: int  # suggested canvas length for the sampler


GAP_SHAPES: dict[str, GapShape] = {
    "line": GapShape(max_new_lines=1, canvas_tokens=32),  # rest of the line / one new line
    "block": GapShape(max_new_lines=12, canvas_tokens=64),  # an indented body to write
    "arguments": GapShape(max_new_lines=1, canvas_tokens=32),  # inside call args / params
    "expression": GapShape(max_new_lines=1, canvas_tokens=32),  # inside a list, dict, [...]
}


def _statement_start_row(win: Window, row: int) -> int:
    """The first row of the statement that ``row`` belongs to: a continuation line of a
    bracketed call or list (``    x = f(a,\n          b)``) belongs to the statement
    that opened it, whose indentation is the one a next statement takes."""
    line = win.lines[row]
    col = len(line[: len(line) - len(line.lstrip())].encode("utf-8"))
    node = win.tree.root_node.descendant_for_point_range((row, col), (row, col))
    blocks = spec_of(win.language).blocks
    while node is not None and node.parent is not None and node.parent.type not in blocks:
        node = node.parent
    if node is None or node.type in blocks or node.has_error:
        return row
    return min(row, node.start_point.row)


def _next_nonblank_indent(win: Window) -> str | None:
    if not is_blank(win.line_suffix):
        return leading_ws(win.line_suffix)
    for line in win.lines[win.cursor_row + 1 :]:
        if not is_blank(line):
            return leading_ws(line)
    return None


def _indent_unit(lines: list[str]) -> str:
    """The file's indentation step: a tab where most indented lines start with one (a tab in a
    string of a space-indented file does not count), else the most common increase in spaces."""
    steps: Counter[int] = Counter()
    tabs = spaces = 0
    prev = None
    for line in lines:
        if is_blank(line):
            continue
        tabs += line.startswith("\t")
        spaces += line.startswith(" ")
        width = len(leading_ws(line))
        if prev is not None and width > prev:
            steps[width - prev] += 1
        prev = width
    if tabs and tabs >= spaces:
        return "\t"
    return " " * steps.most_common(1)[0][0] if steps else DEFAULT_INDENT_UNIT


def _header_row(token: Node, row: int, blocks: tuple[str, ...]) -> int:
    """The row whose indentation a body opened by ``token`` is one level deeper than: the line
    where the construct the body belongs to starts (``def``, ``if``, ``function``), not a
    continuation line of its header. ``token`` opens its parent (``{`` of a block) or closes
    its header (Python's ``:``, Lua's ``then``). A bare block among statements (``{`` right in
    another block) is its own header."""
    owner = token.parent
    if owner is not None and owner.start_byte == token.start_byte:   # "{" starts the block node
        if owner.parent is not None and owner.parent.type not in blocks:
            owner = owner.parent
    return row if owner is None or owner.is_error else owner.start_point.row


def _ends_in_block_brace(win: Window, line: str) -> bool:
    """Whether ``line`` ends with a ``{`` that opens a block, read from the text (a comment
    after it aside) in a language whose blocks are not made by indentation."""
    spec = spec_of(win.language)
    code = line.split(spec.line_comment, 1)[0].rstrip() if spec.line_comment else line.rstrip()
    return not spec.offside and code.endswith("{") and _brace_opens_block(code[:-1], spec.typed_literals)


def _opens_block(win: Window, row: int) -> int | None:
    """The header row of the body that starts after line ``row`` when that line ends with a
    token ``gaps.scm`` captures as ``@block`` (a comment after it aside); else None."""
    line = win.lines[row]
    data = line.encode("utf-8")
    spec = spec_of(win.language)
    comments = tuple(c for c in (spec.line_comment, (spec.block_comment or ("",))[0]) if c)
    for node in win.query("gaps", (row, 0), (row, len(data))).get("block", []):
        if node.end_point.row != row or node.is_missing:
            continue
        rest = data[node.end_point.column:].decode("utf-8", errors="replace").strip()
        if not rest or (comments and rest.startswith(comments)):
            return _header_row(node, row, spec.blocks)
    return None


# ---------------------------------------------------------------- gap kind


def _opener(node: Node) -> Node | None:
    return next((c for c in node.children if c.type in _OPENERS), None)


def _between_brackets(node: Node, cursor: Point) -> bool:
    opener = _opener(node)
    if opener is None or tuple(opener.end_point) > cursor:
        return False
    closer = next((c for c in reversed(node.children) if c.type in _CLOSERS), None)
    limit = node.end_point if closer is None or closer.is_missing else closer.start_point
    return cursor <= tuple(limit)


def _block_between(win: Window, bracketed: Node) -> bool:
    """Whether a block (a node of ``LanguageSpec.blocks``) inside ``bracketed`` holds the cursor:
    the body of a callback passed as an argument is lines of code, not an argument list."""
    node = win.tree.root_node.descendant_for_point_range(win.cursor, win.cursor)
    blocks = spec_of(win.language).blocks
    while node is not None and node != bracketed:
        if node.type in blocks and tuple(node.start_point) < win.cursor:
            return True
        node = node.parent
    return False


def _bracket_kind_from_tree(win: Window) -> Found | None:
    """(row and character column of the opening bracket, kind) of the innermost
    bracketed node around the cursor."""
    captures = win.query("gaps", *win.around_cursor())
    best: tuple[tuple, Node, str] | None = None
    for kind in ("expression", "arguments"):  # arguments wins a tie on the same node
        for node in captures.get(kind, []):
            if _between_brackets(node, win.cursor):
                key = (tuple(node.start_point), tuple(-x for x in node.end_point))
                if best is None or key >= best[0]:
                    best = (key, node, kind)
    if best is None or _block_between(win, best[1]):
        return None
    row, byte_col = _opener(best[1]).start_point
    col = len(win.lines[row].encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))
    return (row, col), best[2]


_EXPRESSION_BEFORE_BRACE = re.compile(r"(?:[=(,:\[{?!&|+\-*/%<^~\]]|\b(?:return|yield|await|throw|in|of|"
                                      r"typeof|case|not|and|or|lambda)|\bnew\s+[\w.:<>, ]+)\s*$")


# A type's name after "=", ":=", "return", "(", "," or "[": "[]int", "map[string][]int", "&pkg.Point",
# "std::vector<int>" (the "{" after it starts a value in a language with ``typed_literals``).
_SLICE_OR_MAP = r"(?:(?:map)?\[[^\]{}]*\]\*?)*"          # the "[]" and "map[K]" before a Go element type
_TYPED_LITERAL = re.compile(r"(?:(?<![=!<>])=(?![=>])|\breturn|[(,\[])\s*&?(?P<type>" + _SLICE_OR_MAP +
                            r"[A-Za-z_][\w.:]*(?:<[^<>{};]*>)?)\s*$")
# Words that start a statement with a block, or a type whose "{" holds declarations.
_BLOCK_WORDS = frozenset(("if", "else", "elif", "elsif", "for", "foreach", "while", "until", "unless", "do",
                          "loop", "match", "switch", "select", "case", "try", "catch", "finally", "unsafe",
                          "async", "fn", "func", "function", "impl", "trait", "struct", "enum", "union",
                          "interface", "class", "namespace", "where", "with"))


def _statement_words(line: str) -> set[str]:
    """The first word of each ";"-separated part of ``line`` (``for`` of Go's
    ``for x := a; x != nil; x = x.next``)."""
    return {part.split()[0] for part in line.split(";") if part.split()}


def _brace_opens_block(before: str, typed_literals: bool = False) -> bool:
    """Whether a ``{`` after ``before`` opens a block (``) {``, ``else {``, ``=> {``, ``struct S {``,
    ``if a[i] {``, ``for ...; i++ {``, ``if let Some(x) = y {``) rather than an expression (``= {``,
    ``return {``, ``f({``, ``new int[] {``, ``new T {``, and with ``typed_literals`` ``xs := []int{``,
    ``= Point {``, ``f(Point{``). A rough reading of text, for broken trees."""
    head = before.rstrip()
    if head.endswith("=>"):
        return True
    if not head:
        return False
    line = re.split(r"[{}\n]", head)[-1]
    words = _statement_words(line)
    if words & _BLOCK_WORDS and re.search(r"(?:\]|\+\+|--)$", head):
        return True                                    # the condition ends in an index or a step
    if _EXPRESSION_BEFORE_BRACE.search(head):
        return False
    if typed_literals and (m := _TYPED_LITERAL.search(head)):
        if re.search(r"\b(?:class|struct|union)\b|\b(?:if|while)\s+let\b", line):
            return True                                # a type's declarations; Rust's if let / while let
        base = re.sub("^" + _SLICE_OR_MAP, "", m.group("type"))   # "struct" of []struct, "Point" of map[K]Point
        return bool((words | {re.split(r"[^\w]", base)[0]}) & _BLOCK_WORDS)
    return True


def _bracket_kind_from_text(win: Window, max_lines: int = 10) -> Found | None:
    """(row and column of the opening bracket, kind) of the innermost bracket left open
    before the cursor, by a rough scan of the last lines (strings and comments skipped). A
    ``{`` that opens a block (in a language whose blocks are not made by indentation) is no
    bracket: a cursor inside it is on a line of that block."""
    spec = spec_of(win.language)
    line_comment = spec.line_comment
    block_open, block_close = spec.block_comment or ("", "")
    first = max(0, win.cursor_row - max_lines)
    source = "\n".join(win.lines[first : win.cursor_row] + [win.line_prefix])
    stack: list[int] = []   # offsets of open brackets; -1 - offset for a "{" that opens a block
    quote = ""
    i = 0
    while i < len(source):
        ch = source[i]
        if quote:
            if ch == "\\":
                i += 1
            elif source.startswith(quote, i):
                i += len(quote) - 1
                quote = ""
            elif ch == "\n" and len(quote) == 1 and quote != "`":
                quote = ""   # a one-character quote ends with its line (a Rust lifetime, a stray ')
        elif line_comment and source.startswith(line_comment, i):
            nl = source.find("\n", i)
            i = len(source) if nl < 0 else nl
        elif block_open and source.startswith(block_open, i):
            close = source.find(block_close, i + len(block_open))
            i = len(source) if close < 0 else close + len(block_close) - 1
        elif ch in "'\"`":
            quote = ch * 3 if source.startswith(ch * 3, i) else ch
            i += len(quote) - 1
        elif ch in _OPENERS:
            block = ch == "{" and not spec.offside and _brace_opens_block(source[max(0, i - 200):i],
                                                                                spec.typed_literals)
            stack.append(-1 - i if block else i)
        elif ch in _CLOSERS and stack:
            stack.pop()
        i += 1
    if not stack or stack[-1] < 0:
        return None
    pos = stack[-1]
    before = source[source.rfind("\n", 0, pos) + 1:pos].rstrip()    # on the bracket's own line
    called = bool(before) and (before[-1].isalnum() or before[-1] in "_)]")
    row = first + source.count("\n", 0, pos)
    col = pos - (source.rfind("\n", 0, pos) + 1)
    return (row, col), "arguments" if source[pos] == "(" and called else "expression"


def _block_indent(win: Window, unit: str) -> str | None:
    """Indentation of the body the cursor begins, if it is on a blank line opening one."""
    if not is_blank(win.line_prefix + win.line_suffix):
        return None
    row = prev_nonblank(win)
    if row is None:
        return None
    line = win.lines[row]
    header = _opens_block(win, row)
    if header is None and win.tree.root_node.has_error and _ends_in_block_brace(win, line):
        header = _statement_start_row(win, row)     # a "{" the broken tree took for something else
    if header is not None:
        body = leading_ws(win.lines[header]) + unit
        return win.line_prefix if len(win.line_prefix) > len(body) else body
    end = (row, len(line.encode("utf-8")))
    for node in win.query("gaps", (row, 0), end).get("block.docstring", []):
        docstring_indent = leading_ws(win.lines[node.start_point.row])
        if node.end_point.row == row and len(win.line_prefix) in (0, len(docstring_indent)):
            return docstring_indent
    return None


def _line_indents(win: Window, unit: str) -> tuple[str, tuple[str, ...]]:
    """Indent of a line gap, and the levels a new line may take there (at column 0)."""
    if win.line_prefix:
        return leading_ws(win.line_prefix), ()
    prev_row = prev_nonblank(win)
    opens = prev_row is not None and _opens_block(win, prev_row) is not None
    if prev_row is not None:
        prev_row = _statement_start_row(win, prev_row)
    prev = leading_ws(win.lines[prev_row]) if prev_row is not None else ""
    nxt = _next_nonblank_indent(win)
    if opens:
        return prev + unit, (prev + unit,)
    indent = nxt if nxt is not None and not is_blank(win.line_suffix) else prev
    low = nxt if nxt is not None and len(nxt) <= len(prev) else ""
    levels = {prev, low, indent}
    if set(prev + low) <= set(unit):  # one kind of whitespace: add the levels between
        levels.update(unit[0] * n for n in range(len(low), len(prev)) if n % len(unit) == 0)
    return indent, tuple(sorted(levels, key=len))


def _gap_kind(win: Window, unit: str) -> tuple[str, str, tuple[str, ...]]:
    """(gap kind, indent, valid indents) at the cursor."""
    found = _bracket_kind_from_tree(win)
    if win.tree.root_node.has_error:  # a broken tree may misplace brackets: the later wins
        in_text = _bracket_kind_from_text(win)
        if in_text is not None and (found is None or in_text[0] > found[0]):
            found = in_text
    if found is not None:
        return found[1], leading_ws(win.lines[win.cursor_row]), ()
    block = _block_indent(win, unit)
    if block is not None:
        return "block", block, (block,) if not win.line_prefix else ()
    indent, valid = _line_indents(win, unit)
    return "line", indent, valid


# ---------------------------------------------------------------- entry point


@dataclass(frozen=True)
class Gap:
    kind: str  # a key of GAP_SHAPES
    indent: str  # indentation the completion's lines should use
    valid_indents: tuple[str, ...]  # levels a new line may take (cursor at column 0)
    indent_unit: str  # one level of indentation in this file


def classify(win: Window) -> Gap:
    """The kind of gap at the cursor and the indentation its completion takes."""
    unit = _indent_unit(win.lines[max(0, win.cursor_row - 200) : win.cursor_row + 200])
    kind, indent, valid = _gap_kind(win, unit)
    return Gap(kind, indent, valid, unit)
