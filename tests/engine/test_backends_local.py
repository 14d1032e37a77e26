"""Local transformers backends: a tiny DiffusionGemma and a masked-LM stand-in, end to end.

Both models are built from configs in memory with random weights, saved with our tiny
tokenizer into a temporary folder, and loaded the way a user's ``--model DIR`` is: no
downloads, real code paths.
"""

import io
import json
import sys

import pytest
import torch

from engine.api import InfillRequest
from engine.backends import load_backend
from engine.backends import loading
from engine.backends.transformers_local import TransformersBackend
from engine.errors import BackendError, ModelLoadError
from engine.sampling import SamplerConfig
from engine.tokenizer import SpecialIds, load_tokenizer
from infill.cli import main


@pytest.fixture(scope="module")
def gemma_dir(tiny_tokenizer_dir, tmp_path_factory):
    from training.diffusion_gemma import text_only_model, tiny_text_config

    tok = load_tokenizer(tiny_tokenizer_dir)
    sp = SpecialIds.from_tokenizer(tok)
    torch.manual_seed(0)
    cfg = tiny_text_config(len(tok), hidden_size=32, num_layers=2, num_heads=2, intermediate_size=64,
                           canvas_length=8, pad_end_id=sp.pad_end, mask_id=sp.mask, fim_prefix_id=sp.fim_prefix,
                           fim_suffix_id=sp.fim_suffix, fim_middle_id=sp.fim_middle)
    out = tmp_path_factory.mktemp("diffusion_gemma")
    text_only_model(cfg).save_pretrained(str(out))
    tok.save_pretrained(str(out))
    gen = {"max_denoising_steps": 12, "stability_threshold": 2, "eos_token_id": [sp.pad_end],
           "sampler_config": {"entropy_bound": 0.1, "_cls_name": "EntropyBoundSamplerConfig"}}
    (out / "generation_config.json").write_text(json.dumps(gen))
    return out


@pytest.fixture(scope="module")
def masked_lm_dir(tiny_tokenizer_dir, tmp_path_factory):
    """A BERT masked LM over our tokenizer: the stand-in for LLaDA / Dream (same layout)."""
    from transformers import BertConfig, BertForMaskedLM

    tok = load_tokenizer(tiny_tokenizer_dir)
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=256, pad_token_id=tok.pad_token_id)
    out = tmp_path_factory.mktemp("masked_lm")
    BertForMaskedLM(cfg).save_pretrained(str(out))
    tok.save_pretrained(str(out))
    return out


pytestmark = pytest.mark.usefixtures("fresh_backends")


def test_gemma_loads_with_fim_layout_and_generation_defaults(gemma_dir):
    be = load_backend(str(gemma_dir))
    assert isinstance(be, TransformersBackend)
    info = be.describe()
    assert info["family"] == "diffusion_gemma" and info["layout"] == "psm"
    assert info["device"] == "cpu" and info["dtype"] == "float32"
    assert be.sampler_defaults == {"entropy_bound": 0.1, "max_steps": 12, "stable_steps": 2}
    # The model's entropy bound applies to the entropy sampler only, and never over a user's choice.
    assert be.sampler_for(SamplerConfig("entropy")).entropy_bound == 0.1
    assert be.sampler_for(SamplerConfig("entropy", entropy_bound=0.7)).entropy_bound == 0.7
    assert be.sampler_for(SamplerConfig("threshold")).entropy_bound == SamplerConfig().entropy_bound
    # The embedded model's pass share does not cap a checkpoint's canvas (its own max_steps does).
    assert be.sampler_for(SamplerConfig("threshold", pass_share=0.1875)).pass_share == 0.0
    sp = SpecialIds.from_tokenizer(be.tokenizer)
    ctx = be.adapter.layout("def f(", "):\n", 64, 16)
    assert ctx[0] == sp.fim_prefix and ctx[-1] == sp.fim_middle and sp.fim_suffix in ctx


def test_a_qwen_vocabulary_puts_the_path_before_the_fim_markers(gemma_dir, tmp_path):
    """A tokenizer that knows <|file_sep|> (Qwen2.5-Coder's, and DiffuCoder's and Dream's built on
    it) gets the repository layout's file header; the layout of a request without a path is as before."""
    import shutil

    from transformers import AutoTokenizer

    folder = tmp_path / "qwen-like"
    shutil.copytree(gemma_dir, folder)
    tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    tok.add_special_tokens({"additional_special_tokens": ["<|file_sep|>"]})
    tok.save_pretrained(str(folder))
    be = load_backend(str(folder))
    assert be.describe()["layout"] == "qwen"
    plain = be.adapter.layout("def f(", "):\n", 64, 16)
    named = be.adapter.layout("def f(", "):\n", 64, 16, "python", "src/calc.py")
    head = be.tokenizer("<|file_sep|>src/calc.py\n", add_special_tokens=False)["input_ids"]
    assert named[:len(head)] == head and named[len(head):] == plain


@pytest.mark.parametrize("fixture", ["gemma_dir", "masked_lm_dir"])
def test_candidates_blocks_and_determinism(fixture, request):
    be = load_backend(str(request.getfixturevalue(fixture)))
    req = InfillRequest("def add(a, b):\n    return ", "\n", canvas_length=4, candidates=2, max_blocks=2, seed=1,
                        sampler=SamplerConfig("sequential", min_tokens=4))
    res = be.infill(req)
    assert len(res.candidates) == 2 and res.context_tokens > 0
    assert res.forward_passes > 4 and res.candidates[0].tokens > 4      # the second block ran
    assert [c.text for c in be.infill(req).candidates] == [c.text for c in res.candidates]


def test_cancel_callback_stops_local_request(masked_lm_dir):
    from engine.api import RequestCancelled
    be = load_backend(str(masked_lm_dir))
    with pytest.raises(RequestCancelled):
        be.infill(InfillRequest("x = ", "", canvas_length=4, cancelled=lambda: True))


@pytest.mark.parametrize("fixture", ["gemma_dir", "masked_lm_dir"])
def test_batch_end_to_end(fixture, request, capsys, monkeypatch):
    """The same end-to-end batch test the embedded model passes (tests/infill/test_cli.py)."""
    lines = [
        json.dumps({"task_id": "a", "prefix": "def f(x):\n    return ", "suffix": "\n"}),
        "{not json",
        json.dumps({"task_id": "c", "suffix": "only a suffix"}),
        json.dumps({"task_id": "d", "prefix": "x = ", "suffix": "", "language": "cobol"}),
        json.dumps({"prefix": "y = ", "suffix": "\n", "path": "z.py"}),
    ]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    code = main(["batch", "--model", str(request.getfixturevalue(fixture)), "--canvas", "6"])
    out, err = capsys.readouterr()
    assert code == 0, err
    rows = [json.loads(x) for x in out.splitlines()]
    assert [r["task_id"] for r in rows] == ["a", 2, "c", "d", 5]
    assert {"completion", "forward_passes", "tokens", "latency_ms"} <= set(rows[0])
    assert rows[0]["forward_passes"] >= 1
    assert "invalid JSON" in rows[1]["error"]
    assert "prefix" in rows[2]["error"]
    assert "unsupported language 'cobol'" in rows[3]["error"]
    assert "completion" in rows[4]


def _pads_likely(backend) -> None:
    """Scale the pad_end embedding (tied to the head) so that the first pass puts pads on the
    canvas and the sampler trims them off: the canvas then narrows between passes."""
    pad = backend.adapter.special.pad_end
    with torch.no_grad():
        for name, weight in backend.model.named_parameters():
            if "embed_tokens" in name:
                weight[pad] *= 30


def test_gemma_serves_a_request_on_its_own_canvas_length(gemma_dir):
    """A DiffusionGemma trained on a canvas of 8 (Google's release: 256) is asked for a line
    gap's 32: it runs its own length, and self-conditioning follows the trimmed canvas
    (transformers raised "The size of tensor a (3) must match the size of tensor b (32)")."""
    be = load_backend(str(gemma_dir))
    _pads_likely(be)
    assert be.adapter.canvas_length == 8
    seen = []
    original = be.model.forward

    def spy(*args, **kwargs):
        seen.append(kwargs["decoder_input_ids"].shape[1])
        return original(*args, **kwargs)

    be.model.forward = spy
    for seed in range(4):
        res = be.infill(InfillRequest("def f(a):\n    return ", "\n", canvas_length=32, candidates=2, seed=seed,
                                      max_blocks=1))
        assert len(res.candidates) == 2 and all(c.tokens <= 8 for c in res.candidates)
    assert max(seen) == 8 and min(seen) < 8          # its own length, then trimmed canvases
    assert be.canvas_for(InfillRequest("", "", canvas_length=64, max_blocks=4)).max_blocks == 4
    assert be.canvas_for(InfillRequest("", "", canvas_length=4, max_blocks=4)).max_blocks == 2


def test_gemma_uses_the_cache_keyword_of_transformers_5(gemma_dir):
    """transformers 5.24 warns that ``past_key_values`` goes away in 5.40: none is passed."""
    import warnings
    be = load_backend(str(gemma_dir))
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        assert be.infill(InfillRequest("x = ", "\n", canvas_length=8, max_blocks=2)).candidates


def test_a_model_failure_is_a_backend_error_and_an_error_row(gemma_dir, capsys, monkeypatch):
    be = load_backend(str(gemma_dir))

    def broken(*args, **kwargs):
        raise RuntimeError("The size of tensor a (3) must match the size of tensor b (32)")

    monkeypatch.setattr(be.model, "forward", broken)
    with pytest.raises(BackendError, match="failed on this request: RuntimeError: The size of tensor a"):
        be.infill(InfillRequest("x = ", "\n", canvas_length=8))
    from infill import backends
    backends.forget_backends()
    monkeypatch.setattr(backends, "load_backend", lambda *args, **kwargs: be)
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps({"prefix": "x = ", "suffix": "\n"}) + "\n"))
    assert main(["batch", "--model", str(gemma_dir)]) == 0
    out, err = capsys.readouterr()
    assert "failed on this request" in json.loads(out)["error"] and "Traceback" not in err


def test_folder_without_config(tmp_path):
    with pytest.raises(ModelLoadError, match="has no config.json"):
        load_backend(str(tmp_path))
    with pytest.raises(ModelLoadError, match="has no config.json"):
        load_backend(str(tmp_path / "missing"))


def test_unsupported_architecture_names_the_supported_ones(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    with pytest.raises(ModelLoadError, match="'gpt2' model.*supported: .*diffusion_gemma.*llada.*dream"):
        load_backend(str(tmp_path))


def test_too_large_is_refused_before_loading_with_the_estimate(masked_lm_dir, monkeypatch):
    monkeypatch.setattr(loading, "available_bytes", lambda device: 1000)
    with pytest.raises(ModelLoadError, match=r"needs about 0\.0 GiB in float32 on cpu, but only 0\.0 GiB"):
        load_backend(str(masked_lm_dir))


def test_memory_estimate_rescales_stored_dtype(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"\0" * 1000)
    cfg = {"torch_dtype": "bfloat16"}
    assert loading.estimate_bytes(tmp_path, cfg, torch.float32) == int(2000 * loading.HEADROOM)
    assert loading.estimate_bytes(tmp_path, cfg, torch.bfloat16) == int(1000 * loading.HEADROOM)
    # No weights at all: estimated from the config's shape.
    empty = tmp_path / "empty"
    empty.mkdir()
    big = {"vocab_size": 256_000, "hidden_size": 4096, "num_hidden_layers": 32, "intermediate_size": 14336}
    assert loading.estimate_bytes(empty, big, torch.bfloat16) > 10 * 2**30


def test_device_and_dtype_choices():
    assert loading.resolve_device("cpu").type == "cpu"
    assert loading.resolve_dtype("auto", torch.device("cpu")) == torch.float32
    assert loading.resolve_dtype("auto", torch.device("cuda")) == torch.bfloat16
    assert loading.resolve_dtype("bf16", torch.device("cpu")) == torch.bfloat16
    with pytest.raises(ModelLoadError, match="unknown dtype"):
        loading.resolve_dtype("int3", torch.device("cpu"))
    if not torch.cuda.is_available():
        with pytest.raises(ModelLoadError, match="CUDA is not available"):
            loading.resolve_device("cuda")


def test_dtype_override_loads_bf16(masked_lm_dir):
    be = load_backend(str(masked_lm_dir), dtype="bfloat16")
    assert next(be.model.parameters()).dtype == torch.bfloat16
    assert be.infill(InfillRequest("x = ", "\n", canvas_length=3, max_blocks=1)).candidates


def test_no_mask_token_is_a_clear_error(masked_lm_dir, tmp_path):
    import shutil
    d = tmp_path / "nomask"
    shutil.copytree(masked_lm_dir, d)
    tc = json.loads((d / "tokenizer_config.json").read_text())
    tc.pop("mask_token", None)
    (d / "tokenizer_config.json").write_text(json.dumps(tc))
    with pytest.raises(ModelLoadError, match="has no mask token"):
        load_backend(str(d))


def test_masked_lm_rewrites_a_selection(masked_lm_dir):
    be = load_backend(str(masked_lm_dir))
    assert be.capabilities.rewrite
    res = be.infill(InfillRequest("x = ", "\n", init_text="1 + 2", remask_spans=((4, 5),), candidates=2))
    assert len(res.candidates) == 2 and all(c.text.startswith("1 +") for c in res.candidates)


def test_gemma_rewrite_is_refused_and_falls_back_when_configured(gemma_dir, tiny_model_dir, monkeypatch):
    from engine import backends
    from engine.backends.embedded import EmbeddedBackend
    req = InfillRequest("x = ", "\n", init_text="1 + 2", candidates=1)
    assert not load_backend(str(gemma_dir)).capabilities.rewrite
    with pytest.raises(BackendError, match="cannot rewrite"):
        load_backend(str(gemma_dir)).infill(req)
    monkeypatch.setattr(backends, "_embedded", lambda threads: EmbeddedBackend(tiny_model_dir))
    be = load_backend(str(gemma_dir), fallback_to_embedded=True)
    assert be.infill(req).candidates and "cannot rewrite" in be.last_error
    # A folder that fails to load is replaced by the embedded model up front.
    assert isinstance(load_backend(str(gemma_dir / "nope"), fallback_to_embedded=True), EmbeddedBackend)


def test_memory_estimate_reads_the_safetensors_headers(tmp_path):
    """Parameters counted from the header, whatever dtype the config claims the files hold."""
    from safetensors.torch import save_file
    save_file({"a": torch.zeros(10, 20), "b": torch.zeros(5)}, str(tmp_path / "model-00001-of-00002.safetensors"))
    save_file({"c": torch.zeros(3, 3, dtype=torch.bfloat16)}, str(tmp_path / "model-00002-of-00002.safetensors"))
    cfg = {"torch_dtype": "bfloat16"}       # wrong for the first shard: the header is what counts
    assert loading.estimate_bytes(tmp_path, cfg, torch.float32) == int(214 * 4 * loading.HEADROOM)
    assert loading.estimate_bytes(tmp_path, cfg, torch.bfloat16) == int(214 * 2 * loading.HEADROOM)


def test_the_pass_share_caps_a_completion_and_not_a_rewrite(tiny_model_dir):
    """One token a pass (sequential) with a share of 0.1: a fresh 32-token canvas gets at most
    4 passes; a rewrite of a text of some 50 tokens, all re-masked, takes a pass per token."""
    from engine.backends.embedded import EmbeddedBackend
    be = EmbeddedBackend(tiny_model_dir)
    capped = SamplerConfig("sequential", pass_share=0.1, length_first=False)
    fresh = be.infill(InfillRequest("x = ", "\n", canvas_length=32, max_blocks=1, sampler=capped))
    assert fresh.forward_passes <= 4
    text = "alpha beta gamma delta epsilon zeta eta theta iota kappa"
    rewrite = be.infill(InfillRequest("x = ", "\n", init_text=text, renoise=1.0, sampler=capped))
    assert rewrite.forward_passes >= 20              # every token masked, one a pass (capped: 5 or so)
    spans = be.infill(InfillRequest("x = ", "\n", init_text=text, remask_spans=((0, len(text)),), sampler=capped))
    assert spans.forward_passes >= 20
