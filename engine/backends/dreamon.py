"""DreamOn's variable-length canvas: the middle grows and shrinks while it is denoised.

DreamOn (Dream-org/DreamOn-v0-7B) is Dream trained with two more tokens: a masked position
decoded as ``<|expand|>`` becomes two masked positions, one decoded as ``<|delete|>`` is
removed. So the canvas need not guess the middle's length: it starts from a few masks and
settles on its own. As DreamOn's release recommends, one position is committed per pass (the
most confident masked position, ties to the left); the canvas never grows past ``max_len``
(expansion is then not drawn) and the loop stops after ``max_steps`` passes.

Rows of a request may reach different lengths, so each candidate is denoised on its own
(one forward pass per row per step: a request's passes are the sum over its rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..sampling import SpecialTokens


@dataclass
class Grown:
    tokens: list[int]          # the committed middle, cut at its first end token
    logprob: float             # summed log-probability of its committed content tokens
    passes: int
    lengths: list[int]         # canvas length seen by each pass


def _choose(logp: torch.Tensor, temperature: float, gen: torch.Generator | None):
    """(L, V) log-probabilities -> each position's token and its log-probability: the most
    likely, or drawn at ``temperature`` (the other candidates of a request)."""
    if temperature <= 0 or gen is None:
        return logp.max(dim=-1)
    tok = torch.multinomial(torch.softmax(logp / temperature, dim=-1), 1, generator=gen)[:, 0]
    return logp.gather(-1, tok[:, None])[:, 0], tok


def denoise_row(model, cache, special: SpecialTokens, expand: int, delete: int, start: int, max_len: int,
                max_steps: int, temperature: float = 0.0, gen: torch.Generator | None = None) -> Grown:
    """Fill a canvas of ``start`` masks for one row; ``model.denoise(canvas (1, L), cache)``
    gives (1, L, V) logits. ``special.forbidden`` must not hold ``expand`` or ``delete``.
    Masks left when ``max_steps`` is spent are filled at once by one last pass."""
    canvas = [special.mask] * start
    logprob, passes, lengths = 0.0, 0, []
    while special.mask in canvas:
        logits = model.denoise(torch.tensor([canvas]), cache)[0].float()      # (L, V)
        passes += 1
        lengths.append(len(canvas))
        if special.forbidden:
            logits[:, special.forbidden] = float("-inf")
        last = passes >= max_steps
        if len(canvas) >= max_len or last:
            logits[:, expand] = float("-inf")
        if last:
            logits[:, delete] = float("-inf")
        best, tok = _choose(torch.log_softmax(logits, dim=-1), temperature, gen)   # (L,)
        masked = torch.tensor([t == special.mask for t in canvas])
        if last:                            # the budget is spent: every mask at once
            for i in torch.nonzero(masked)[:, 0].tolist():
                canvas[i] = int(tok[i])
                logprob += float(best[i]) if int(tok[i]) != special.pad_end else 0.0
            break
        pos = int(torch.where(masked, best, torch.full_like(best, float("-inf"))).argmax())
        choice = int(tok[pos])
        if choice == expand:
            canvas[pos:pos + 1] = [special.mask, special.mask]
        elif choice == delete:
            del canvas[pos]
        else:
            canvas[pos] = choice
            if choice != special.pad_end:
                logprob += float(best[pos])
    kept = [t for t in canvas if t != special.mask]
    if special.pad_end in kept:
        kept = kept[: kept.index(special.pad_end)]
    return Grown(kept, logprob, passes, lengths)
