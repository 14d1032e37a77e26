"""Masked-diffusion noise and loss (MDLM / LLaDA weighting), kept apart from model and loop.

Each canvas row draws a noise level t (antithetic across the batch: evenly spread in
[eps, 1) with a shared random offset), and every target token is corrupted with probability
t. A corrupted token becomes ``<|mask|>``, or, for a small share, a random token, so the
model also learns to revise wrong tokens (needed to rewrite a selection). The loss is the
cross-entropy on corrupted positions weighted by 1/t, summed and divided by the total target
weight.

Target weights handle the pad collapse measured in ANCHORS.md: the first ``<|pad_end|>``
(the end of the middle) weighs as a content token, the pads after it weigh ``pad_weight``,
so that easy pads do not dominate the loss.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def antithetic_t(batch: int, eps: float, gen: torch.Generator) -> torch.Tensor:
    """Noise levels (B,) evenly spread over [eps, 1)."""
    u = torch.rand(1, generator=gen)
    t = (u + torch.arange(batch) / batch) % 1.0
    return eps + (1 - eps) * t


def target_weights(targets: torch.Tensor, pad_end: int, pad_weight: float) -> torch.Tensor:
    """(B, N) weights: 1 for content and the first pad_end of a row, pad_weight after it."""
    is_pad = targets == pad_end
    after_first = (is_pad.long().cumsum(1) > 1) & is_pad
    w = torch.ones_like(targets, dtype=torch.float)
    w[after_first] = pad_weight
    return w


def corrupt(targets: torch.Tensor, t: torch.Tensor, mask_id: int, vocab_size: int,
            random_share: float, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Noised canvas (B, N) and the bool (B, N) of corrupted positions."""
    noised = torch.rand(targets.shape, generator=gen) < t[:, None]
    inputs = torch.where(noised, torch.full_like(targets, mask_id), targets)
    if random_share > 0:
        rand_pos = noised & (torch.rand(targets.shape, generator=gen) < random_share)
        rand_tok = torch.randint(0, vocab_size, targets.shape, generator=gen)
        inputs = torch.where(rand_pos, rand_tok, inputs)
    return inputs, noised


def diffusion_loss(logits: torch.Tensor, targets: torch.Tensor, noised: torch.Tensor,
                   t: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """MDLM loss: sum over corrupted positions of w * CE / t, over the total weight."""
    ce = F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(), reduction="none")
    ce = ce.view_as(targets)
    per = ce * weights * noised / t[:, None]
    return per.sum() / weights.sum().clamp(min=1.0)
