"""What a sampler is asked to do, without the sampler: its settings (``SamplerConfig``), the
special tokens it must know (``SpecialTokens``) and the names of the commit strategies
(``SAMPLERS``). Plain data with no torch, so that reading options (``infill.config``, the CLI's
flags) does not import torch; ``engine.sampling`` runs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SAMPLERS = ("threshold", "entropy", "sequential")     # the keys of ``engine.sampling.STRATEGIES``


@dataclass(frozen=True)
class SamplerConfig:
    name: str = "threshold"           # one of SAMPLERS
    threshold: float = 0.8            # threshold: commit positions at least this confident
    entropy_bound: float = 0.3        # entropy: most summed entropy (nats) committed per step
    temperature: float = 0.0          # 0 = greedy argmax; > 0 samples with the generator
    candidate_temperature: float = 0.8  # rows after the first of a batch sample at this when temperature is 0
    max_steps: int = 0                # forward passes per block at most (0 = canvas length): each pass
    #                                   commits at least its share, masked / passes left, best first
    stable_steps: int = 0             # commit all when predictions are unchanged this many steps (0 = off)
    pass_share: float = 0.0           # with no max_steps: a completion canvas's passes at most this share
    #                                   of its length, rounded up (0 = no cap; blocks.completion_budget)
    pad_penalty: float = 0.5          # pad_end confidence is multiplied by this when ranking
    min_tokens: int = 1               # the middle has at least this many tokens
    require_content: bool = True      # the middle may not end before a non-blank token is committed
    length_first: bool = True         # the first pass fixes the length: pads from the first argmax pad on
    trim_pads: bool = True            # once the length is fixed, later passes see the canvas up to the
    #                                   longest row's first pad_end only (cheaper passes)


@dataclass
class SpecialTokens:
    """What the sampler needs to know about the vocabulary."""

    mask: int
    pad_end: int
    forbidden: list[int] = field(default_factory=list)  # never produced (mask, fim markers)
    blank: list[int] = field(default_factory=list)      # tokens that decode to whitespace only
