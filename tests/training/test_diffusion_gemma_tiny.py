"""The tiny text-only DiffusionGemma config builds a small model with no vision tower."""

import torch

from training.diffusion_gemma import GemmaCanvasAdapter, text_only_model, tiny_text_config

V, N = 64, 8


def tiny_model():
    torch.manual_seed(0)
    cfg = tiny_text_config(V, hidden_size=32, num_layers=2, num_heads=2, intermediate_size=64,
                           canvas_length=N, pad_end_id=0, mask_id=1, fim_prefix_id=2,
                           fim_suffix_id=3, fim_middle_id=4)
    return cfg, text_only_model(cfg)


def test_constructs_text_only_and_small():
    cfg, model = tiny_model()
    assert model.model.encoder.vision_tower is None and model.model.encoder.embed_vision is None
    assert not any("vision" in name for name, _ in model.named_parameters())
    assert cfg.text_config.num_experts == 1 and cfg.text_config.pad_token_id is None
    assert cfg.mask_id == 1 and cfg.text_config.eos_token_id == 0
    assert sum(p.numel() for p in model.parameters()) < 1_000_000


def test_forward_gives_canvas_logits_and_ignores_left_padding():
    _, model = tiny_model()
    adapter = GemmaCanvasAdapter(model).eval()
    gen = torch.Generator().manual_seed(0)
    ctx = torch.randint(5, V, (2, 12), generator=gen)
    valid = torch.ones(2, 12, dtype=torch.bool)
    valid[1, :5] = False                                   # row 1 is left-padded
    canvas = torch.full((2, N), 1)
    with torch.no_grad():
        logits = adapter(ctx, canvas, valid)
        alone = adapter(ctx[1:, 5:], canvas[1:])
    assert logits.shape == (2, N, V)
    assert torch.isfinite(logits).all()
    torch.testing.assert_close(logits[1], alone[0], atol=1e-4, rtol=1e-4)
