"""Drafts of a gap's middle copied from code whose surroundings look like the gap's.

Real code repeats itself: the line a gap needs often stands, or nearly, elsewhere in the same
file or in a file beside it. ``find_drafts`` looks through the document and through chunks of
other sources for:

- the rest of a line, when the cursor's line has text before the cursor (``x = ``,
  ``return ``, ``foo(``): lines that start with the same text (or hold it, or its last word),
  whose rest becomes the draft;
- whole lines, 1 to ``max_lines`` of them, when the cursor's line is blank before the cursor:
  runs of lines that follow a line like the one above the gap and come before a line like
  the one below it (the "sandwich"), re-indented to the gap.

Each draft's score in [0, 1] says how alike its surroundings are (Jaccard of the tokens of
the lines around it and of the gap; the anchor's strength for the rest of a line). Names a
draft uses that the document has nowhere are marked (``remask``): the caller lets the model
write those again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from .chunks import Chunk, identifiers, jaccard

TOKEN = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|\d+|[^\sA-Za-z_0-9]")
MIN_SCORE = 0.25            # drafts less alike than this are dropped
OTHER_SOURCE = 0.9          # a draft from another source counts this much of one from the document
STARTS = 24                 # whole lines: the best places to start a run, by the line above
_TERMS: dict[str, frozenset[str]] = {}   # line -> its tokens (lines repeat across requests)
CACHED_LINES, CACHED_LINE_CHARS = 50_000, 300   # the cache's bound: at most 15M characters of lines


def terms(line: str) -> frozenset[str]:
    got = _TERMS.get(line)
    if got is None:
        got = frozenset(TOKEN.findall(line))
        if len(line) <= CACHED_LINE_CHARS:
            if len(_TERMS) >= CACHED_LINES:
                _TERMS.clear()
            _TERMS[line] = got
    return got


@dataclass(frozen=True)
class Draft:
    text: str                              # the middle, as inserted at the cursor
    score: float                           # how alike its surroundings are to the gap's, in [0, 1]
    source: str                            # "" for the document itself, else the chunk's source
    line: int                              # 0-based line in that source where it was found
    remask: tuple[tuple[int, int], ...] = ()   # character spans of names the document lacks


@dataclass(frozen=True)
class _Gap:
    prefix: str                            # the cursor's line before the cursor
    suffix: str                            # the cursor's line after the cursor
    above: frozenset[str]                  # tokens of the nearest non-blank line above
    below: frozenset[str]                  # tokens of the nearest non-blank line below
    indent: str                            # indentation of the lines of a whole-line draft
    max_lines: int


def find_drafts(text: str, offset: int, indent: str, max_lines: int = 1, chunks: Iterable[Chunk] = (),
                limit: int = 4, reserved: frozenset[str] = frozenset()) -> list[Draft]:
    """Up to ``limit`` distinct drafts for the gap at ``offset``, best first (see the module
    docstring). ``indent``: the indentation a new line takes at the gap; ``reserved``: the
    language's keywords and built-in names (never marked unknown). Nothing when the cursor
    sits before text on its line (an insertion of whole lines before it)."""
    rows = text.split("\n")
    row = text.count("\n", 0, offset)
    col = offset - (text.rfind("\n", 0, offset) + 1)
    prefix, suffix = rows[row][:col], rows[row][col:]
    if not prefix.strip() and suffix.strip():
        return []
    up = next((i for i in range(row - 1, -1, -1) if rows[i].strip()), -1)      # the nearest non-blank
    down = next((i for i in range(row + 1, len(rows)) if rows[i].strip()), -1)  # lines around the gap
    above, below = (rows[up] if up >= 0 else ""), (rows[down] if down >= 0 else "")
    gap = _Gap(prefix, suffix, terms(above), terms(below), indent, max(1, min(max_lines, 5)))
    found: dict[str, Draft] = {}
    echoes = {above.strip(), below.strip()} - {""}
    # In the document, whole-line runs may not take in the lines right around the gap: a run
    # starting just below it follows the line above it, and would look like a perfect match.
    around = {up, down} - {-1}
    sources = [("", rows, 0, {row}, 1.0, around)] + \
        [(c.source, list(c.lines), c.line, set(), OTHER_SOURCE, set()) for c in chunks]
    for source, lines, first, skip, weight, near in sources:
        for draft in (_rest_of_line(gap, lines, skip) if prefix.strip() else _whole_lines(gap, lines, skip | near)):
            text_, score, at = draft
            score *= weight
            if text_.strip() in echoes:      # a copy of the line beside the gap is no completion
                continue
            if score >= MIN_SCORE and (text_ not in found or found[text_].score < score):
                found[text_] = Draft(text_, round(score, 4), source, first + at)
    best = sorted(found.values(), key=lambda d: -d.score)[:limit]
    if any(d.source for d in best):
        known = set(identifiers(text)) | reserved
        best = [_mark_unknown(d, known) if d.source else d for d in best]
    return best


def _neighbours(lines: list[str], skip: set[int]) -> tuple[list[int], dict[int, int], dict[int, int]]:
    """Non-blank rows (not in ``skip``), and for each row the nearest of them above and below."""
    nonblank = [i for i, line in enumerate(lines) if line.strip() and i not in skip]
    prev, nxt = {}, {}
    last = -1
    for i in nonblank:
        prev[i] = last
        last = i
    for a, b in zip(nonblank, nonblank[1:]):
        nxt[a] = b
    return nonblank, prev, nxt


def _sim(lines: list[str], i: int, target: frozenset[str]) -> float:
    return jaccard(terms(lines[i]), target) if i >= 0 else 0.0


def _rest_of_line(gap: _Gap, lines: list[str], skip: set[int]):
    """(draft, score, row) for lines that hold the text before the cursor."""
    head = gap.prefix.strip()
    word = re.split(r"[\s=]+", head)[-1]
    word = word if len(word) >= 3 and word != head else ""
    spaced = gap.prefix[-1:].isspace()
    want_end = gap.suffix.strip()
    nonblank, prev, nxt = _neighbours(lines, skip)
    for i in nonblank:
        line = lines[i].strip()
        if line.startswith(head):
            tier, at, anchor = 1.0, 0, head
        elif head in line:
            tier, at, anchor = 0.7, line.index(head), head
        elif word and word in line:
            tier, at, anchor = 0.4, line.index(word), word
        else:
            continue
        rest = line[at + len(anchor):]
        if rest[:1].isspace():
            rest = rest.lstrip() if spaced else rest
        elif spaced or (anchor[-1:].isalnum() or anchor[-1:] == "_") and (rest[:1].isalnum() or rest[:1] == "_"):
            continue                     # not at a token boundary: "return" in "returned"
        if want_end:
            if not rest.rstrip().endswith(want_end):
                continue
            rest = rest.rstrip()[: -len(want_end)]
        if not rest.strip():
            continue
        around = 0.3 * _sim(lines, prev[i], gap.above) + 0.15 * _sim(lines, nxt.get(i, -1), gap.below)
        lead = jaccard(terms(line[:at]), terms(head)) if at else 1.0   # what stands before the anchor
        score = 0.45 * tier + around + 0.1 * lead
        yield rest, score, i


def _whole_lines(gap: _Gap, lines: list[str], skip: set[int]):
    """(draft, score, row) for runs of lines between lines like those around the gap."""
    nonblank, prev, nxt = _neighbours(lines, skip)
    starts = sorted(nonblank, key=lambda j: -_sim(lines, prev[j], gap.above))[:STARTS]
    for j in starts:
        up = _sim(lines, prev[j], gap.above)
        run, i = [], j
        while len(run) < gap.max_lines and i >= 0:
            run.append(i)
            down = _sim(lines, nxt.get(i, -1), gap.below)
            score = 0.5 * up + 0.5 * down - 0.01 * (len(run) - 1)
            yield _indent(gap, [lines[r] for r in range(j, i + 1)]), score, j
            i = nxt.get(i, -1)
            if i in skip or (i >= 0 and any(r in skip for r in range(run[-1], i))):
                break


def _indent(gap: _Gap, run: list[str]) -> str:
    """The run as inserted at the cursor: its first line's indentation becomes the gap's (the
    cursor's own when it stands in the indentation), later lines keep theirs relative to it."""
    own = run[0][: len(run[0]) - len(run[0].lstrip())]
    target = gap.prefix if gap.prefix else gap.indent
    out = []
    for k, line in enumerate(run):
        body = line[len(own):] if line.startswith(own) else line.lstrip()
        out.append((body if k == 0 and gap.prefix else target + body) if line.strip() else "")
    return "\n".join(out) + ("" if gap.prefix else "\n")


def _mark_unknown(draft: Draft, known: set[str]) -> Draft:
    # Attributes (after a dot) are not the document's to bind: they stay.
    spans = tuple((m.start(), m.end()) for m in re.finditer(r"(?<![.\w])[A-Za-z_][A-Za-z_0-9]*", draft.text)
                  if m.group(0) not in known)
    return Draft(draft.text, draft.score, draft.source, draft.line, spans)


def prompt_block(chunks: Iterable[Chunk], comment: str = "#", budget_chars: int = 1200) -> str:
    """Retrieved chunks as a marked block of code to put before the prefix."""
    parts, used = [], 0
    for chunk in chunks:
        body = chunk.text.strip("\n")
        if used + len(body) > budget_chars:
            break
        parts.append(f"{comment} --- {chunk.source.rsplit('/', 1)[-1]} ---\n{body}\n")
        used += len(body)
    if not parts:
        return ""
    return f"{comment} Code from other files of this project:\n" + "".join(parts) + f"{comment} --- end ---\n\n"
