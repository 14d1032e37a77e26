"""Syntax checks with tree-sitter: error counts and spans, and whether a completion
makes the code around its gap worse.

An "error" is an ERROR node (text the grammar could not place) or a MISSING node (a
token the parser had to invent, such as a closing bracket). tree-sitter recovers from
errors, so counts are a rough measure: one ERROR may cover several mistakes.
"""

from __future__ import annotations

import re
from typing import Iterator

from tree_sitter import Node, QueryCursor, Tree

from infill.languages import load_query, parse

WINDOW_THRESHOLD = 8_000   # characters of prefix + suffix above which only a window is parsed
WINDOW_LINES = 1000  # lines the window reaches on each side of the gap, at most

# A line that starts a top-level statement (not a continuation such as "else:" or ")").
_TOP_LEVEL_LINE = re.compile(r"^(?!(?:else|elif|except|finally)\b)[A-Za-z_@]", re.MULTILINE)


def _error_nodes(tree: Tree) -> Iterator[Node]:
    """ERROR and MISSING nodes, outer before inner, visiting only subtrees with errors."""
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            yield node
        stack.extend(child for child in reversed(node.children) if child.has_error)


def error_count(text: str, language: str) -> int:
    """Number of ERROR and MISSING nodes (nested ones included) in the parse of text."""
    return sum(1 for _ in _error_nodes(parse(text, language)))


def _char_offsets(data: bytes, byte_offsets: list[int]) -> dict[int, int]:
    """Map UTF-8 byte offsets of data to character offsets, decoding each stretch once."""
    result: dict[int, int] = {}
    chars = last = 0
    for offset in sorted(set(byte_offsets)):
        chars += len(data[last:offset].decode("utf-8", errors="replace"))
        result[offset], last = chars, offset
    return result


def error_spans(text: str, language: str) -> list[tuple[int, int]]:
    """Sorted (start, end) character offsets of the ERROR and MISSING nodes of text,
    those inside another span left out. A MISSING node is empty: start == end."""
    byte_spans: list[tuple[int, int]] = []
    for node in _error_nodes(parse(text, language)):
        start, end = node.start_byte, node.end_byte
        if not any(s <= start and end <= e and (s, e) != (start, end) for s, e in byte_spans):
            byte_spans.append((start, end))
    if text.isascii():
        return sorted(set(byte_spans))
    to_char = _char_offsets(text.encode("utf-8"), [b for span in byte_spans for b in span])
    return sorted({(to_char[s], to_char[e]) for s, e in byte_spans})


def _window(prefix: str, suffix: str) -> tuple[str, str]:
    """The end of prefix and the start of suffix that hold the top-level statements
    around the gap (a cheap text scan; at most WINDOW_LINES lines on each side)."""
    if len(prefix) + len(suffix) <= WINDOW_THRESHOLD:
        return prefix, suffix
    start = len(prefix)
    for _ in range(WINDOW_LINES):
        start = prefix.rfind("\n", 0, max(start - 1, 0)) + 1
        if start == 0 or _TOP_LEVEL_LINE.match(prefix, start):
            break
    first_break = suffix.find("\n")
    end = len(suffix) if first_break < 0 else first_break + 1
    for _ in range(WINDOW_LINES):
        if end >= len(suffix) or _TOP_LEVEL_LINE.match(suffix, end):
            break
        nxt = suffix.find("\n", end)
        end = len(suffix) if nxt < 0 else nxt + 1
    return prefix[start:], suffix[:end]


def _next_line_start(text: str, gap_end: int) -> int | None:
    """Offset of the first non-blank character on the lines after the gap's line."""
    match = re.compile(r"\n[ \t]*(?=\S)").search(text, gap_end)
    return match.end() if match else None


def _in_literal(tree: Tree, text: str, offset: int, language: str) -> bool:
    """Whether the character at offset lies inside a string or comment."""
    byte = len(text[:offset].encode("utf-8"))
    cursor = QueryCursor(load_query(language, "literals"))
    cursor.set_byte_range(byte, byte + 1)
    nodes = cursor.captures(tree.root_node).get("literal", [])
    return any(node.start_byte <= byte < node.end_byte for node in nodes)


def _error_starts(tree: Tree) -> list[int]:
    return [node.start_byte for node in _error_nodes(tree)]


def adds_syntax_errors(prefix: str, completion: str, suffix: str, language: str) -> bool:
    """Whether inserting completion between prefix and suffix makes the syntax worse.

    The gap is often what breaks the code (``x = `` then a new line): prefix + suffix
    alone has errors that a good completion removes, so "no errors" is the wrong test.
    The rule is a comparison, "do no harm":

    1. reject when prefix + completion + suffix has more errors than prefix + suffix;
       equal or fewer pass: a half-typed statement that the completion does not finish
       (``foo(`` with no ``)`` after the cursor), or an error elsewhere in the file, is
       the user's, not the completion's;
    2. when the count stayed the same, reject if an error now starts inside the
       completion: the gap's error was traded for one of the completion's own (``y = ``
       completed with ``x +* 1``). An error that starts in the prefix (the user's open
       bracket) and runs through the completion does not count against it;
    3. reject when the completion turns the code on the lines after the gap into a
       string or comment (an unclosed quote or docstring can swallow the rest of the
       file and so *lower* the count).

    Known limits: tree-sitter recovers leniently (an inconsistent dedent is often no
    error at all) and may start an error that the completion caused before it (``x = ``
    completed with ``foo(a`` passes). Above WINDOW_THRESHOLD characters only the
    top-level statements around the gap are parsed, the same window for both texts so
    the comparison stays fair.
    """
    before, after = _window(prefix, suffix)
    old_text, new_text = before + after, before + completion + after
    old, new = parse(old_text, language), parse(new_text, language)
    new_errors, old_count = _error_starts(new), len(_error_starts(old))
    if len(new_errors) > old_count:
        return True
    start = len(before.encode("utf-8"))
    end = start + len(completion.encode("utf-8"))
    if len(new_errors) == old_count and any(start <= e < end for e in new_errors):
        return True
    old_next = _next_line_start(old_text, len(before))
    if old_next is None:
        return False
    new_next = old_next + len(completion)
    return _in_literal(new, new_text, new_next, language) and not _in_literal(
        old, old_text, old_next, language
    )


def completion_error_spans(prefix: str, completion: str, suffix: str, language: str,
                           widen: int = 1) -> list[tuple[int, int]]:
    """Character spans of ``completion`` that lie inside an ERROR or MISSING node of
    prefix + completion + suffix (parsed in the same window ``adds_syntax_errors`` uses),
    widened by ``widen`` characters each side so that a MISSING node (empty) covers the
    characters around the place where the parser wanted a token."""
    before, after = _window(prefix, suffix)
    start, end = len(before), len(before) + len(completion)
    spans = []
    for s, e in error_spans(before + completion + after, language):
        s, e = max(start, s - widen), min(end, e + widen)
        if s < e:
            spans.append((s - start, e - start))
    return spans
