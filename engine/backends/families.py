"""The masked-diffusion coders, recognised by architecture: no remote code is needed to run them.

Each published family is a standard decoder stack run with bidirectional attention:

    family        published config (model_type)      layout   logits
    llada         "llada" (d_model, n_heads, ...)     llama    position i predicts token i
    dream         "Dream" (Qwen2 fields)              qwen2    position i predicts token i+1
    dreamon       "Dream" + <|expand|>/<|delete|>     qwen2    same as dream
    open_dcoder   "qwen2" + a tokenizer mask token    qwen2    shifted, as Dream
    coda          "CoDA" / CoDALanguageModel          qwen3    shifted, as Dream

A ``Family`` says how to recognise its ``config.json``, how to turn that config into the
keyword arguments of transformers' maintained ``LlamaConfig`` / ``Qwen2Config`` /
``Qwen3Config``, and how its published weight names map onto those modules' names
(``names``). ``engine.backends.checkpoint`` builds the module and loads the weights.
Nothing here reads a weight.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..errors import ModelLoadError


@dataclass(frozen=True)
class Family:
    name: str
    title: str                      # how docs and errors name it
    layout: str                     # transformers module family: llama | qwen2 | qwen3
    shift: bool                     # position i predicts token i+1 (Dream's convention)
    checkpoints: tuple[str, ...]    # published checkpoints in this layout
    recognise: Callable[[dict, dict], bool]          # (config.json, tokenizer_config.json) -> is it ours
    config: Callable[[dict], dict]                   # config.json -> transformers config kwargs
    names: Callable[[dict, dict], dict] | None = None   # (config.json, module shapes) -> published key
    #                                                   -> [module keys], concatenated on dim 0
    mask_token: str | None = None   # mask token text when neither config nor tokenizer names one
    edit_tokens: tuple[str, ...] = ()   # DreamOn's expand/delete tokens (never drawn)


def _need(cfg: dict, key: str, *alts: str):
    for k in (key, *alts):
        if cfg.get(k) is not None:
            return cfg[k]
    raise ModelLoadError(f"config.json lacks {key!r}, which this model's layout needs")


def _refuse(cfg: dict, family: str, field: str, wanted, why: str) -> None:
    value = cfg.get(field, wanted)
    if value != wanted:
        raise ModelLoadError(f"{family} config.json sets {field} = {value!r}; only {wanted!r} is supported ({why})")


# -- LLaDA: OLMo-style config and key names, Llama blocks ----------------------------------------

def _llada_config(cfg: dict) -> dict:
    block = cfg.get("block_type", "llama")
    if block not in ("llama", "sequential"):
        raise ModelLoadError(f"LLaDA config.json sets block_type = {block!r}; supported: 'llama', 'sequential'")
    _refuse(cfg, "LLaDA", "activation_type", "silu" if block == "llama" else "swiglu", f"{block} blocks")
    _refuse(cfg, "LLaDA", "layer_norm_type", "rms", "RMSNorm blocks")
    _refuse(cfg, "LLaDA", "rope", True, "rotary positions")
    _refuse(cfg, "LLaDA", "alibi", False, "rotary positions")
    _refuse(cfg, "LLaDA", "attention_layer_norm", False, "no query/key norm")
    _refuse(cfg, "LLaDA", "scale_logits", False, "unscaled logits")
    _refuse(cfg, "LLaDA", "input_emb_norm", False, "no embedding norm")
    _refuse(cfg, "LLaDA", "clip_qkv", None, "no clipping")
    _refuse(cfg, "LLaDA", "include_qkv_bias", False, "biases follow include_bias")
    d, heads = int(_need(cfg, "d_model")), int(_need(cfg, "n_heads"))
    kv = cfg.get("n_kv_heads") or (1 if cfg.get("multi_query_attention") else heads)
    hidden = int(cfg.get("mlp_hidden_size") or cfg.get("mlp_ratio", 4) * d)
    bias = bool(cfg.get("include_bias", False))
    return dict(vocab_size=int(cfg.get("embedding_size") or _need(cfg, "vocab_size")), hidden_size=d,
                intermediate_size=hidden if block == "llama" else hidden // 2,   # swiglu: half is the gate
                num_hidden_layers=int(_need(cfg, "n_layers")), num_attention_heads=heads,
                num_key_value_heads=int(kv), max_position_embeddings=int(cfg.get("max_sequence_length") or 4096),
                rms_norm_eps=float(cfg.get("rms_norm_eps", 1e-5)), rope_theta=float(cfg.get("rope_theta", 10000.0)),
                attention_bias=bias, mlp_bias=bias, tie_word_embeddings=bool(cfg.get("weight_tying", False)),
                hidden_act="silu")


def _llada_names(cfg: dict, shapes: dict) -> dict:
    """LLaDA's published names (``model.transformer.blocks.N.q_proj`` ...) -> Llama module names."""
    t = "model.transformer."
    out = {t + "wte.weight": ["model.embed_tokens.weight"], t + "ln_f.weight": ["model.norm.weight"]}
    if not cfg.get("weight_tying", False):
        out[t + "ff_out.weight"] = ["lm_head.weight"]
    fused = cfg.get("block_type", "llama") == "sequential"
    kinds = ["weight", "bias"] if cfg.get("include_bias", False) else ["weight"]
    for i in range(int(cfg["n_layers"])):
        b, m = f"{t}blocks.{i}.", f"model.layers.{i}."
        out[b + "attn_norm.weight"] = [m + "input_layernorm.weight"]
        out[b + "ff_norm.weight"] = [m + "post_attention_layernorm.weight"]
        for w in kinds:
            attn = [f"{m}self_attn.{p}_proj.{w}" for p in "qkv"]
            if fused:
                out[f"{b}att_proj.{w}"] = attn                        # rows: q, then k, then v
                out[f"{b}ff_proj.{w}"] = [f"{m}mlp.up_proj.{w}", f"{m}mlp.gate_proj.{w}"]   # x, gate = chunk(2)
            else:
                for p, name in zip("qkv", attn):
                    out[f"{b}{p}_proj.{w}"] = [name]
                out[f"{b}ff_proj.{w}"] = [f"{m}mlp.gate_proj.{w}"]     # silu(ff_proj(x)) * up_proj(x)
                out[f"{b}up_proj.{w}"] = [f"{m}mlp.up_proj.{w}"]
            out[f"{b}attn_out.{w}"] = [f"{m}self_attn.o_proj.{w}"]
            out[f"{b}ff_out.{w}"] = [f"{m}mlp.down_proj.{w}"]
    return out


# -- the Qwen layouts: published names are transformers' own -----------------------------------

QWEN_FIELDS = ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
               "num_key_value_heads", "max_position_embeddings", "rms_norm_eps", "rope_theta", "rope_scaling",
               "rope_parameters", "tie_word_embeddings", "hidden_act", "attention_bias", "head_dim")


def _qwen_config(cfg: dict) -> dict:
    for key in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads"):
        _need(cfg, key)
    out = {k: cfg[k] for k in QWEN_FIELDS if cfg.get(k) is not None}
    out.setdefault("tie_word_embeddings", False)
    return out


def _model_type(cfg: dict) -> str:
    return str(cfg.get("model_type") or "").lower()


def _architectures(cfg: dict) -> list[str]:
    return [str(a) for a in cfg.get("architectures") or []]


def _is_dream(cfg: dict, tok: dict) -> bool:
    return _model_type(cfg) == "dream" or "DreamModel" in _architectures(cfg)


def _tokens_of(tok: dict) -> set[str]:
    """Every token text a tokenizer_config.json names (special tokens, added tokens)."""
    names = {v if isinstance(v, str) else (v or {}).get("content") for v in tok.values()
             if isinstance(v, (str, dict))}
    names |= {(v or {}).get("content") for v in (tok.get("added_tokens_decoder") or {}).values()}
    names |= {t if isinstance(t, str) else t.get("content") for t in tok.get("additional_special_tokens") or []}
    return {n for n in names if isinstance(n, str)}


DREAMON_TOKENS = ("<|expand|>", "<|delete|>")

FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("llada", "LLaDA", "llama", False, ("GSAI-ML/LLaDA-8B-Base", "GSAI-ML/LLaDA-8B-Instruct",
                                               "GSAI-ML/LLaDA-1.5"),
           lambda c, t: _model_type(c) == "llada" or "LLaDAModelLM" in _architectures(c),
           _llada_config, _llada_names, mask_token="<|mdm_mask|>"),
    Family("dreamon", "DreamOn", "qwen2", True, ("Dream-org/DreamOn-v0-7B",),
           lambda c, t: _is_dream(c, t) and set(DREAMON_TOKENS) <= _tokens_of(t),
           _qwen_config, mask_token="<|mask|>", edit_tokens=DREAMON_TOKENS),
    Family("dream", "Dream / DiffuCoder", "qwen2", True,
           ("Dream-org/Dream-v0-Base-7B", "Dream-org/Dream-v0-Instruct-7B", "Dream-org/Dream-Coder-v0-Base-7B",
            "apple/DiffuCoder-7B-Base", "apple/DiffuCoder-7B-Instruct", "apple/DiffuCoder-7B-cpGRPO"),
           _is_dream, _qwen_config, mask_token="<|mask|>"),
    Family("open_dcoder", "Open-dCoder", "qwen2", True, ("fredzzp/open-dcoder-0.5B",),
           # A Qwen2 checkpoint is autoregressive unless its tokenizer has a mask token.
           lambda c, t: _model_type(c) == "qwen2" and bool(t.get("mask_token") or c.get("mask_token_id") is not None),
           _qwen_config),
    Family("coda", "CoDA", "qwen3", True, ("Salesforce/CoDA-v0-Base", "Salesforce/CoDA-v0-Instruct"),
           lambda c, t: _model_type(c) == "coda" or "CoDALanguageModel" in _architectures(c),
           _qwen_config),
)}


def recognise(cfg: dict, tokenizer_config: dict, explicit: str = "auto") -> Family | None:
    """The family whose published layout this config is (``explicit``: the user's choice)."""
    if explicit != "auto":
        return FAMILIES.get(explicit)
    return next((f for f in FAMILIES.values() if f.recognise(cfg, tokenizer_config)), None)
