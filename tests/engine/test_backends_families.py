"""The published diffusion families load by architecture: a tiny checkpoint in each family's
layout (tests/diffusion_checkpoints.py) gives the logits of a plain-torch reference forward
to 1e-4, runs ``infill complete`` and ``infill rewrite``, and no file of its remote code is run."""

import json

import pytest
import torch

from diffusion_checkpoints import EXAMPLE, MARKER, WRITERS, reference_logits, write_dream, write_llada
from engine.backends import load_backend, loading
from engine.backends.adapters import SequenceCache
from engine.errors import ModelLoadError
from infill.cli import main

pytestmark = pytest.mark.usefixtures("fresh_backends")

FAMILY_OF = {"llada": ("llada", False), "dream": ("dream", True), "dreamon": ("dreamon", True),
             "open_dcoder": ("open_dcoder", True), "coda": ("coda", True)}


@pytest.fixture(scope="module", params=sorted(WRITERS))
def made(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(request.param)
    return request.param, out, WRITERS[request.param](out)


def test_logits_match_the_reference_forward(made):
    name, folder, ckpt = made
    be = load_backend(str(folder))
    family, shift = FAMILY_OF[name]
    assert be.describe()["family"] == family and be.adapter.shift is shift
    assert be.describe()["dtype"] == "float32"
    ids = torch.tensor([[5, 17, 42, 3, 99, 7, 64, 11, 12, 150]])
    want = reference_logits(name, ckpt, ids)
    got = be.model(input_ids=ids).logits
    assert torch.allclose(got, want, atol=1e-4), (got - want).abs().max()
    # Bidirectional: changing the last token changes the first position's logits.
    later = ids.clone()
    later[0, -1] = 200
    assert not torch.allclose(be.model(input_ids=later).logits[0, 0], got[0, 0], atol=1e-4)
    # The adapter reads the canvas's logits where the family puts them (shifted: one position left).
    cache = SequenceCache(ids[:, :4], ids[:, 7:])
    canvas = ids[:, 4:7]
    out = be.adapter.denoise(canvas, cache)
    start = 3 if shift else 4
    keep = [i for i in range(out.shape[-1]) if i not in be.adapter.ends]
    assert torch.allclose(out[0, :, keep], want[0, start:start + 3, keep], atol=1e-4)
    assert not (folder / MARKER).exists()


def test_complete_runs_through_the_cli(made, capsys):
    name, folder, _ = made
    assert main(["complete", f"{EXAMPLE}:7:14", "--model", str(folder), "--json", "--canvas", "8",
                 "--candidates", "2", "--workspace", "", "--max-blocks", "1", "--steps", "3",
                 "--header-bodies", "0"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["forward_passes"] >= 1 and isinstance(row["text"], str)
    assert not (folder / MARKER).exists()


def test_rewrite_runs_through_the_cli(made, capsys):
    name, folder, _ = made
    assert main(["rewrite", f"{EXAMPLE}:8-8", "--model", str(folder), "--format", "json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert isinstance(row["diff"], str) and row["forward_passes"] >= 1


def test_rewrite_keeps_the_tokens_it_does_not_remask(made):
    """A canvas started from the selected text: only the re-masked span is drawn again."""
    from engine.api import InfillRequest
    name, folder, _ = made
    be = load_backend(str(folder))
    assert be.capabilities.rewrite
    text = "total += value"
    res = be.infill(InfillRequest("def f(value):\n    total = 0\n    ", "\n    return total\n", init_text=text,
                                  remask_spans=((9, 14),), candidates=2, seed=3))
    assert len(res.candidates) == 2 and res.forward_passes >= 1
    assert all(c.text.startswith("total +=") for c in res.candidates)


def test_a_sharded_checkpoint_loads_from_its_index(tmp_path):
    ckpt = write_dream(tmp_path, shards=3)
    assert len(list(tmp_path.glob("model-*-of-00003.safetensors"))) == 3
    be = load_backend(str(tmp_path))
    ids = torch.tensor([[1, 2, 3, 4, 5]])
    assert torch.allclose(be.model(input_ids=ids).logits, reference_logits("dream", ckpt, ids), atol=1e-4)


def _edit_config(folder, **changes):
    cfg = json.loads((folder / "config.json").read_text())
    cfg.update(changes)
    (folder / "config.json").write_text(json.dumps(cfg))


def test_a_misshapen_weight_names_the_key_and_both_shapes(tmp_path):
    write_llada(tmp_path)
    _edit_config(tmp_path, mlp_hidden_size=40)
    with pytest.raises(ModelLoadError, match=r"weight model\.transformer\.blocks\.0\.ff_proj\.weight has shape "
                                             r"\(48, 32\), but config\.json implies \(40, 32\)"):
        load_backend(str(tmp_path))


def test_a_missing_weight_is_named(tmp_path):
    write_llada(tmp_path)
    _edit_config(tmp_path, n_layers=3)
    with pytest.raises(ModelLoadError, match=r"lacks weight model\.transformer\.blocks\.2\.attn_norm\.weight"):
        load_backend(str(tmp_path))


def test_an_unsupported_option_of_a_family_is_named(tmp_path):
    write_llada(tmp_path)
    _edit_config(tmp_path, alibi=True)
    with pytest.raises(ModelLoadError, match="sets alibi = True"):
        load_backend(str(tmp_path))


def test_a_tokenizer_without_a_mask_token_is_refused(tmp_path):
    write_dream(tmp_path)
    _edit_config(tmp_path, mask_token_id=None)
    tc = json.loads((tmp_path / "tokenizer_config.json").read_text())
    tc.pop("mask_token")
    tc["added_tokens_decoder"] = {k: v for k, v in tc["added_tokens_decoder"].items() if v["content"] != "<|mask|>"}
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(tc))
    tok = json.loads((tmp_path / "tokenizer.json").read_text())
    tok["added_tokens"] = [t for t in tok["added_tokens"] if t["content"] != "<|mask|>"]
    tok["model"]["vocab"].pop("<|mask|>")
    (tmp_path / "tokenizer.json").write_text(json.dumps(tok))
    with pytest.raises(ModelLoadError, match="has no mask token"):
        load_backend(str(tmp_path))


def test_too_large_is_refused_before_any_weight_is_read(tmp_path, monkeypatch):
    write_llada(tmp_path)
    monkeypatch.setattr(loading, "available_bytes", lambda device: 1000)
    from engine.backends import checkpoint
    monkeypatch.setattr(checkpoint, "load_model", lambda *a, **k: pytest.fail("weights were read"))
    monkeypatch.setattr(checkpoint, "load_tokenizer", lambda *a, **k: pytest.fail("the tokenizer was read"))
    with pytest.raises(ModelLoadError, match="needs about .* GiB in float32 on cpu, but only"):
        load_backend(str(tmp_path))


def test_a_qwen2_checkpoint_without_a_mask_token_is_not_taken_for_a_diffusion_model(tmp_path):
    WRITERS["open_dcoder"](tmp_path)
    tc = json.loads((tmp_path / "tokenizer_config.json").read_text())
    tc.pop("mask_token")
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(tc))
    with pytest.raises(ModelLoadError, match="'qwen2' model, which is not supported"):
        load_backend(str(tmp_path))


def test_cli_error_is_one_line_and_exit_1(tmp_path, capsys):
    write_llada(tmp_path)
    _edit_config(tmp_path, n_layers=3)
    assert main(["complete", f"{EXAMPLE}:7:14", "--model", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "lacks weight" in err and "Traceback" not in err


class _Scripted:
    """A model as DreamOn's loop sees it: each pass puts one (position, token) far above the rest."""

    def __init__(self, script, V=20):
        self.script, self.V, self.seen = list(script), V, []

    def denoise(self, canvas, cache):
        self.seen.append(canvas[0].tolist())
        logits = torch.zeros(1, canvas.shape[1], self.V)
        logits[..., 5] = 1.0                                  # token 5 wherever the script says nothing
        pos, tok = self.script.pop(0)
        logits[0, pos, tok] = 20.0
        return logits


def test_dreamon_canvas_grows_on_expand_and_shrinks_on_delete():
    from engine.backends.dreamon import denoise_row
    from engine.sampling import SpecialTokens
    M, END, EXPAND, DELETE = 1, 15, 18, 19
    model = _Scripted([(0, EXPAND), (0, 10), (1, DELETE), (1, 11)])
    grown = denoise_row(model, None, SpecialTokens(mask=M, pad_end=END), EXPAND, DELETE, start=2, max_len=8,
                        max_steps=20)
    assert model.seen == [[M, M], [M, M, M], [10, M, M], [10, M]]
    assert grown.tokens == [10, 11] and grown.passes == 4 and grown.lengths == [2, 3, 3, 2]
    # At the length limit expansion is not drawn; when the pass budget is spent every mask is filled at once.
    capped = denoise_row(_Scripted([(0, EXPAND), (0, 12)]), None, SpecialTokens(mask=M, pad_end=END), EXPAND, DELETE,
                         start=2, max_len=2, max_steps=1)
    assert capped.passes == 1 and capped.tokens == [5, 5]


def test_dreamon_checkpoint_completes_on_a_growing_canvas(tmp_path):
    from engine.api import InfillRequest
    WRITERS["dreamon"](tmp_path)
    be = load_backend(str(tmp_path))
    assert be.describe()["family"] == "dreamon" and len(be.edit_ids) == 2
    expand, delete = be.edit_ids
    seen = []
    original = be.adapter.denoise

    def spy(canvas, cache):
        seen.append(canvas.shape[1])
        logits = original(canvas, cache)
        logits[0, 0, expand] = 50.0 if len(seen) <= 2 else -50.0        # grow twice, then let it settle
        return logits

    be.adapter.denoise = spy
    res = be.infill(InfillRequest("def f(a):\n    return ", "\n", canvas_length=8, max_blocks=2, candidates=2))
    assert seen[:3] == [8, 9, 10] and len(res.candidates) == 2 and res.forward_passes == len(seen)
    assert all(c.tokens <= 16 for c in res.candidates)


def test_llada_sequential_blocks_split_their_fused_projections(tmp_path):
    """LLaDA's OLMo-style ``block_type: sequential``: one ``att_proj`` (q, k, v rows) and one
    ``ff_proj`` (SwiGLU: the first half multiplied by silu of the second)."""
    from safetensors.torch import save_file
    made = write_llada(tmp_path)
    w, c, t = dict(made["weights"]), made["cfg"], "model.transformer.blocks."
    for i in range(c["n_layers"]):
        b = f"{t}{i}."
        w[b + "att_proj.weight"] = torch.cat([w.pop(b + p) for p in ("q_proj.weight", "k_proj.weight", "v_proj.weight")])
        gate, up = w.pop(b + "ff_proj.weight"), w.pop(b + "up_proj.weight")
        w[b + "ff_proj.weight"] = torch.cat([up, gate])
    save_file(w, str(tmp_path / "model.safetensors"), metadata={"format": "pt"})
    _edit_config(tmp_path, block_type="sequential", activation_type="swiglu", mlp_hidden_size=2 * c["mlp_hidden_size"])
    be = load_backend(str(tmp_path))
    ids = torch.tensor([[3, 14, 15, 92, 65, 35]])
    assert torch.allclose(be.model(input_ids=ids).logits, reference_logits("llada", made, ids), atol=1e-4)


def test_bfloat16_runs_close_to_the_float32_reference(tmp_path):
    """The dtype CUDA gets by default (bf16), here on the CPU: weights cast as they are read."""
    made = write_dream(tmp_path)
    be = load_backend(str(tmp_path), dtype="bfloat16")
    assert {p.dtype for p in be.model.parameters()} == {torch.bfloat16}
    ids = torch.tensor([[1, 2, 3, 4, 5, 6]])
    got, want = be.model(input_ids=ids).logits.float(), reference_logits("dream", made, ids)
    assert (got - want).abs().max() < 0.1 and (got.argmax(-1) == want.argmax(-1)).float().mean() > 0.8


def test_a_tokenizer_shipped_as_code_is_read_from_vocab_and_merges(tmp_path):
    """Dream's tokenizer class is code (tokenization_dream.py, never run): a folder with only
    vocab.json + merges.txt is read as the byte-level BPE it wraps, special tokens as named."""
    write_dream(tmp_path)
    tok = json.loads((tmp_path / "tokenizer.json").read_text())
    (tmp_path / "vocab.json").write_text(json.dumps(tok["model"]["vocab"]))
    merges = [m if isinstance(m, str) else " ".join(m) for m in tok["model"]["merges"]]
    (tmp_path / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    (tmp_path / "tokenizer.json").unlink()
    be = load_backend(str(tmp_path))
    assert type(be.tokenizer).__name__ == "Qwen2Tokenizer"
    assert be.adapter.special.mask == tok["model"]["vocab"]["<|mask|>"] == be.tokenizer.mask_token_id
    assert be.tokenizer.decode(be.tokenizer("def mean(values):")["input_ids"]) == "def mean(values):"
    assert not (tmp_path / MARKER).exists()


def test_a_weight_the_layout_does_not_use_is_warned_about(tmp_path, caplog):
    import logging

    from safetensors.torch import save_file
    made = write_llada(tmp_path)
    extra = {**made["weights"], "model.transformer.blocks.0.q_norm.weight": torch.ones(8)}
    save_file(extra, str(tmp_path / "model.safetensors"), metadata={"format": "pt"})
    with caplog.at_level(logging.WARNING):
        load_backend(str(tmp_path))
    assert "1 weight(s)" in caplog.text and "blocks.0.q_norm.weight" in caplog.text
