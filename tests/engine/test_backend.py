"""The embedded backend: loading errors, candidates, continuation, budgets."""

import json
import shutil

import pytest
import torch

from engine.api import InfillRequest
from engine.backends.embedded import MIN_REUSE_TOKENS, EmbeddedBackend, default_model_dir
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
    assert (folder / "model.safetensors").stat().st_size <= 30_000_000  # the shipping cap (issue 3)


def test_context_cache_reuse_matches_a_fresh_encode(tiny_model_dir):
    """Typing near the cursor re-encodes only the changed tail; the keys/values are the
    ones a full encode gives, so the candidates are the same."""
    import torch

    be = EmbeddedBackend(tiny_model_dir)
    head = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(2))
    first = be.encode_text(head + "def g(y):\n    return ", "\n\nprint(g(1))\n")
    second = be.encode_text(head + "def g(y):\n    return y", "\n\nprint(g(1))\n")
    be.encode_cached(first)
    cache, reused = be.encode_cached(second)
    assert MIN_REUSE_TOKENS <= reused < len(second)
    fresh = be.model.encode_context(torch.tensor([second]))
    assert cache.size == fresh.size and int(cache.lengths) == int(fresh.lengths)
    for a, b in zip(cache.keys + cache.values, fresh.keys + fresh.values):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
    # The same context again is answered from the cache entirely; a shorter one by truncation.
    assert be.encode_cached(second)[1] == len(second)
    shorter, reused = be.encode_cached(second[:-3])
    assert reused == len(second) - 3 and shorter.size == len(second) - 3


def test_unrelated_context_is_encoded_afresh(tiny_model_dir):
    be = EmbeddedBackend(tiny_model_dir)
    req = InfillRequest("import os\nx = ", "\n", canvas_length=8, max_blocks=1)
    assert be.infill(req).reused_tokens == 0
    assert be.infill(req).reused_tokens == be.infill(req).context_tokens
    other = InfillRequest("class A:\n    pass\n\ny = ", "\n", canvas_length=8, max_blocks=1)
    assert be.infill(other).reused_tokens == 0
    a = be.infill(InfillRequest("import os\nx = ", "\n", canvas_length=8, max_blocks=1, seed=3))
    be._last_context = None
    b = be.infill(InfillRequest("import os\nx = ", "\n", canvas_length=8, max_blocks=1, seed=3))
    assert [c.text for c in a.candidates] == [c.text for c in b.candidates]


def test_long_prefix_starts_on_a_line(tiny_model_dir):
    """Over the budget the prefix keeps whole lines, so its head only moves once per line."""
    be = EmbeddedBackend(tiny_model_dir)
    head = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(40))
    ids = be.encode_text(head + "def g(y):\n    return ", "\n")
    prefix_ids = ids[1: ids.index(be.special.fim_suffix)]
    assert 0 < len(prefix_ids) <= be.prefix_tokens
    text = be.tokenizer.decode(prefix_ids)
    assert (head + "def g(y):\n    return ").endswith(text)
    assert text.startswith(("\n", "def ", "    return"))


def test_token_substitutions_change_one_token_and_rank_by_the_model(tiny_model_dir):
    be = EmbeddedBackend(tiny_model_dir)
    line = "    return len(items) == 1\n"
    subs = be.token_substitutions("def empty(items):\n", "\n\nprint(empty([]))\n", line, per_position=2, limit=6)
    assert 0 < len(subs) <= 6
    assert [s.score for s in subs] == sorted((s.score for s in subs), reverse=True)
    ids = be.tokenizer(line, add_special_tokens=False)["input_ids"]
    for sub in subs:
        assert sub.text != line and 0 <= sub.position < len(line)
        assert sub.text[: sub.position] == line[: sub.position]       # the text before the token is kept
    assert len({s.text for s in subs}) == len(subs)
    assert be.token_substitutions("", "", "") == []
    assert len(ids) >= 3


def test_token_edits_insert_delete_swap_and_rank_by_pseudo_likelihood(tiny_model_dir):
    be = EmbeddedBackend(tiny_model_dir)
    prefix, suffix, line = "def sub(left, right):\n    ", "\n", "return right - left"
    ids = be.tokenizer(line, add_special_tokens=False)["input_ids"]
    edits = be.token_edits(prefix, suffix, line, limit=100, proposals=(3, 3, 3, 3))
    assert [e.score for e in edits] == sorted((e.score for e in edits), reverse=True)
    assert len({e.text for e in edits}) == len(edits) and line not in {e.text for e in edits}
    by_kind = {}
    for e in edits:
        by_kind.setdefault(e.kind, []).append(e)
        assert e.text[: e.position] == line[: e.position]
    assert set(by_kind) == {"substitute", "insert", "delete", "insert-2"}    # templates: infill.fix
    for e in by_kind["insert-2"]:
        assert len(be.tokenizer(e.text, add_special_tokens=False)["input_ids"]) >= len(ids) + 1
    for e in by_kind["insert"]:
        assert len(be.tokenizer(e.text, add_special_tokens=False)["input_ids"]) >= len(ids)
    for e in by_kind["delete"]:
        assert len(e.text) < len(line) and e.text.strip()
    # The score is the gain in pseudo-log-likelihood: computed again here from its definition.
    with torch.inference_mode():
        cache, _ = be.encode_cached(be.encode_text(prefix, suffix))
        best = be.tokenizer(edits[0].text, add_special_tokens=False)["input_ids"]
        plls = [be.scorer._pseudo_loglik(cache, [seq])[0] for seq in (ids, best)]
    assert edits[0].score == pytest.approx(plls[1] - plls[0], abs=1e-3)
    assert be.token_edits(prefix, suffix, "") == []
    assert be.token_edits(prefix, suffix, "x = 1 + " * 40) == []      # too long to score


def test_likelihood_reads_a_long_text_in_a_few_rows_and_a_short_one_token_by_token(tiny_model_dir):
    from engine.scoring import LIKELIHOOD_SPREAD

    be = EmbeddedBackend(tiny_model_dir)
    scorer, prefix, suffix = be.scorer, "def f(items):\n    ", "\n"
    short, long = "x", "total = sum(item.size * item.count for item in items if item)"
    ids = {t: be.tokenizer(t, add_special_tokens=False)["input_ids"] for t in (short, long)}
    assert len(ids[short]) + 1 <= LIKELIHOOD_SPREAD < len(ids[long]) + 1
    calls = []
    real = scorer._masked_logp_at
    scorer._masked_logp_at = lambda cache, rows, picks, chunk=256: calls.append(rows) or real(cache, rows, picks, chunk)
    got = be.likelihood(prefix, suffix, [short, long])
    assert [len(rows) for rows in calls] == [len(ids[short]) + 1 + LIKELIHOOD_SPREAD]   # one batch
    mask, pad = be.scorer.special.mask, be.scorer.special.pad_end
    with torch.inference_mode():
        cache = scorer.context(prefix, suffix)
        exact = scorer._pseudo_loglik(cache, [ids[short]])[0]
        # the long text by its definition: row j masks every token i with i % k == j
        full = ids[long] + [pad]
        k = LIKELIHOOD_SPREAD
        by_def = 0.0
        for j in range(k):
            row = [mask if i % k == j else t for i, t in enumerate(full)]
            for i in range(j, len(full), k):
                by_def += float(real(cache, [row], [(0, i)])[0, full[i]])
    assert got[0] == pytest.approx(exact, abs=1e-3)        # a short text reads token by token
    assert got[1] == pytest.approx(by_def, abs=1e-3)
    assert all(row.count(mask) <= -(-len(full) // k) for row in calls[0][len(ids[short]) + 1:])


def test_replace_all_edits_change_every_occurrence_of_an_operator_token(tiny_model_dir):
    be = EmbeddedBackend(tiny_model_dir)
    line = "return a - b - c"
    ids = be.tokenizer(line, add_special_tokens=False)["input_ids"]
    edits = be.token_edits("def f(a, b, c):\n    ", "\n", line, limit=500, proposals=(500, 0, 0, 0))
    every = [e for e in edits if e.kind == "replace-all"]
    assert every, "each substitution of a repeated token also comes replaced everywhere"
    for e in every:
        new = be.tokenizer(e.text, add_special_tokens=False)["input_ids"]
        changed = [i for i, (x, y) in enumerate(zip(ids, new)) if x != y]
        assert len(new) == len(ids) and len(changed) == 2 and len({new[i] for i in changed}) == 1
        assert "a" in e.text and "b" in e.text and "c" in e.text     # names are never replaced everywhere




def test_seeds_are_rows_of_one_batch_that_keep_their_unmasked_tokens(tiny_model_dir):
    from engine.api import InfillRequest, Seed

    be = EmbeddedBackend(tiny_model_dir)
    seeds = (Seed("total = compute(items)"), Seed("count = len(rows)", ((8, 11),)), Seed("x"))
    res = be.infill(InfillRequest(prefix="def f(items, rows):\n    ", suffix="\n", seeds=seeds))
    assert len(res.candidates) == 3
    assert res.candidates[0].text == "total = compute(items)"     # nothing masked: kept as it is
    assert res.candidates[2].text == "x"
    masked = res.candidates[1].text
    assert masked.startswith("count = ") and masked.endswith("(rows)")   # only "len" was written again
    assert res.forward_passes >= 1


def test_a_seed_with_extra_tokens_keeps_its_text_and_may_continue_it(tiny_model_dir):
    from engine.api import InfillRequest, Seed

    be = EmbeddedBackend(tiny_model_dir)
    seeds = (Seed("config", extra_tokens=6), Seed("x"))
    res = be.infill(InfillRequest(prefix="def f(config):\n    return ", suffix="\n", seeds=seeds))
    assert len(res.candidates) == 2 and res.candidates[1].text == "x"
    assert res.candidates[0].text.startswith("config")            # the name kept, the masks after it filled or ended
    assert res.candidates[0].tokens <= len(be.tokenizer("config")["input_ids"]) + 6
