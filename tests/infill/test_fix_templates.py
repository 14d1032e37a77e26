"""infill.fix.templates: the Python repair templates, alone and scored by the embedded model."""

from __future__ import annotations

from engine.api import EditTemplate, TokenView
from engine.backends.embedded import EmbeddedBackend
from infill.fix.templates import inside_string, name_swaps, python_templates


def view_of(be: EmbeddedBackend, text: str) -> TokenView:
    """The text as the model reads it, every token equally likely (the templates' order aside)."""
    enc = be.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    return TokenView(text, [tuple(o) for o in enc["offset_mapping"]], [0.0] * len(enc["input_ids"]),
                     lambda at, new: 0.0)


def only(kind: str, count: int = 100) -> tuple[EditTemplate, ...]:
    return tuple(EditTemplate(t.kind, count, t.propose) for t in python_templates() if t.kind == kind)


def test_swaps_and_operators_are_scored_with_the_models_own_edits(tiny_model_dir):
    be = EmbeddedBackend(tiny_model_dir)
    prefix, suffix, line = "def sub(left, right):\n    ", "\n", "return right - left"
    edits = be.token_edits(prefix, suffix, line, limit=100, proposals=(3, 3, 3, 3),
                           templates=python_templates(swaps=10, operators=10, off_by_ones=0))
    assert [e.score for e in edits] == sorted((e.score for e in edits), reverse=True)
    by_kind: dict[str, list] = {}
    for e in edits:
        by_kind.setdefault(e.kind, []).append(e)
    assert {"swap", "operator"} <= set(by_kind)
    assert [e.text for e in by_kind["swap"]] == ["return left - right"]    # the two names trade places
    assert {e.text for e in by_kind["operator"]} == {f"return right {op} left" for op in ("+", "*", "/", "//", "%")}


def test_off_by_one_and_header_keyword_templates(tiny_model_dir):
    be = EmbeddedBackend(tiny_model_dir)
    prefix, suffix = "def f(interval, text, i, j, n):\n    ", "\n"
    none = (0, 0, 0, 0)
    line = "return interval[1] - interval[0]"
    obo = only("off-by-one")
    edits = {e.text: e for e in be.token_edits(prefix, suffix, line, limit=100, proposals=none, templates=obo)}
    assert {e.kind for e in edits.values()} == {"off-by-one"}
    assert "return interval[1] - interval[0] + 1" in edits and "return interval[1] - interval[0] - 1" in edits
    assert "return interval[1 + 1] - interval[0]" in edits          # an index is an operand too
    for text in edits:          # each is the line with " + 1" or " - 1" put in once, never after a keyword
        assert any(text == line[:k] + op + line[k:] for k in range(1, len(line) + 1) for op in (" + 1", " - 1"))
        assert not text.startswith("return +") and not text.startswith("return -")
    removed = {e.text for e in be.token_edits(prefix, suffix, "return text[i:j + 1]", limit=100, proposals=none,
                                              templates=obo)}
    assert "return text[i:j]" in removed
    negative = {e.text for e in be.token_edits(prefix, suffix, "return text[-1]", limit=100, proposals=none,
                                               templates=obo)}
    assert negative and not any("[]" in t for t in negative)         # a negative index is no "- 1" to drop
    ops = only("operator")
    header = {e.text for e in be.token_edits(prefix, suffix, "if n > 0:", limit=100, proposals=none, templates=ops)}
    assert "while n > 0:" in header
    ternary = {e.text for e in be.token_edits(prefix, suffix, "j = i if n else n", limit=100, proposals=none,
                                              templates=ops)}
    assert not any("while" in t for t in ternary)                    # only a statement's own keyword


def test_name_swaps_leave_attributes_calls_strings_and_keywords_alone(tiny_model_dir):
    be = EmbeddedBackend(tiny_model_dir)
    text = 'x = self.items.get(key, "a b") if n else m'
    swapped = {new for new, _ in name_swaps(view_of(be, text))}
    names = ["x", "self", "key", "n", "m"]          # not items, get (attribute, call), a, b (string), if, else
    assert len(swapped) == len(names) * (len(names) - 1) // 2
    assert 'key = self.items.get(x, "a b") if n else m' in swapped
    assert inside_string('f("a # b", c)', 4) and not inside_string('f("a # b", c)', 10)
