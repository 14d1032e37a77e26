"""Samplers against a scripted mock model (no weights): nanochat's testing idea."""

import math

import pytest
import torch

from engine.sampling import STRATEGIES, SamplerConfig, SpecialTokens, denoise

PAD, MASK, FIM = 0, 1, 2
V = 12
SPECIAL = SpecialTokens(mask=MASK, pad_end=PAD, forbidden=[MASK, FIM])


class ScriptedModel:
    """Predicts a fixed target per position with a fixed probability; counts calls and keeps
    the (rows, width) of each canvas it was given."""

    def __init__(self, target, prob):
        self.target = torch.tensor(target)
        self.prob = torch.tensor(prob, dtype=torch.float)
        self.calls = 0
        self.shapes = []

    def denoise(self, canvas, cache):
        self.calls += 1
        self.shapes.append(tuple(canvas.shape))
        B, N = canvas.shape
        p = self.prob[:N]
        # logit of the target so that its softmax probability is p, the rest uniform.
        other = (1 - p) / (V - 1)
        logits = torch.log(other)[:, None].repeat(1, V)
        logits[torch.arange(N), self.target[:N]] = torch.log(p)
        # make the forbidden FIM token very likely everywhere: it must still never appear
        logits[:, FIM] = 5.0
        return logits[None].repeat(B, 1, 1)


def run(model, n, cfg, seed=0, batch=1):
    canvas = torch.full((batch, n), MASK)
    return denoise(model, None, canvas, SPECIAL, cfg, torch.Generator().manual_seed(seed))


def test_threshold_commits_confident_positions_in_one_pass():
    m = ScriptedModel([5, 6, 7, 8], [0.99, 0.95, 0.5, 0.97])
    res = run(m, 4, SamplerConfig("threshold", threshold=0.9))
    assert res.tokens.tolist() == [[5, 6, 7, 8]]
    assert res.commits_per_pass == [3, 1]        # the unsure position waits for a second pass
    assert res.forward_passes == 2 == m.calls


def test_threshold_commits_the_single_best_when_none_pass():
    m = ScriptedModel([5, 6, 7], [0.3, 0.6, 0.4])
    res = run(m, 3, SamplerConfig("threshold", threshold=0.9))
    assert res.commits_per_pass == [1, 1, 1]
    assert res.tokens.tolist() == [[5, 6, 7]]


def test_sequential_is_one_token_per_pass():
    m = ScriptedModel([5, 6, 7, 8, 9], [0.99] * 5)
    res = run(m, 5, SamplerConfig("sequential"))
    assert res.forward_passes == 5
    assert res.commits_per_pass == [1] * 5


def test_entropy_bound_controls_parallelism():
    m = ScriptedModel([5, 6, 7, 8], [0.99, 0.99, 0.99, 0.99])
    wide = run(m, 4, SamplerConfig("entropy", entropy_bound=10.0))
    narrow = run(ScriptedModel([5, 6, 7, 8], [0.99] * 4), 4, SamplerConfig("entropy", entropy_bound=1e-6))
    assert wide.forward_passes == 1
    assert narrow.forward_passes == 4
    assert wide.tokens.tolist() == narrow.tokens.tolist() == [[5, 6, 7, 8]]


def test_pad_end_truncates_the_rest_of_the_canvas():
    # position 2 is a confident pad_end: everything after it becomes pad without more passes
    m = ScriptedModel([5, 6, PAD, 9, 9, 9], [0.5, 0.6, 0.99, 0.3, 0.3, 0.3])
    res = run(m, 6, SamplerConfig("sequential", pad_penalty=1.0, length_first=False))
    assert res.tokens.tolist() == [[5, 6, PAD, PAD, PAD, PAD]]
    assert res.forward_passes == 3


def test_pad_penalty_commits_content_before_pads():
    m = ScriptedModel([5, PAD, PAD], [0.9, 0.95, 0.95])
    res = run(m, 3, SamplerConfig("sequential", pad_penalty=0.5))
    assert res.commits_per_pass[0] == 1
    assert res.tokens[0, 0].item() == 5     # content first, though the pads were more confident


def test_min_tokens_forbids_an_empty_middle():
    m = ScriptedModel([PAD, PAD, PAD], [0.99, 0.99, 0.99])
    res = run(m, 3, SamplerConfig("threshold", min_tokens=1))
    assert res.tokens[0, 0].item() != PAD
    assert res.tokens[0, 1:].tolist() == [PAD, PAD]


def test_forbidden_tokens_are_never_produced():
    m = ScriptedModel([5, 6, 7], [0.2, 0.2, 0.2])
    for name in STRATEGIES:
        res = run(m, 3, SamplerConfig(name, temperature=1.0), seed=3)
        assert FIM not in res.tokens.tolist()[0] and MASK not in res.tokens.tolist()[0]


def test_sampling_is_reproducible_with_the_generator():
    cfg = SamplerConfig("threshold", temperature=1.0)
    a = run(ScriptedModel([5, 6, 7, 8], [0.4] * 4), 4, cfg, seed=7, batch=3)
    b = run(ScriptedModel([5, 6, 7, 8], [0.4] * 4), 4, cfg, seed=7, batch=3)
    assert torch.equal(a.tokens, b.tokens)


def test_candidates_after_the_first_are_sampled_first_is_greedy():
    cfg = SamplerConfig("threshold", temperature=0.0, candidate_temperature=5.0)
    res = run(ScriptedModel([5, 6, 7, 8], [0.3] * 4), 4, cfg, seed=1, batch=8)
    assert res.tokens[0].tolist() == [5, 6, 7, 8]
    assert any(row != [5, 6, 7, 8] for row in res.tokens[1:].tolist())


def test_samples_at_masked_positions_match_a_draw_over_every_position():
    """Gumbel-max is read only where a position is masked, from noise drawn for the whole
    (B, N, V): the tokens there are the ones the full draw gives, whatever else is masked."""
    from engine.sampling import _predict
    cfg = SamplerConfig("threshold", temperature=0.0, candidate_temperature=0.8)
    logits = torch.randn(3, 5, V, generator=torch.Generator().manual_seed(3)) * 2
    masked = torch.tensor([[True, False, True, True, False]] * 3)
    tok, conf, tok_logp, entropy = _predict(logits, cfg, torch.Generator().manual_seed(9), masked)
    full, _, _, full_entropy = _predict_everywhere(logits, cfg, torch.Generator().manual_seed(9), masked)
    assert torch.equal(tok[masked], full[masked])
    logp = torch.log_softmax(logits, -1)
    assert torch.allclose(tok_logp, logp.gather(-1, tok[..., None]).squeeze(-1))
    assert torch.equal(entropy, torch.zeros(3, 5))                 # read by the entropy sampler only
    _, _, _, ent = _predict(logits, SamplerConfig("entropy"), torch.Generator(), masked)
    assert torch.allclose(ent, full_entropy, atol=1e-5)


def test_stability_early_exit_saves_passes():
    slow = run(ScriptedModel([5, 6, 7, 8, 9, 10], [0.5] * 6), 6, SamplerConfig("threshold"))
    fast = run(ScriptedModel([5, 6, 7, 8, 9, 10], [0.5] * 6), 6, SamplerConfig("threshold", stable_steps=2))
    assert slow.forward_passes == 6
    assert fast.forward_passes == 3
    assert fast.tokens.tolist() == slow.tokens.tolist()


def test_step_cap_commits_what_is_left():
    res = run(ScriptedModel([5, 6, 7, 8], [0.5] * 4), 4, SamplerConfig("sequential", max_steps=2))
    assert res.forward_passes == 2
    assert MASK not in res.tokens.tolist()[0]


def test_step_budget_spreads_commits_most_confident_first():
    """With a budget of 3 passes, 7 unsure positions are committed 3 + 2 + 2, best first."""
    probs = [0.30, 0.60, 0.35, 0.50, 0.40, 0.55, 0.45]
    res = run(ScriptedModel([5, 6, 7, 8, 9, 10, 11], probs), 7,
              SamplerConfig("threshold", max_steps=3, length_first=False, min_tokens=0, require_content=False))
    assert res.forward_passes == 3
    assert res.commits_per_pass == [3, 2, 2]
    assert res.tokens.tolist() == [[5, 6, 7, 8, 9, 10, 11]]


def test_logprob_sums_committed_content():
    res = run(ScriptedModel([5, 6], [0.99, 0.98]), 2, SamplerConfig("threshold", min_tokens=0, require_content=False))
    # forbidden tokens (mask, FIM) are removed before the softmax: renormalise over the rest
    expected = sum(math.log(p / (p + (V - 3) * (1 - p) / (V - 1))) for p in (0.99, 0.98))
    assert res.logprob.item() == pytest.approx(expected, abs=1e-4)


def test_unknown_sampler_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown sampler 'fast'"):
        run(ScriptedModel([5], [0.9]), 1, SamplerConfig("fast"))


def test_require_content_forbids_a_blank_middle():
    BLANK = 3   # a whitespace-only token: a middle of only blanks may not end
    special = SpecialTokens(mask=MASK, pad_end=PAD, forbidden=[MASK, FIM], blank=[BLANK])
    m = ScriptedModel([BLANK, PAD, 7, PAD], [0.99, 0.99, 0.5, 0.99])
    res = denoise(m, None, torch.full((1, 4), MASK), special,
                  SamplerConfig("threshold", pad_penalty=1.0, length_first=False), torch.Generator().manual_seed(0))
    row = res.tokens[0].tolist()
    assert row[0] == BLANK and row[1] != PAD      # could not end right after the blank
    off = denoise(ScriptedModel([BLANK, PAD, 7, PAD], [0.99, 0.99, 0.5, 0.99]), None, torch.full((1, 4), MASK),
                  special, SamplerConfig("threshold", pad_penalty=1.0, require_content=False, length_first=False),
                  torch.Generator().manual_seed(0))
    assert off.tokens[0].tolist() == [BLANK, PAD, PAD, PAD]


def test_length_first_ends_the_middle_at_the_first_argmax_pad():
    # pads are likely from position 3 on but not confident: without length-first, content-first
    # ordering would fill the far positions with unsure content
    m = ScriptedModel([5, 6, 7, PAD, PAD, PAD], [0.99, 0.4, 0.4, 0.3, 0.3, 0.3])
    res = run(m, 6, SamplerConfig("sequential"))
    assert res.tokens.tolist() == [[5, 6, 7, PAD, PAD, PAD]]
    assert res.forward_passes == 3               # only the three content positions needed passes
    never = run(ScriptedModel([5, 6, 7, 8], [0.9] * 4), 4, SamplerConfig("threshold"))
    assert never.tokens.tolist() == [[5, 6, 7, 8]]   # no argmax pad: the whole canvas is content
    floor = run(ScriptedModel([PAD, 6, 7], [0.9, 0.9, 0.9]), 3, SamplerConfig("threshold", min_tokens=2))
    assert floor.tokens[0, :2].tolist() != [PAD, PAD] and floor.tokens[0, 0].item() != PAD


def test_trim_pads_narrows_later_passes_and_keeps_the_result():
    target, probs = [5, 6, 7, PAD, PAD, PAD, PAD, PAD], [0.5, 0.4, 0.3] + [0.99] * 5
    trimmed, full = ScriptedModel(target, probs), ScriptedModel(target, probs)
    a = run(trimmed, 8, SamplerConfig("threshold", trim_pads=True))
    b = run(full, 8, SamplerConfig("threshold", trim_pads=False))
    assert a.tokens.tolist() == b.tokens.tolist() == [target]
    assert [w for _, w in trimmed.shapes] == [8, 4, 4] and [w for _, w in full.shapes] == [8, 8, 8]


def tiny_net(seed):
    from engine.modeling import CanvasConfig, CanvasDenoiser

    torch.manual_seed(seed)
    return CanvasDenoiser(CanvasConfig(vocab_size=V, hidden_size=32, num_layers=2, num_heads=4,
                                       intermediate_size=48, pad_end_id=PAD, mask_id=MASK)).eval()


class RowCounter:
    """A model as the sampler sees it, recording how many rows each forward pass holds."""

    def __init__(self, net):
        self.net, self.rows = net, []

    def denoise(self, canvas, cache):
        self.rows.append(canvas.shape[0])
        return self.net.denoise(canvas, cache)


def copied(one, n):
    """A batch-1 cache repeated n times in memory: every row is forwarded (not ``shared``)."""
    from engine.layers import ContextCache

    return ContextCache([k.expand(n, -1, -1, -1).contiguous() for k in one.keys],
                        [v.expand(n, -1, -1, -1).contiguous() for v in one.values],
                        one.valid.expand(n, -1).contiguous(), one.lengths.expand(n).contiguous())


def test_k_candidates_over_one_context_forward_one_row_until_they_differ():
    """Before any commit, K rows of masks over a shared context have the same logits: the first
    pass forwards one row; the rows, their log-probabilities and the pass count are as with a
    copied (unshared) context, where every row is forwarded."""
    net = tiny_net(0)
    with torch.no_grad():
        one = net.encode_context(torch.randint(3, V, (1, 9)))
        shared = one.expand(4)
        cfg = SamplerConfig("threshold", candidate_temperature=1.0, max_steps=3)
        a, b = RowCounter(net), RowCounter(net)
        fast = denoise(a, shared, torch.full((4, 6), MASK), SPECIAL, cfg, torch.Generator().manual_seed(3))
        slow = denoise(b, copied(one, 4), torch.full((4, 6), MASK), SPECIAL, cfg, torch.Generator().manual_seed(3))
    assert a.rows[0] == 1 and all(r == 4 for r in a.rows[1:])
    assert all(r == 4 for r in b.rows)
    assert fast.tokens.tolist() == slow.tokens.tolist()
    assert len({tuple(row) for row in fast.tokens.tolist()}) > 1      # the candidates did diverge
    assert torch.allclose(fast.logprob, slow.logprob, atol=1e-5)
    assert fast.forward_passes == slow.forward_passes


def test_a_row_with_nothing_left_to_fill_is_not_forwarded_again():
    class OneContext:                   # a shared cache as the sampler sees it
        shared = True

        def first_row(self):
            return self

        def expand(self, n):
            return self

    canvas = torch.tensor([[5, 6, 7, MASK], [MASK] * 4])   # row 0 has one position left, row 1 four
    cfg = SamplerConfig("sequential", length_first=False)
    skipping, every = ScriptedModel([5, 6, 7, 8], [0.5] * 4), ScriptedModel([5, 6, 7, 8], [0.5] * 4)
    a = denoise(skipping, OneContext(), canvas, SPECIAL, cfg, torch.Generator().manual_seed(0))
    b = denoise(every, None, canvas, SPECIAL, cfg, torch.Generator().manual_seed(0))
    assert [r for r, _ in skipping.shapes] == [2, 1, 1, 1] and [r for r, _ in every.shapes] == [2, 2, 2, 2]
    assert a.tokens.tolist() == b.tokens.tolist()       # row 1 samples: the same draws either way
    assert a.tokens[0].tolist() == [5, 6, 7, 8] and MASK not in a.tokens[1].tolist()
    assert a.commits_per_pass == b.commits_per_pass


def test_a_pass_share_caps_the_passes_at_that_share_of_the_canvas():
    """A completion canvas's budget (``blocks.completion_budget``, as ``fill_blocks`` applies it)."""
    from engine.blocks import completion_budget

    def capped_run(target, probs, **cfg):
        n = len(target)
        return run(ScriptedModel(target, probs), n, completion_budget(SamplerConfig("sequential", length_first=False,
                                                                                    **cfg), n))

    target, probs = [5, 6, 7, 8, 9, 10, 11, 5], [0.5] * 8
    free = capped_run(target, probs)
    capped = capped_run(target, probs, pass_share=0.25)
    odd = capped_run(target, probs, pass_share=0.3)
    assert free.forward_passes == 8
    assert capped.forward_passes == 2 and capped.commits_per_pass == [4, 4]
    assert odd.forward_passes == 3                   # ceil(8 * 0.3): rounded up, never below one pass
    assert capped.tokens.tolist() == free.tokens.tolist() == [target]
    steps_win = capped_run(target, probs, pass_share=0.25, max_steps=4)
    assert steps_win.forward_passes == 4             # an explicit step budget overrides the share
    hundred = capped_run([5] * 100, [0.5] * 100, pass_share=0.07)
    assert hundred.forward_passes == 7               # 100 * 0.07 is 7.000000000000001 in floats


def test_rows_left_open_read_the_same_logits_as_in_the_full_batch():
    """Rows that finish at different passes over a real network: the open rows alone are
    forwarded (in their own order), and every row's tokens and log-probability are as when
    all rows are forwarded over a copied context."""
    net = tiny_net(1)
    canvas = torch.tensor([[5, 6, 7, 8, 9, MASK], [MASK] * 6, [MASK, 6, MASK, 8, MASK, 10], [MASK, MASK, 7, 8, 9, 10]])
    cfg = SamplerConfig("sequential", length_first=False, min_tokens=0, require_content=False,
                        candidate_temperature=1.0)
    with torch.no_grad():
        one = net.encode_context(torch.randint(3, V, (1, 9)))
        a, b = RowCounter(net), RowCounter(net)
        fast = denoise(a, one.expand(4), canvas, SPECIAL, cfg, torch.Generator().manual_seed(5))
        slow = denoise(b, copied(one, 4), canvas, SPECIAL, cfg, torch.Generator().manual_seed(5))
    assert a.rows[:2] == [4, 3] and 1 in a.rows and all(r == 4 for r in b.rows)
    assert fast.tokens.tolist() == slow.tokens.tolist()
    assert torch.allclose(fast.logprob, slow.logprob, atol=1e-5)


class NoisyModel:
    """Logits that depend on the whole canvas (a fixed random function of it), so every commit
    changes what the next pass reads."""

    def denoise(self, canvas, cache):
        out = []
        for row in canvas.tolist():
            gen = torch.Generator().manual_seed(hash(tuple(row)) % (2 ** 31))
            out.append(torch.randn(len(row), V, generator=gen) * 2)
        return torch.stack(out)


def _predict_everywhere(logits, cfg, gen, masked):
    """The sampler's step as it was before it read only the masked positions: Gumbel-max and
    the entropy over every position."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    probs = logp.exp()
    entropy = -torch.where(probs > 0, probs * logp, torch.zeros_like(logp)).sum(-1)
    temps = torch.full((logits.shape[0],), cfg.temperature or cfg.candidate_temperature)
    if cfg.temperature == 0:
        temps[0] = 0.0
    tok = logp.argmax(-1)
    if bool((temps > 0).any()):
        u = torch.rand(logits.shape, generator=gen).clamp_(1e-10, 1.0)
        gumbel = logp / temps.clamp(min=1e-6)[:, None, None] - torch.log(-torch.log(u))
        tok = torch.where(temps[:, None] > 0, gumbel.argmax(-1), tok)
    tok_logp = logp.gather(-1, tok[..., None]).squeeze(-1)
    return tok, tok_logp.exp(), tok_logp, entropy


@pytest.mark.parametrize("cfg", [SamplerConfig("threshold", threshold=0.3), SamplerConfig("entropy", entropy_bound=1.0),
                                 SamplerConfig("threshold", max_steps=3), SamplerConfig("threshold", stable_steps=1),
                                 SamplerConfig("sequential", temperature=0.7)])
def test_a_whole_denoising_reads_the_same_as_with_noise_over_every_position(cfg, monkeypatch):
    import engine.sampling as sampling

    runs = []
    for predict in (sampling._predict, _predict_everywhere):
        monkeypatch.setattr(sampling, "_predict", predict)
        runs.append(run(NoisyModel(), 9, cfg, seed=5, batch=4))
    assert torch.equal(runs[0].tokens, runs[1].tokens) and runs[0].forward_passes == runs[1].forward_passes
    assert torch.equal(runs[0].logprob, runs[1].logprob)
