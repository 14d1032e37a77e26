"""The trust_remote_code family (LLaDA, Dream, DiffuCoder, DreamOn): modeling code shipped in
the model folder, loaded from that folder only, and Dream's shifted logits."""

import io
import json
import sys
import textwrap

import pytest
import torch

from engine.backends import load_backend
from engine.backends.adapters import MaskedAdapter
from engine.sampling import SpecialTokens
from engine.tokenizer import SpecialIds, load_tokenizer
from infill.cli import main

CONFIG_PY = textwrap.dedent('''
    from transformers import PretrainedConfig

    class TinyDreamConfig(PretrainedConfig):
        model_type = "Dream"

        def __init__(self, vocab_size=300, hidden_size=16, max_position_embeddings=256, mask_token_id=None, **kw):
            self.vocab_size, self.hidden_size = vocab_size, hidden_size
            self.max_position_embeddings, self.mask_token_id = max_position_embeddings, mask_token_id
            super().__init__(**kw)
''')

MODELING_PY = textwrap.dedent('''
    import torch
    from torch import nn
    from transformers import PreTrainedModel
    from transformers.modeling_outputs import MaskedLMOutput

    from .configuration_tiny import TinyDreamConfig

    class TinyDreamModel(PreTrainedModel):
        config_class = TinyDreamConfig

        def __init__(self, config):
            super().__init__(config)
            self.embed = nn.Embedding(config.vocab_size, config.hidden_size)
            self.mix = nn.Linear(config.hidden_size, config.hidden_size)
            self.head = nn.Linear(config.hidden_size, config.vocab_size)
            self.post_init()

        def forward(self, input_ids, attention_mask=None, **kw):
            x = self.embed(input_ids)
            x = x + self.mix(x.mean(dim=1, keepdim=True))          # every position sees the whole sequence
            return MaskedLMOutput(logits=self.head(torch.tanh(x)))
''')


@pytest.fixture(scope="module")
def dream_dir(tiny_tokenizer_dir, tmp_path_factory):
    tok = load_tokenizer(tiny_tokenizer_dir)
    sp = SpecialIds.from_tokenizer(tok)
    out = tmp_path_factory.mktemp("tiny_dream")
    (out / "configuration_tiny.py").write_text(CONFIG_PY)
    (out / "modeling_tiny.py").write_text(MODELING_PY)
    cfg = {"model_type": "Dream", "vocab_size": len(tok), "hidden_size": 16, "max_position_embeddings": 256,
           "mask_token_id": sp.mask, "pad_token_id": sp.pad_end, "eos_token_id": sp.pad_end,
           "auto_map": {"AutoConfig": "configuration_tiny.TinyDreamConfig",
                        "AutoModel": "modeling_tiny.TinyDreamModel"}}
    (out / "config.json").write_text(json.dumps(cfg))
    from transformers import AutoConfig, AutoModel
    torch.manual_seed(0)
    config = AutoConfig.from_pretrained(str(out), trust_remote_code=True, local_files_only=True)
    AutoModel.from_config(config, trust_remote_code=True).save_pretrained(str(out))
    tok.save_pretrained(str(out))
    return out


pytestmark = pytest.mark.usefixtures("fresh_backends")


def test_dream_family_loads_remote_code_from_the_folder(dream_dir, capsys, monkeypatch):
    be = load_backend(str(dream_dir))
    assert be.describe()["family"] == "dream" and be.adapter.shift
    assert type(be.model).__name__ == "TinyDreamModel"
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps({"task_id": "a", "prefix": "x = ", "suffix": "\n"}) + "\n"))
    assert main(["batch", "--model", str(dream_dir), "--canvas", "4"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["task_id"] == "a" and "completion" in row and row["forward_passes"] >= 1


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
