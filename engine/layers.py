"""The canvas denoiser's layers and its inference module, in plain torch.

Everything a forward pass needs (the context cache, RMSNorm, rotary embeddings, attention,
the block, and ``CanvasMixin``: encode_context / denoise / lm_logits) lives here without
transformers, so the embedded backend loads the shipped weights into ``CanvasNet`` straight
from ``model.safetensors`` (memory-mapped) without importing transformers' model classes
(about 2 s of CPU on a cold start). ``engine.modeling.CanvasDenoiser`` is the same module
for training and ``from_pretrained``: the same parameter names, the same methods.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class ContextCache:
    """Per-layer keys and values of an encoded context.

    keys/values: list over layers of (B, H, T, D) tensors, RoPE already applied to keys.
    valid: (B, T) bool, False at left padding. lengths: (B,) number of real context tokens,
    which is also the position of the first canvas token.
    """

    keys: list[torch.Tensor]
    values: list[torch.Tensor]
    valid: torch.Tensor
    lengths: torch.Tensor
    one_of_shared: bool = False     # ``first_row`` of a shared cache: read the way the shared rows are

    def expand(self, n: int) -> "ContextCache":
        """Repeat a batch-1 cache n times (candidates share one encoded context)."""
        assert self.valid.shape[0] == 1
        return ContextCache([k.expand(n, -1, -1, -1) for k in self.keys],
                            [v.expand(n, -1, -1, -1) for v in self.values],
                            self.valid.expand(n, -1), self.lengths.expand(n))

    def truncate(self, n: int) -> "ContextCache":
        """The cache of a batch-1 context's first n tokens (no left padding): the keys and
        values of a causal encoder's first n positions depend on those tokens only."""
        assert self.valid.shape[0] == 1 and bool(self.valid.all())
        return ContextCache([k[:, :, :n] for k in self.keys], [v[:, :, :n] for v in self.values],
                            self.valid[:, :n], torch.full_like(self.lengths, n))

    def first_row(self) -> "ContextCache":
        """Row 0 alone, a batch-1 cache (of a ``shared`` cache: the one context every row holds,
        still ``shared``, so a row forwarded over it gets the logits it gets among the others)."""
        return ContextCache([k[:1] for k in self.keys], [v[:1] for v in self.values],
                            self.valid[:1], self.lengths[:1], one_of_shared=self.shared)

    @property
    def size(self) -> int:
        return self.valid.shape[1]

    @property
    def shared(self) -> bool:
        """Every row holds the same context (an ``expand``ed batch-1 cache): attention can read
        one copy instead of concatenating it to each row's canvas (``shared_context_attention``)."""
        return self.one_of_shared or (self.valid.shape[0] > 1 and self.keys[0].stride(0) == 0)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)


def rope_tables(positions: torch.Tensor, head_dim: int, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin tables (B, 1, T, D) for integer positions (B, T)."""
    inv = 1.0 / theta ** (torch.arange(0, head_dim, 2, device=positions.device).float() / head_dim)
    ang = positions.float()[..., None] * inv                      # (B, T, D/2)
    ang = torch.cat([ang, ang], dim=-1)[:, None]                  # (B, 1, T, D)
    return ang.cos(), ang.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rotated * sin


def shared_context_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, ctx_k: torch.Tensor,
                             ctx_v: torch.Tensor, ctx_valid: torch.Tensor) -> torch.Tensor:
    """Softmax attention of canvas queries over [context, canvas] where every row shares one
    context: q, k, v (B, H, T, D) of the canvas, ctx_k / ctx_v (H, S, D), ctx_valid (S,).

    The same numbers as ``scaled_dot_product_attention`` over the concatenated keys, without
    copying the context's keys and values into each of the B rows (scoring batches hold a row
    per masked token: 60 rows of a 270-token context is 60 copies per layer and pass). The
    context part is one matmul of every row's queries at once; the two parts are joined by
    their softmax's common maximum."""
    B, H, T, D = q.shape
    scale = D ** -0.5
    rows = q.transpose(0, 1).reshape(H, B * T, D)                                # (H, B*T, D)
    s_ctx = torch.matmul(rows, ctx_k.transpose(1, 2)).mul_(scale)                # (H, B*T, S)
    s_ctx.masked_fill_(~ctx_valid, float("-inf"))
    s_can = torch.matmul(q, k.transpose(2, 3)).mul_(scale)                       # (B, H, T, T)
    m_ctx = s_ctx.amax(-1).view(H, B, T).transpose(0, 1)                         # (B, H, T)
    top = torch.maximum(m_ctx, s_can.amax(-1))                                   # (B, H, T)
    e_ctx = s_ctx.sub_(top.transpose(0, 1).reshape(H, B * T, 1)).exp_()          # (H, B*T, S)
    e_can = s_can.sub_(top[..., None]).exp_()                                    # (B, H, T, T)
    den = e_ctx.sum(-1).view(H, B, T).transpose(0, 1) + e_can.sum(-1)            # (B, H, T)
    num = torch.matmul(e_ctx, ctx_v).view(H, B, T, D).transpose(0, 1) + torch.matmul(e_can, v)
    return num / den[..., None]


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.h = cfg.num_heads
        self.d = cfg.hidden_size // cfg.num_heads
        self.qkv = nn.Linear(cfg.hidden_size, 3 * cfg.hidden_size, bias=False)
        self.out = nn.Linear(cfg.hidden_size, cfg.hidden_size, bias=False)

    def forward(self, x, cos, sin, mask, past_k=None, past_v=None, shared=False):
        B, T, C = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.h, self.d).permute(2, 0, 3, 1, 4)  # 3 x (B, H, T, D)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if shared:       # past_k / past_v (H, S, D) of one context every row reads; mask (S,) its valid
            y = shared_context_attention(q, k, v, past_k, past_v, mask)
            return self.out(y.transpose(1, 2).reshape(B, T, C)), k, v
        if past_k is not None:
            k_all, v_all = torch.cat([past_k, k], dim=2), torch.cat([past_v, v], dim=2)
        else:
            k_all, v_all = k, v
        # mask None: plain causal self-attention (an unpadded context), SDPA's fast path.
        y = F.scaled_dot_product_attention(q, k_all, v_all, attn_mask=mask, is_causal=mask is None)
        return self.out(y.transpose(1, 2).reshape(B, T, C)), k, v


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.norm1 = RMSNorm(cfg.hidden_size, cfg.norm_eps)
        self.attn = Attention(cfg)
        self.norm2 = RMSNorm(cfg.hidden_size, cfg.norm_eps)
        self.gate_up = nn.Linear(cfg.hidden_size, 2 * cfg.intermediate_size, bias=False)
        self.down = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)

    def forward(self, x, cos, sin, mask, past_k=None, past_v=None, shared=False):
        a, k, v = self.attn(self.norm1(x), cos, sin, mask, past_k, past_v, shared)
        x = x + a
        gate, up = self.gate_up(self.norm2(x)).chunk(2, dim=-1)
        return x + self.down(F.silu(gate) * up), k, v


class CanvasMixin:
    """encode_context() once, then denoise() per step; forward() = both, for training. Reads
    ``self.config`` (hidden_size, num_heads, num_layers, intermediate_size, vocab_size,
    rope_theta, norm_eps)."""

    def _build(self, config) -> None:
        self.embed = nn.Embedding(config.vocab_size, config.hidden_size)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.num_layers))
        self.norm = RMSNorm(config.hidden_size, config.norm_eps)

    def _rope(self, positions):
        return rope_tables(positions, self.config.hidden_size // self.config.num_heads, self.config.rope_theta)

    def encode_context(self, ids: torch.Tensor, valid: torch.Tensor | None = None,
                       cache: ContextCache | None = None, return_hidden: bool = False):
        """Causally encode context ids (B, T), left-padded where valid is False.

        With ``cache``, the ids are appended to an existing context (block continuation):
        they attend causally to themselves and to everything already cached. With
        ``return_hidden`` the last layer's hidden states (B, T, H) come back too (training
        reads next-token logits from them: ``lm_logits``).
        """
        B, T = ids.shape
        valid = torch.ones_like(ids, dtype=torch.bool) if valid is None else valid
        start = cache.lengths if cache is not None else torch.zeros(B, dtype=torch.long, device=ids.device)
        positions = start[:, None] + (valid.long().cumsum(1) - 1).clamp(min=0)     # (B, T)
        cos, sin = self._rope(positions)
        causal = torch.ones(T, T, dtype=torch.bool, device=ids.device).tril()
        mask = causal[None] & valid[:, None, :]                                    # (B, T, T)
        mask = mask | torch.eye(T, dtype=torch.bool, device=ids.device)[None]      # pad rows see self
        if cache is not None:
            mask = torch.cat([cache.valid[:, None, :].expand(B, T, -1), mask], dim=2)
        mask = mask[:, None]                                                       # (B, 1, T, S)
        if cache is None and bool(valid.all()):
            mask = None                                                            # causal fast path
        x = self.embed(ids)
        keys, values = [], []
        for i, blk in enumerate(self.blocks):
            pk = cache.keys[i] if cache is not None else None
            pv = cache.values[i] if cache is not None else None
            x, k, v = blk(x, cos, sin, mask, pk, pv)
            keys.append(k if pk is None else torch.cat([pk, k], dim=2))
            values.append(v if pv is None else torch.cat([pv, v], dim=2))
        all_valid = valid if cache is None else torch.cat([cache.valid, valid], dim=1)
        out = ContextCache(keys, values, all_valid, start + valid.long().sum(1))
        return (out, x) if return_hidden else out

    def lm_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """Logits from hidden states, with the same norm and tied head as the canvas."""
        return F.linear(self.norm(hidden), self.embed.weight)

    def denoise(self, canvas: torch.Tensor, cache: ContextCache,
                at: torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        """Logits (B, N, V) for a canvas (B, N) reading the context cache; nothing is cached.
        With ``at`` (B,), only row b's position ``at[b]``: logits (B, V); with ``at`` a pair
        (rows (P,), positions (P,)), only those P places: logits (P, V)."""
        B, N = canvas.shape
        positions = cache.lengths[:, None] + torch.arange(N, device=canvas.device)[None]
        cos, sin = self._rope(positions)
        x = self.embed(canvas)
        if cache.shared:                 # one context for every row: read once, not copied B times
            for i, blk in enumerate(self.blocks):
                x, _, _ = blk(x, cos, sin, cache.valid[0], cache.keys[i][0], cache.values[i][0], shared=True)
        else:
            mask = torch.cat([cache.valid, torch.ones(B, N, dtype=torch.bool, device=canvas.device)], dim=1)
            mask = mask[:, None, None, :]                                          # (B, 1, 1, S+N)
            for i, blk in enumerate(self.blocks):
                x, _, _ = blk(x, cos, sin, mask, cache.keys[i], cache.values[i])
        if isinstance(at, tuple):
            x = x[at]
        elif at is not None:
            x = x[torch.arange(B, device=canvas.device), at]
        return self.lm_logits(x)

    def forward(self, context_ids: torch.Tensor, canvas_ids: torch.Tensor,
                context_valid: torch.Tensor | None = None) -> torch.Tensor:
        return self.denoise(canvas_ids, self.encode_context(context_ids, context_valid))


# The fields of config.json the module is built from (CanvasConfig writes them all).
NET_FIELDS = ("vocab_size", "hidden_size", "num_layers", "num_heads", "intermediate_size", "rope_theta", "norm_eps")


class CanvasNet(CanvasMixin, nn.Module):
    """The canvas denoiser for inference: ``CanvasDenoiser`` without transformers."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self._build(config)

    @classmethod
    def from_folder(cls, folder: str | Path, dtype: torch.dtype = torch.float32) -> "CanvasNet":
        """Build from ``config.json`` and load ``model.safetensors`` (memory-mapped; every key
        must match, in name and shape). Raises ValueError / OSError naming what is wrong."""
        from safetensors.torch import load_file

        folder = Path(folder)
        config = SimpleNamespace(**json.loads((folder / "config.json").read_text()))
        missing = [f for f in NET_FIELDS if not hasattr(config, f)]
        if missing:
            raise ValueError(f"config.json lacks {', '.join(missing)}")
        # Built on the CPU (about 30 ms of random init, then replaced): under torch.device("meta")
        # the init runs through torch's reference ops, whose import of torch._dynamo took 0.9 s
        # of every new process.
        net = cls(config)
        weights = load_file(folder / "model.safetensors")
        own = dict(net.state_dict())
        unknown, absent = sorted(set(weights) - set(own)), sorted(set(own) - set(weights))
        if unknown or absent:
            raise ValueError(f"model.safetensors does not match config.json: "
                             f"{'missing ' + ', '.join(absent[:3]) if absent else ''}"
                             f"{'; unexpected ' + ', '.join(unknown[:3]) if unknown else ''}")
        for name, tensor in weights.items():
            if tuple(tensor.shape) != tuple(own[name].shape):
                raise ValueError(f"weight {name} has shape {tuple(tensor.shape)}, the config gives "
                                 f"{tuple(own[name].shape)}")
        net.load_state_dict({k: v.to(dtype) for k, v in weights.items()}, assign=True)
        return net.eval()
