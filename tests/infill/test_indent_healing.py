"""Token healing for a cursor in a line's indentation: the canvas writes the indentation,
the completion is cut back to the cursor."""
# known_names=False: these tests read the model's own requests and candidates (known names: test_names).

import pytest

from helpers import Scripted
from infill.candidates import after_indent, cursor_indent
from infill.complete import complete
from infill.config import InfillOptions

TEXT = "def grow(a):\n    \n    return a\n"
CURSOR = TEXT.index("\n    \n") + 5          # after the blank line's indentation


def test_cursor_indent_is_the_whitespace_before_the_cursor_on_its_line():
    assert cursor_indent("def f():\n    ") == "    "
    assert cursor_indent("def f():\n\t") == "\t"
    assert cursor_indent("def f():\n    x") == ""
    assert cursor_indent("def f():\n") == ""
    assert cursor_indent("") == ""


@pytest.mark.parametrize("text, lead, expected", [
    ("    return x", "    ", "return x"),                      # the cursor's own indentation
    ("  return x", "    ", "return x"),                        # another: the cursor's stands
    ("return x", "    ", "return x"),
    ("    if a:\n        b()", "    ", "if a:\n        b()"),
    ("  if a:\n    b()\n\n  c()", "    ", "if a:\n      b()\n\n    c()"),   # later lines move too
    ("\n    x = 1", "    ", "\n    x = 1"),                   # a blank first line stays blank
    ("", "    ", ""),
])
def test_after_indent_cuts_the_completion_back_to_the_cursor(text, lead, expected):
    assert after_indent(text, lead) == expected


def test_the_request_ends_at_the_line_start_and_the_answer_at_the_cursor():
    backend = Scripted("    a += 1")
    result = complete(TEXT, CURSOR, "python", InfillOptions(known_names=False), backend=backend)
    assert backend.requests[0].prefix == "def grow(a):\n"
    assert result.text == "a += 1" and result.syntax_valid
    assert TEXT[:CURSOR] + result.text + TEXT[CURSOR:] == "def grow(a):\n    a += 1\n    return a\n"


def test_a_repair_sees_the_indentation_in_its_canvas():
    backend = Scripted("    a += (1", fix="    a += (1)")
    result = complete(TEXT, CURSOR, "python", InfillOptions(known_names=False, repair=1), backend=backend)
    retry = backend.requests[1]
    assert retry.init_text == "    a += (1"
    assert retry.remask_spans and all(start >= 4 for start, _ in retry.remask_spans)
    assert result.text == "a += (1)" and result.syntax_valid


def test_healing_can_be_turned_off_and_leaves_other_cursors_alone():
    backend = Scripted("a")
    complete("x = 1\ny = ", len("x = 1\ny = "), "python", InfillOptions(known_names=False), backend=backend)
    assert backend.requests[0].prefix == "x = 1\ny = "
    complete(TEXT, CURSOR, "python", InfillOptions(known_names=False, heal_indent=False), backend=backend)
    assert backend.requests[1].prefix == "def grow(a):\n    "
