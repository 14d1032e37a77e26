"""Shared fixtures: a tiny tokenizer and a tiny random-weight canvas model, built in memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import SAMPLE_CODE


@pytest.fixture(scope="session")
def tiny_tokenizer_dir(tmp_path_factory) -> Path:
    from training.tokenizer import train_tokenizer

    out = tmp_path_factory.mktemp("tok")
    train_tokenizer([SAMPLE_CODE] * 20, vocab_size=300, out_dir=out)
    return out


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_tokenizer_dir, tmp_path_factory) -> Path:
    """A folder laid out like engine/model: config, random weights, tokenizer."""
    import torch

    from engine.modeling import CanvasConfig, CanvasDenoiser
    from engine.tokenizer import SpecialIds, load_tokenizer

    tok = load_tokenizer(tiny_tokenizer_dir)
    sp = SpecialIds.from_tokenizer(tok)
    torch.manual_seed(0)
    cfg = CanvasConfig(vocab_size=len(tok), hidden_size=32, num_layers=2, num_heads=2, intermediate_size=64,
                       pad_end_id=sp.pad_end, mask_id=sp.mask, fim_prefix_id=sp.fim_prefix,
                       fim_suffix_id=sp.fim_suffix, fim_middle_id=sp.fim_middle,
                       prefix_tokens=64, suffix_tokens=32)
    out = tmp_path_factory.mktemp("model")
    CanvasDenoiser(cfg).save_pretrained(str(out))
    tok.save_pretrained(str(out))
    return out


@pytest.fixture
def fresh_backends():
    """Backends are loaded once per configuration (``infill.backends.get_backend``); modules
    that load models of their own start and end with none loaded
    (``pytestmark = pytest.mark.usefixtures("fresh_backends")``)."""
    from infill.backends import forget_backends

    forget_backends()
    yield
    forget_backends()


@pytest.fixture(scope="session")
def python_only_model_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """The tiny model with a card that says what the shipped one says: trained on Python only."""
    import json
    import shutil

    out = tmp_path_factory.mktemp("python-only") / "model"
    shutil.copytree(tiny_model_dir, out)
    config = json.loads((out / "config.json").read_text())
    (out / "config.json").write_text(json.dumps({**config, "languages": ["python"]}))
    return out
