"""The embedded canvas denoiser: a small transformer in DiffusionGemma's layout.

The context (``<|fim_prefix|> prefix <|fim_suffix|> suffix <|fim_middle|> [committed]``) is
encoded once, causally, into a per-layer key/value cache. Each denoising step then runs only
the canvas (N tokens): canvas positions attend to every cached context position and to each
other bidirectionally. Training uses exactly the same two calls, so what is trained is what
is sampled.

Registered with the transformers Auto classes under ``model_type = "infill_canvas"``, so a
folder holding ``config.json`` + ``model.safetensors`` loads with ``from_pretrained`` and no
remote code.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, PretrainedConfig, PreTrainedModel

from .layers import CanvasMixin, RMSNorm   # the layers, in plain torch


class CanvasConfig(PretrainedConfig):
    model_type = "infill_canvas"

    def __init__(
        self,
        vocab_size: int = 4096,
        hidden_size: int = 192,          # model width C
        num_layers: int = 5,
        num_heads: int = 6,              # head dim = hidden_size / num_heads
        intermediate_size: int = 512,    # SwiGLU inner width
        max_position: int = 4096,        # longest context + canvas the RoPE tables cover
        rope_theta: float = 10000.0,
        norm_eps: float = 1e-5,
        canvas_length: int = 32,         # canvas the model was trained with (a default, not a limit)
        pad_end_id: int | None = None,   # special ids come from the tokenizer at creation time
        mask_id: int | None = None,
        fim_prefix_id: int | None = None,
        fim_suffix_id: int | None = None,
        fim_middle_id: int | None = None,
        initializer_range: float = 0.02,
        languages: list[str] | None = None,   # the programming languages of the training corpus, by name
        **kwargs,
    ):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.intermediate_size = intermediate_size
        self.max_position = max_position
        self.rope_theta = rope_theta
        self.norm_eps = norm_eps
        self.canvas_length = canvas_length
        self.pad_end_id = pad_end_id
        self.mask_id = mask_id
        self.fim_prefix_id = fim_prefix_id
        self.fim_suffix_id = fim_suffix_id
        self.fim_middle_id = fim_middle_id
        self.initializer_range = initializer_range
        self.languages = languages
        kwargs.setdefault("tie_word_embeddings", False)  # output head reads embed.weight directly
        super().__init__(**kwargs)


class CanvasPreTrainedModel(PreTrainedModel):
    config_class = CanvasConfig
    base_model_prefix = "canvas"
    _no_split_modules = ["Block"]

    @torch.no_grad()
    def _init_weights(self, module):
        std = self.config.initializer_range
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=std)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=std)
        elif isinstance(module, RMSNorm):
            nn.init.ones_(module.weight)

class CanvasDenoiser(CanvasMixin, CanvasPreTrainedModel):
    """encode_context() once, then denoise() per step; forward() = both, for training
    (the methods are ``layers.CanvasMixin``'s, shared with the inference module ``CanvasNet``)."""

    def __init__(self, config: CanvasConfig):
        super().__init__(config)
        self._build(config)
        self.post_init()


AutoConfig.register(CanvasConfig.model_type, CanvasConfig)
AutoModel.register(CanvasConfig, CanvasDenoiser)
