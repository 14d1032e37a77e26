"""Shared fixtures: a tiny tokenizer and a tiny random-weight canvas model, built in memory."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest


class Scripted:
    """A backend that answers a fresh request with ``first`` and a rewrite (init_text, the
    syntax repair) with ``fix``; it keeps every request it got."""

    name = "scripted"
    supports_remask = True

    def __init__(self, first: str, fix: str = "never"):
        self.first, self.fix, self.requests = first, fix, []

    def infill(self, request):
        from engine.backend import Candidate, InfillResult

        self.requests.append(request)
        text = self.fix if request.init_text is not None else self.first
        return InfillResult([Candidate(text, -1.0, 3)], forward_passes=5, latency_ms=1.0)

    def describe(self):
        return {"backend": self.name}


SAMPLE_CODE = textwrap.dedent('''
    def add(a, b):
        """Return the sum."""
        return a + b


    class Stack:
        def __init__(self):
            self.items = []

        def push(self, item):
            self.items.append(item)

        def pop(self):
            if not self.items:
                raise IndexError("pop from empty stack")
            return self.items.pop()
''')


@pytest.fixture(scope="session")
def tiny_tokenizer_dir(tmp_path_factory) -> Path:
    from engine.tokenizer import train_tokenizer

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
    """Backends are loaded once per configuration (``infill.api._BACKENDS``); modules that
    load models of their own start and end with none loaded
    (``pytestmark = pytest.mark.usefixtures("fresh_backends")``)."""
    from infill import api

    api._BACKENDS.clear()
    yield
    api._BACKENDS.clear()
