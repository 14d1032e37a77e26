"""Block-by-block continuation, shared by every backend that denoises canvases itself.

DiffusionGemma's block-autoregressive layout: denoise a canvas of ``N`` masks, keep its
tokens up to the first ``<|pad_end|>``, append the finished block to the context cache
and denoise the next one, until every candidate has ended, the request's block limit is
reached, or every candidate has produced ``max_lines`` lines. The K candidates of a
request are one batch and share each forward pass. Only the first block must say something:
later blocks may end at their first position (``later_block``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Callable

import torch

from .errors import RequestCancelled
from .sampling import SamplerConfig, SpecialTokens, denoise


@dataclass
class Blocks:
    pieces: list[list[int]]      # per candidate: the committed tokens, pads removed
    logprob: torch.Tensor        # (K,) summed log-probability of those tokens
    forward_passes: int


def completion_budget(cfg: SamplerConfig, n: int) -> SamplerConfig:
    """A completion canvas of ``n`` tokens with no ``max_steps``: at most ``pass_share`` of ``n``
    passes, rounded up (``round`` first: 100 * 0.07 is 7.000000000000001, and a share the user
    wrote should not gain a pass). Rewrites start from text and are not completions: only
    ``fill_blocks`` applies this."""
    if cfg.max_steps or not cfg.pass_share:
        return cfg
    steps = max(1, math.ceil(round(n * cfg.pass_share, 9)))
    return replace(cfg, max_steps=steps) if steps < n else cfg


def later_block(cfg: SamplerConfig) -> SamplerConfig:
    """The sampler of a block after the first: it may end at its first position."""
    return replace(cfg, min_tokens=0, require_content=False)


def fill_blocks(model, cache: Any, extend: Callable[[Any, torch.Tensor], Any], special: SpecialTokens,
                sampler: SamplerConfig, request, decode: Callable[[list[int]], str],
                gen: torch.Generator) -> Blocks:
    """Denoise up to ``request.max_blocks`` canvases of ``request.canvas_length`` for
    ``request.candidates`` rows with ``sampler`` (``later_block`` of it after the first);
    ``extend(cache, tokens)`` appends a finished block."""
    K, N = request.candidates, request.canvas_length
    sampler = completion_budget(sampler, N)
    pieces: list[list[int]] = [[] for _ in range(K)]
    logprob, done, passes = torch.zeros(K), torch.zeros(K, dtype=torch.bool), 0
    for block in range(request.max_blocks):
        canvas = torch.full((K, N), special.mask, dtype=torch.long)
        res = denoise(model, cache, canvas, special, sampler if block == 0 else later_block(sampler), gen)
        passes += res.forward_passes
        logprob += torch.where(done, torch.zeros(K), res.logprob)
        for i in range(K):
            if done[i]:
                continue
            row = res.tokens[i].tolist()
            if special.pad_end in row:
                row, done[i] = row[: row.index(special.pad_end)], True
            pieces[i].extend(row)
        if done.all() or block + 1 == request.max_blocks:
            break
        if request.max_lines and all(done[i] or decode(pieces[i]).count("\n") >= request.max_lines
                                     for i in range(K)):
            break
        cache = extend(cache, res.tokens)
    return Blocks(pieces, logprob, passes)


class Cancellable:
    """A model (anything with ``denoise``) as the sampler sees it, polling a cancel callback
    before each forward pass."""

    def __init__(self, model, cancelled: Callable[[], bool]):
        self.model, self.cancelled = model, cancelled

    def denoise(self, canvas: torch.Tensor, cache) -> torch.Tensor:
        if self.cancelled():
            raise RequestCancelled("the request was cancelled")
        return self.model.denoise(canvas, cache)
