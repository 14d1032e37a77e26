"""Fill-in-the-middle examples: layouts, cuts and the span examples."""

import random

from helpers import SAMPLE_CODE
import pytest

from training.cuts import (CUTS, FimBudget, canvas_targets, context_ids, make_example, make_span_example,
                        cut_needed_lines, parse_cut_weights, random_cut)
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


def test_cut_weights_choose_the_mix():
    assert parse_cut_weights("") == {k: w for k, (w, _) in CUTS.items()}
    assert parse_cut_weights("line=1, chars=0.5") == {"line": 1.0, "chars": 0.5}
    # Only whole-line cuts: every middle starts at a line start and ends after a newline.
    rng = random.Random(3)
    for _ in range(100):
        a, b = random_cut(SAMPLE_CODE, rng, parse_cut_weights("line=1"))
        assert a == 0 or SAMPLE_CODE[a - 1] == "\n"
        assert b == len(SAMPLE_CODE) or SAMPLE_CODE[b - 1] == "\n"


def test_needed_lines_bind_a_name_the_code_after_them_reads():
    text = "import os\n\ndef f(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return total\n"
    rng = random.Random(5)
    for _ in range(30):
        a, b = cut_needed_lines(text, rng, tries=500)
        # Only "total = 0" binds a name that is read after the span and not before it.
        assert a == text.index("    total = 0") and text[a:b].count("\n") >= 2 and text[b - 1] == "\n"
    # No such span: whole lines all the same.
    a, b = cut_needed_lines("x = 1\ny = 2\n", random.Random(0))
    assert a in (0, 6) and b in (6, 12)
    assert parse_cut_weights("")["needed_lines"] == 0.0      # off in the default mix


@pytest.mark.parametrize("spec, message", [
    ("lines=0.5,word=1", "'word=1': expected NAME=WEIGHT"),
    ("line", "'line': expected NAME=WEIGHT"),
    ("line=x", "'x' is not a number"),
    ("line=-1", "is negative"),
    ("line=0,lines=0", "sum to zero"),
])
def test_bad_cut_weights_are_named(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_cut_weights(spec)


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
