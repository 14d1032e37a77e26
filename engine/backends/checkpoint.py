"""A published diffusion checkpoint on transformers' maintained modules, no remote code run.

``load_model(folder, cfg, family, device, dtype)``:

1. reads the safetensors headers (``model.safetensors``, or the shards a
   ``model.safetensors.index.json`` names): names, shapes and dtypes, no tensor data;
2. builds the family's transformers module (``LlamaForCausalLM``, ``Qwen2ForCausalLM``,
   ``Qwen3ForCausalLM``) on the meta device from the translated config, with attention made
   bidirectional (``config.is_causal = False`` and every attention module's ``is_causal``);
3. checks every weight the config implies is there with the shape it implies (the error names
   the published key and both shapes) before reading any tensor;
4. reads the tensors in the target dtype, maps the published names onto the module's (LLaDA's
   fused ``att_proj`` / ``ff_proj`` split by rows) and assigns them.

``load_tokenizer`` reads the folder's tokenizer without running a tokenizer class shipped as
code (Dream's ``tokenization_dream.py``): its ``tokenizer.json`` (or ``vocab.json`` +
``merges.txt``) with the special tokens its ``tokenizer_config.json`` names.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import torch

from ..errors import ModelLoadError
from .families import Family

log = logging.getLogger(__name__)

INDEX = "model.safetensors.index.json"
SPECIAL_KEYS = ("bos_token", "eos_token", "unk_token", "pad_token", "mask_token", "sep_token", "cls_token")


def _modules(layout: str):
    from transformers import (LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM, Qwen3Config,
                              Qwen3ForCausalLM)
    return {"llama": (LlamaConfig, LlamaForCausalLM), "qwen2": (Qwen2Config, Qwen2ForCausalLM),
            "qwen3": (Qwen3Config, Qwen3ForCausalLM)}[layout]


def read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text()) if path.is_file() else {}
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{path} is unreadable ({exc})") from exc
    return data if isinstance(data, dict) else {}


def weight_files(folder: Path) -> dict[str, Path]:
    """Published key -> the safetensors file holding it (one file, or a sharded index)."""
    index = folder / INDEX
    if index.is_file():
        weight_map = read_json(index).get("weight_map")
        if not isinstance(weight_map, dict) or not weight_map:
            raise ModelLoadError(f"{index} has no weight_map")
        files = {k: folder / v for k, v in weight_map.items()}
        missing = sorted({p.name for p in files.values() if not p.is_file()})
        if missing:
            raise ModelLoadError(f"{index} names shard {missing[0]}, which is not in {folder}")
        return files
    single = folder / "model.safetensors"
    if not single.is_file():
        raise ModelLoadError(f"model folder {folder} has no model.safetensors (nor {INDEX}): "
                             "weights are read from safetensors only")
    from safetensors import safe_open
    with safe_open(str(single), "pt") as f:
        return {k: single for k in f.keys()}


def read_headers(files: dict[str, Path]) -> dict[str, tuple[int, ...]]:
    """Published key -> shape, from the safetensors headers alone."""
    from safetensors import safe_open
    shapes: dict[str, tuple[int, ...]] = {}
    for path in sorted(set(files.values())):
        try:
            with safe_open(str(path), "pt") as f:
                for k in f.keys():
                    shapes[k] = tuple(f.get_slice(k).get_shape())
        except Exception as exc:   # safetensors raises its own error types for a damaged file
            raise ModelLoadError(f"{path} is not a readable safetensors file ({exc})") from exc
    return shapes


def _bidirectional(model) -> None:
    """Every token sees every other: the masked-diffusion models were trained that way."""
    model.config.is_causal = False
    model.config.use_cache = False
    for module in model.modules():
        if hasattr(module, "is_causal"):
            module.is_causal = False


def build(cfg: dict, family: Family):
    """The family's transformers module on the meta device (no memory, no initialisation)."""
    config_cls, model_cls = _modules(family.layout)
    try:
        config = config_cls(**family.config(cfg))
    except (TypeError, ValueError) as exc:
        raise ModelLoadError(f"{family.title} config.json does not describe a {family.layout} stack: {exc}") from exc
    config._attn_implementation = "sdpa"
    with torch.device("meta"):
        model = model_cls(config)
    _bidirectional(model)
    return model


def plan(cfg: dict, family: Family, model, shapes: dict[str, tuple[int, ...]]) -> dict[str, list[str]]:
    """Published key -> module keys, checked against the headers: every key there, every shape
    as the config implies."""
    targets = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    tied = bool(model.config.tie_word_embeddings)
    names = family.names(cfg, targets) if family.names else {
        k: [k] for k in targets if not (tied and k == "lm_head.weight")}
    for key, parts in names.items():
        unknown = [p for p in parts if p not in targets]
        assert not unknown, f"{family.name} maps {key} onto {unknown}, which the module lacks"
        want = (sum(targets[p][0] for p in parts), *targets[parts[0]][1:])
        if key not in shapes:
            raise ModelLoadError(f"the checkpoint lacks weight {key} (shape {want} from config.json)")
        if shapes[key] != want:
            raise ModelLoadError(f"weight {key} has shape {shapes[key]}, but config.json implies {want}")
    return names


def load_model(folder: Path, cfg: dict, family: Family, device: torch.device, dtype: torch.dtype):
    """The checkpoint's weights in the family's transformers module, bidirectional, on ``device``."""
    from safetensors import safe_open

    files = weight_files(folder)
    shapes = read_headers(files)
    model = build(cfg, family)
    names = plan(cfg, family, model, shapes)
    unused = sorted(set(shapes) - set(names))
    if unused:      # a weight the config does not explain: the model may not run as published
        log.warning("%s: %d weight(s) of %s are not used by its %s layout: %s", family.title, len(unused), folder,
                    family.layout, ", ".join(unused[:3]))
    targets = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    state: dict[str, torch.Tensor] = {}
    by_file: dict[Path, list[str]] = {}
    for key in names:
        by_file.setdefault(files[key], []).append(key)
    for path, keys in by_file.items():
        with safe_open(str(path), "pt", device="cpu") as f:
            for key in keys:
                tensor = f.get_tensor(key).to(dtype=dtype)
                rows = [targets[p][0] for p in names[key]]
                for part, piece in zip(names[key], torch.split(tensor, rows, dim=0)):
                    state[part] = piece.contiguous().to(device)
    model.load_state_dict(state, strict=False, assign=True)
    if model.config.tie_word_embeddings:
        model.lm_head.weight = model.model.embed_tokens.weight
    rotary = model.model.rotary_emb          # its inverse frequencies are computed, not stored
    model.model.rotary_emb = type(rotary)(config=model.config).to(device)
    left = [n for n, t in (*model.named_parameters(), *model.named_buffers()) if t.is_meta]
    assert not left, f"{family.name}: no weight was mapped onto {left[:3]}"
    return model.eval()


# -- tokenizer ------------------------------------------------------------------------------------

def _text(value) -> str | None:
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) else None


def load_tokenizer(folder: Path, trust_remote_code: bool = False):
    """The folder's tokenizer; a tokenizer class shipped as code runs only when trusted."""
    from transformers import AutoTokenizer
    tc = read_json(folder / "tokenizer_config.json")
    if trust_remote_code or not tc.get("auto_map"):
        return AutoTokenizer.from_pretrained(str(folder), local_files_only=True, trust_remote_code=trust_remote_code)
    specials = {**read_json(folder / "special_tokens_map.json"), **tc}
    kw = {k: _text(specials.get(k)) for k in SPECIAL_KEYS if _text(specials.get(k))}
    extra = [_text(t) for t in specials.get("additional_special_tokens") or [] if _text(t)]
    if extra:
        kw["additional_special_tokens"] = extra
    if (folder / "tokenizer.json").is_file():
        from transformers import PreTrainedTokenizerFast
        return PreTrainedTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"), **kw)
    if (folder / "vocab.json").is_file() and (folder / "merges.txt").is_file():
        from transformers import Qwen2Tokenizer      # the byte-level BPE Dream's tokenizer class wraps
        return Qwen2Tokenizer.from_pretrained(str(folder), local_files_only=True, **kw)
    raise ModelLoadError(f"the tokenizer in {folder} is code ({tc['auto_map']}) and the folder has no "
                         "tokenizer.json or vocab.json + merges.txt to read instead; pass --trust-remote-code "
                         "to run that code")
