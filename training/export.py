"""Model folders out of training runs: checkpoints, ``export`` and ``average``.

``export`` writes the shippable folder (config.json, model.safetensors, the tokenizer, a
training summary and the corpus manifest); ``average`` mixes two folders' weights. Both write
atomically (a temporary folder renamed into place). Checkpoints are written atomically too.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import torch

from engine.modeling import CanvasConfig, CanvasDenoiser
from engine.tokenizer import load_tokenizer

from .corpus import CORPUS_LANGUAGES


class TrainingError(Exception):
    """A training run, its data or its output folder cannot be used; the message says why."""


def read_weights(folder: Path, who: str) -> dict[str, torch.Tensor]:
    """A model folder's ``model.safetensors``; a missing or corrupt file is a TrainingError
    whose message starts with ``who``."""
    from safetensors.torch import load_file

    path = folder / "model.safetensors"
    if not path.exists():
        raise TrainingError(f"{who}: no model.safetensors there")
    try:
        return load_file(str(path))
    except Exception as exc:  # safetensors raises its own error types for corrupt files
        raise TrainingError(f"{who}: unreadable weights ({exc})") from exc


def save_checkpoint(path: Path, state: dict) -> None:
    """Write atomically: a partial write never replaces the last good checkpoint."""
    tmp = path.with_suffix(".tmp")
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise TrainingError(f"could not write checkpoint {path} ({exc.strerror or exc}); "
                            f"the previous checkpoint is intact") from exc


def load_checkpoint(path: Path) -> dict | None:
    if not path.exists():
        return None
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # a truncated file from a crash mid-write of an older version
        raise TrainingError(f"checkpoint {path} is unreadable ({exc}); move it away to start over") from exc


def export(run_dir: Path, out_dir: Path, data_dir: Path, which: str = "best", dtype: str = "float32") -> None:
    """Write config.json, model.safetensors, the tokenizer and a training summary.

    ``dtype="float16"`` stores the weights in half precision (half the size on disk); the
    backends load them back into float32, the fast dtype on a CPU.
    """
    state = load_checkpoint(run_dir / f"{which}.pt") or load_checkpoint(run_dir / "ckpt.pt")
    if state is None:
        raise TrainingError(f"no checkpoint in {run_dir}")
    config = CanvasConfig(**{k: v for k, v in state["model_config"].items()
                             if k not in ("model_type", "transformers_version", "architectures")})
    manifest = data_dir / "corpus" / "manifest.json"
    if config.languages is None:   # the model's card says which languages it completes
        recorded = json.loads(manifest.read_text()).get("languages") if manifest.exists() else None
        config.languages = list(recorded or CORPUS_LANGUAGES)
    model = CanvasDenoiser(config)
    model.load_state_dict(state["model"])
    if dtype == "float16":
        model = model.half()
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(str(tmp))
    load_tokenizer(data_dir / "tokenizer").save_pretrained(str(tmp))
    summary = {"step": state["step"], "tokens_seen": state["tokens_seen"], "n_params": state["n_params"],
               "best_val_loss": state.get("best_val"), "train_seconds": round(state["elapsed"]),
               "train_config": state["train_config"]}
    (tmp / "training_summary.json").write_text(json.dumps(summary, indent=1))
    if manifest.exists():
        shutil.copy(manifest, tmp / "corpus_manifest.json")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)
    print(f"exported {which} checkpoint (step {state['step']}) to {out_dir}", file=sys.stderr)


def average(a_dir: Path, b_dir: Path, out_dir: Path, weight: float = 0.5) -> None:
    """Write a model folder whose weights are ``(1 - weight) * A + weight * B``.

    A weight-space average of two models trained from the same start (a "model soup", or
    WiSE-FT between a model and its fine-tune). Both folders must hold the same architecture
    and the same tokenizer; the output copies B's folder (tokenizer, manifest) and records the
    average in its training summary. Written atomically, like ``export``.
    """
    from safetensors.torch import save_file

    if not 0.0 <= weight <= 1.0:
        raise TrainingError(f"average: the weight must be in [0, 1], not {weight}")
    for folder in (a_dir, b_dir):
        if not (folder / "config.json").exists():
            raise TrainingError(f"average: {folder}: no config.json there, not a model folder")
    a, b = (read_weights(folder, f"average: {folder}") for folder in (a_dir, b_dir))
    configs = [{k: v for k, v in json.loads((d / "config.json").read_text()).items()
                if k not in ("transformers_version", "torch_dtype", "dtype")} for d in (a_dir, b_dir)]
    # Same tensor shapes are not enough: a different head count splits the same matrices otherwise.
    if a.keys() != b.keys() or any(a[k].shape != b[k].shape for k in a) or configs[0] != configs[1]:
        raise TrainingError(f"average: {a_dir} and {b_dir} are not the same architecture")
    tok_a, tok_b = (d / "tokenizer.json" for d in (a_dir, b_dir))
    if not tok_a.exists() or not tok_b.exists() or tok_a.read_bytes() != tok_b.read_bytes():
        raise TrainingError(f"average: {a_dir} and {b_dir} do not share one tokenizer")
    mixed = {k: ((1.0 - weight) * a[k].float() + weight * b[k].float()).to(b[k].dtype).contiguous() for k in b}
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(b_dir, tmp)
    save_file(mixed, str(tmp / "model.safetensors"), metadata={"format": "pt"})
    summary_path = tmp / "training_summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    summary["averaged"] = {"a": str(a_dir), "b": str(b_dir), "weight_of_b": weight}
    summary_path.write_text(json.dumps(summary, indent=1))
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)
    print(f"wrote {1 - weight:g} x {a_dir} + {weight:g} x {b_dir} to {out_dir}", file=sys.stderr)
