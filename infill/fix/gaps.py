"""Where a failing test points, and which gaps of that code to regenerate.

``suspects`` reads a failing test's traceback: frames inside the repository but outside
test files, innermost first. When the traceback stays inside the test (an ``assert f(x) == y``
that fails without raising anywhere else), the functions the test calls and the repository
defines are the suspects, those called on the failing line first.

``gaps_for`` chooses, with tree-sitter, the regions of a suspect's file a candidate replaces:

- ``line``: the failing line's statement (a compound statement's header line alone), then
  the header of the ``if``/``elif``/``while``/``for`` whose block holds it;
- ``block``: the statement block holding it, when that is not the function body;
- ``body``: the enclosing function's body, its docstring kept;
- ``insert`` (with ``inserts=True``): an empty region at the start of a line, for a line that is missing: the
  candidate becomes new lines before it, at its indentation. For a failing line: before the
  failing statement and the statement above it, and before the compound statement holding
  it and the statement above that; for a called function: before each statement line.

Without a failing line (a called function), every statement line of the function is a
line gap, last first, then its inner blocks, then its body. A region runs from the first
non-blank character of its first line to the end of its last line, so the indentation
before it and the line break after it stay in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tree_sitter import Node, QueryCursor

from infill.languages import file_suffixes, load_query, parse
from infill.sources.failing import LANGUAGE   # the language of the code pytest tests
from infill.patch import IGNORED_DIRS
from infill.sources.failing import find_test_function
from .testrun import Outcome

MAX_SOURCE_FILES = 2000          # .py files indexed for function definitions
MAX_SOURCE_BYTES = 1_000_000     # larger files are not indexed
_TEST_NAME = re.compile(r"^(test_.*|.*_test|conftest)\.py$")
_SCOPES = ("block", "module")


def is_test_file(rel: str) -> bool:
    p = PurePosixPath(rel)
    return bool(_TEST_NAME.match(p.name)) or any(part in ("tests", "test") for part in p.parts[:-1])


@dataclass(frozen=True)
class Suspect:
    path: str               # source file, relative to the repository root ("/"-separated)
    line: int | None        # 1-based line a traceback frame names; None: the whole function
    function_line: int | None = None   # 1-based line of the def, when found by name


@dataclass(frozen=True)
class FixGap:
    path: str               # file the gap is in, relative to the repository root
    kind: str               # line | insert | block | body
    text: str               # the file's text the gap is cut from
    start: int              # text[start:end] is replaced by a candidate
    end: int
    first_line: int         # 1-based lines of the region, for reports
    last_line: int
    context: str = ""       # the failing test as a comment block, for the prompt

    @property
    def original(self) -> str:
        return self.text[self.start:self.end]

    @property
    def indent(self) -> str:
        """The indentation of the line the gap starts on (for ``insert``: the line it goes before)."""
        line_start = self.text.rfind("\n", 0, self.start) + 1
        line = self.text[line_start:]
        return line[: len(line) - len(line.lstrip(" \t"))]

    def pieces(self, candidate: str) -> tuple[str, str, str]:
        """(before, what the candidate becomes in the file, after)."""
        before, after = self.text[: self.start], self.text[self.end:]
        if self.kind == "insert":   # new lines before the line at ``start``, at its indentation
            body = candidate.strip("\n").lstrip(" \t")
            return before, (self.indent + body + "\n") if body.strip() else "", after
        if candidate.endswith("\n") and after.startswith("\n"):
            candidate = candidate[:-1]   # the region's own line break is kept
        return before, candidate, after

    def apply(self, candidate: str) -> str:
        return "".join(self.pieces(candidate))


# ---------------------------------------------------------------- suspects


@dataclass(frozen=True)
class Definition:
    path: str                   # file, relative to the repository root
    line: int                   # 1-based line of the def
    calls: tuple[str, ...]      # names the function calls, in source order


Index = dict[str, list[Definition]]


def function_index(root: Path) -> Index:
    """Function name -> its definitions in the repository's non-test sources."""
    index: Index = {}
    files = sorted(p for p in root.rglob("*" + file_suffixes(LANGUAGE)[0])
                   if not set(p.relative_to(root).parts) & set(IGNORED_DIRS))[:MAX_SOURCE_FILES]
    functions, calls = load_query(LANGUAGE, "functions"), load_query(LANGUAGE, "calls")
    for path in files:
        rel = path.relative_to(root).as_posix()
        if is_test_file(rel) or path.stat().st_size > MAX_SOURCE_BYTES:
            continue
        tree = parse(path.read_bytes(), LANGUAGE)
        for _, match in QueryCursor(functions).matches(tree.root_node):
            node = match["function"][0]
            cursor = QueryCursor(calls)
            cursor.set_byte_range(node.start_byte, node.end_byte)
            called = sorted(cursor.captures(node).get("call.name", []), key=lambda n: n.start_byte)
            name = match["function.name"][0].text.decode("utf-8", "replace")
            index.setdefault(name, []).append(Definition(
                rel, node.start_point.row + 1,
                tuple(dict.fromkeys(n.text.decode("utf-8", "replace") for n in called))))
    return index


def suspects(root: Path, outcome: Outcome, index: Index, limit: int = 6) -> list[Suspect]:
    """Code a failing test points at: traceback frames first (innermost first), then the
    functions it calls and, breadth first, the functions those call."""
    found: list[Suspect] = []
    for frame in reversed(outcome.frames):
        rel = frame.path
        if rel.endswith(file_suffixes(LANGUAGE)) and not Path(rel).is_absolute() and not is_test_file(rel) \
                and (root / rel).is_file():
            found.append(Suspect(rel, frame.line))
    test = find_test_function(root, outcome.nodeid)
    if test is not None:
        hot = _failing_test_line(root, outcome)
        queue = sorted(test.calls, key=lambda n: (n not in hot, -test.source.rfind(n + "(")))
        seen = set(queue)
        while queue and len(set(found)) < limit:
            for definition in index.get(queue.pop(0), []):
                found.append(Suspect(definition.path, None, definition.line))
                queue += [n for n in definition.calls if n not in seen]
                seen.update(definition.calls)
    return list(dict.fromkeys(found))[:limit]


def _failing_test_line(root: Path, outcome: Outcome) -> str:
    """Text of the innermost traceback line inside a test file ("" when there is none)."""
    for frame in reversed(outcome.frames):
        if is_test_file(frame.path) and (root / frame.path).is_file():
            lines = (root / frame.path).read_text(encoding="utf-8", errors="replace").splitlines()
            return lines[frame.line - 1] if 0 < frame.line <= len(lines) else ""
    return ""


# ---------------------------------------------------------------- gaps


def gaps_for(path: str, text: str, suspect: Suspect, context: str = "", max_gaps: int = 8,
             inserts: bool = False) -> list[FixGap]:
    """The gaps to try for a suspect in ``text`` (the file's current text), most local first;
    ``inserts``: missing-line gaps too."""
    tree = parse(text, LANGUAGE)
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def gap(kind: str, first: int, last: int) -> FixGap:
        if kind == "insert":
            return FixGap(path, kind, text, starts[first], starts[first], first + 1, first + 1, context)
        indent = len(lines[first]) - len(lines[first].lstrip(" \t"))
        return FixGap(path, kind, text, starts[first] + indent, starts[last] + len(lines[last]),
                      first + 1, last + 1, context)

    regions: list[tuple[str, int, int]] = []
    if suspect.line is not None:
        row = suspect.line - 1
        if not 0 <= row < len(lines) or not lines[row].strip():
            return []
        stmt = _statement_at(tree.root_node, row, lines[row])
        line_rows = _line_rows(stmt, row)
        regions.append(("line", *line_rows))
        header = _condition_header(stmt)
        if header is not None:
            regions.append(("line", *header))
        function = _enclosing_function(stmt)
        owner = _compound_owner(stmt)
        for node in (stmt, stmt.prev_named_sibling, owner, owner and owner.prev_named_sibling):
            if node is not None and node.type not in ("comment", "block") and not node.type.endswith("_clause") \
                    and node.start_point.row > 0 \
                    and (function is None or node.start_point.row > function.start_point.row):
                regions.append(("insert", node.start_point.row, node.start_point.row))
        block = _enclosing_block(stmt, line_rows, function)
        if block is not None:
            regions.append(("block", block.start_point.row, block.end_point.row))
    else:
        function = _function_at(tree.root_node, (suspect.function_line or 1) - 1)
        if function is None:
            return []
        regions += _function_line_rows(function, lines)
    if function is not None and (body := _body_rows(function)) is not None:
        regions.append(("body", *body))
    seen: set[tuple] = set()   # one gap per region, the first kind named wins
    regions = [r for r in regions if (r[0] == "insert", *r[1:]) not in seen and not seen.add((r[0] == "insert", *r[1:]))]
    at_lines = [r for r in regions if r[0] == "line"][: max(1, max_gaps - 2) if suspect.line is not None
                                                        else 2 * max_gaps]
    rest = [r for r in regions if r[0] not in ("line", "insert")]
    chosen = (at_lines + rest[-2:] if len(at_lines) + len(rest) > max_gaps else at_lines + rest)[:max_gaps]
    if inserts:   # a missing line is the last resort: what is left of max_gaps
        chosen += [r for r in regions if r[0] == "insert"][: max_gaps - len(chosen)]
    return [gap(kind, first, last) for kind, first, last in chosen]


def _statement_at(root: Node, row: int, line: str) -> Node:
    col = len(line[: len(line) - len(line.lstrip(" \t"))].encode("utf-8"))
    node = root.named_descendant_for_point_range((row, col), (row, col))
    while node.parent is not None and node.parent.type not in _SCOPES:
        if node.start_point.row == row and _block_child(node) is not None:
            break   # a clause (else:, except ...:) starting on this row
        node = node.parent
    return node


def _block_owner(stmt: Node) -> Node | None:
    """The node whose ``block`` child holds ``stmt`` (a compound statement or clause), or None."""
    block = stmt.parent
    return block.parent if block is not None and block.type == "block" else None


def _condition_header(stmt: Node) -> tuple[int, int] | None:
    """Rows of the condition that let ``stmt`` run: the header of the ``if``, ``elif``,
    ``while`` or ``for`` whose block holds it (a ``raise`` is often right and its ``if`` wrong)."""
    block, owner = stmt.parent, _block_owner(stmt)
    if owner is None or owner.type not in ("if_statement", "elif_clause", "while_statement", "for_statement"):
        return None
    if owner.child_by_field_name("consequence") != block and owner.child_by_field_name("body") != block:
        return None   # the else: of a loop, or the like
    first, last = owner.start_point.row, block.start_point.row - 1
    return (first, last) if first <= last and first != stmt.start_point.row else None


def _compound_owner(stmt: Node) -> Node | None:
    """The compound statement (``for``, ``if``, ...) whose block holds ``stmt``; None at a function's top level."""
    owner = _block_owner(stmt)
    while owner is not None and owner.type.endswith("_clause"):
        owner = owner.parent
    return None if owner is None or owner.type in ("function_definition", "class_definition", "module") else owner


def _enclosing_block(stmt: Node, line_rows: tuple[int, int], function: Node | None) -> Node | None:
    """The statement block around ``stmt`` with more lines than its line gap: the block
    itself, or the compound statement holding it; None when only the function body is left."""
    body = _body(function) if function is not None else None
    node = stmt.parent
    while node is not None and node != body and node.type != "module":
        rows = (node.start_point.row, node.end_point.row)
        if rows != line_rows and not node.type.endswith("_clause") and \
                (node.type != "block" or rows[0] > node.parent.start_point.row):
            return node
        node = node.parent
    return None


def _block_child(node: Node) -> Node | None:
    return next((c for c in node.children if c.type == "block"), None)


def _line_rows(stmt: Node, row: int) -> tuple[int, int]:
    """A simple statement's rows; the row alone for a compound statement's header."""
    if _block_child(stmt) is not None or any(c.type.endswith("_clause") for c in stmt.children):
        return row, row
    return stmt.start_point.row, stmt.end_point.row


def _enclosing_function(node: Node | None) -> Node | None:
    while node is not None and node.type != "function_definition":
        node = node.parent
    return node


def _function_at(root: Node, row: int) -> Node | None:
    """The function whose ``def`` is on ``row``."""
    return next((n for n in _walk(root) if n.type == "function_definition" and n.start_point.row == row), None)


def _walk(node: Node):
    yield node
    for child in node.named_children:
        yield from _walk(child)


def _body(function: Node) -> Node | None:
    return function.child_by_field_name("body")


def _body_statements(function: Node) -> list[Node]:
    body = _body(function)
    if body is None or body.start_point.row == function.start_point.row:
        return []
    stmts = [c for c in body.named_children if c.type != "comment"]
    if stmts and stmts[0].type == "expression_statement" and stmts[0].named_children \
            and stmts[0].named_children[0].type == "string":
        stmts = stmts[1:]   # the docstring stays
    return stmts


def _body_rows(function: Node) -> tuple[int, int] | None:
    stmts = _body_statements(function)
    return (stmts[0].start_point.row, stmts[-1].end_point.row) if stmts else None


def _function_line_rows(function: Node, lines: list[str]) -> list[tuple[str, int, int]]:
    """Line gaps for every statement line of a function (last first), then its inner blocks."""
    stmts = _body_statements(function)
    if not stmts:
        return []
    line_gaps, blocks, inserts = [], [], []
    for row in range(stmts[0].start_point.row, stmts[-1].end_point.row + 1):
        text = lines[row].strip()
        if not text or text.startswith("#"):
            continue
        stmt = _statement_at(function, row, lines[row])
        if stmt.start_point.row == row or _block_child(stmt) is None:
            line_gaps.append(("line", *_line_rows(stmt, row)))
        if stmt.start_point.row == row and not text.startswith(("elif", "else", "except", "finally")):
            inserts.append(("insert", row, row))
        block = _block_child(stmt)
        if block is not None and block.start_point.row > stmt.start_point.row:
            blocks.append(("block", block.start_point.row, block.end_point.row))
    return list(dict.fromkeys(reversed(line_gaps))) + list(dict.fromkeys(reversed(inserts))) + \
        list(dict.fromkeys(reversed(blocks)))
