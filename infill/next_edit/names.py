"""Where a word occurs as code: tree-sitter's leaf nodes (a function, parameter, variable,
field or type name, a keyword), not the same word inside a string or a comment."""

from __future__ import annotations

from infill.errors import InfillError
from infill.languages import parse

MAX_CHARS = 400_000      # a larger document is not parsed: every textual match counts


def name_columns(lines: list[str], wanted: set[str], language: str | None) -> dict[int, set[int]] | None:
    """{line: character columns where a code leaf spelling one of ``wanted`` starts}; None when
    there is no grammar to ask (an unknown language, a parse that failed, a huge document)."""
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
    return found
