"""Tiny checkpoints in each diffusion family's published layout, and reference forwards.

Each writer lays a folder out as the family publishes it: ``config.json`` with the published
field names, safetensors weights under the published key names (optionally sharded with a
``model.safetensors.index.json``), a ``tokenizer.json`` built with the tokenizers library whose
special tokens are the published ones, and the family's remote-code files, which write a marker
file if anything ever imports them. The reference forwards are plain torch, written from each
family's published description: RMSNorm, rotary embedding (rotate-half), bidirectional attention
with grouped key/value heads, a SwiGLU MLP, Qwen3's query/key norm. ``benchmarks/checkpoints.py``
uses the writers too.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "stats.py"
CORPUS = EXAMPLE.read_text() + "\n".join(f"def f{i}(a, b):\n    return a + b * {i}\n" for i in range(40))

MARKER = "REMOTE_CODE_RAN"
REMOTE_PY = ("from pathlib import Path\n"
             "Path({marker!r}).write_text('imported')\n"
             "raise ImportError('this tiny checkpoint ships no real modeling code')\n")


# -- tokenizer ----------------------------------------------------------------------------------

def write_tokenizer(out: Path, specials: list[str], config: dict, vocab_size: int = 320) -> dict[str, int]:
    """A byte-level BPE over a little Python with ``specials`` added as special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([CORPUS] * 4, trainer)
    tok.save(str(out / "tokenizer.json"))
    ids = {s: tok.token_to_id(s) for s in specials}
    added = {str(i): {"content": s, "lstrip": False, "rstrip": False, "normalized": False, "single_word": False,
                      "special": True} for s, i in ids.items()}
    (out / "tokenizer_config.json").write_text(json.dumps({**config, "added_tokens_decoder": added}))
    return {**ids, "vocab": tok.get_vocab_size()}


# -- weights ------------------------------------------------------------------------------------

def _tensor(shape, gen, norm=False):
    if norm:
        return 1.0 + 0.1 * torch.randn(shape, generator=gen)
    return torch.randn(shape, generator=gen) * (0.5 / math.sqrt(shape[-1]))


def write_weights(out: Path, shapes: dict[str, tuple], seed: int = 0, shards: int = 1) -> dict[str, torch.Tensor]:
    from safetensors.torch import save_file
    gen = torch.Generator().manual_seed(seed)
    weights = {k: _tensor(s, gen, norm=k.endswith(("norm.weight", "ln_f.weight"))) for k, s in shapes.items()}
    if shards == 1:
        save_file(weights, str(out / "model.safetensors"), metadata={"format": "pt"})
        return weights
    keys = sorted(weights)
    weight_map = {}
    for n in range(shards):
        name = f"model-{n + 1:05d}-of-{shards:05d}.safetensors"
        part = {k: weights[k] for k in keys[n::shards]}
        save_file(part, str(out / name), metadata={"format": "pt"})
        weight_map.update({k: name for k in part})
    (out / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    return weights


def llada_shapes(c: dict) -> dict[str, tuple]:
    d, kv = c["d_model"], c["n_kv_heads"] * (c["d_model"] // c["n_heads"])
    h, t = c["mlp_hidden_size"], "model.transformer."
    out = {t + "wte.weight": (c["embedding_size"], d), t + "ln_f.weight": (d,), t + "ff_out.weight": (c["embedding_size"], d)}
    for i in range(c["n_layers"]):
        b = f"{t}blocks.{i}."
        out.update({b + "attn_norm.weight": (d,), b + "ff_norm.weight": (d,), b + "q_proj.weight": (d, d),
                    b + "k_proj.weight": (kv, d), b + "v_proj.weight": (kv, d), b + "attn_out.weight": (d, d),
                    b + "ff_proj.weight": (h, d), b + "up_proj.weight": (h, d), b + "ff_out.weight": (d, h)})
    return out


def qwen_shapes(c: dict, qk_norm: bool = False) -> dict[str, tuple]:
    d, heads, kvh = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
    hd = c.get("head_dim") or d // heads
    out = {"model.embed_tokens.weight": (c["vocab_size"], d), "model.norm.weight": (d,)}
    if not c.get("tie_word_embeddings"):
        out["lm_head.weight"] = (c["vocab_size"], d)
    for i in range(c["num_hidden_layers"]):
        m = f"model.layers.{i}."
        out.update({m + "input_layernorm.weight": (d,), m + "post_attention_layernorm.weight": (d,),
                    m + "self_attn.q_proj.weight": (heads * hd, d), m + "self_attn.k_proj.weight": (kvh * hd, d),
                    m + "self_attn.v_proj.weight": (kvh * hd, d), m + "self_attn.o_proj.weight": (d, heads * hd),
                    m + "mlp.gate_proj.weight": (c["intermediate_size"], d),
                    m + "mlp.up_proj.weight": (c["intermediate_size"], d),
                    m + "mlp.down_proj.weight": (d, c["intermediate_size"])})
        if qk_norm:
            out.update({m + "self_attn.q_norm.weight": (hd,), m + "self_attn.k_norm.weight": (hd,)})
        elif c.get("qkv_bias", True):                 # Qwen2: biases on q, k, v (not o)
            out.update({m + "self_attn.q_proj.bias": (heads * hd,), m + "self_attn.k_proj.bias": (kvh * hd,),
                        m + "self_attn.v_proj.bias": (kvh * hd,)})
    return out


# -- the families' published layouts ------------------------------------------------------------

QWEN_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|fim_prefix|>", "<|fim_middle|>",
                 "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"]


def _remote_files(out: Path, names: list[str]) -> None:
    for name in names:
        (out / name).write_text(REMOTE_PY.format(marker=str(out / MARKER)))


def write_llada(out: Path, shards: int = 1) -> dict:
    specials = ["<|startoftext|>", "<|endoftext|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>",
                "<|mdm_mask|>"]
    ids = write_tokenizer(out, specials, {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<|startoftext|>",
                                          "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>"})
    cfg = {"architectures": ["LLaDAModelLM"], "model_type": "llada",
           "auto_map": {"AutoConfig": "configuration_llada.LLaDAConfig", "AutoModel": "modeling_llada.LLaDAModelLM",
                        "AutoModelForCausalLM": "modeling_llada.LLaDAModelLM"},
           "d_model": 32, "n_heads": 4, "n_kv_heads": 4, "n_layers": 2, "mlp_ratio": 4, "mlp_hidden_size": 48,
           "vocab_size": ids["vocab"], "embedding_size": ids["vocab"], "max_sequence_length": 256,
           "rope": True, "rope_theta": 500000.0, "alibi": False, "layer_norm_type": "rms", "rms_norm_eps": 1e-5,
           "layer_norm_with_affine": True, "bias_for_layer_norm": False, "activation_type": "silu",
           "block_type": "llama", "include_bias": False, "weight_tying": False, "attention_layer_norm": False,
           "scale_logits": False, "input_emb_norm": False, "init_device": "meta", "flash_attention": False,
           "mask_token_id": ids["<|mdm_mask|>"], "eos_token_id": ids["<|endoftext|>"],
           "pad_token_id": ids["<|endoftext|>"], "use_cache": False, "torch_dtype": "float32"}
    (out / "config.json").write_text(json.dumps(cfg))
    _remote_files(out, ["configuration_llada.py", "modeling_llada.py"])
    return {"cfg": cfg, "weights": write_weights(out, llada_shapes(cfg), shards=shards), "ids": ids}


def _qwen_cfg(ids: dict, **extra) -> dict:
    return {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
            "num_hidden_layers": 2, "vocab_size": ids["vocab"], "max_position_embeddings": 256,
            "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "hidden_act": "silu", "tie_word_embeddings": False,
            "use_sliding_window": False, "sliding_window": None, "attention_dropout": 0.0,
            "torch_dtype": "bfloat16", **extra}


def write_dream(out: Path, shards: int = 1, dreamon: bool = False) -> dict:
    specials = QWEN_SPECIALS + ["<|beginoftext|>", "<|mask|>"] + (["<|expand|>", "<|delete|>"] if dreamon else [])
    ids = write_tokenizer(out, specials, {
        "tokenizer_class": "DreamTokenizer", "auto_map": {"AutoTokenizer": ["tokenization_dream.DreamTokenizer", None]},
        "bos_token": "<|beginoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
        "mask_token": "<|mask|>"})
    cfg = _qwen_cfg(ids, architectures=["DreamModel"], model_type="Dream",
                    auto_map={"AutoConfig": "configuration_dream.DreamConfig", "AutoModel": "modeling_dream.DreamModel"},
                    mask_token_id=ids["<|mask|>"], bos_token_id=ids["<|beginoftext|>"],
                    eos_token_id=ids["<|endoftext|>"], pad_token_id=ids["<|endoftext|>"])
    (out / "config.json").write_text(json.dumps(cfg))
    _remote_files(out, ["configuration_dream.py", "modeling_dream.py", "tokenization_dream.py",
                        "generation_utils.py"])
    return {"cfg": cfg, "weights": write_weights(out, qwen_shapes(cfg), shards=shards), "ids": ids}


def write_open_dcoder(out: Path) -> dict:
    ids = write_tokenizer(out, QWEN_SPECIALS + ["[MASK]"], {
        "tokenizer_class": "Qwen2Tokenizer", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
        "mask_token": "[MASK]", "bos_token": None})
    cfg = _qwen_cfg(ids, architectures=["Qwen2ForCausalLM"], model_type="qwen2", tie_word_embeddings=True,
                    bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|endoftext|>"])
    (out / "config.json").write_text(json.dumps(cfg))
    return {"cfg": cfg, "weights": write_weights(out, qwen_shapes(cfg)), "ids": ids}


def write_coda(out: Path) -> dict:
    ids = write_tokenizer(out, QWEN_SPECIALS + ["<think>", "</think>", "<|mask|>"], {
        "tokenizer_class": "Qwen2Tokenizer", "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
        "bos_token": None})
    cfg = _qwen_cfg(ids, architectures=["CoDALanguageModel"], model_type="CoDA", head_dim=16, attention_bias=False,
                    auto_map={"AutoConfig": "model_config.CoDAConfig", "AutoModel": "modeling_coda.CoDALanguageModel"},
                    mask_token_id=ids["<|mask|>"], eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"])
    (out / "config.json").write_text(json.dumps(cfg))
    _remote_files(out, ["model_config.py", "modeling_coda.py"])
    return {"cfg": cfg, "weights": write_weights(out, qwen_shapes(cfg, qk_norm=True)), "ids": ids}


WRITERS = {"llada": write_llada, "dream": write_dream, "dreamon": lambda out: write_dream(out, dreamon=True),
           "open_dcoder": write_open_dcoder, "coda": write_coda}


# -- reference forwards (plain torch) -----------------------------------------------------------

def rms(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope(x, theta):
    """Rotary embedding as Llama/LLaDA/Qwen apply it: the two halves of each head rotated."""
    T, D = x.shape[-2], x.shape[-1]
    inv = 1.0 / theta ** (torch.arange(0, D, 2, dtype=torch.float32) / D)
    ang = torch.arange(T, dtype=torch.float32)[:, None] * inv[None]
    cos, sin = torch.cat([ang, ang], -1).cos(), torch.cat([ang, ang], -1).sin()
    x1, x2 = x[..., : D // 2], x[..., D // 2:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


def attend(q, k, v):
    """(B, H, T, D) queries over grouped keys/values, every position seeing every other."""
    rep = q.shape[1] // k.shape[1]
    k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
    w = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]), -1)
    return w @ v


def decoder(ids, w, n_layers, heads, kv_heads, head_dim, eps, theta, names, qk_norm=False):
    """A pre-norm decoder stack; ``names(i)`` gives layer i's weight names."""
    lin = lambda x, key: x @ w[key].T + (w[key[:-6] + "bias"] if key[:-6] + "bias" in w else 0)  # noqa: E731
    x = w[names("embed")][ids]
    B, T, _ = x.shape
    for i in range(n_layers):
        n = names(i)
        h = rms(x, w[n["attn_norm"]], eps)
        q = lin(h, n["q"]).view(B, T, heads, head_dim).transpose(1, 2)
        k = lin(h, n["k"]).view(B, T, kv_heads, head_dim).transpose(1, 2)
        v = lin(h, n["v"]).view(B, T, kv_heads, head_dim).transpose(1, 2)
        if qk_norm:
            q, k = rms(q, w[n["q_norm"]], eps), rms(k, w[n["k_norm"]], eps)
        q, k = rope(q, theta), rope(k, theta)
        x = x + lin(attend(q, k, v).transpose(1, 2).reshape(B, T, heads * head_dim), n["o"])
        h = rms(x, w[n["ff_norm"]], eps)
        x = x + lin(torch.nn.functional.silu(lin(h, n["gate"])) * lin(h, n["up"]), n["down"])
    x = rms(x, w[names("norm")], eps)
    return x @ w[names("head")].T


def reference_logits(family: str, made: dict, ids: torch.Tensor) -> torch.Tensor:
    """Logits at each position, unshifted (the adapter applies a family's shift)."""
    c, w = made["cfg"], made["weights"]
    if family == "llada":
        t = "model.transformer."

        def names(i):
            if not isinstance(i, int):
                return {"embed": t + "wte.weight", "norm": t + "ln_f.weight", "head": t + "ff_out.weight"}[i]
            b = f"{t}blocks.{i}."
            return {"attn_norm": b + "attn_norm.weight", "ff_norm": b + "ff_norm.weight", "q": b + "q_proj.weight",
                    "k": b + "k_proj.weight", "v": b + "v_proj.weight", "o": b + "attn_out.weight",
                    "gate": b + "ff_proj.weight", "up": b + "up_proj.weight", "down": b + "ff_out.weight"}
        hd = c["d_model"] // c["n_heads"]
        return decoder(ids, w, c["n_layers"], c["n_heads"], c["n_kv_heads"], hd, c["rms_norm_eps"], c["rope_theta"], names)

    def qnames(i):
        if not isinstance(i, int):
            head = "model.embed_tokens.weight" if c.get("tie_word_embeddings") else "lm_head.weight"
            return {"embed": "model.embed_tokens.weight", "norm": "model.norm.weight", "head": head}[i]
        m = f"model.layers.{i}."
        return {"attn_norm": m + "input_layernorm.weight", "ff_norm": m + "post_attention_layernorm.weight",
                "q": m + "self_attn.q_proj.weight", "k": m + "self_attn.k_proj.weight",
                "v": m + "self_attn.v_proj.weight", "o": m + "self_attn.o_proj.weight",
                "q_norm": m + "self_attn.q_norm.weight", "k_norm": m + "self_attn.k_norm.weight",
                "gate": m + "mlp.gate_proj.weight", "up": m + "mlp.up_proj.weight", "down": m + "mlp.down_proj.weight"}
    hd = c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]
    return decoder(ids, w, c["num_hidden_layers"], c["num_attention_heads"], c["num_key_value_heads"], hd,
                   c["rms_norm_eps"], c["rope_theta"], qnames, qk_norm=family == "coda")
