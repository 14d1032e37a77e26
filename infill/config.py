"""One configuration dataclass shared by the CLI flags (and later the language server).

Every field becomes a ``--flag`` of the ``infill`` commands; the LSP initialization options
and ``workspace/didChangeConfiguration`` map onto the same fields.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, fields

from engine.sampling import STRATEGIES, SamplerConfig


@dataclass
class InfillOptions:
    model: str | None = None        # model folder; default: the embedded model shipped in the package
    sampler: str = "threshold"      # threshold | entropy | sequential
    threshold: float = 0.9          # threshold sampler: commit positions at least this confident
    entropy_bound: float = 0.3      # entropy sampler: summed entropy (nats) committed per pass
    stable_steps: int = 0           # stability early exit after this many unchanged passes (0 = off)
    canvas: int = 0                 # canvas length in tokens; 0 = chosen from the gap kind
    max_blocks: int = 4             # continuation blocks when the gap is longer than the canvas
    candidates: int = 1             # K candidates in one batch, syntax-checked and ranked
    seed: int = 0
    threads: int = 2                # torch CPU threads

    def sampler_config(self) -> SamplerConfig:
        return SamplerConfig(name=self.sampler, threshold=self.threshold, entropy_bound=self.entropy_bound,
                             stable_steps=self.stable_steps)

    def validate(self) -> None:
        from .errors import InfillError
        if self.sampler not in STRATEGIES:
            raise InfillError(f"unknown sampler {self.sampler!r} (choose from {', '.join(STRATEGIES)})")
        if self.candidates < 1 or self.candidates > 64:
            raise InfillError("candidates must be between 1 and 64")
        if self.canvas < 0 or self.canvas > 512:
            raise InfillError("canvas must be between 1 and 512 tokens (0 = automatic)")
        if self.max_blocks < 1:
            raise InfillError("max-blocks must be at least 1")


_HELP = {
    "model": "model folder (default: the embedded model)",
    "sampler": "threshold (parallel), entropy (EB) or sequential (one token per pass)",
    "canvas": "canvas length in tokens (0: from the gap kind)",
    "candidates": "candidates drawn as one batch, syntax-checked and ranked",
}


def add_option_flags(parser: argparse.ArgumentParser) -> None:
    for f in fields(InfillOptions):
        flag = "--" + f.name.replace("_", "-")
        kind = {"int": int, "float": float}.get(str(f.type), str)
        extra = {"choices": list(STRATEGIES)} if f.name == "sampler" else {}
        parser.add_argument(flag, type=kind, default=f.default, help=_HELP.get(f.name), **extra)


def options_from_args(args: argparse.Namespace) -> InfillOptions:
    opts = InfillOptions(**{f.name: getattr(args, f.name) for f in fields(InfillOptions)})
    opts.validate()
    return opts
