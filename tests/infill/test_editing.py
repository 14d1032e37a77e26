"""Inline edits, the suggestion cache and selection rewrites (tiny random model)."""

import pytest

from engine.api import InfillRequest, RequestCancelled
from engine.backends.embedded import EmbeddedBackend
from infill.config import InfillOptions
from infill.editing import SuggestionCache, inline_edit, line_end, rewrite
from infill.errors import Cancelled, InfillError, PositionError, UnknownLanguageError


def apply(text, edit):
    return text[: edit.start] + edit.text + text[edit.end :]


@pytest.mark.parametrize("text, offset, completion", [
    ("print()\nx", 6, "a, b"),            # closing bracket after the cursor
    ("x = \n", 4, "1"),                   # nothing after the cursor
    ("f(  \r\ny", 2, "a)"),               # CRLF: the \r stays
    ("foo()\n", 0, "x = 1\n"),            # whole line inserted before a line
    ("", 0, "pass"),
])
def test_inline_edit_covers_rest_of_line_and_equals_insertion(text, offset, completion):
    edit = inline_edit(text, offset, completion)
    assert edit.start == offset and edit.end == line_end(text, offset)
    assert "\n" not in text[edit.start:edit.end] and "\r" not in text[edit.start:edit.end]
    assert apply(text, edit) == text[:offset] + completion + text[offset:]


def test_cache_answers_typing_into_a_suggestion():
    cache = SuggestionCache()
    text = "def f():\n    return \n"
    cache.remember("a", text, 20, ["a + b", "x"])
    assert cache.lookup("a", text, 20) == ["a + b", "x"]
    typed = text[:20] + "a +" + text[20:]
    assert cache.lookup("a", typed, 23) == [" b"]
    assert cache.lookup("a", text[:20] + "a + b" + text[20:], 25) is None   # fully typed
    assert cache.lookup("a", text[:20] + "z" + text[20:], 21) is None       # diverged
    assert cache.lookup("a", typed + "# edit", 23) is None                  # suffix changed
    assert cache.lookup("b", typed, 23) is None                             # other document
    cache.forget("a")
    assert cache.lookup("a", text, 20) is None


def test_cache_is_bounded():
    cache = SuggestionCache(max_documents=2)
    for key in "abc":
        cache.remember(key, "x", 1, ["y"])
    assert cache.lookup("a", "x", 1) is None and cache.lookup("c", "x", 1) == ["y"]


def test_engine_rewrite_keeps_unmasked_tokens_and_length(tiny_model_dir):
    be = EmbeddedBackend(tiny_model_dir)
    sel = "self.items.append(item)"
    ids = be.tokenizer(sel, add_special_tokens=False)["input_ids"]
    res = be.infill(InfillRequest("def push(self, item):\n    ", "\n", candidates=2, seed=1,
                                  init_text=sel, renoise=0.3))
    assert len(res.candidates) == 2
    assert all(c.tokens == len(ids) for c in res.candidates)
    assert 1 <= res.forward_passes <= len(ids)
    # renoise 1e-9 re-masks exactly one position: the rest is the selection's tokens
    one = be.infill(InfillRequest("", "", init_text=sel, renoise=1e-9, seed=2)).candidates[0]
    out = be.tokenizer(one.text, add_special_tokens=False)["input_ids"]
    assert one.tokens == len(ids)
    assert isinstance(one.text, str) and out  # decode/encode may merge tokens differently


def test_engine_rewrite_is_seeded(tiny_model_dir):
    be = EmbeddedBackend(tiny_model_dir)
    req = InfillRequest("x = ", "\n", init_text="a + b * c", renoise=0.5, seed=4, candidates=2)
    assert [c.text for c in be.infill(req).candidates] == [c.text for c in be.infill(req).candidates]


def test_engine_cancel_stops_before_a_forward_pass(tiny_model_dir):
    be = EmbeddedBackend(tiny_model_dir)
    with pytest.raises(RequestCancelled):
        be.infill(InfillRequest("x = ", "\n", cancelled=lambda: True))
    assert be.infill(InfillRequest("x = ", "\n", canvas_length=4, cancelled=lambda: False)).candidates


def test_rewrite_ranks_and_reports(tiny_model_dir):
    opts = InfillOptions(model=str(tiny_model_dir), candidates=3, renoise=0.5)
    text = "def add(a, b):\n    return a + b\n"
    start = text.index("a + b")
    out = rewrite(text, start, start + 5, "python", opts)
    assert out.forward_passes >= 1
    if out.refused:     # the random model rarely beats the selection: then it stays, with the reason
        assert out.text == "a + b" and out.candidates == [] and out.refused.startswith("no better rewrite")
    else:
        assert out.text == out.candidates[0] and 1 <= len(out.candidates) <= 3


def test_rewrite_bad_input(tiny_model_dir):
    opts = InfillOptions(model=str(tiny_model_dir))
    with pytest.raises(PositionError):
        rewrite("abc", 2, 9, "python", opts)
    with pytest.raises(InfillError, match="nothing to rewrite"):
        rewrite("a  b", 1, 3, "python", opts)
    with pytest.raises(UnknownLanguageError):
        rewrite("abc", 0, 2, "cobol", opts)
    with pytest.raises(Cancelled):
        rewrite("abc", 0, 2, "python", opts, cancelled=lambda: True)


# ---------------------------------------------------------------- rewrites that change what the code does

GCD = '''def gcd_by_iterative(x: int, y: int) -> int:
    """Iterative GCD."""
    while y:
        x, y = y, x % y
    return abs(x)


def main():
    num = int(input("a number: "))
    print(gcd_by_iterative(num, 12))
'''
FLAG = '''import os


def get_debug_flag() -> bool:
    val = os.environ.get("FLASK_DEBUG")
    return bool(val and val.lower() not in {"0", "false", "no"})
'''


def _offered(doc: str, selection: str, candidate: str) -> "object":
    from helpers import Scripted
    from engine.api import Capabilities

    class Rewriter(Scripted):      # answers ``candidate`` and likes it better than the selection
        def likelihood(self, prefix, suffix, texts):
            return [0.0 if t == candidate else -5.0 for t in texts]

    backend = Rewriter("unused", candidate)
    backend.capabilities = Capabilities(rewrite=True, token_scoring=True)
    start = doc.index(selection)
    return rewrite(doc, start, start + len(selection), "python", InfillOptions(repair=0, resample=0),
                   backend=backend)


@pytest.mark.parametrize("doc, selection, candidate, why", [
    # a name bound nowhere, in a file with an error of its own elsewhere (a line cut in main())
    (GCD.replace('int(input("a number: "))', ""), "while y:\n        x, y = y, x % y\n    return abs(x)",
     "x, w = gcd_by_iterativeative(x)\n    input = None", "`gcd_by_iterativeative` is bound nowhere"),
    # a literal of the selection replaced by another: compiles, and inverts FLASK_DEBUG=1
    (FLAG, '{"0", "false", "no"}', '{"0", "false", "1"}', 'changes the literal "no" to "1"'),
    # the loop and the return dropped
    (GCD, "while y:\n        x, y = y, x % y\n    return abs(x)", "x = abs(x) + y\n    y = x", "drops a `return`"),
    (GCD, "while y:\n        x, y = y, x % y", "if y:\n        x, y = y, x % y", "drops a `while`"),
    # what the real model offered on gcd_by_iterative: a constant for a name, a name assigned to itself
    (GCD, "x, y = y, x % y", "x, y = y, x % 2", "adds the literal 2"),
    (GCD, "x, y = y, x % y", "x = x\n        y = x % y", "assigns a name to itself"),
    # a name the code after the selection reads, no longer bound
    (GCD, "x, y = y, x % y", "y, _ = y, x % y", "no longer binds `x`"),
])
def test_a_rewrite_that_changes_what_the_code_does_is_not_offered(doc, selection, candidate, why):
    result = _offered(doc, selection, candidate)
    assert result.candidates == [] and result.text == selection
    assert result.refused.startswith("no better rewrite") and why in result.refused
    assert result.refused.count(why) == 1


INIT = """
class Action:
    def __init__(self, default, type, token):
        self.default = default
        self.type = type
        self.token = ''


def remove(group, action, data, na, db, g):
    group._remove_action(action)
    data = sorted(data)
    n = len(data)
    t = na * (db // g)
    return n, t
"""


@pytest.mark.parametrize("selection, candidate, why", [
    # what the real model returned on the standard library (rewrites --source stdlib)
    ("self.default = default\n        self.type = type", "self.type = type\n        self.type = type",
     "drops `default`"),
    ("group._remove_action(action)", "group._add_action(action)", "drops `_remove_action`"),
    ("data = sorted(data)", "data = len(data)", "drops `sorted`"),
    ("self.token = ''", "self.token = None", "drops the literal ''"),
    ("t = na * (db // g)", "t = na // (db // g)", "changes the operator `*` to `//`"),
    ("n = len(data)", "n =len(data)", "changes only the spacing"),
])
def test_a_rewrite_that_changes_a_name_a_call_or_an_operator_is_not_offered(selection, candidate, why):
    result = _offered(INIT, selection, candidate)
    assert result.candidates == [] and why in result.refused


def test_a_local_name_renamed_to_another_name_of_the_selection_is_not_a_rename():
    doc = "def f(a, b):\n    da, db = a.d, b.d\n    return da * db\n"
    result = _offered(doc, "da, db = a.d, b.d\n    return da * db", "db, db = a.d, b.d\n    return db * db")
    assert result.candidates == [] and "drops `da`" in result.refused


def test_a_local_name_renamed_where_nothing_after_reads_it_is_offered():
    doc = "def f(a, b):\n    tmp = a + b\n    return tmp\n"
    result = _offered(doc, "tmp = a + b\n    return tmp", "total = a + b\n    return total")
    assert result.refused == "" and result.text == "total = a + b\n    return total"


def test_a_rewrite_that_keeps_literals_returns_and_bindings_is_offered():
    result = _offered(GCD, "x, y = y, x % y", "x, y = y, (x % y)")
    assert result.refused == "" and result.text == "x, y = y, (x % y)"
