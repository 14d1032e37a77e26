"""A tiny text-only transformers ``DiffusionGemmaForBlockDiffusion``, behind our canvas interface.

DiffusionGemma has the same shape as our ``CanvasDenoiser``: a causal encoder writes the
context (prompt) into a key/value cache, and a decoder that shares every layer weight with the
encoder runs the canvas bidirectionally over that cache. ``tiny_text_config`` builds a config
of our size, ``text_only_model`` builds the model without its vision tower, and
``GemmaCanvasAdapter`` exposes it through ``encode_context`` / ``denoise`` / ``forward`` with
our left-padded context layout, so the training loss and the samplers can drive either model.

Native differences kept as they are: Gemma's layer layout (sliding + full attention, q/k/v
norms, a dense MLP plus a mixture-of-experts branch in every layer, 30.0 logit soft-capping)
and the self-conditioning input of the decoder (zero when no previous logits are given).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from transformers import (
    DiffusionGemmaConfig,
    DiffusionGemmaForBlockDiffusion,
    DiffusionGemmaTextConfig,
    DynamicCache,
)
from transformers.models.gemma4.configuration_gemma4 import Gemma4VisionConfig

SPECIAL_ID_NAMES = ("pad_end_id", "mask_id", "fim_prefix_id", "fim_suffix_id", "fim_middle_id")

# The smallest valid Gemma 4 vision config: DiffusionGemmaConfig cannot go without one (see
# tiny_text_config), and text_only_model deletes the tower it builds anyway.
_PLACEHOLDER_VISION = dict(hidden_size=8, intermediate_size=8, num_hidden_layers=1, num_attention_heads=1,
                           num_key_value_heads=1, head_dim=8, position_embedding_size=16, patch_size=2)


def tiny_text_config(vocab_size: int, hidden_size: int, num_layers: int, num_heads: int,
                     intermediate_size: int, *, canvas_length: int = 32, max_position: int = 4096,
                     sliding_window: int = 1024, **special_ids: int | None) -> DiffusionGemmaConfig:
    """A small DiffusionGemma config for text only; special ids as in ``CanvasConfig``.

    What makes it text-only and small:

    - ``vision_config``: ``DiffusionGemmaConfig`` declares it required (unlike ``Gemma4Config``,
      where it is optional), so ``None`` silently becomes the default 167M-parameter tower and
      no config field removes it. It is set to the smallest valid ``Gemma4VisionConfig``
      (~2.4k parameters); ``text_only_model`` then deletes ``vision_tower`` and
      ``embed_vision``, which a forward without ``pixel_values`` never reaches.
      ``image_token_id`` / ``boi_token_id`` / ``eoi_token_id`` keep their defaults, which lie
      outside a small vocabulary and so never match a text token.
    - MoE: every DiffusionGemma layer runs a dense MLP *and* a routed expert branch (the router
      is always built; ``num_experts=None`` fails). ``num_experts=1, top_k_experts=1`` makes the
      branch a second dense SwiGLU; ``intermediate_size`` is split evenly between the two, so
      the per-layer feed-forward cost equals one SwiGLU of width ``intermediate_size``.
    - Attention: ``num_key_value_heads = num_heads`` (no grouped-query attention, as ours), and
      ``head_dim = global_head_dim = hidden_size // num_heads`` (the default global head dim is
      512). Layers follow Gemma's 5:1 sliding/full pattern, the last one full;
      ``sliding_window`` is wider than any context we encode, so every layer sees it all.
    - ``pad_token_id=None``: Gemma makes the pad id the embedding's ``padding_idx`` (a frozen
      zero row, and a frozen logit through the tied head); our ``<|pad_end|>`` is a target the
      model must predict, so it must not be that. ``eos_token_id`` is ``<|pad_end|>``.
    """
    unknown = set(special_ids) - set(SPECIAL_ID_NAMES)
    if unknown:
        raise TypeError(f"unknown special ids {sorted(unknown)}; expected some of {SPECIAL_ID_NAMES}")
    if hidden_size % num_heads or intermediate_size % 2:
        raise ValueError("hidden_size must divide by num_heads and intermediate_size by 2")
    head_dim = hidden_size // num_heads
    # Gemma's 5:1 sliding/full pattern, with the last layer full (the config insists on it).
    layer_types = ["sliding_attention" if (i + 1) % 6 and i < num_layers - 1 else "full_attention"
                   for i in range(num_layers)]
    text = DiffusionGemmaTextConfig(
        vocab_size=vocab_size, hidden_size=hidden_size, num_hidden_layers=num_layers,
        num_attention_heads=num_heads, num_key_value_heads=num_heads, head_dim=head_dim,
        global_head_dim=head_dim, intermediate_size=intermediate_size // 2,
        num_experts=1, top_k_experts=1, moe_intermediate_size=intermediate_size // 2,
        layer_types=layer_types, sliding_window=sliding_window, max_position_embeddings=max_position,
        pad_token_id=None, bos_token_id=None, eos_token_id=special_ids.get("pad_end_id"),
    )
    config = DiffusionGemmaConfig(text_config=text, vision_config=Gemma4VisionConfig(**_PLACEHOLDER_VISION),
                                  canvas_length=canvas_length)
    for name in SPECIAL_ID_NAMES:  # kept on the config so a saved folder carries them
        setattr(config, name, special_ids.get(name))
    return config


def text_only_model(config: DiffusionGemmaConfig) -> DiffusionGemmaForBlockDiffusion:
    """Build the model and drop the placeholder vision tower and its projection."""
    model = DiffusionGemmaForBlockDiffusion(config)
    model.model.encoder.vision_tower = None
    model.model.encoder.embed_vision = None
    return model


@dataclass
class GemmaContextCache:
    """An encoded context: the encoder's ``DynamicCache`` (read-only for the decoder) and its
    validity (B, T), False at left padding; lengths (B,) = position of the first canvas token."""

    kv: DynamicCache
    valid: torch.Tensor
    lengths: torch.Tensor


class GemmaCanvasAdapter(nn.Module):
    """``encode_context`` / ``denoise`` / ``forward`` over a DiffusionGemma, as ``CanvasDenoiser``.

    Calls the model the way its ``generate`` does: ``model.model.encoder`` fills a fresh
    ``DynamicCache`` from the prompt, then each denoising step is ``model(decoder_input_ids=...,
    cache=..., decoder_attention_mask=..., decoder_position_ids=...)``.
    """

    def __init__(self, model: DiffusionGemmaForBlockDiffusion):
        super().__init__()
        self.model = model
        self.config = model.config.text_config           # .vocab_size, as the loss reads it

    def encode_context(self, ids: torch.Tensor, valid: torch.Tensor | None = None) -> GemmaContextCache:
        valid = torch.ones_like(ids, dtype=torch.bool) if valid is None else valid
        positions = (valid.long().cumsum(1) - 1).clamp(min=0)               # (B, T), pads share 0
        kv = DynamicCache(config=self.config)
        self.model.model.encoder(input_ids=ids, attention_mask=valid, position_ids=positions, cache=kv)
        return GemmaContextCache(kv, valid, valid.long().sum(1))

    def denoise(self, canvas: torch.Tensor, cache: GemmaContextCache,
                self_conditioning_logits: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (B, N, V) for a canvas (B, N); the cache is not modified."""
        B, N = canvas.shape
        positions = cache.lengths[:, None] + torch.arange(N, device=canvas.device)[None]   # (B, N)
        mask = torch.cat([cache.valid, torch.ones(B, N, dtype=torch.bool, device=canvas.device)], dim=1)
        out = self.model(decoder_input_ids=canvas, cache=cache.kv, decoder_attention_mask=mask,
                         decoder_position_ids=positions, self_conditioning_logits=self_conditioning_logits)
        return out.logits

    def forward(self, context_ids: torch.Tensor, canvas_ids: torch.Tensor,
                context_valid: torch.Tensor | None = None) -> torch.Tensor:
        return self.denoise(canvas_ids, self.encode_context(context_ids, context_valid))
