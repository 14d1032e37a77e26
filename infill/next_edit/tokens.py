"""An edited line read as token-level changes, and those changes carried to another line.

A line is split into tokens (identifiers, numbers, single punctuation characters); the
user's old line and new line are aligned token by token (``difflib``), and each run that
differs is one ``Change``: the old tokens, the new text, and the tokens on either side that
anchor it. ``carry`` applies a line's changes to another line where the same anchors and
old tokens occur, keeping that line's own spacing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

TOKEN = re.compile(r"[A-Za-z_$][\w$]*|\d[\w.]*|\S")
IDENT = re.compile(r"[A-Za-z_$][\w$]*")


@dataclass(frozen=True)
class Tok:
    text: str
    start: int
    end: int


def tokenize(line: str) -> list[Tok]:
    return [Tok(m.group(), m.start(), m.end()) for m in TOKEN.finditer(line)]


@dataclass(frozen=True)
class Change:
    """Old tokens ``old`` (maybe none) between anchors ``left`` and ``right`` (token texts; None
    at the line's edge) become ``new`` (text, with the spacing the user wrote)."""
    left: str | None
    old: tuple[str, ...]
    right: str | None
    new: str
    owner: str | None = None     # a field's rename: the token before its "." (``self``): after it, any right anchor
    wide: tuple[str | None, str | None] | None = None   # the tokens beyond the anchors, where the
    # user's line held the same anchors and old tokens unchanged elsewhere (``f(a=None, b=None)``)

    @property
    def anchored(self) -> bool:
        """Specific enough to carry: two tokens at least among the anchors and the old ones, one
        of them a word or number (a lone ")" removed after ")" is not)."""
        around = [t for t in (self.left, *self.old, self.right) if t is not None]
        return len(around) >= 2 and any(t[0].isalnum() or t[0] in "_$" for t in around)

    @property
    def kind(self) -> str:
        new_toks = tuple(t.text for t in tokenize(self.new))
        if len(self.old) == 1 and len(new_toks) == 1:
            if IDENT.fullmatch(self.old[0]) and IDENT.fullmatch(new_toks[0]):
                return "rename"
            return "literal"
        if not self.old:
            return "insert"
        if not new_toks:
            return "delete"
        return "replace"


def _gap(line: str, toks: list[Tok], i: int, j: int) -> tuple[int, int]:
    """Character span between token i-1's end and token j's start (the line's edges beyond)."""
    start = toks[i - 1].end if i > 0 else (toks[0].start if toks else 0)
    end = toks[j].start if j < len(toks) else len(line.rstrip("\r\n"))
    return start, end


def line_changes(old: str, new: str) -> list[Change]:
    """The token-level changes that turn line ``old`` into line ``new`` (none when only the
    spacing differs)."""
    a, b = tokenize(old), tokenize(new)
    ops = SequenceMatcher(None, [t.text for t in a], [t.text for t in b], autojunk=False).get_opcodes()
    changes = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            continue
        s, e = _gap(new, b, j1, j2)
        change = Change(a[i1 - 1].text if i1 > 0 else None, tuple(t.text for t in a[i1:i2]),
                        a[i2].text if i2 < len(a) else None, new[s:e])
        if change.kind == "rename" and change.left == "." and i1 >= 2:
            change = Change(".", change.old, change.right, change.new, owner=a[i1 - 2].text)   # a field renamed
        fits = [k for k in range(len(a) + 1) if _matches(a, k, change) is not None]
        if len(fits) > 1 and change.owner is None:
            # the same anchors and old tokens stay unchanged elsewhere on the line: the user chose
            # this one, so one token further on each side must match too
            change = Change(change.left, change.old, change.right, change.new,
                            wide=(a[i1 - 2].text if i1 >= 2 else None, a[i2 + 1].text if i2 + 1 < len(a) else None))
        changes.append(change)
    return changes


def _matches(toks: list[Tok], k: int, change: Change) -> int | None:
    """Whether ``change`` fits at token k of a line (k: the first old token, or where an
    insertion goes); the index after its old tokens, else None."""
    n = len(change.old)
    if [t.text for t in toks[k:k + n]] != list(change.old) or k + n > len(toks):
        return None
    if change.left is None and k != 0 or change.left is not None and (k == 0 or toks[k - 1].text != change.left):
        return None
    end = k + n
    if change.owner is not None and k >= 2 and toks[k - 2].text == change.owner:
        return end                          # the same object's field, whatever follows
    if change.right is None and end != len(toks) or change.right is not None and (
            end >= len(toks) or toks[end].text != change.right):
        return None
    if change.wide is not None:
        left2, right2 = change.wide           # None: the user's line ended there, no condition
        if left2 is not None and (k < 2 or toks[k - 2].text != left2) or \
                right2 is not None and (end + 1 >= len(toks) or toks[end + 1].text != right2):
            return None
    return end


def _loose(toks: list[Tok], k: int, change: Change) -> int | None:
    """A change beside one that fitted: its old tokens at k with one anchor matching (an
    insertion: both), e.g. the ``, 2`` added before ``)`` with ``Split`` -> ``SplitN``."""
    n = len(change.old)
    if k + n > len(toks) or [t.text for t in toks[k:k + n]] != list(change.old):
        return None
    left = change.left is None and k == 0 or change.left is not None and k > 0 and toks[k - 1].text == change.left
    right = change.right is None and k + n == len(toks) or change.right is not None and k + n < len(toks) and \
        toks[k + n].text == change.right
    return k + n if (left and right) or (n and (left or right)) else None


def carry(line: str, changes: list[Change]) -> tuple[str, int] | None:
    """``line`` with every change applied wherever it fits (all places: a rename renames each
    use on the line), and how many of ``changes`` applied; None when none did."""
    toks = tokenize(line)
    spans: list[tuple[int, int, str]] = []
    applied = 0
    for change in changes:
        if not change.old and (change.left is None or change.right is None):
            continue        # an insertion at a line's edge is anchored by nothing
        if not change.anchored:
            continue
        hit = False
        for k in range(len(toks) + 1):
            end = _matches(toks, k, change)
            if end is None:
                continue
            s, e = _gap(line, toks, k, end)
            if any(s < e2 and s2 < e or (s == e == s2 == e2) for s2, e2, _ in spans):
                continue
            spans.append((s, e, change.new))
            hit = True
        applied += hit
    if spans:
        # the user's other changes to the same line, where each fits one place only
        for change in changes:
            if not change.anchored or (not change.old and (change.left is None or change.right is None)):
                fits = [(k, end) for k in range(len(toks) + 1) if (end := _loose(toks, k, change)) is not None]
                fits = [_gap(line, toks, k, end) for k, end in fits]
                fits = [(s, e) for s, e in fits if not any(s < e2 and s2 < e or s == e == s2 == e2 for s2, e2, _ in spans)]
                if len(fits) == 1:
                    spans.append((*fits[0], change.new))
                    applied += 1
    if not spans:
        return None
    out = line
    for s, e, text in sorted(spans, reverse=True):
        out = out[:s] + text + out[e:]
    return out, applied
