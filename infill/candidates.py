"""One candidate middle, as the completion path carries it, and how a raw one is scored.

A backend returns raw middles (``engine.api.Candidate``: text, model score, tokens). ``Gap``
holds what scoring needs about the request's gap, and ``Gap.score`` turns a raw middle into a
``Candidate``: post-processed (``postprocess``), checked for syntax (``syntax``), ranked by
(syntax-valid, model score). Token healing (a cursor in a line's indentation) is undone here
too: the backend wrote from the line start, the candidate is what follows the cursor.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.api import Candidate as RawCandidate

from .context import GapContext
from .window import leading_ws
from .postprocess import postprocess
from .syntax import adds_syntax_errors


@dataclass
class Candidate:
    text: str                       # the post-processed text to insert at the cursor
    score: float                    # the model's mean log-probability per token
    tokens: int                     # tokens the model committed for it
    valid: bool                     # it adds no syntax error
    retrieved: float = 0.0          # a draft's similarity to the gap's surroundings (0: sampled)
    named: float = 0.0              # a known name's draft: 1 / (the name's rank + 1) (0: none; ``naming``)

    @property
    def rank(self) -> tuple[bool, float]:
        """How candidates are ordered, best first: syntax-valid ones, then by model score."""
        return self.valid, self.score


def best_first(candidates: list[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: c.rank, reverse=True)


@dataclass(frozen=True)
class Gap:
    """A request's gap as scoring sees it: the context, the document around the cursor, and
    the indentation the backend's canvas started at (token healing)."""

    ctx: GapContext
    before: str                     # the document before the cursor
    after: str                      # the document after the cursor
    language: str
    lead: str = ""                  # the cursor's indentation when the canvas starts at the line start
    open_header: bool = False       # a block header left without its block is fine (a body follows)

    def score(self, raw: RawCandidate) -> Candidate:
        body = postprocess(after_indent(raw.text, self.lead) if self.lead else raw.text, self.ctx)
        valid = not adds_syntax_errors(self.before, body, self.after, self.language, self.open_header)
        return Candidate(body, raw.score, raw.tokens, valid)


# Token healing for a cursor in a line's indentation (where an editor leaves it after Enter).
# Byte-level BPE joins the last space of an indentation run to the word after it
# ("    return" -> "   ", " return"), so a prefix that ends in the indentation ends on a
# token split that training never shows, and the model answers with noise. The request
# instead ends the prefix at the line start and lets the canvas write the indentation too;
# the completion is then cut back to what follows the cursor (``InfillOptions.heal_indent``;
# the benchmark `benchmarks/cursor_indent.py` measures both).

def cursor_indent(before: str) -> str:
    """The whitespace between the line start and the cursor, if nothing else precedes it."""
    lead = before[before.rfind("\n") + 1:]
    return lead if lead and not lead.strip(" \t") else ""


def after_indent(text: str, lead: str) -> str:
    """A completion written from the line start, as the text after a cursor at ``lead``.

    The first line's own indentation is dropped (the cursor's stands); later lines move by
    the difference, keeping their indentation relative to the first line.
    """
    first, newline, rest = text.partition("\n")
    if not first.strip():            # a blank first line: the cursor's line stays blank
        return text[len(first):]
    own = leading_ws(first)
    if newline and own != lead:
        rest = "\n".join(lead + line[len(own):] if line.startswith(own) and line.strip() else line
                         for line in rest.split("\n"))
    return first[len(own):] + newline + rest
