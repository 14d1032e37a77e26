"""Copies of a sibling: a function completed into another's body, a lone name or literal."""

from __future__ import annotations

from infill.confidence import FEATURES, features
from infill.siblings import bare, copies_a_body

TAGS = '''class TagUUID(JSONTag):
    def to_python(self, value):
        """Turn it back."""
        return UUID(value)


class TagDateTime(JSONTag):
    def check(self, value):
        return isinstance(value, datetime)

    def to_python(self, value):
        return '''
AFTER = "\n\n\nclass TagRest(JSONTag):\n    def to_python(self, value):\n        return value\n"


def test_a_body_that_repeats_another_function_is_told_apart():
    assert copies_a_body(TAGS, "UUID(value)", AFTER, "python")          # TagUUID.to_python's body
    assert copies_a_body(TAGS, "value", AFTER, "python")                # TagRest's
    assert not copies_a_body(TAGS, "parse_date(value)", AFTER, "python")
    assert not copies_a_body(TAGS, "UUID(value)", AFTER, "javascript")  # Python's layout only
    assert not copies_a_body("x = ", "1", "\n", "python")               # no function around the gap
    # The function's own other lines count: a body is the same only when all of it is.
    longer = TAGS[:-len("return ")] + "value = value.strip()\n        return "
    assert not copies_a_body(longer, "UUID(value)", AFTER, "python")


def test_bare_names_and_literals():
    assert all(bare(t) for t in ("None", "value", "verbose:", '"a b"', "0", "{}"))
    assert not any(bare(t) for t in ("self.value", "f(x)", "a and b", "x:\n    y"))


def test_the_two_signals_are_features_of_their_own():
    f = dict(zip(FEATURES, features(-1.0, 0.5, 2, "None", [], retrieved=0.7, copies_body=True)))
    assert f["copies_body"] == 1.0 and f["bare_draft"] == 1.0
    sampled = dict(zip(FEATURES, features(-1.0, 0.5, 2, "None", [])))
    assert sampled["bare_draft"] == 0.0 and sampled["copies_body"] == 0.0   # a sampled name is not a draft
