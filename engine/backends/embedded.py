"""The embedded backend: the canvas denoiser shipped in the package (``engine/model``), or any
folder of the same layout.

It tokenizes prefix and suffix within their token budgets, encodes the context once, reuses
the previous request's keys and values for the head the two contexts share, shares that cache
across the K candidates of a request (one batch), and continues block by block when the middle
is longer than one canvas (each finished block appended to the cache: DiffusionGemma's
block-autoregressive layout). A request with ``init_text`` is a rewrite: the canvas starts from
that text's tokens, some re-masked. Token-level scoring is ``engine.scoring.TokenScorer``.
"""

from __future__ import annotations

import json
import threading
import time
from importlib import resources
from pathlib import Path
import torch

from ..api import Capabilities, Candidate, InfillRequest, InfillResult
from ..blocks import Cancellable, fill_blocks
from ..errors import BackendError, ModelLoadError
from .. import rewrite
from ..scoring import TokenScorer
from ..tokenizer import SpecialIds, context_ids, sampler_tokens

MIN_REUSE_TOKENS = 16                 # shortest shared context head worth reusing from the last request


def default_model_dir() -> Path:
    return Path(str(resources.files("engine") / "model"))


class EmbeddedBackend:
    """The canvas denoiser shipped in the package (or a folder of the same kind)."""

    name = "embedded"

    def __init__(self, model_dir: str | Path | None = None, threads: int | None = None):
        from ..layers import CanvasNet      # plain torch; the tokenizer is tokenizers alone: no transformers
        from ..tokenizer import CanvasTokenizer

        self.model_dir = Path(model_dir) if model_dir else default_model_dir()
        self.fallback_reason: str | None = None   # why it serves in place of a configured backend
        if threads:
            torch.set_num_threads(threads)
        if not (self.model_dir / "config.json").is_file():
            raise ModelLoadError(f"model folder {self.model_dir} has no config.json")
        try:
            cfg = json.loads((self.model_dir / "config.json").read_text())
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"model folder {self.model_dir}: config.json is unreadable ({exc})") from exc
        if cfg.get("model_type") != "infill_canvas":
            raise ModelLoadError(f"model folder {self.model_dir} holds a {cfg.get('model_type')!r} model, "
                                 "not an embedded canvas denoiser (model_type 'infill_canvas')")
        try:
            self.tokenizer = CanvasTokenizer(self.model_dir / "tokenizer.json")
            self.model = CanvasNet.from_folder(self.model_dir, dtype=torch.float32)   # fp16 files too
        except Exception as exc:  # safetensors/tokenizers raise many types for corrupt files
            raise ModelLoadError(f"could not load the model in {self.model_dir}: "
                                 f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from exc
        self.special = SpecialIds.from_tokenizer(self.tokenizer)
        self.sampler_special = sampler_tokens(self.tokenizer, self.special)
        # The budgets the model was trained with (saved in config.json by training.train).
        self.prefix_tokens = int(getattr(self.model.config, "prefix_tokens", 224))
        self.suffix_tokens = int(getattr(self.model.config, "suffix_tokens", 48))
        languages = getattr(self.model.config, "languages", None)   # the corpus's, recorded by training
        self.capabilities = Capabilities(rewrite=True, token_scoring=True, prefix_tokens=self.prefix_tokens,
                                         suffix_tokens=self.suffix_tokens,
                                         languages=tuple(languages) if languages else None)
        self._last_context: tuple[list[int], object] | None = None   # (ids, batch-1 ContextCache)
        self._context_lock = threading.Lock()
        self.scorer = TokenScorer(self.model, self.tokenizer, self.special, self.sampler_special,
                                  lambda prefix, suffix: self.encode_cached(self.encode_text(prefix, suffix))[0])

    def describe(self) -> dict:
        n = sum(p.numel() for p in self.model.parameters())
        info = {"backend": self.name, "model": str(self.model_dir), "parameters": n}
        return {**info, "fallback_reason": self.fallback_reason} if self.fallback_reason else info

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    # -- TokenScoring, by the scorer ---------------------------------------------------------------

    def token_substitutions(self, *args, **kwargs):
        return self.scorer.token_substitutions(*args, **kwargs)

    def token_edits(self, *args, **kwargs):
        return self.scorer.token_edits(*args, **kwargs)

    def likelihood(self, prefix: str, suffix: str, texts: list[str]) -> list[float]:
        return self.scorer.likelihood(prefix, suffix, texts)

    # -- context -----------------------------------------------------------------------------------

    def encode_text(self, prefix: str, suffix: str) -> list[int]:
        # Clip characters first so a 5 MB document costs no more than its budget.
        p = self._prefix_ids(prefix[-self.prefix_tokens * 8:]) if self.prefix_tokens else []
        s = self.tokenizer(suffix[: self.suffix_tokens * 8], add_special_tokens=False)["input_ids"]
        return context_ids(p, s[: self.suffix_tokens], self.special)

    def _prefix_ids(self, text: str) -> list[int]:
        """At most ``prefix_tokens`` tokens of the prefix's end, starting on a line.

        Starting on a line (not at a fixed token count from the cursor) keeps the head of the
        context the same while the user types within a line, so ``encode_cached`` can reuse
        it; the model also sees whole lines rather than a cut token.
        """
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids, offsets = enc["input_ids"], enc["offset_mapping"]
        first = len(ids) - self.prefix_tokens
        if first <= 0:
            return ids
        for j in range(first, len(ids)):
            start = offsets[j][0]
            if text[start] == "\n" or text[start - 1] == "\n":
                return ids[j:]
        return ids[first:]                       # one huge line: its last tokens

    def encode_cached(self, ctx: list[int]):
        """Encode context ids, reusing the previous request's keys and values for the head
        the two contexts share: the encoder is causal, so position i's keys and values depend
        on tokens 0..i only. Typing near the cursor changes the tail of the prefix (and what
        follows it: the suffix), not the head, so only the tail is encoded again.

        Returns (batch-1 cache, tokens reused).
        """
        with self._context_lock:
            last = self._last_context
        shared = 0
        if last is not None:
            old_ids, old_cache = last
            limit = min(len(old_ids), len(ctx))
            while shared < limit and old_ids[shared] == ctx[shared]:
                shared += 1
        if last is not None and shared == len(ctx):
            return (last[1] if shared == len(last[0]) else last[1].truncate(shared)), shared
        if shared >= MIN_REUSE_TOKENS:
            head = last[1].truncate(shared)
            cache = self.model.encode_context(torch.tensor([ctx[shared:]]), cache=head)
        else:
            shared = 0
            cache = self.model.encode_context(torch.tensor([ctx]))
        with self._context_lock:
            self._last_context = (list(ctx), cache)
        return cache, shared

    # -- infill ------------------------------------------------------------------------------------

    @torch.inference_mode()
    def infill(self, request: InfillRequest) -> InfillResult:
        if request.candidates < 1 or request.canvas_length < 1:
            raise BackendError("candidates and canvas length must be at least 1")
        t0 = time.perf_counter()
        gen = torch.Generator().manual_seed(request.seed)
        ctx = self.encode_text(request.prefix, request.suffix)
        model = Cancellable(self.model, request.cancelled) if request.cancelled else self.model
        cache, reused = self.encode_cached(ctx)
        cache = cache.expand(len(request.seeds) if request.seeds else request.candidates)
        if request.seeds:
            return self._seeded(request, model, cache, gen, len(ctx), t0, reused)
        if request.init_text is not None:
            return self._rewrite(request, model, cache, gen, len(ctx), t0, reused)
        blocks = fill_blocks(model, cache, lambda c, tokens: self.model.encode_context(tokens, cache=c),
                             self.sampler_special, request.sampler, request, self.tokenizer.decode, gen)
        candidates = [Candidate(self.tokenizer.decode(p), float(blocks.logprob[i]) / max(1, len(p)), len(p))
                      for i, p in enumerate(blocks.pieces)]
        return InfillResult(candidates, blocks.forward_passes, (time.perf_counter() - t0) * 1000, len(ctx), reused)

    def _rewrite(self, request: InfillRequest, model, cache, gen: torch.Generator, context_tokens: int,
                 t0: float, reused: int = 0) -> InfillResult:
        """One block whose canvas is ``init_text``'s tokens, some re-masked (``engine.rewrite``)."""
        cands, passes = rewrite.rewrite(model, cache, self.tokenizer, self.sampler_special, request, gen,
                                        self.tokenizer.decode)
        return InfillResult(cands, passes, (time.perf_counter() - t0) * 1000, context_tokens, reused)

    def _seeded(self, request: InfillRequest, model, cache, gen: torch.Generator, context_tokens: int,
                t0: float, reused: int = 0) -> InfillResult:
        """One batch, one row per seed (``engine.rewrite.seeded``)."""
        cands, passes = rewrite.seeded(model, cache, self.tokenizer, self.sampler_special, request, gen,
                                       self.tokenizer.decode)
        return InfillResult(cands, passes, (time.perf_counter() - t0) * 1000, context_tokens, reused)
