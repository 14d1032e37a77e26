"""Fill-in-the-middle examples: layouts, cuts and the span examples."""

import random

from conftest import SAMPLE_CODE
from engine.fim import FimBudget, canvas_targets, context_ids, make_example, make_span_example, random_cut
from engine.tokenizer import SpecialIds, load_tokenizer


def test_context_layout_and_canvas_targets():
    sp = SpecialIds(pad_end=0, mask=1, fim_prefix=2, fim_suffix=3, fim_middle=4)
    assert context_ids([10, 11], [12], sp, [13]) == [2, 10, 11, 3, 12, 4, 13]
    assert canvas_targets([7, 8], 5, 0) == [7, 8, 0, 0, 0]
    assert canvas_targets([7, 8, 9], 2, 0) == [7, 8]          # continues in the next block


def test_cuts_stay_inside_the_text():
    rng = random.Random(0)
    for _ in range(200):
        a, b = random_cut(SAMPLE_CODE, rng)
        assert 0 <= a <= b <= len(SAMPLE_CODE)


def test_examples_decode_back_to_the_document(tiny_tokenizer_dir):
    tok = load_tokenizer(tiny_tokenizer_dir)
    sp = SpecialIds.from_tokenizer(tok)
    rng = random.Random(1)
    budget = FimBudget(prefix_tokens=1000, suffix_tokens=1000, canvas_length=200)
    for _ in range(30):
        ex = make_example(SAMPLE_CODE, tok, sp, budget, rng, continuation_share=0.0)
        ctx = ex.context
        prefix = tok.decode(ctx[1:ctx.index(sp.fim_suffix)])
        suffix = tok.decode(ctx[ctx.index(sp.fim_suffix) + 1:ctx.index(sp.fim_middle)])
        middle = tok.decode(ex.canvas[:ex.content_len])
        assert ex.canvas[ex.content_len:] == [sp.pad_end] * (200 - ex.content_len)
        assert prefix + middle + suffix in SAMPLE_CODE     # budgets may trim the ends, never the joins


def test_span_examples_fill_the_canvas(tiny_tokenizer_dir):
    tok = load_tokenizer(tiny_tokenizer_dir)
    sp = SpecialIds.from_tokenizer(tok)
    text = SAMPLE_CODE * 10
    ex = make_span_example(text, tok, sp, FimBudget(prefix_tokens=16, suffix_tokens=8, canvas_length=24),
                           random.Random(2))
    assert len(ex.canvas) == 24 and ex.content_len == 24 and sp.pad_end not in ex.canvas
    assert ex.context[0] == sp.fim_prefix and ex.context[-1] == sp.fim_middle
