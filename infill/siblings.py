"""Copies of a sibling: signals that a candidate repeats code the document already has where
the same code is unlikely to be meant.

- ``copies_a_body``: the function around the gap, completed with the candidate, would have the
  same body as another function of the document (``return UUID(value)`` drafted into
  ``TagDateTime.to_python`` from ``TagUUID.to_python``: an override that repeats its sibling is
  rarely what was there). Of the best candidates shown on the real-code benchmark, 12 of 63
  such were right, against 181 of 413 others.
- ``copies_a_line``: the line the candidate completes is, stripped, a line that already
  stands in the function around the gap (``app_ctx = _cv_app.get(None)`` three lines below
  the same assignment; ``if self.verbose:`` where the function asks it further down). Added
  as a feature, precision at the default threshold on the real-code test split rose from
  0.442 to 0.475 at the same coverage; flagging a copy from anywhere in the file did not help.
- ``bare``: the candidate is a lone name or literal (``None``, ``value``, ``verbose:``).

All three are confidence features (``confidence.FEATURES``), not checks: the calibration weighs
them. They read text only (Python's ``def`` and indentation); ``copies_a_body`` and
``copies_a_line`` say nothing for other languages (those whose compile check is not CPython's). This module knows text and
Python's layout, not the model.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .languages import spec_of

_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s")
_ATOM = re.compile(r"""^\s*(?:[A-Za-z_]\w*|-?\d+(?:\.\d+)?|"[^"\n]*"|'[^'\n]*'|\{\}|\[\]|\(\))\s*:?\s*$""")


def bare(text: str) -> bool:
    """A lone name or literal, perhaps ending a header (``x``, ``None``, ``"a"``, ``flag:``)."""
    return bool(_ATOM.match(text))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _body(lines: list[str], head: int) -> tuple[int, tuple[str, ...]]:
    """(the line after the function, the normalised body) of the ``def`` at line ``head``:
    its statement lines stripped, without blank lines, comments or a leading docstring."""
    depth = _indent(lines[head])
    start = head
    while start < len(lines) and not lines[start].split("#", 1)[0].rstrip().endswith(":"):
        start += 1
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > depth):
        end += 1
    body = [line.strip() for line in lines[start + 1:end] if line.strip() and not line.strip().startswith("#")]
    if body and body[0][:3] in ('"""', "'''", 'r"""', "r'''"):
        quote = body[0][:3] if body[0][0] != "r" else body[0][1:4]
        closing = 0 if body[0].count(quote) >= 2 and len(body[0]) > 3 else next(
            (i for i, line in enumerate(body[1:], 1) if quote in line), len(body) - 1)
        body = body[closing + 1:]
    return end, tuple(body)


@lru_cache(maxsize=8)
def _bodies(document: str) -> dict[int, tuple[str, ...]]:
    """The normalised body of every ``def`` of a document, by its line."""
    lines = document.split("\n")
    return {i: _body(lines, i)[1] for i, line in enumerate(lines) if _DEF.match(line)}


def copies_a_body(before: str, text: str, after: str, language: str) -> bool:
    """The function around the gap, completed with ``text``, has the body of another
    function of the document (bodies of one statement or more; Python only)."""
    if spec_of(language).compiler != "cpython" or not text.strip():   # Python's ``def`` and layout
        return False
    lines = (before + text + after).split("\n")
    gap = before.count("\n")
    row = lines[gap]
    depth = _indent(row) if row.strip() else len(row)
    head = next((i for i in range(gap - 1, -1, -1) if _DEF.match(lines[i]) and _indent(lines[i]) < depth), None)
    if head is None:
        return False
    end, body = _body(lines, head)
    if not body or end <= gap:
        return False
    # The lines above the gap's are the same with and without the candidate: ``head`` is the
    # function's own line in the document too.
    return any(i != head and other == body for i, other in _bodies(before + after).items())


@lru_cache(maxsize=8)
def _function_lines(before: str, after: str) -> frozenset[str]:
    """The stripped lines of the function around the gap, the gap's own line left out: from
    the nearest ``def`` above (the file's start where there is none) to the next ``def`` below."""
    above = before[:before.rfind("\n") + 1].split("\n")[:-1]
    below = after.split("\n")[1:]
    top = next((i for i in range(len(above) - 1, -1, -1) if _DEF.match(above[i])), 0)
    end = next((j for j, line in enumerate(below) if _DEF.match(line)), len(below))
    return frozenset(line.strip() for line in above[top:] + below[:end])


def copies_a_line(before: str, text: str, after: str, language: str) -> bool:
    """The line ``text`` completes (its first line, with the rest of the gap's line before and,
    for a one-line text, after it), stripped and of 3 characters or more, is already a line of
    the function around the gap (Python only)."""
    if spec_of(language).compiler != "cpython" or not text.strip():
        return False
    first = text.split("\n", 1)[0]
    line = before[before.rfind("\n") + 1:] + first + ("" if "\n" in text else after.split("\n", 1)[0])
    line = line.strip()
    return len(line) >= 3 and line in _function_lines(before, after)
