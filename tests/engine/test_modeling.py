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
    from engine.modeling import ContextCache

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
