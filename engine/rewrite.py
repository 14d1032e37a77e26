"""Rewrites: a canvas started from text rather than from blank masks, for any backend that
denoises canvases itself (the embedded model, the local masked-diffusion families).

``rewrite`` takes ``request.init_text``'s tokens as one block, re-masks some (a seeded share
``renoise``, or those overlapping ``remask_spans``) and denoises only those; ``seeded`` does the
same for several starting texts (``request.seeds``), one row each. The model is touched only
through the sampler (``denoise(canvas, cache)``), so the context cache is whatever the backend's
own: a KV cache, or the prefix and suffix ids of a full-sequence model.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

import torch

from .api import Candidate, InfillRequest
from .errors import BackendError
from .sampling import SpecialTokens, denoise
from .scoring import MAX_INIT_TOKENS


def rewrite(model, cache, tokenizer, special: SpecialTokens, request: InfillRequest, gen: torch.Generator,
            decode: Callable[[list[int]], str]) -> tuple[list[Candidate], int]:
    """One block whose canvas is ``init_text``'s tokens, some of them re-masked: a seeded
    share ``renoise``, or those overlapping ``remask_spans``. Only masked positions are
    denoised; pad_end may not come before the last kept token, so kept tokens stay, and
    only ``extra_tokens`` appended masks can end the middle early. -> (candidates, passes)"""
    enc = tokenizer(request.init_text, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = enc["input_ids"], enc["offset_mapping"]
    if not ids:
        raise BackendError("there is nothing to rewrite: the selection is empty")
    if len(ids) > MAX_INIT_TOKENS:
        raise BackendError(f"the selection is too long to rewrite ({len(ids)} tokens, "
                           f"at most {MAX_INIT_TOKENS})")
    K, n_init, extra = request.candidates, len(ids), max(0, request.extra_tokens)
    N = n_init + extra
    canvas = torch.tensor([ids + [special.mask] * extra]).repeat(K, 1)          # (K, N)
    if request.remask_spans is not None:
        remask = torch.tensor([overlaps(offsets, request.remask_spans) + [True] * extra]).repeat(K, 1)
    else:
        noise = torch.rand(K, n_init, generator=gen)
        remask = noise < request.renoise
        remask |= noise == noise.min(dim=1, keepdim=True).values                 # at least one per row
        remask = torch.cat([remask, torch.ones(K, extra, dtype=torch.bool)], dim=1)
    canvas = torch.where(remask, torch.full_like(canvas, special.mask), canvas)
    kept = (~remask).long() * torch.arange(1, N + 1)                             # position + 1 if kept
    min_tokens = max(1, int(kept.max())) if extra else N                         # no pad before a kept token
    # require_content: a fully re-masked text must still say something (kept tokens do).
    cfg = replace(request.sampler, min_tokens=min_tokens, require_content=request.remask_spans is not None)
    res = denoise(model, cache, canvas, special, cfg, gen)
    return candidates(res, special, [int(r.sum()) for r in remask], decode), res.forward_passes


def seeded(model, cache, tokenizer, special: SpecialTokens, request: InfillRequest, gen: torch.Generator,
           decode: Callable[[list[int]], str]) -> tuple[list[Candidate], int]:
    """One batch, one row per seed: the seed's tokens, those overlapping its ``remask_spans``
    masked, then its ``extra_tokens`` masks, the row ended with pad_end; only masked positions
    are denoised, and no row may end before its last kept token. -> (candidates, passes)"""
    rows, masks = [], []
    for seed in request.seeds:
        enc = tokenizer(seed.text, add_special_tokens=False, return_offsets_mapping=True)
        ids = enc["input_ids"][:MAX_INIT_TOKENS]
        extra = max(0, min(seed.extra_tokens, MAX_INIT_TOKENS - len(ids)))
        rows.append(ids + [special.mask] * extra)
        masks.append(overlaps(enc["offset_mapping"][:len(ids)], seed.remask_spans) + [True] * extra)
    if not any(rows):
        raise BackendError("every seed is empty")
    N = max(len(r) for r in rows) + 1
    canvas = torch.full((len(rows), N), special.pad_end)
    min_len = torch.zeros(len(rows), dtype=torch.long)
    for i, (ids, hit) in enumerate(zip(rows, masks)):
        canvas[i, :len(ids)] = torch.tensor([special.mask if h else t for t, h in zip(ids, hit)],
                                            dtype=torch.long)
        kept = [k + 1 for k, h in enumerate(hit) if not h]
        min_len[i] = max(kept) if kept else 1
    cfg = replace(request.sampler, min_tokens=1, length_first=False, require_content=False)
    res = denoise(model, cache, canvas, special, cfg, gen, min_len=min_len)
    return candidates(res, special, [sum(hit) for hit in masks], decode), res.forward_passes


def candidates(res, special: SpecialTokens, masked: list[int], decode: Callable[[list[int]], str]) -> list[Candidate]:
    """The rows of a rewrite's canvas as candidates: each cut at its first pad_end, scored
    by its log-probability per position that was masked (``masked``: how many per row)."""
    out = []
    for i, n in enumerate(masked):
        row = res.tokens[i].tolist()
        if special.pad_end in row:
            row = row[: row.index(special.pad_end)]
        out.append(Candidate(decode(row), float(res.logprob[i]) / max(1, n), len(row)))
    return out


def overlaps(offsets, spans) -> list[bool]:
    """For each token's (start, end) character span: does it overlap one of ``spans``?"""
    return [any(a < e and s < b for s, e in spans) for a, b in offsets]
