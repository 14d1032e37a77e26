"""Per-family canvas adapters: a transformers model + its prompt layout behind one interface.

The samplers in ``engine.sampling`` touch a model only through ``denoise(canvas, cache)``.
An adapter gives a foreign model that method, plus the two calls the block loop needs:

    start(prefix, suffix, k) -> cache     tokenize, lay out, encode (shared by k candidates)
    denoise(canvas, cache)   -> logits    (K, N, V) float on the CPU, one column per end token
    extend(cache, tokens)    -> cache     a finished block becomes context for the next one

- ``GemmaAdapter`` (DiffusionGemma, uniform-state): the prompt (the model's FIM layout) is
  encoded once into a KV cache; canvas positions the sampler has not committed yet (the
  placeholder id) are renoised with random tokens before every pass, as DiffusionGemma's own
  sampler does, and the previous pass's logits feed self-conditioning.
- ``MaskedAdapter`` (LLaDA, Dream, DiffuCoder, DreamOn, any masked LM): no KV-cache split,
  so the "cache" holds the prefix and suffix ids and every pass runs the whole
  ``prefix [MASK]*n suffix`` sequence bidirectionally. Dream-style models predict token i at
  position i-1 (``shift``).

Both fold every end-of-text id into one ``pad_end`` column (logsumexp), so the sampler's rule
"the first pad_end ends the middle" covers models with several end tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ..sampling import SpecialTokens
from .fim_templates import FimTemplate


def merge_ends(logits: torch.Tensor, pad_end: int, ends: list[int]) -> torch.Tensor:
    """Fold the probability of every end id into ``pad_end``; the others can no longer be drawn."""
    others = [e for e in ends if e != pad_end]
    if not others:
        return logits
    idx = [pad_end, *others]
    logits[..., pad_end] = torch.logsumexp(logits[..., idx], dim=-1)
    logits[..., others] = float("-inf")
    return logits


def special_tokens_for(tokenizer, mask: int, ends: list[int], vocab_size: int) -> SpecialTokens:
    """Sampler vocabulary facts: never draw a special token other than the end of the middle."""
    pad_end = ends[0]
    specials = set(tokenizer.all_special_ids) | {mask}
    forbidden = sorted(i for i in specials if i not in ends and 0 <= i < vocab_size)
    n = min(vocab_size, len(tokenizer))
    texts = tokenizer.batch_decode([[i] for i in range(n)])
    blank = [i for i, t in enumerate(texts) if not t.strip() and i not in specials]
    return SpecialTokens(mask=mask, pad_end=pad_end, forbidden=forbidden, blank=blank)


def trimmed_ids(tokenizer, prefix: str, suffix: str, prefix_tokens: int, suffix_tokens: int):
    """Prefix tail and suffix head within their budgets (characters clipped first)."""
    p = tokenizer(prefix[-prefix_tokens * 8:], add_special_tokens=False)["input_ids"] if prefix_tokens else []
    s = tokenizer(suffix[: suffix_tokens * 8], add_special_tokens=False)["input_ids"]
    return p[-prefix_tokens:] if prefix_tokens else [], s[:suffix_tokens]


def template_ids(tokenizer, template: FimTemplate, p: list[int], s: list[int]) -> list[int]:
    """Token ids of a FIM template, with marker text tokenized and the pieces spliced in."""
    out: list[int] = []
    rest = template.pattern
    while rest:
        i_p, i_s = rest.find("{prefix}"), rest.find("{suffix}")
        cands = [(i, k) for i, k in ((i_p, p), (i_s, s)) if i != -1]
        if not cands:
            out += tokenizer(rest, add_special_tokens=False)["input_ids"]
            break
        i, piece = min(cands, key=lambda c: c[0])
        if i:
            out += tokenizer(rest[:i], add_special_tokens=False)["input_ids"]
        out += piece
        rest = rest[i + len("{prefix}"):]
    return out


# ---------------------------------------------------------------------------------------------

@dataclass
class GemmaCache:
    kv: object                          # transformers DynamicCache, batch K
    length: int                         # tokens cached (= position of the first canvas token)
    gen: torch.Generator                # renoising randomness, seeded per request
    prev_logits: torch.Tensor | None = None   # self-conditioning input of the next pass


class GemmaAdapter:
    """DiffusionGemma: causal encoder pass over the prompt, bidirectional canvas over its cache."""

    def __init__(self, model, tokenizer, special: SpecialTokens, ends: list[int], layout,
                 prefix_tokens: int, suffix_tokens: int):
        self.model, self.tokenizer, self.special, self.ends = model, tokenizer, special, ends
        # The canvas length the model was trained on (256 in Google's release): every block is
        # one canvas of this length, whatever the request's gap kind asked for.
        self.canvas_length = int(getattr(model.config, "canvas_length", 0) or 0) or None
        self.layout = layout                 # (prefix, suffix, prefix_tokens, suffix_tokens, language, path) -> ids
        self.prefix_tokens, self.suffix_tokens = prefix_tokens, suffix_tokens
        self.vocab_size = model.config.text_config.vocab_size
        self.device = next(model.parameters()).device

    def _encode(self, ids: torch.Tensor, kv, start: int):
        from transformers import DynamicCache
        kv = kv if kv is not None else DynamicCache(config=self.model.config.text_config)
        B, T = ids.shape
        mask = torch.ones(B, start + T, dtype=torch.bool, device=self.device)
        pos = torch.arange(start, start + T, device=self.device)[None].expand(B, -1)
        self.model.model.encoder(input_ids=ids.to(self.device), attention_mask=mask, position_ids=pos, cache=kv)
        return kv

    def start(self, prefix: str, suffix: str, k: int, seed: int, language: str | None = None,
              path: str | None = None) -> GemmaCache:
        ids = self.layout(prefix, suffix, self.prefix_tokens, self.suffix_tokens, language, path)
        kv = self._encode(torch.tensor([ids]), None, 0)
        if k > 1:
            kv.batch_repeat_interleave(k)
        return GemmaCache(kv, len(ids), torch.Generator().manual_seed(seed))

    def extend(self, cache: GemmaCache, tokens: torch.Tensor) -> GemmaCache:
        kv = self._encode(tokens, cache.kv, cache.length)
        return GemmaCache(kv, cache.length + tokens.shape[1], cache.gen)

    def denoise(self, canvas: torch.Tensor, cache: GemmaCache) -> torch.Tensor:
        B, N = canvas.shape
        noise = torch.randint(0, self.vocab_size, canvas.shape, generator=cache.gen)
        x = torch.where(canvas == self.special.mask, noise, canvas).to(self.device)
        pos = torch.arange(cache.length, cache.length + N, device=self.device)[None].expand(B, -1)
        mask = torch.ones(B, cache.length + N, dtype=torch.bool, device=self.device)
        previous = cache.prev_logits
        if previous is not None and previous.shape[1] != N:
            # The sampler trims committed pads off the canvas's end (``trim_pads``) after the
            # first pass: the self-conditioning input covers the positions still on the canvas.
            previous = previous[:, :N] if previous.shape[1] > N else None
        out = self.model(decoder_input_ids=x, cache=cache.kv, decoder_attention_mask=mask,
                         decoder_position_ids=pos, self_conditioning_logits=previous)
        cache.prev_logits = out.logits
        return merge_ends(out.logits.float().cpu(), self.special.pad_end, self.ends)

    def context_tokens(self, cache: GemmaCache) -> int:
        return cache.length


# ---------------------------------------------------------------------------------------------

@dataclass
class SequenceCache:
    prefix: torch.Tensor                # (K, P) ids before the canvas (grows block by block)
    suffix: torch.Tensor                # (K, S) ids after the canvas
    extra: dict = field(default_factory=dict)


class MaskedAdapter:
    """``prefix [MASK]*n suffix`` with a full bidirectional forward per pass (LLaDA's layout)."""

    def __init__(self, model, tokenizer, special: SpecialTokens, ends: list[int], *, shift: bool,
                 bos: int | None, prefix_tokens: int, suffix_tokens: int, max_positions: int):
        self.model, self.tokenizer, self.special, self.ends = model, tokenizer, special, ends
        self.shift, self.bos = shift, bos
        self.prefix_tokens, self.suffix_tokens = prefix_tokens, suffix_tokens
        self.max_positions = max_positions
        self.canvas_length = None            # any canvas length: the masks are laid out per request
        self.device = next(model.parameters()).device

    def start(self, prefix: str, suffix: str, k: int, seed: int, language: str | None = None,
              path: str | None = None) -> SequenceCache:   # prefix [MASK]*n suffix: no place for a path
        p, s = trimmed_ids(self.tokenizer, prefix, suffix, self.prefix_tokens, self.suffix_tokens)
        if self.bos is not None:
            p = [self.bos, *p]
        return SequenceCache(torch.tensor([p], dtype=torch.long).expand(k, -1),
                             torch.tensor([s], dtype=torch.long).expand(k, -1))

    def extend(self, cache: SequenceCache, tokens: torch.Tensor) -> SequenceCache:
        return SequenceCache(torch.cat([cache.prefix, tokens], dim=1), cache.suffix)

    def denoise(self, canvas: torch.Tensor, cache: SequenceCache) -> torch.Tensor:
        B, N = canvas.shape
        prefix = cache.prefix
        room = self.max_positions - N - cache.suffix.shape[1]
        if prefix.shape[1] > room:          # keep the most recent context (and the bos) in range
            head = prefix[:, :1] if self.bos is not None else prefix[:, :0]
            prefix = torch.cat([head, prefix[:, prefix.shape[1] - room + head.shape[1]:]], dim=1)
        x = torch.cat([prefix, canvas, cache.suffix], dim=1).to(self.device)
        logits = self.model(input_ids=x).logits
        if self.shift:                      # Dream: position i predicts token i+1
            logits = torch.cat([logits[:, :1], logits[:, :-1]], dim=1)
        P = prefix.shape[1]
        return merge_ends(logits[:, P:P + N].float().cpu(), self.special.pad_end, self.ends)

    def context_tokens(self, cache: SequenceCache) -> int:
        return cache.prefix.shape[1] + cache.suffix.shape[1]
