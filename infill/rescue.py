"""What the completion path does when its best candidate breaks the syntax: ordered steps.

``STEPS`` run in order on an ``Attempt`` (the request, its scored candidates, the passes
spent), each only when the best candidate is still broken and the backend can (its declared
``Capabilities.rewrite``):

1. ``repair``: the best candidate's tokens inside its syntax errors are re-masked (the rest
   kept, a few masks appended) and denoised again, ``options.repair`` rounds;
2. ``resample``: ``options.resample`` fresh candidates drawn in one batch (every row sampled),
   the best valid one kept; not under a pass budget (``options.steps``: latency first).

``header_follow`` is the step after a completion: a completion that ends in a block header
with no block after it, in a language whose blocks are made by indentation (Python), is given a
body by a next request (``complete``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from engine.api import Backend, InfillRequest

from .backends import run_backend
from .candidates import Candidate, Gap, best_first
from .config import InfillOptions
from .window import leading_ws
from .languages import spec_of
from .syntax import completion_error_spans

REPAIR_EXTRA_TOKENS = 4   # masks a repair may append (a closing bracket, a colon)


@dataclass
class Attempt:
    backend: Backend
    request: InfillRequest          # the request the candidates came from
    gap: Gap
    options: InfillOptions
    candidates: list[Candidate]     # best first
    passes: int = 0                 # forward passes spent
    rejected: int = 0               # candidates that broke the syntax

    @property
    def broken(self) -> bool:
        return not self.candidates[0].valid


def repair(attempt: Attempt) -> None:
    """Denoise again the tokens of the best candidate that lie inside its syntax errors
    (tree-sitter's, or where tree-sitter sees none, CPython's first error), the rest kept: the
    bidirectional canvas sees both the kept tokens and the code after the gap. The repair
    revises the best candidate in place; K stays K."""
    if not attempt.backend.capabilities.rewrite:
        return
    for _ in range(attempt.options.repair):
        if not attempt.broken:
            return
        fixed, spent = _repair_once(attempt)
        attempt.passes += spent
        if fixed is None:
            return
        attempt.candidates[0] = fixed


def _repair_once(attempt: Attempt) -> tuple[Candidate | None, int]:
    gap, body = attempt.gap, attempt.candidates[0].text
    if not body.strip():
        return None, 0
    spans = completion_error_spans(gap.before, body, gap.after, gap.language)
    if not spans:   # the completion breaks code after it (an open string, a dedent): its end
        spans = [(max(0, len(body.rstrip()) - 1), len(body))]
    lead = gap.lead
    spans = [(a + len(lead), b + len(lead)) for a, b in spans]   # the canvas starts at the line start
    retry = replace(attempt.request, init_text=lead + body, remask_spans=tuple(spans),
                    extra_tokens=REPAIR_EXTRA_TOKENS, candidates=1)
    result = run_backend(attempt.backend, retry)
    repaired = gap.score(result.candidates[0])
    if not repaired.text.strip():   # an empty middle is no repair, though it breaks nothing
        return None, result.forward_passes
    return repaired, result.forward_passes


def resample(attempt: Attempt) -> None:
    """The last resort before rejection: ``options.resample`` fresh candidates in one batch,
    every row sampled at the sampler's candidate temperature with the next seed (the greedy row
    would repeat the broken one). A valid one leads and the last place goes: K stays K."""
    k, options = attempt.options.resample, attempt.options
    if not attempt.broken or not k or options.steps or not attempt.backend.capabilities.rewrite:
        return
    request = attempt.request
    sampler = replace(request.sampler, temperature=request.sampler.candidate_temperature or 0.8)
    result = run_backend(attempt.backend, replace(request, candidates=k, sampler=sampler, seed=request.seed + 1))
    fresh = best_first([c for c in map(attempt.gap.score, result.candidates) if c.text.strip()])
    attempt.passes += result.forward_passes
    attempt.rejected += sum(1 for c in fresh if not c.valid)
    if fresh and fresh[0].valid:
        attempt.candidates = (fresh[:1] + attempt.candidates)[:len(attempt.candidates)]


Step = Callable[[Attempt], None]
STEPS: tuple[Step, ...] = (repair, resample)


def header_follow(before: str, body: str, after: str, language: str) -> tuple[str, int, str] | None:
    """If ``body`` ends in a block header (of an offside language) whose block is missing (the next non-blank
    line after it is not indented deeper): (document with ``body`` inserted, offset of the
    next line's start, separator to put between ``body`` and that line's completion)."""
    if not spec_of(language).offside or not body.strip():
        return None
    text = before + body
    last = text.rstrip("\n")
    last = last[last.rfind("\n") + 1:]
    code = last.split("#", 1)[0].rstrip() if "'" not in last and '"' not in last else last.rstrip()
    if not code.endswith(":") or last.lstrip().startswith("#") or \
            sum(map(code.count, "([{")) > sum(map(code.count, ")]}")):   # a dict or slice goes on
        return None
    indent = leading_ws(last)
    if body.endswith("\n"):
        rest, doc, at, sep = after, text + after, len(text), ""
    else:
        first, newline, rest = after.partition("\n")
        if first.strip():                     # the header's line goes on after the gap
            return None
        doc = text + (after if newline else after + "\n")
        at, sep = len(text) + len(first) + 1, "\n"
    following = next((ln for ln in rest.split("\n") if ln.strip()), "")
    if following.startswith(indent) and len(leading_ws(following)) > len(indent):
        return None                           # the block is there already
    return doc, at, sep
