"""Python bug-repair templates: edits a small model rarely proposes itself, ranked by it.

Each template is an ``engine.api.EditTemplate``: it reads a line as the model does (its tokens'
spans and how likely each token is where it stands: ``TokenView``) and proposes edited texts,
least likely places first; ``TokenScoring.token_edits`` then scores every proposal by the
model's pseudo-log-likelihood with both sides in view.

- ``swap``: two different variable names, or two numbers, exchanged (``right - left`` for
  ``left - right``, ``b[t][j]`` for ``b[j][t]``); attributes, called names, keywords and words
  in strings are left alone;
- ``operator``: an operator replaced by another of its family (``<`` ``<=`` ``>`` ``>=`` ``==``
  ``!=``; ``+`` ``-`` ``*`` ``/`` ``//`` ``%``; the augmented assignments; ``and`` ``or``;
  ``is`` ``is not``; ``in`` ``not in``; ``if`` and ``while`` where they open the statement);
- ``off-by-one``: an existing ``+ 1`` / ``- 1`` removed, or one appended to an operand before a
  closing bracket, a separator, a comparison or the end (the model rarely writes the two
  tokens itself).
"""

from __future__ import annotations

import keyword
import re

from engine.api import EditTemplate, TokenView

_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|[0-9]+(?:\.[0-9]+)?")
OPERATOR_FAMILIES = (("<", "<=", ">", ">=", "==", "!="), ("+", "-", "*", "/", "//", "%"),
                     ("+=", "-=", "*=", "/=", "//="), ("and", "or"), ("is", "is not"), ("in", "not in"),
                     ("if", "while"))
_OPERATOR = re.compile(r"\bis not\b|\bnot in\b|\b(?:and|or|is|in|if|while)\b|//=|[-+*/]=|//|<=|>=|==|!=|[<>+\-*/%]")
_HEADER_KEYWORDS = ("if", "while")    # swapped only where they open the statement
# The end of an operand that may be off by one: a name, a number, or a closing bracket, followed
# by a closing bracket, a separator, a comparison or the end of the text.
_OPERAND_END = re.compile(r"(?:\b\w+|[\])])(?=\s*(?:$|[)\]},:]|[<>]=?|[=!]=|\b(?:and|or|if|else|for)\b))")
_OFF_BY_ONE = re.compile(r"(?<=[\w)\]])\s*([-+])\s*1\b(?![.\w])")   # group 1: the operator


def inside_string(text: str, at: int) -> bool:
    """Whether ``text[at]`` is inside a one-line string literal (quotes counted, escapes skipped)."""
    quote, i = None, 0
    while i < at:
        c = text[i]
        if quote and c == "\\":
            i += 2
            continue
        if c in "'\"" and (quote is None or c == quote):
            quote = None if quote else c
        elif c == "#" and quote is None:
            return True    # a comment counts as text too
        i += 1
    return quote is not None


def name_swaps(view: TokenView) -> list[tuple[str, int]]:
    """(new text, offset) for swapping two occurrences of different variable names, or of two
    different numbers, least likely pairs first (by the log-probabilities of their first
    tokens, each masked alone)."""
    text = view.text
    words = []
    for m in _WORD.finditer(text):
        word, a, b = m.group(), m.start(), m.end()
        if keyword.iskeyword(word) or text[:a].rstrip().endswith(".") or text[b:].lstrip().startswith("(") \
                or inside_string(text, a):
            continue
        tok = view.token_at(a)
        if tok is not None:
            words.append((word, a, b, view.current[tok]))
    pairs = []
    for x, (w1, a1, b1, l1) in enumerate(words):
        for w2, a2, b2, l2 in words[x + 1:]:
            if w1 != w2 and w1[0].isdigit() == w2[0].isdigit():
                new = text[:a1] + w2 + text[b1:a2] + w1 + text[b2:]
                pairs.append((l1 + l2, new, a1))
    return [(new, a) for _, new, a in sorted(pairs)]


def operator_swaps(view: TokenView) -> list[tuple[str, int]]:
    """(new text, offset) for each operator replaced by another of its family, least likely
    operators (their first token masked alone) first."""
    text = view.text
    found = []
    for m in _OPERATOR.finditer(text):
        op, a, b = m.group(), m.start(), m.end()
        family = next((f for f in OPERATOR_FAMILIES if op in f), None)
        tok = view.token_at(a)
        if family is None or tok is None or inside_string(text, a) or \
                (op in _HEADER_KEYWORDS and text[:a].strip()):
            continue
        for other in family:
            if other != op:
                found.append((view.current[tok], family.index(other), text[:a] + other + text[b:], a))
    return [(new, a) for *_, new, a in sorted(found, key=lambda f: f[:2])]


def off_by_one(view: TokenView) -> list[tuple[str, int]]:
    """(new text, offset): an existing ``+ 1`` or ``- 1`` removed (the least likely operators
    first), then `` + 1`` or `` - 1`` appended to an operand that ends before a closing bracket,
    a separator, a comparison or the end (``interval[1] - interval[0] + 1``), the places where
    the model finds the operator likeliest first."""
    text = view.text
    removals, appends = [], []
    for m in _OFF_BY_ONE.finditer(text):
        tok = view.token_at(m.start(1))
        if tok is not None and not inside_string(text, m.start()):
            removals.append((view.current[tok], text[:m.start()] + text[m.end():], m.start()))
    for m in _OPERAND_END.finditer(text):
        end = m.end()
        if keyword.iskeyword(m.group()) or inside_string(text, m.start()):
            continue
        for op in (" + 1", " - 1"):
            appends.append((-view.insert_logp(end, op[:2]), text[:end] + op + text[end:], end))
    return [(new, a) for _, new, a in sorted(removals)] + [(new, a) for _, new, a in sorted(appends)]


def python_templates(swaps: int = 6, operators: int = 8, off_by_ones: int = 10) -> tuple[EditTemplate, ...]:
    """The templates in the order their proposals are pooled (the first to propose a text keeps it)."""
    return (EditTemplate("swap", swaps, name_swaps), EditTemplate("operator", operators, operator_swaps),
            EditTemplate("off-by-one", off_by_ones, off_by_one))
