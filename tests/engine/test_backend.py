"""The embedded backend: loading errors, candidates, continuation, budgets."""

import json
import shutil

import pytest

from engine.backend import EmbeddedBackend, InfillRequest, default_model_dir
from engine.errors import ModelLoadError
from engine.sampling import SamplerConfig


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ModelLoadError, match="has no config.json"):
        EmbeddedBackend(tmp_path / "nowhere")


def test_corrupt_weights_are_a_clear_error(tiny_model_dir, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_model_dir, broken)
    (broken / "model.safetensors").write_bytes(b"\x00not safetensors at all")
    with pytest.raises(ModelLoadError, match="could not load the model"):
        EmbeddedBackend(broken)


def test_wrong_model_type_names_what_is_expected(tiny_model_dir, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(tiny_model_dir, other)
    cfg = json.loads((other / "config.json").read_text())
    cfg["model_type"] = "bert"
    (other / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelLoadError, match="'bert' model"):
        EmbeddedBackend(other)


def test_candidates_and_statistics(tiny_model_dir):
    be = EmbeddedBackend(tiny_model_dir)
    res = be.infill(InfillRequest("def add(a, b):\n    return ", "\n", canvas_length=8, candidates=3,
                                  max_blocks=1, seed=1))
    assert len(res.candidates) == 3
    assert all(isinstance(c.text, str) for c in res.candidates)
    assert 1 <= res.forward_passes <= 8
    assert res.candidates[0].tokens <= 8


def test_same_seed_same_result(tiny_model_dir):
    be = EmbeddedBackend(tiny_model_dir)
    req = InfillRequest("x = ", "\n", canvas_length=6, candidates=2, seed=3, max_blocks=2)
    assert [c.text for c in be.infill(req).candidates] == [c.text for c in be.infill(req).candidates]


def test_block_continuation_runs_more_blocks(tiny_model_dir):
    be = EmbeddedBackend(tiny_model_dir)
    # min_tokens = canvas length: the first block cannot end, so a second block must run
    req = InfillRequest("a = ", "", canvas_length=4, max_blocks=3,
                        sampler=SamplerConfig("sequential", min_tokens=4))
    res = be.infill(req)
    assert res.forward_passes > 4
    assert res.candidates[0].tokens > 4


def test_huge_prefix_is_clamped_to_the_budget(tiny_model_dir):
    be = EmbeddedBackend(tiny_model_dir)
    res = be.infill(InfillRequest("x = 1\n" * 500_000, "y = 2\n" * 100_000, canvas_length=4, max_blocks=1))
    assert res.context_tokens <= be.prefix_tokens + be.suffix_tokens + 3


def test_shipped_model_folder_is_complete():
    folder = default_model_dir()
    for name in ("config.json", "model.safetensors", "tokenizer.json", "training_summary.json"):
        assert (folder / name).is_file(), name
    assert (folder / "model.safetensors").stat().st_size < 20_000_000
