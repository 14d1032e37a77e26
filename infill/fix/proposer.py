"""Candidates for a fix gap: the model's small edits, rewrites and fresh completions.

``ModelProposer`` gives K candidates per gap (``fix.gaps.FixGap``), the failing test as a
comment block before the prefix. For a one-line gap, three quarters (up to seven eighths) are
small edits (``TokenScoring.token_edits`` with the Python repair templates of ``templates``),
ranked by the model's pseudo-log-likelihood of the line, read with both sides; the templates
keep places of their own (``template_quota``). Of the rest, half are re-noised from the gap's
current text (``editing.rewrite``, without the checks that keep a user's selection: a fix
changes what the code does, often a literal, and the tests judge it) and half written from
scratch (``complete``). A missing line
is mostly copied from the statements nearby. The kinds are interleaved, so any first part of
the list holds some of each. A backend without token scoring (its ``Capabilities``) gives
rewrites and completions only.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable

from infill.backends import get_backend
from infill.complete import complete
from infill.config import InfillOptions
from infill.editing import rewrite
from infill.errors import Cancelled, InfillError
from infill.syntax import adds_syntax_errors

from .gaps import LANGUAGE, FixGap
from .templates import python_templates

Proposer = Callable[[FixGap], list[str]]
MAX_CANDIDATES = 16
MISSING_LINE_SOURCES = 3            # nearby statements a missing line is copied from
EDIT_PROPOSALS = (12, 6, 6, 4)      # substitutions, insertions, deletions, two-token insertions
TEMPLATES = python_templates()      # swaps 6, operators 8, off-by-ones 10


TEMPLATE_EDITS = ("operator", "off-by-one")   # repair templates with places of their own among the edits


def template_quota(edits: list, k: int) -> list[str]:
    """The texts of up to K * 7/8 edits (best first by the model's gain): the best K * 5/8,
    then for each repair template of ``TEMPLATE_EDITS`` its K / 8 best edits not already in
    (an operator from its family, a ``+ 1`` put in or taken out), then the next best up to
    K * 3/4 in all. A small model ranks the right operator or ``+ 1`` 15th-20th among its
    edits more often than it ranks it first; a few places kept for the templates reach it
    at the cost of the weakest of its own edits."""
    texts = [e.text for e in edits[: k * 5 // 8]]
    for kind in TEMPLATE_EDITS:
        texts += [e.text for e in edits if e.kind == kind and e.text not in texts][: k // 8]
    texts += [e.text for e in edits if e.text not in texts][: max(0, k * 3 // 4 - len(texts))]
    return texts


class ModelProposer:
    """K candidates per gap from the model, with the failing test as a comment block before
    the prefix. For a one-line gap, three quarters (up to seven eighths) are the small edits
    the model prefers most (``EmbeddedBackend.token_edits``: a token replaced, inserted or
    deleted, two names swapped, an operator of the same family, a ``+ 1`` put in or taken
    out, ranked by the model's pseudo-log-likelihood of the line, read with both sides; the
    two repair templates have places of their own: ``template_quota``). Of the rest, half
    are re-noised from the gap's current text (``editing.rewrite``) and half written from
    scratch (``api.complete``). The three kinds are interleaved, so any first part of the
    list holds some of each."""

    def __init__(self, options: InfillOptions, candidates: int, backend=None):
        self.options, self.k, self.backend = options, candidates, backend
        self.deadline: float | None = None   # time.monotonic() after which generation stops (fix sets it)

    def _cancelled(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline

    def __call__(self, gap: FixGap) -> list[str]:
        edits: list[str] = []
        rewrites: list[str] = []
        backend = self.backend or get_backend(self.options)
        if gap.kind == "insert":
            return self._missing_line(gap, backend)
        if gap.kind == "line" and gap.original.strip() and backend.capabilities.token_scoring:
            before, after = gap.text[: gap.start], gap.text[gap.end:]
            found = backend.token_edits(gap.context + before, after, gap.original, limit=4 * self.k,
                                        proposals=EDIT_PROPOSALS, templates=TEMPLATES)
            edits = template_quota([e for e in found if not adds_syntax_errors(before, e.text, after, LANGUAGE)],
                                   self.k)
        k_left = self.k - len(edits)
        k_rewrite = k_left // 2 if gap.original.strip() else 0
        try:   # a gap too long to rewrite (over the canvas limit) gets fresh candidates only
            if k_rewrite:   # unchecked: the refusals of a user's rewrite would drop the fix itself
                rewrites = rewrite(gap.text, gap.start, gap.end, LANGUAGE,
                                   replace(self.options, candidates=k_rewrite, checks=False), backend,
                                   cancelled=self._cancelled, extra_context=gap.context).candidates
        except InfillError:   # Cancelled too: the deadline passed
            k_rewrite = 0
        doc = gap.text[: gap.start] + gap.text[gap.end:]
        fresh = self._complete(doc, gap.start, max(1, k_left - k_rewrite), gap, backend)
        return interleave([edits, rewrites, fresh])

    def _complete(self, doc: str, offset: int, k: int, gap: FixGap, backend) -> list[str]:
        """K fresh completions at ``offset``: the model's samples, without ``complete``'s drafts
        (copied lines and known names: the model's likelihood of each costs seconds per gap, a
        third of a 60 s search on a slow machine, and they would come on top of the K it samples;
        the missing-line gaps copy nearby statements themselves); none once the deadline has
        passed. At most K, so the edits' places are kept."""
        try:
            return complete(doc, offset, LANGUAGE,
                            replace(self.options, candidates=k, retrieval=False, known_names=False), backend,
                            cancelled=self._cancelled, extra_context=gap.context).candidates[:k]
        except Cancelled:
            return []

    def _missing_line(self, gap: FixGap, backend) -> list[str]:
        """Candidates for a line missing before ``gap``'s line, written on a blank line opened
        there. Three quarters come from the statements nearby (the nearest first, each as it is
        and with the model's best small edits for the new place: ``left = stack.pop()`` gives
        ``right = stack.pop()``): code repeats itself, and a small model copies better than it
        writes. The rest are fresh completions."""
        before, after = gap.text[: gap.start] + gap.indent, "\n" + gap.text[gap.start:]
        copies: list[list[str]] = []
        if backend.capabilities.token_scoring:
            for statement in nearby_statements(gap.text, gap.first_line - 1)[:MISSING_LINE_SOURCES]:
                found = backend.token_edits(gap.context + before, after, statement, limit=self.k,
                                            proposals=EDIT_PROPOSALS, templates=TEMPLATES)
                copies.append([statement] + [e.text for e in found
                                             if not adds_syntax_errors(before, e.text, after, LANGUAGE)])
        copied = interleave(copies)[: self.k * 3 // 4]
        fresh = self._complete(before + after, len(before), max(1, self.k - len(copied)), gap, backend)
        return interleave([copied, fresh])

    def suspicion(self, gap: FixGap) -> float:
        """How much the model would like to change a line gap: the largest gain in log-probability
        of one token substitution (each token masked alone, read with both sides and the failing
        test). Other gaps, and backends that cannot say, get -inf."""
        backend = self.backend or get_backend(self.options)
        if gap.kind != "line" or not gap.original.strip() or not backend.capabilities.token_scoring:
            return float("-inf")
        subs = backend.token_substitutions(gap.context + gap.text[: gap.start], gap.text[gap.end:], gap.original,
                                           per_position=1, limit=1)
        return subs[0].score if subs else float("-inf")


def nearby_statements(text: str, row: int, reach: int = 8) -> list[str]:
    """One-line simple statements within ``reach`` lines of ``row`` (0-based), nearest to the
    point before ``row`` first, each once: the ingredients of a missing line. Headers,
    definitions, decorators, comments, ``return``, ``pass`` and the like are left out."""
    lines = text.split("\n")
    found: dict[str, tuple[float, bool]] = {}
    for i in range(max(0, row - reach), min(len(lines), row + reach)):
        code = lines[i].strip()
        if not code or code.endswith((":", "\\", "(", "[", "{", ",")) or code.startswith(_NOT_INGREDIENTS) \
                or code.count("(") != code.count(")") or code.count("[") != code.count("]"):
            continue
        distance = (abs(i - row + 0.5), i >= row)    # from the insertion point; at a tie, the line above first
        found[code] = min(found.get(code, distance), distance)
    return sorted(found, key=found.get)


_NOT_INGREDIENTS = ("def ", "class ", "@", "#", "return", "pass", "break", "continue", "elif", "else",
                    "except", "finally", '"', "'", ")", "]", "}")


def interleave(sources: list[list[str]]) -> list[str]:
    """One list from ranked lists, each spread evenly over it: item j of a list of n sits at
    (j + 1/2) / n of the way (ties in source order). Any first part of the result holds about
    the same share of every list, each in its own order."""
    keyed = [((j + 0.5) / len(src), s, item) for s, src in enumerate(sources) for j, item in enumerate(src)]
    return [item for *_, item in sorted(keyed, key=lambda k: k[:2])]
