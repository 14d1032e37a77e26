"""Modeling code shipped in a model folder: run only when the user trusts it, with transformers 5 shims.

A folder whose ``config.json`` has an ``auto_map`` (or that holds ``*.py`` files) ships its own
modeling code. ``engine.backends.families`` loads the published diffusion families without it;
any other such folder is refused (``refusal``) unless ``trust_remote_code`` is set, and nothing
of it is imported before that. Trusted code written for transformers 4 (LLaDA's, Dream's,
DiffuCoder's) gets three shims, and a warning says so:

- ``post_init()``: a model that never calls it lacks ``all_tied_weights_keys``
  ("'LLaDAModelLM' object has no attribute 'all_tied_weights_keys'", ML-GSAI/LLaDA issue 130);
- ``tie_weights(**kw)``: transformers 5 passes keywords that a ``tie_weights(self)`` refuses;
- ``config.use_cache``: a config class that never sets it.
"""

from __future__ import annotations

import inspect
import logging
from pathlib import Path

from ..errors import ModelLoadError

log = logging.getLogger(__name__)

MODEL_KEYS = ("AutoModel", "AutoModelForMaskedLM", "AutoModelForCausalLM")
SHIMS = "post_init, tie_weights keywords, config.use_cache"


def shipped_code(folder: Path, cfg: dict) -> list[str]:
    """What code the folder ships: its auto_map's model entries and its Python files."""
    auto = cfg.get("auto_map") if isinstance(cfg.get("auto_map"), dict) else {}
    refs = [f"{k} -> {auto[k]}" for k in MODEL_KEYS if k in auto]
    return refs + sorted(p.name for p in folder.glob("*.py"))


def refusal(folder: Path, cfg: dict, code: list[str]) -> ModelLoadError:
    return ModelLoadError(
        f"model folder {folder} holds a {cfg.get('model_type')!r} model that infill does not load by "
        f"architecture, and it ships its own modeling code ({', '.join(code[:3])}); nothing of it was run. "
        "If you trust that code, pass --trust-remote-code (server setting trustRemoteCode: true)")


def _shimmed(cls):
    """``cls`` with what transformers 5 expects of a model written for transformers 4."""
    params = inspect.signature(cls.tie_weights).parameters
    takes_keywords = any(p.kind is p.VAR_KEYWORD for p in params.values()) or "missing_keys" in params

    def __init__(self, config, *args, **kwargs):
        cls.__init__(self, config, *args, **kwargs)
        if not hasattr(self, "all_tied_weights_keys"):
            self.post_init()

    def tie_weights(self, *args, **kwargs):
        return cls.tie_weights(self, *args, **kwargs) if takes_keywords else cls.tie_weights(self)

    return type(cls.__name__, (cls,), {"__init__": __init__, "tie_weights": tie_weights,
                                       "__module__": cls.__module__})


def load_remote(folder: Path, cfg: dict, dtype):
    """The folder's own model class, trusted by the user, loaded from the folder only."""
    from transformers import AutoConfig
    from transformers.dynamic_module_utils import get_class_from_dynamic_module

    auto = cfg.get("auto_map") or {}
    ref = next((auto[k] for k in MODEL_KEYS if k in auto), None)
    if ref is None:
        raise ModelLoadError(f"model folder {folder}: config.json's auto_map names no model class "
                             f"({', '.join(MODEL_KEYS)})")
    log.warning("running the modeling code shipped in %s (%s), as --trust-remote-code allows, with shims "
                "for transformers 5: %s", folder, ref, SHIMS)
    config = AutoConfig.from_pretrained(str(folder), trust_remote_code=True, local_files_only=True)
    if not hasattr(config, "use_cache"):
        config.use_cache = False
    cls = _shimmed(get_class_from_dynamic_module(ref, str(folder), local_files_only=True))
    return cls.from_pretrained(str(folder), config=config, local_files_only=True, dtype=dtype)
