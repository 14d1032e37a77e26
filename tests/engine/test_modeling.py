"""The canvas denoiser: cached decoding equals one pass, padding and continuation are exact."""

import torch
from transformers import AutoConfig, AutoModel

from engine.modeling import CanvasConfig, CanvasDenoiser


def tiny(vocab=50):
    torch.manual_seed(0)
    cfg = CanvasConfig(vocab_size=vocab, hidden_size=32, num_layers=2, num_heads=4, intermediate_size=48,
                       pad_end_id=0, mask_id=1, fim_prefix_id=2, fim_suffix_id=3, fim_middle_id=4)
    return CanvasDenoiser(cfg).eval()


def test_logits_shape_and_cache_reuse():
    m = tiny()
    ctx, canvas = torch.randint(5, 50, (2, 9)), torch.randint(5, 50, (2, 6))
    with torch.no_grad():
        cache = m.encode_context(ctx)
        a = m.denoise(canvas, cache)
        b = m.denoise(canvas, cache)      # the cache is not modified by a denoising step
        full = m(ctx, canvas)
    assert a.shape == (2, 6, 50)
    assert torch.equal(a, b)
    assert torch.allclose(a, full, atol=1e-5)


def test_left_padding_does_not_change_the_result():
    m = tiny()
    ctx, canvas = torch.randint(5, 50, (1, 7)), torch.randint(5, 50, (1, 4))
    padded = torch.cat([torch.zeros(1, 3, dtype=torch.long), ctx], dim=1)
    valid = torch.tensor([[False] * 3 + [True] * 7])
    with torch.no_grad():
        assert torch.allclose(m(ctx, canvas), m(padded, canvas, valid), atol=1e-5)


def test_context_continuation_equals_one_encoding():
    m = tiny()
    ctx, canvas = torch.randint(5, 50, (1, 12)), torch.randint(5, 50, (1, 4))
    with torch.no_grad():
        whole = m.denoise(canvas, m.encode_context(ctx))
        part = m.encode_context(ctx[:, 8:], cache=m.encode_context(ctx[:, :8]))
        assert torch.allclose(whole, m.denoise(canvas, part), atol=1e-5)


def test_context_is_causal_canvas_is_bidirectional():
    m = tiny()
    ctx, canvas = torch.randint(5, 50, (1, 6)), torch.randint(5, 50, (1, 5))
    with torch.no_grad():
        base = m.denoise(canvas, m.encode_context(ctx))
        changed = canvas.clone()
        changed[0, 4] = (changed[0, 4] + 1 - 5) % 45 + 5
        after = m.denoise(changed, m.encode_context(ctx))
        c1, c2 = m.encode_context(ctx), m.encode_context(torch.cat([ctx[:, :5], ctx[:, 5:] % 45 + 5], 1))
    assert not torch.allclose(base[0, 0], after[0, 0])          # position 0 sees position 4
    assert torch.allclose(c1.keys[1][:, :, :5], c2.keys[1][:, :, :5], atol=1e-6)   # no look-ahead


def test_candidates_share_one_cache():
    m = tiny()
    with torch.no_grad():
        cache = m.encode_context(torch.randint(5, 50, (1, 8))).expand(3)
        out = m.denoise(torch.randint(5, 50, (3, 4)), cache)
    assert out.shape == (3, 4, 50)


def test_save_and_load_through_auto_classes(tmp_path):
    m = tiny()
    m.save_pretrained(str(tmp_path))
    assert (tmp_path / "model.safetensors").exists()
    assert AutoConfig.from_pretrained(str(tmp_path)).model_type == "infill_canvas"
    loaded = AutoModel.from_pretrained(str(tmp_path), local_files_only=True).eval()
    ctx, canvas = torch.randint(5, 50, (1, 5)), torch.randint(5, 50, (1, 3))
    with torch.no_grad():
        assert torch.allclose(m(ctx, canvas), loaded(ctx, canvas))


def test_rows_sharing_one_context_read_it_once_with_the_same_logits():
    from engine.layers import ContextCache

    m = tiny()
    ctx = torch.randint(5, 50, (1, 11))
    padded = torch.cat([torch.zeros(1, 2, dtype=torch.long), ctx], dim=1)       # left padding too
    valid = torch.tensor([[False] * 2 + [True] * 11])
    canvas = torch.randint(5, 50, (5, 7))
    with torch.no_grad():
        for cache in (m.encode_context(ctx), m.encode_context(padded, valid)):
            shared = cache.expand(5)
            copied = ContextCache([k.expand(5, -1, -1, -1).contiguous() for k in cache.keys],
                                  [v.expand(5, -1, -1, -1).contiguous() for v in cache.values],
                                  cache.valid.expand(5, -1).contiguous(), cache.lengths.expand(5).contiguous())
            assert shared.shared and not copied.shared
            assert torch.allclose(m.denoise(canvas, shared), m.denoise(canvas, copied), atol=1e-5)
            at = torch.tensor([0, 3, 6, 2, 1])
            assert torch.allclose(m.denoise(canvas, shared, at=at), m.denoise(canvas, copied, at=at), atol=1e-5)


def test_the_inference_module_loads_the_saved_weights_with_the_same_logits(tiny_model_dir, tmp_path):
    import json
    import shutil

    import pytest
    from safetensors.torch import load_file, save_file

    from engine.layers import CanvasNet

    trained = CanvasDenoiser.from_pretrained(str(tiny_model_dir)).eval()
    net = CanvasNet.from_folder(tiny_model_dir)
    ctx, canvas = torch.randint(5, 50, (3, 9)), torch.randint(5, 50, (3, 6))
    with torch.no_grad():
        assert torch.equal(net(ctx, canvas), trained(ctx, canvas))
    # A weight of the wrong shape is named, with both shapes.
    bad = tmp_path / "bad"
    shutil.copytree(tiny_model_dir, bad)
    weights = load_file(bad / "model.safetensors")
    weights["norm.weight"] = torch.ones(7)
    save_file(weights, bad / "model.safetensors")
    with pytest.raises(ValueError, match=r"norm\.weight has shape \(7,\), the config gives \(32,\)"):
        CanvasNet.from_folder(bad)
    config = json.loads((bad / "config.json").read_text())
    del config["num_heads"]
    (bad / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="config.json lacks num_heads"):
        CanvasNet.from_folder(bad)


def test_the_embedded_backend_does_not_import_transformers_model_classes():
    import subprocess
    import sys

    code = ("import sys; from infill.backends import get_backend; from infill.config import InfillOptions; "
            "get_backend(InfillOptions(threads=1)); print('transformers.modeling_utils' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr[-2000:]
