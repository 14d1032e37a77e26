"""A folder that ships its own modeling code: refused unless ``--trust-remote-code``, and then
run with the shims transformers 5 needs; plus Dream's shifted logits in the adapter.

The tiny model here is written the way LLaDA's and Dream's code was, for transformers 4: it
never calls ``post_init()``, its ``tie_weights()`` takes no keywords, and its config never sets
``use_cache``, which its forward reads. Importing its modeling file leaves a marker file, so a
test sees whether any of it ran.
"""

import io
import json
import logging
import shutil
import sys
import textwrap

import pytest
import torch

from engine.backends import load_backend
from engine.backends.adapters import MaskedAdapter
from engine.errors import ModelLoadError
from engine.sampling import SpecialTokens
from engine.tokenizer import SpecialIds, load_tokenizer
from infill.cli import main

CONFIG_PY = textwrap.dedent('''
    from transformers import PretrainedConfig

    class TinyDiffConfig(PretrainedConfig):
        model_type = "tinydiff"

        def __init__(self, vocab_size=300, hidden_size=16, max_position_embeddings=256, mask_token_id=None, **kw):
            self.vocab_size, self.hidden_size = vocab_size, hidden_size
            self.max_position_embeddings, self.mask_token_id = max_position_embeddings, mask_token_id
            kw.pop("use_cache", None)            # as transformers 4 configs did: left to the base class
            super().__init__(**kw)
            if "use_cache" in self.__dict__:
                del self.__dict__["use_cache"]
''')

MODELING_PY = textwrap.dedent('''
    import os
    from pathlib import Path

    import torch
    from torch import nn
    from transformers import PreTrainedModel
    from transformers.modeling_outputs import MaskedLMOutput

    from .configuration_tiny import TinyDiffConfig

    Path(os.environ.get("TINY_REMOTE_MARKER", os.devnull)).write_text("imported")   # the test looks there

    class TinyDiffModel(PreTrainedModel):
        config_class = TinyDiffConfig

        def __init__(self, config):                 # written for transformers 4: no self.post_init()
            super().__init__(config)
            self.embed = nn.Embedding(config.vocab_size, config.hidden_size)
            self.mix = nn.Linear(config.hidden_size, config.hidden_size)
            self.head = nn.Linear(config.hidden_size, config.vocab_size)

        def tie_weights(self):                      # transformers 4's signature: no keywords
            pass

        def forward(self, input_ids, attention_mask=None, **kw):
            assert self.config.use_cache in (True, False)
            x = self.embed(input_ids)
            x = x + self.mix(x.mean(dim=1, keepdim=True))          # every position sees the whole sequence
            return MaskedLMOutput(logits=self.head(torch.tanh(x)))
''')


@pytest.fixture(scope="module")
def remote_dir(tiny_tokenizer_dir, tmp_path_factory):
    from safetensors.torch import save_file

    tok = load_tokenizer(tiny_tokenizer_dir)
    sp = SpecialIds.from_tokenizer(tok)
    out = tmp_path_factory.mktemp("tiny_remote")
    (out / "configuration_tiny.py").write_text(CONFIG_PY)
    (out / "modeling_tiny.py").write_text(MODELING_PY)
    V, H = len(tok), 16
    cfg = {"model_type": "tinydiff", "architectures": ["TinyDiffModel"], "vocab_size": V, "hidden_size": H,
           "max_position_embeddings": 256, "mask_token_id": sp.mask, "pad_token_id": sp.pad_end,
           "eos_token_id": sp.pad_end, "auto_map": {"AutoConfig": "configuration_tiny.TinyDiffConfig",
                                                    "AutoModel": "modeling_tiny.TinyDiffModel"}}
    (out / "config.json").write_text(json.dumps(cfg))
    g = torch.Generator().manual_seed(0)
    weights = {"embed.weight": torch.randn(V, H, generator=g), "mix.weight": torch.randn(H, H, generator=g) * 0.1,
               "mix.bias": torch.zeros(H), "head.weight": torch.randn(V, H, generator=g) * 0.3,
               "head.bias": torch.zeros(V)}
    save_file(weights, str(out / "model.safetensors"), metadata={"format": "pt"})
    tok.save_pretrained(str(out))
    return out


pytestmark = pytest.mark.usefixtures("fresh_backends")


@pytest.fixture
def marker(tmp_path, monkeypatch):
    monkeypatch.setenv("TINY_REMOTE_MARKER", str(tmp_path / "RAN"))
    return tmp_path / "RAN"


def test_remote_code_is_refused_without_the_flag_and_nothing_runs(remote_dir, tmp_path, capsys, marker):
    folder = tmp_path / "m"
    shutil.copytree(remote_dir, folder)
    with pytest.raises(ModelLoadError, match=r"ships its own modeling code \(AutoModel -> modeling_tiny.TinyDiffModel"
                                             r".*nothing of it was run.*--trust-remote-code.*trustRemoteCode"):
        load_backend(str(folder))
    assert main(["complete", "x.py:1:1", "--model", str(folder)]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    assert not marker.exists()


def test_remote_code_runs_with_the_flag_and_the_transformers_5_shims(remote_dir, tmp_path, capsys, monkeypatch,
                                                                      caplog, marker):
    folder = tmp_path / "m"
    shutil.copytree(remote_dir, folder)
    with caplog.at_level(logging.WARNING):
        be = load_backend(str(folder), trust_remote_code=True)
    assert marker.exists()
    assert type(be.model).__name__ == "TinyDiffModel" and be.describe()["architecture"] == "remote code"
    assert "post_init, tie_weights keywords, config.use_cache" in caplog.text
    assert be.model.config.use_cache is False and hasattr(be.model, "all_tied_weights_keys")
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps({"task_id": "a", "prefix": "x = ", "suffix": "\n"}) + "\n"))
    assert main(["batch", "--model", str(folder), "--canvas", "4", "--trust-remote-code"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["task_id"] == "a" and "completion" in row and row["forward_passes"] >= 1


def test_without_the_shims_transformers_5_refuses_that_code(remote_dir, tmp_path):
    """The shims are what makes it load: the class as written fails in transformers 5."""
    from transformers import AutoConfig
    from transformers.dynamic_module_utils import get_class_from_dynamic_module
    folder = tmp_path / "m"
    shutil.copytree(remote_dir, folder)
    config = AutoConfig.from_pretrained(str(folder), trust_remote_code=True, local_files_only=True)
    cls = get_class_from_dynamic_module("modeling_tiny.TinyDiffModel", str(folder), local_files_only=True)
    with pytest.raises((AttributeError, TypeError)):
        cls.from_pretrained(str(folder), config=config, local_files_only=True)


class _Echo:
    """Scripted masked LM: position j predicts token id j (so a shift is visible)."""

    def __init__(self, V):
        self.V = V
        self.p = torch.nn.Parameter(torch.zeros(1))

    def parameters(self):
        return iter([self.p])

    def __call__(self, input_ids):
        B, T = input_ids.shape
        logits = torch.full((B, T, self.V), -10.0)
        logits[:, torch.arange(T), torch.arange(T) % self.V] = 10.0
        return type("Out", (), {"logits": logits})()


@pytest.mark.parametrize("shift, first", [(False, 3), (True, 2)])
def test_dream_shift_reads_the_previous_position(tiny_tokenizer_dir, shift, first):
    tok = load_tokenizer(tiny_tokenizer_dir)
    special = SpecialTokens(mask=1, pad_end=0)
    ad = MaskedAdapter(_Echo(50), tok, special, [0], shift=shift, bos=None, prefix_tokens=64,
                       suffix_tokens=8, max_positions=64)
    cache = ad.start("", "", 1, 0)
    cache.prefix = torch.tensor([[7, 8, 9]])               # P = 3
    logits = ad.denoise(torch.full((1, 4), 1), cache)
    assert logits.argmax(-1).tolist() == [[first, first + 1, first + 2, first + 3]]
