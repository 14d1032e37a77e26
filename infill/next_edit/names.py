"""Where a word occurs as code: tree-sitter's leaf nodes (a function, parameter, variable,
field or type name, a keyword), not the same word inside a string or a comment."""

from __future__ import annotations

from tree_sitter import QueryCursor, Tree

from infill.errors import InfillError
from infill.languages import load_query, parse

MAX_CHARS = 400_000      # a larger document is not parsed: every textual match counts


def name_columns(lines: list[str], wanted: set[str], language: str | None,
                 scope_of: range | None = None, new_names: set[str] = frozenset()) -> tuple[dict[int, set[int]], range | None, bool] | None:
    """{line: character columns where a code leaf spelling one of ``wanted`` starts}, the rows a
    rename at ``scope_of`` reaches (``rename_scope``) and whether it renamed a definition
    (``defines_name``); None when there is no grammar to ask (an unknown language, a parse that
    failed, a huge document)."""
    text = "".join(lines)
    if language is None or len(text) > MAX_CHARS:
        return None
    try:
        tree = parse(text, language)
    except InfillError:
        return None
    found: dict[int, set[int]] = {}
    lengths = {len(w.encode("utf-8")) for w in wanted}
    encoded = [None] * len(lines)
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.child_count == 0:
            if node.end_byte - node.start_byte in lengths:
                row, col = node.start_point
                if row < len(lines):
                    line = lines[row]
                    if not line.isascii():      # byte column -> character column
                        raw = encoded[row] = encoded[row] or line.encode("utf-8")
                        col = len(raw[:col].decode("utf-8", errors="replace"))
                    if any(line.startswith(w, col) and not line[col + len(w):col + len(w) + 1].isalnum()
                           for w in wanted):
                        found.setdefault(row, set()).add(col)
            continue
        if "comment" in node.type or "string" in node.type:
            continue
        stack.extend(node.children)
    scope = rename_scope(tree, language, scope_of, lines, new_names) if scope_of is not None else None
    defines = scope_of is not None and defines_name(tree, scope_of, lines, new_names)
    return found, scope, defines


DEFINING = ("parameter", "definition", "declaration", "declarator", "function_item", "assignment", "let_",
            "for_statement", "for_in", "field", "spec", "signature", "class")


def defines_name(tree: Tree, rows: range, lines: list[str], new_names: set[str]) -> bool:
    """Whether the user's edit wrote a new name where a name is defined (a parameter, a
    function's or a variable's declaration, an assignment's target): then the old name's uses
    are left dangling, and renaming them is the edit due next."""
    for row in rows:
        if row >= len(lines):
            break
        line = lines[row]
        for name in new_names:
            col = line.find(name)
            while col >= 0:
                byte = len(line[:col].encode("utf-8"))
                node = tree.root_node.descendant_for_point_range((row, byte), (row, byte + len(name.encode("utf-8"))))
                parent = node.parent if node is not None else None
                for ancestor in (parent, parent.parent if parent is not None else None):
                    if ancestor is None:
                        continue
                    first = ancestor.child_by_field_name("name") or ancestor.child_by_field_name("left") or \
                        ancestor.child_by_field_name("pattern") or (ancestor.named_children[0] if ancestor.named_children else None)
                    if any(k in ancestor.type for k in DEFINING) and (
                            "parameter" in ancestor.type or first is not None and first.start_byte <= node.start_byte < first.end_byte):
                        return True
                col = line.find(name, col + 1)
    return False


def rename_scope(tree: Tree, language: str, rows: range, lines: list[str], new_names: set[str]) -> range | None:
    """The rows a name renamed on ``rows`` is used in: the innermost function around the edit when
    what was renamed there is not that function's own name (a parameter, a local variable); None
    (the whole document) for a function's or a top-level name."""
    try:
        query = load_query(language, "functions")
    except InfillError:
        return None
    cursor = QueryCursor(query)
    best = None
    for _, match in cursor.matches(tree.root_node):
        function, name = match.get("function", [None])[0], match.get("function.name", [None])[0]
        if function is None or not (function.start_point.row <= rows.start <= function.end_point.row):
            continue
        if best is None or function.start_point.row >= best[0].start_point.row:
            best = (function, name)
    if best is None:
        return None
    function, name = best
    if name is not None and name.start_point.row in rows:
        line = lines[name.start_point.row] if name.start_point.row < len(lines) else ""
        col = len(line.encode("utf-8")[:name.start_point.column].decode("utf-8", errors="replace"))
        if any(line.startswith(n, col) for n in new_names):
            return None              # the function itself was renamed: its uses are anywhere
    return range(function.start_point.row, function.end_point.row + 1)
