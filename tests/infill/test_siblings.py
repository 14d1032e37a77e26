"""Copies of a sibling: a function completed into another's body, a lone name or literal."""

from __future__ import annotations

from infill.confidence import FEATURES, features
from infill.siblings import bare, copies_a_body, copies_a_line

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


PUSH = ("def other():\n    app_ctx = self.app.app_context()\n\n\n"
        "def push(self):\n    app_ctx = _cv_app.get(None)\n    if app_ctx is None:\n        app_ctx = ")
PUSH_AFTER = "\n        app_ctx.push()\n    else:\n        app_ctx = None\n\n\ndef later():\n    return 1\n"


def test_a_line_that_already_stands_in_the_function_is_told_apart():
    assert copies_a_line(PUSH, "_cv_app.get(None)", PUSH_AFTER, "python")    # the line above
    assert copies_a_line(PUSH, "None", PUSH_AFTER, "python")                 # the else branch's
    # A line of another function does not count, nor does a new one, nor a short one.
    assert not copies_a_line(PUSH, "self.app.app_context()", PUSH_AFTER, "python")
    assert not copies_a_line(PUSH[:-len("app_ctx = ")], "1", PUSH_AFTER, "python")
    assert not copies_a_line(PUSH, "None", PUSH_AFTER, "javascript")
    # The rest of the gap's line counts with a one-line text: `if app_ctx` + ` is None:`.
    head = PUSH[:-len("        app_ctx = ")] + "    if app_ctx"
    assert copies_a_line(head, " is None", ":" + PUSH_AFTER, "python")
    f = dict(zip(FEATURES, features(-1.0, 0.5, 2, "None", [], copies_line=True)))
    assert f["copies_line"] == 1.0
