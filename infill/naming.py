"""The names valid at the cursor (``names``) as candidates: drafts the model completes, and
the model's own cut-off names completed.

Where the gap starts with a name, ``name_drafts`` makes each of the first ``NAME_DRAFTS``
known names (the typed partial's rest) a draft, beside the retrieval drafts (``drafting``):

- as it stands (the name alone is the middle: ``timeout=config.DEFAULT_TIMEOUT_SECONDS)``);
- continued: the name's tokens kept and ``CONTINUE_TOKENS`` masks after it, denoised by the
  model in ``CONTINUE_STEPS`` passes at most (one batch over the shared context cache; backends
  that declare ``rewrite``), so the model writes the rest of the line after a name it could
  not have remembered.

``complete`` asks the model's likelihood of those it did not sample, as for the retrieval drafts,
and the calibrated confidence ranks them with the samples (``confidence``: the feature
``name_draft``, and ``known_name``: whether a candidate's first name is one of the known ones).

``fix_names`` completes a sampled candidate whose first name is cut off (``tent`` for
``content``, ``DEFAULT_TIM``) to the known name, and drops one an analysis that knows the slot
says is no name there.
"""

from __future__ import annotations

from dataclasses import replace

from engine.api import Backend, Candidate as RawCandidate, InfillRequest, Seed

from .backends import run_backend
from .candidates import Candidate, Gap
from .names import KnownNames

NAME_DRAFTS = 4          # known names drafted per request
CONTINUE_TOKENS = 12     # masks after a drafted name that the model may fill with the rest
CONTINUE_STEPS = 4       # forward passes the continuations take at most (each commits its share)


def name_drafts(backend: Backend, request: InfillRequest, gap: Gap, known: KnownNames | None,
                count: int = NAME_DRAFTS) -> tuple[list[Candidate], int]:
    """(candidates from the first ``count`` known names, forward passes spent). A candidate's
    ``named`` is 1 / (its name's rank + 1); its ``score`` is provisional until ``likelihoods``."""
    if known is None or not known.names or count < 1:
        return [], 0
    rests = [n[len(known.slot.partial):] for n in known.names[:count]]
    lead = gap.lead
    out = []
    for i, rest in enumerate(rests):
        scored = gap.score(RawCandidate(lead + rest, -10.0, 0))
        if scored.text.strip():
            out.append(replace(scored, named=round(1.0 / (i + 1), 4)))
    passes = 0
    if backend.capabilities.rewrite:
        batch = replace(request, candidates=len(rests), init_text=None, remask_spans=None,
                        sampler=replace(request.sampler, max_steps=CONTINUE_STEPS),
                        seeds=tuple(Seed(lead + r, extra_tokens=CONTINUE_TOKENS) for r in rests))
        result = run_backend(backend, batch)
        passes += result.forward_passes
        continued = [replace(gap.score(raw), named=round(1.0 / (i + 1), 4))
                     for i, raw in enumerate(result.candidates)]
        out += [c for c in fix_names(continued, gap, known, keep=False) if c.text.strip()]
    return out, passes


def fix_names(candidates: list[Candidate], gap: Gap, known: KnownNames | None,
              keep: bool = True) -> list[Candidate]:
    """The candidates with a cut-off first name completed to a known one (re-scored:
    post-processing and syntax), and those whose first name an analysis that knows the slot
    rejects dropped; with ``keep``, all of them as they were when that would leave none."""
    if known is None or not known.known:
        return candidates
    out = []
    for c in candidates:
        fixed = known.complete_name(c.text)
        if fixed is None:
            continue
        if fixed != c.text:
            c = replace(gap.score(RawCandidate(gap.lead + fixed, c.score, c.tokens)), retrieved=c.retrieved,
                        named=c.named)
        out.append(c)
    return out or (candidates if keep else [])
