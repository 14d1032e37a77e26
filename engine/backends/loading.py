"""Loading a local model folder: its config, the device and dtype, and whether it fits.

Everything here runs before any weight is read (a safetensors file's header says its shapes), so a wrong folder or a model too large for
this machine is refused in milliseconds with a sentence that says what to do instead.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import torch

from ..errors import ModelLoadError

DTYPES = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
          "float16": torch.float16, "fp16": torch.float16}
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")
HEADROOM = 1.2                      # activations, caches and allocator slack over the raw weights


def read_config(folder: Path) -> dict:
    if not folder.is_dir():
        raise ModelLoadError(f"model folder {folder} has no config.json (the folder does not exist)")
    path = folder / "config.json"
    if not path.is_file():
        raise ModelLoadError(f"model folder {folder} has no config.json")
    try:
        cfg = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"model folder {folder}: config.json is unreadable ({exc})") from exc
    if not isinstance(cfg, dict):
        raise ModelLoadError(f"model folder {folder}: config.json is not a JSON object")
    return cfg


def resolve_device(device: str = "auto") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError as exc:
        raise ModelLoadError(f"unknown device {device!r} (use auto, cpu, cuda or cuda:N)") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError(f"device {device!r} was asked for but CUDA is not available here")
    return dev


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    if dtype == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    if dtype not in DTYPES:
        raise ModelLoadError(f"unknown dtype {dtype!r} (choose from auto, {', '.join(DTYPES)})")
    return DTYPES[dtype]


def _bytes_per(dtype: torch.dtype) -> int:
    return torch.empty((), dtype=dtype).element_size()


def stored_dtype(cfg: dict) -> torch.dtype:
    name = cfg.get("dtype") or cfg.get("torch_dtype") or (cfg.get("text_config") or {}).get("dtype") or "float32"
    return DTYPES.get(str(name).replace("torch.", ""), torch.float32)


def config_parameters(cfg: dict) -> int:
    """Rough parameter count from a config when no weight files are there to measure."""
    c = cfg.get("text_config") or cfg
    h = int(c.get("hidden_size") or c.get("d_model") or 0)
    layers = int(c.get("num_hidden_layers") or c.get("n_layers") or c.get("num_layers") or 0)
    inter = int(c.get("intermediate_size") or c.get("mlp_hidden_size") or 4 * h)
    vocab = int(c.get("vocab_size") or 0)
    experts = int(c.get("num_experts") or 1)
    return vocab * h * 2 + layers * (4 * h * h + 3 * h * inter * max(1, experts))


def header_parameters(path: Path) -> int | None:
    """Parameters in a safetensors file, from its JSON header alone (None: no readable header)."""
    try:
        with path.open("rb") as f:
            size = int.from_bytes(f.read(8), "little")
            if not 0 < size <= min(100 * 2**20, path.stat().st_size - 8):
                return None
            header = json.loads(f.read(size))
        return sum(math.prod(v["shape"]) for k, v in header.items() if k != "__metadata__")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def estimate_bytes(folder: Path, cfg: dict, dtype: torch.dtype) -> int:
    """Memory the loaded weights take in ``dtype``: the safetensors headers' parameter counts
    (else file sizes rescaled from the config's stored dtype, else the config's shape)."""
    files = [p for p in folder.iterdir() if p.is_file() and p.name.endswith(WEIGHT_SUFFIXES)]
    if any(p.suffix == ".safetensors" for p in files):          # a .bin copy beside them is not loaded
        files = [p for p in files if p.suffix == ".safetensors"]
        counts = [header_parameters(p) for p in files]
        if all(c is not None for c in counts):
            return int(sum(counts) * _bytes_per(dtype) * HEADROOM)
    if files:
        raw = sum(p.stat().st_size for p in files)
        return int(raw * _bytes_per(dtype) / _bytes_per(stored_dtype(cfg)) * HEADROOM)
    return int(config_parameters(cfg) * _bytes_per(dtype) * HEADROOM)


def available_bytes(device: torch.device) -> int:
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def check_fits(folder: Path, cfg: dict, device: torch.device, dtype: torch.dtype) -> int:
    need, have = estimate_bytes(folder, cfg, dtype), available_bytes(device)
    if need > have:
        dname = str(dtype).replace("torch.", "")
        raise ModelLoadError(
            f"the model in {folder} needs about {need / 2**30:.1f} GiB in {dname} on {device}, but only "
            f"{have / 2**30:.1f} GiB is free: use a smaller dtype (--dtype bfloat16), another device, "
            "or serve it on a bigger machine and use --endpoint")
    return need
