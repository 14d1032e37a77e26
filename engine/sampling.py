"""Samplers: turn a canvas of mask tokens into tokens, a few positions per forward pass.

The loop is LLaDA's: forward the canvas, pick a token and a confidence per masked position,
commit some of them, repeat. Which positions to commit is a small strategy function in
``STRATEGIES``:

- ``threshold``: every position whose confidence passes a threshold, else the single best
  (Fast-dLLM's parallel decoding);
- ``entropy``: positions in order of entropy while the running sum stays under a bound
  (the entropy-bounded EB sampler);
- ``sequential``: the single most confident position per step (the baseline).

Shared rules: the first pass fixes the length (``length_first``: the first position whose
most likely token is ``<|pad_end|>`` ends the middle, as in length-predicting masked
diffusion; pads are easy to predict, so their argmax is a good length estimate while their
probabilities are not calibrated); ``<|pad_end|>`` ends the middle, so once one is committed every later position
becomes ``<|pad_end|>`` without further passes; pad confidence is scaled down by
``pad_penalty`` so content is committed before pads (the pad-collapse remedy); the first
``min_tokens`` positions may not end the middle, nor may any position before a non-blank
token has been committed (an empty or whitespace-only middle is never an answer); stability early exit commits everything
left once the predictions stop changing; a step budget (``max_steps``; a completion's comes from
``pass_share``, ``blocks.completion_budget``) makes each pass commit at least its share of what is
left; once the length is fixed, later passes run on
the canvas up to the first pad only (``trim_pads``: the committed pads after it are the same
in every pass, and dropping them cost nothing measurable); K candidate rows over one shared
context cache hold the same canvas until their first commit, so that first pass forwards one
row for all of them, and a row with nothing left to fill is not forwarded again. Every
sampler touches the model only through ``model.denoise(canvas, cache)`` and draws randomness
only from the explicit generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from .sampler_config import SAMPLERS, SamplerConfig, SpecialTokens  # noqa: F401  (re-exported)


@dataclass
class DenoiseResult:
    tokens: torch.Tensor        # (B, N) committed canvas
    logprob: torch.Tensor       # (B,) summed log-probability of committed content tokens
    forward_passes: int
    commits_per_pass: list[int]


# ---------------------------------------------------------------------------------------------
# Strategies: (confidence, entropy, masked, config) -> positions to commit, all (B, N).
# Each commits at least one position in every row that still has masked positions.

def _at_least_one(commit: torch.Tensor, conf: torch.Tensor, masked: torch.Tensor) -> torch.Tensor:
    best = torch.where(masked, conf, torch.full_like(conf, -1.0)).argmax(dim=1, keepdim=True)
    forced = torch.zeros_like(commit).scatter_(1, best, True) & masked
    empty = ~commit.any(dim=1, keepdim=True)
    return commit | (forced & empty)


def commit_threshold(conf, entropy, masked, cfg: SamplerConfig):
    return _at_least_one(masked & (conf >= cfg.threshold), conf, masked)


def commit_entropy(conf, entropy, masked, cfg: SamplerConfig):
    ent = torch.where(masked, entropy, torch.full_like(entropy, float("inf")))
    order = ent.argsort(dim=1)
    running = ent.gather(1, order).cumsum(dim=1)
    accept_sorted = running <= cfg.entropy_bound
    commit = torch.zeros_like(masked).scatter_(1, order, accept_sorted) & masked
    return _at_least_one(commit, conf, masked)


def commit_sequential(conf, entropy, masked, cfg: SamplerConfig):
    return _at_least_one(torch.zeros_like(masked), conf, masked)


def _at_least_share(commit: torch.Tensor, conf: torch.Tensor, masked: torch.Tensor,
                    passes_left: int) -> torch.Tensor:
    """A step budget (LLaDA's fixed steps): each row commits at least ceil(masked / passes
    left) positions, its most confident ones, so the block ends within the budget."""
    need = (masked.sum(1) + passes_left - 1) // passes_left                   # (B,)
    order = torch.where(masked, conf, torch.full_like(conf, -1.0)).argsort(dim=1, descending=True)
    top = torch.arange(conf.shape[1])[None] < need[:, None]                 # (B, N) sorted slots
    forced = torch.zeros_like(commit).scatter_(1, order, top) & masked
    return commit | forced


STRATEGIES: dict[str, Callable] = dict(zip(SAMPLERS, (commit_threshold, commit_entropy, commit_sequential)))


# ---------------------------------------------------------------------------------------------

def _predict(logits: torch.Tensor, cfg: SamplerConfig, gen: torch.Generator, masked: torch.Tensor):
    """Token, confidence, log-probability and entropy per position, all (B, N); only the
    ``masked`` positions are read by the caller. The first row is greedy at temperature 0, the
    others sampled (Gumbel-max) at their masked positions; the noise is drawn for the whole
    (B, N, V) so the generator's stream, and every sample, does not depend on what is masked.
    The entropy is computed only for the sampler that reads it (0 elsewhere)."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    if cfg.name == "entropy":
        probs = logp.exp()
        entropy = -torch.where(probs > 0, probs * logp, torch.zeros_like(logp)).sum(-1)  # forbidden: 0 * -inf
    else:
        entropy = torch.zeros(logp.shape[:-1])
    B = logits.shape[0]
    temps = torch.full((B,), cfg.temperature or cfg.candidate_temperature)
    if cfg.temperature == 0:
        temps[0] = 0.0                      # the first candidate is the greedy one
    tok = logp.argmax(-1)
    if bool((temps > 0).any()):
        u = torch.rand(logits.shape, generator=gen)
        sampled = masked & (temps > 0)[:, None]                                  # (B, N)
        if bool(sampled.any()):
            rows = sampled.nonzero(as_tuple=True)
            gumbel = logp[rows] / temps.clamp(min=1e-6)[rows[0]][:, None] \
                - torch.log(-torch.log(u[rows].clamp_(1e-10, 1.0)))
            tok = tok.index_put(rows, gumbel.argmax(-1))                       # Gumbel-max
    tok_logp = logp.gather(-1, tok[..., None]).squeeze(-1)
    return tok, tok_logp.exp(), tok_logp, entropy


def _content_before(x: torch.Tensor, special: SpecialTokens) -> torch.Tensor:
    """(B, N) bool: a committed non-blank content token lies strictly before each position."""
    content = (x != special.mask) & (x != special.pad_end)
    if special.blank:
        content &= ~torch.isin(x, torch.tensor(special.blank))
    before = content.long().cumsum(dim=1) - content.long()
    return before > 0


def _fix_length(x: torch.Tensor, logits: torch.Tensor, special: SpecialTokens, min_len: int) -> torch.Tensor:
    """Length first: with every position still open, the first position (at or after
    ``min_len``) whose most likely token is pad_end is where the middle ends; it and every
    later masked position become pad_end. Rows whose argmax is never pad keep the canvas."""
    is_pad = logits.argmax(-1) == special.pad_end                      # (B, N)
    is_pad[:, :min_len] = False
    first = _first_true(is_pad, default=x.shape[1])
    after = torch.arange(x.shape[1])[None] >= first[:, None]
    return torch.where(after & (x == special.mask), torch.full_like(x, special.pad_end), x)


def denoise(model, cache, canvas: torch.Tensor, special: SpecialTokens, cfg: SamplerConfig,
            gen: torch.Generator, min_len: torch.Tensor | None = None) -> DenoiseResult:
    """Fill every ``special.mask`` position of ``canvas`` (B, N); other positions are kept.
    ``min_len`` (B,): no pad_end before this position of each row (its kept tokens stay)."""
    if cfg.name not in STRATEGIES:
        raise ValueError(f"unknown sampler {cfg.name!r} (choose from {', '.join(STRATEGIES)})")
    strategy = STRATEGIES[cfg.name]
    x = canvas.clone()
    B, N = x.shape
    tail = x[:, N:]                     # pads cut off by trim_pads, put back at the end
    masked = x == special.mask
    logprob = torch.zeros(B)
    max_steps = cfg.max_steps or N
    passes, commits, stable, prev = 0, [], 0, None
    while masked.any() and passes < max_steps:
        logits = _forward(model, cache, x, masked)
        passes += 1
        if special.forbidden:
            logits[..., special.forbidden] = float("-inf")
        if cfg.length_first and passes == 1:
            x = _fix_length(x, logits, special, max(1, cfg.min_tokens))
            masked = x == special.mask
            if cfg.trim_pads:
                width = _open_width(x, special)
                if width < x.shape[1]:
                    tail, x, masked, logits = x[:, width:], x[:, :width], masked[:, :width], logits[:, :width]
        if cfg.min_tokens:
            logits[:, : cfg.min_tokens, special.pad_end] = float("-inf")
        if min_len is not None:
            early = torch.arange(x.shape[1])[None] < min_len[:, None]
            logits[..., special.pad_end].masked_fill_(early, float("-inf"))
        if cfg.require_content:
            logits[..., special.pad_end].masked_fill_(~_content_before(x, special), float("-inf"))
        tok, conf, tok_logp, entropy = _predict(logits, cfg, gen, masked)
        rank = torch.where(tok == special.pad_end, conf * cfg.pad_penalty, conf)
        commit = strategy(rank, entropy, masked, cfg)
        if cfg.max_steps:
            commit = _at_least_share(commit, rank, masked, max(1, max_steps - passes + 1))
        if cfg.stable_steps:
            same = prev is not None and bool(((tok == prev) | ~masked).all())
            stable = stable + 1 if same else 0
            if stable >= cfg.stable_steps:
                commit = masked.clone()
            prev = tok
        x = torch.where(commit, tok, x)
        logprob += torch.where(commit & (tok != special.pad_end), tok_logp, torch.zeros_like(tok_logp)).sum(1)
        # Everything after the first pad_end is pad_end too: the middle has ended.
        ended = (x == special.pad_end).long().cumsum(dim=1) > 0
        x = torch.where(ended, torch.full_like(x, special.pad_end), x)
        commits.append(int((masked & (x != special.mask)).sum()))
        masked = x == special.mask
    if masked.any():  # step cap reached: commit the last predictions
        x = torch.where(masked, tok, x)
    return DenoiseResult(torch.cat([x, tail], dim=1), logprob, passes, commits)


def _forward(model, cache, x: torch.Tensor, masked: torch.Tensor) -> torch.Tensor:
    """``model.denoise(x, cache)``, (B, N, V), over a ``shared`` cache (every row holds the same
    context) forwarding fewer rows where the result is the same: rows holding the same canvas
    (K candidates before their first commit) have the same logits, so one row is forwarded and
    repeated; a row with nothing masked left needs none, so it is skipped and its logits are 0
    (nothing of it is committed, and the noise drawn for it is drawn as before)."""
    B = x.shape[0]
    if B == 1 or not getattr(cache, "shared", False):
        return model.denoise(x, cache)
    if bool((x == x[:1]).all()):
        return model.denoise(x[:1], cache.first_row()).expand(B, -1, -1).clone()
    open_rows = masked.any(1)
    n = int(open_rows.sum())
    if n == B:
        return model.denoise(x, cache)
    part = model.denoise(x[open_rows], cache.first_row().expand(n) if n > 1 else cache.first_row())
    out = part.new_zeros((B,) + tuple(part.shape[1:]))
    out[open_rows] = part
    return out


def _open_width(x: torch.Tensor, special: SpecialTokens) -> int:
    """Columns up to and including the longest row's first pad_end: everything after is pads
    in every row (a row with no pad_end keeps the whole canvas)."""
    return int(_first_true(x == special.pad_end, default=x.shape[1] - 1).max()) + 1


def _first_true(flags: torch.Tensor, default: int) -> torch.Tensor:
    """(B,) column of each row's first True in (B, N) ``flags``; ``default`` where none is."""
    return torch.where(flags.any(1), flags.float().argmax(1), torch.full_like(flags[:, 0], default, dtype=torch.long))
