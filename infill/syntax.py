"""Syntax checks with tree-sitter: error counts and spans, and whether a completion
makes the code around its gap worse.

An "error" is an ERROR node (text the grammar could not place) or a MISSING node (a
token the parser had to invent, such as a closing bracket). tree-sitter recovers from
errors, so counts are a rough measure: one ERROR may cover several mistakes.

Where the language's spec names a compiler (``LanguageSpec.compiler``, a key of ``COMPILERS``)
it is asked as well. For Python that is CPython's own (``python_compile_error``): it finds
what tree-sitter's lenient grammar lets through (a block header with no indented block
after it, ``try:`` without ``except``, a dedent that matches no outer level, a duplicate
argument, a repeated keyword argument). It reports only its first error, so the check
compares where that first error lies with and without the completion. Nothing is run:
``compile`` only parses and builds the symbol table.
"""

from __future__ import annotations

import functools
import re
import warnings
from typing import Callable, Iterator

from tree_sitter import Node, QueryCursor, Tree

from infill.window import BLOCK_HEAD, WINDOW_THRESHOLD, enclosing_def, top_level_window  # noqa: F401
from infill.window import TOP_LEVEL_LINE as _TOP_LEVEL_LINE
from infill.errors import ParseTimeout
from infill.languages import load_query, parse, prelude, spec_of



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


WINDOW_CHARS = 8_000  # characters of a window on each side, where the language has no compiler


def window_chars(language: str) -> int | None:
    """How far ``top_level_window`` may reach on each side for a language: a compiler needs whole
    top-level statements (a Python class of 2,000 lines is read whole); tree-sitter's tolerant
    parse does not, so elsewhere (a Java or C# file, all one class) the window stops at
    ``WINDOW_CHARS``."""
    return None if compiler_of(language) else WINDOW_CHARS


@functools.lru_cache(maxsize=8)   # the same for every candidate of a request
def check_window(prefix: str, suffix: str, language: str) -> tuple[str, str, str]:
    """(head, before, after): what the checks of one gap read, the same for every candidate.

    ``before`` and ``after`` are the top-level statements around the gap
    (``top_level_window``); ``head`` is what must precede them to parse (PHP's ``<?php``).
    Where the language has a compiler (Python), a gap inside a method narrows further to that
    method, read as the block of ``BLOCK_HEAD``: compiling and scope-checking 40 lines instead
    of a 2,000-line class for every candidate. It narrows only where the method's first compile
    error (or its lack) is the class's, so no verdict changes for the text without a
    candidate."""
    before, after = top_level_window(prefix, suffix, window_chars(language))
    head = prelude(language, prefix, len(prefix) - len(before))       # PHP's <?php, cut off
    compile_error = compiler_of(language)
    if compile_error is None or len(prefix) + len(suffix) <= WINDOW_THRESHOLD:
        return head, before, after
    span = enclosing_def(before, after)
    if span is None:
        return head, before, after
    start, end = span
    narrow = BLOCK_HEAD + before[start:] + after[:end]
    whole, part = compile_error(before + after), compile_error(narrow)
    same = part is None if whole is None else part is not None and part[0] - len(BLOCK_HEAD) + start == whole[0]
    return (head + BLOCK_HEAD, before[start:], after[:end]) if same else (head, before, after)


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


def _own_missing(tree: Tree, start: int, end: int) -> bool:
    """A token the parser had to invent for the completion's own construct: a MISSING node at or
    inside the completion (``start``..``end``, bytes) whose parent starts inside it (``(a + 1``
    leaves its own bracket open), not one in a construct the prefix opened (the user's ``foo(``)."""
    return any(node.is_missing and start <= node.start_byte <= end and node.parent is not None
               and start <= node.parent.start_byte < end for node in _error_nodes(tree))


def _error_starts(tree: Tree) -> list[int]:
    return [node.start_byte for node in _error_nodes(tree)]


COMPILE_MAX_CHARS = 300_000   # longer windows are not compiled (~30 ms per 2,000 lines)


@functools.lru_cache(maxsize=16)   # the text without the completion is the same for every candidate
def python_compile_error(text: str) -> tuple[int, int, str] | None:
    """(start, end, message) in characters of the first error CPython's compiler finds in
    ``text``, or None when it compiles (or when the compiler gives up for another reason:
    too deep, too big, longer than COMPILE_MAX_CHARS). ``end`` is at least ``start + 1``
    where the text allows."""
    if len(text) > COMPILE_MAX_CHARS:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # SyntaxWarning: invalid escape sequences
            compile(text, "<infill>", "exec", dont_inherit=True)
    except SyntaxError as exc:                        # IndentationError and TabError too
        starts = [0] + [m.end() for m in re.finditer("\n", text)]

        def at(line: int | None, col: int | None) -> int:
            if not line or line > len(starts):
                return len(text)
            return min(len(text), starts[line - 1] + max(0, (col or 1) - 1))

        start = at(exc.lineno, exc.offset)
        end = at(exc.end_lineno, exc.end_offset) if exc.end_offset and exc.end_offset > 0 else start
        return start, max(end, min(start + 1, len(text))), exc.msg
    except (ValueError, RecursionError, MemoryError, OverflowError):
        return None
    return None


# "expected an indented block after 'if' statement on line 3": the header is the culprit.
_HEADER_LINE = re.compile(r"after '?\w+'? (?:statement|definition) on line (\d+)")


def _header_start(text: str, message: str) -> int | None:
    """Where the header line starts that a "no indented block after it" message names."""
    header = _HEADER_LINE.search(message)
    return _line_start(text, int(header.group(1))) if header else None


def _line_start(text: str, line: int) -> int:
    """Offset of the start of 1-based ``line`` of ``text`` (its end if there are fewer lines)."""
    at = 0
    for _ in range(line - 1):
        at = text.find("\n", at) + 1
        if at == 0:
            return len(text)
    return at


def _statement_end(text: str, at: int) -> int:
    """Where the top-level statement holding offset ``at`` ends (the next top-level line)."""
    match = _TOP_LEVEL_LINE.search(text, text.find("\n", at) + 1) if "\n" in text[at:] else None
    return match.start() if match else len(text)


CompileError = Callable[[str], "tuple[int, int, str] | None"]   # text -> (start, end, message) of its first error

COMPILERS: dict[str, CompileError] = {"cpython": python_compile_error}


def compiler_of(language: str) -> CompileError | None:
    """The compile check the language's spec names, if any."""
    name = spec_of(language).compiler
    return COMPILERS[name] if name else None


def compile_worse(before: str, completion: str, after: str, open_header: bool = False,
                  compile_error: CompileError = python_compile_error) -> bool:
    """Whether the compiler's first error moves because of the completion.
    ``before`` and ``after`` are the text around the gap, windowed as ``adds_syntax_errors``
    windows them.

    With ``old`` the first error of before + after (shifted past the completion when it
    lies after the gap) and ``new`` that of before + completion + after:

    - no ``new``: not worse; no ``old`` but a ``new``: worse;
    - ``new`` before ``old``: worse (the completion broke code that used to get further);
    - ``new`` at ``old``: the same error, the user's, not worse;
    - ``new`` after ``old``: the completion got past the old first error. That error was the
      gap's own (on the gap's line or the first code line after it: ``unexpected indent``
      of a body whose header is missing), so code past it was never checked; a ``new``
      inside the same top-level statement is counted against the completion (``try:``
      whose ``except`` never comes). An old error elsewhere is the user's, and so is
      whatever follows it.

    ``open_header``: a block header that the completion writes and leaves without its block
    is not counted (the caller gives it a body next, ``infill.complete``).
    """
    old_text, new_text = before + after, before + completion + after
    gap, shift = len(before), len(completion)
    new = compile_error(new_text)
    if new is None:
        return False
    header = _header_start(new_text, new[2]) if open_header else None
    if header is not None and gap <= header < gap + shift:
        return False
    old = compile_error(old_text)
    if old is None:
        return True
    old_at = old[0] + shift if old[0] >= gap else old[0]
    if new[0] != old_at:
        if new[0] < old_at:
            return True
        next_code = _next_line_start(old_text, gap)
        first_line_end = old_text.find("\n", next_code if next_code is not None else gap)
        gap_error = gap <= old[0] and (first_line_end < 0 or old[0] <= first_line_end)
        return gap_error and new[0] < _statement_end(new_text, gap + shift)
    return False


def adds_syntax_errors(prefix: str, completion: str, suffix: str, language: str,
                       open_header: bool = False) -> bool:
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
       bracket) and runs through the completion does not count against it; a token the
       parser invented for a construct the completion opened does (``(a + 1`` with no
       ``)``, the MISSING ``)`` at its end);
    3. reject when the completion turns the code on the lines after the gap into a
       string or comment (an unclosed quote or docstring can swallow the rest of the
       file and so *lower* the count);
    4. where the language has a compiler (Python: CPython's), reject when it objects where
       tree-sitter did not (``compile_worse``; ``open_header``: except for a block header the
       completion leaves open, which the caller will give a body).

    Known limits: tree-sitter recovers leniently (an inconsistent dedent is often no
    error at all) and may start an error that the completion caused before it (``x = ``
    completed with ``foo(a`` passes). Above WINDOW_THRESHOLD characters only the
    top-level statements around the gap are parsed (within ``WINDOW_CHARS`` on each side
    where the language has no compiler; in Python the method around the gap,
    ``check_window``), the same window for both texts so the comparison stays fair.
    """
    head, before, after = check_window(prefix, suffix, language)
    before = head + before
    old_text, new_text = before + after, before + completion + after
    try:
        old, new = parse(old_text, language), parse(new_text, language)
    except ParseTimeout:
        return True        # a text its grammar cannot finish parsing is no text to vouch for
    new_errors, old_count = _error_starts(new), len(_error_starts(old))
    if len(new_errors) > old_count:
        return True
    start = len(before.encode("utf-8"))
    end = start + len(completion.encode("utf-8"))
    if len(new_errors) == old_count and any(start <= e < end for e in new_errors):
        return True
    if _own_missing(new, start, end):
        return True
    old_next = _next_line_start(old_text, len(before))
    if old_next is not None:
        new_next = old_next + len(completion)
        if _in_literal(new, new_text, new_next, language) and not _in_literal(old, old_text, old_next, language):
            return True
    compile_error = compiler_of(language)
    return compile_error is not None and compile_worse(before, completion, after, open_header, compile_error)


def completion_error_spans(prefix: str, completion: str, suffix: str, language: str,
                           widen: int = 1) -> list[tuple[int, int]]:
    """Character spans of ``completion`` that lie inside an ERROR or MISSING node of
    prefix + completion + suffix (parsed in the same window ``adds_syntax_errors`` uses),
    widened by ``widen`` characters each side so that a MISSING node (empty) covers the
    characters around the place where the parser wanted a token."""
    head, before, after = check_window(prefix, suffix, language)
    before = head + before
    start, end = len(before), len(before) + len(completion)
    spans = []
    for s, e in error_spans(before + completion + after, language):
        s, e = max(start, s - widen), min(end, e + widen)
        if s < e:
            spans.append((s - start, e - start))
    compile_error = compiler_of(language)
    if spans or compile_error is None:
        return spans
    # tree-sitter saw nothing: where the compiler puts its first error, if that lies in the
    # completion (for a header with no block: the header's line).
    text = before + completion + after
    found = compile_error(text)
    if found is None:
        return spans
    s, e, message = found
    header = _header_start(text, message)
    if header is not None:
        s = header
        e = text.find("\n", s) if "\n" in text[s:] else len(text)
    s, e = max(start, s - widen), min(end, e + widen)
    return [(s - start, e - start)] if s < e else spans
