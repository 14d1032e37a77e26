"""infill.next_edit: token changes read from an edit, carried where they fit, checked, and
silence where nothing is due."""

import pytest

from infill.errors import PositionError
from infill.next_edit import LineEdit, NextEditRequest, suggest_next_edit
from infill.next_edit.tokens import carry, line_changes

DOC = """def load(path):
    data = read(path)
    return data


def save(path, data):
    write(path, data)
"""


def request(doc, start, end, old, new, cursor=None, language="python", earlier=()):
    edit = LineEdit(start, end, old, new)
    line = start + len(new.splitlines()) if cursor is None else cursor
    return NextEditRequest(doc, language, (*earlier, edit), line)


def test_a_renamed_parameter_is_followed_to_its_uses_in_code_not_in_strings():
    doc = 'def load(source):\n    """Read path."""\n    data = read(path)\n    return data\n'
    got = suggest_next_edit(request(doc, 0, 1, "def load(path):\n", "def load(source):\n"))
    assert got.edit is not None and got.source == "rename"
    assert (got.edit.start_line, got.edit.end_line) == (2, 3)
    assert got.edit.new_text == "    data = read(source)\n"


def test_an_anchored_change_is_carried_with_the_target_lines_spacing():
    changes = line_changes("    write(path, data)\n", "    write(path, data, mode)\n")
    assert carry("  write(path,  data)  # again\n", changes) == ("  write(path,  data, mode)  # again\n", 1)
    assert carry("print(path)\n", changes) is None         # the anchors (data, ")") are not there


def test_a_change_the_user_made_in_one_place_of_a_line_keeps_to_that_place():
    # data=None -> data='' where headers=None and files=None stay: only data's default changes
    changes = line_changes("def put(url, data=None, headers=None, files=None):\n",
                           "def put(url, data='', headers=None, files=None):\n")
    assert carry("def post(url, data=None, headers=None, files=None):\n", changes) == \
        ("def post(url, data='', headers=None, files=None):\n", 1)


def test_the_users_other_changes_to_the_line_go_with_the_one_that_fits():
    # Split -> SplitN fits by its anchors; the ", 2" added before ")" (anchored by punctuation
    # only) goes with it where it fits once, and a ";" dropped at the line's end too
    changes = line_changes('    comp = strings.Split(comp, "\\t")[0]\n', '    comp = strings.SplitN(comp, "\\t", 2)[0]\n')
    got = carry('  c = strings.Split(c, "\\n")[0]\n', changes)
    assert got is not None and got[0] == '  c = strings.SplitN(c, "\\n", 2)[0]\n'
    assert carry('  x = f(y, "z")\n', changes) is None      # the anchored change fits nowhere: nothing goes


def test_the_nearest_place_comes_first_and_the_others_are_jump_targets():
    doc = "a = f(1)\nb = g(1)\nc = g(2)\n\n\nd = g(3)\n"
    got = suggest_next_edit(request(doc, 0, 1, "a = g(1)\n", "a = f(1)\n"))
    assert got.edit.start_line == 1 and got.edit.end_line == 3      # the adjacent run is one hunk
    assert got.edit.new_text == "b = f(1)\nc = f(2)\n"
    assert got.jump_targets == [5]


def test_silent_when_nothing_fits_or_below_the_threshold():
    doc = DOC.replace("read(path)", "read(path) or {}")
    got = suggest_next_edit(request(doc, 1, 2, "    data = read(path)\n", "    data = read(path) or {}\n"))
    assert got.edit is None
    doc = "x = bar(1)\ny = foo(2)\n"
    shown = suggest_next_edit(request(doc, 0, 1, "x = foo(1)\n", "x = bar(1)\n"))
    assert shown.edit is not None and shown.edit.new_text == "y = bar(2)\n"
    assert suggest_next_edit(request(doc, 0, 1, "x = foo(1)\n", "x = bar(1)\n"), min_confidence=0.99).edit is None


def test_no_undo_of_an_earlier_edit_and_no_syntax_errors():
    doc = "x = foo(1)\ny = foo(2)\n"
    undo = LineEdit(1, 2, "y = bar(2)\n", "y = foo(2)\n")     # the user had just turned bar into foo there
    got = suggest_next_edit(request(doc, 0, 1, "x = bar(1)\n", "x = foo(1)\n", earlier=(undo,)))
    # carrying bar -> foo to line 1 is a no-op there; nothing else fits
    assert got.edit is None
    # the user opened a bracket on a line whose statement goes on: carried to a complete
    # line it would break the syntax there, so nothing is suggested
    doc = "a = f(x,\n    y)\nb = f(x)\n"
    got = suggest_next_edit(request(doc, 0, 1, "a = f(x)\n", "a = f(x,\n", cursor=1))
    assert got.edit is None


def test_a_stale_edit_or_a_cursor_outside_is_refused():
    with pytest.raises(PositionError, match="not what the document holds"):
        suggest_next_edit(request(DOC, 0, 1, "def load(p):\n", "def fetch(p):\n"))
    with pytest.raises(PositionError, match="runs past"):
        suggest_next_edit(request(DOC, 20, 21, "", "x\n"))
    with pytest.raises(PositionError, match="cursor"):
        suggest_next_edit(request(DOC, 0, 1, "def lo(path):\n", "def load(path):\n", cursor=99))


def test_a_whole_file_paste_and_an_unknown_language_are_quiet():
    assert suggest_next_edit(request(DOC, 0, 0, "", DOC)).edit is None
    assert suggest_next_edit(request("", 0, DOC.count("\n"), DOC, "", cursor=0)).edit is None   # all deleted
    doc = "x = bar(1)\ny = 'foo'\n"
    got = suggest_next_edit(request(doc, 0, 1, "x = foo(1)\n", "x = bar(1)\n", language=None))
    assert got.edit is not None and got.edit.new_text == "y = 'bar'\n"    # no grammar: the text alone
    assert suggest_next_edit(request(doc, 0, 1, "x = foo(1)\n", "x = bar(1)\n")).edit is None   # a string


def test_a_document_of_100000_lines_answers_quickly():
    doc = "".join(f"v{i} = compute({i})\n" for i in range(100_000))
    doc = doc.replace("v50000 = compute(50000)", "v50000 = evaluate(50000)")
    got = suggest_next_edit(request(doc, 50000, 50001, "v50000 = compute(50000)\n", "v50000 = evaluate(50000)\n"))
    assert got.latency_ms < 5_000
    assert got.edit is not None and got.edit.start_line == 50001 and got.edit.end_line == 55001


def test_a_renamed_parameter_stays_in_its_function_a_renamed_function_does_not():
    doc = ("def first(size):\n    return size + 1\n\n\n"
           "def second(path):\n    return size * 2\n\n\nfirst(3)\n")
    got = suggest_next_edit(request(doc, 4, 5, "def second(size):\n", "def second(path):\n"))
    assert got.edit is not None and got.edit.start_line == 5 and got.jump_targets == []   # not into first()
    doc = "def grow(n):\n    return n + 1\n\n\nx = add(1)\ny = add(2)\n"
    got = suggest_next_edit(request(doc, 0, 1, "def add(n):\n", "def grow(n):\n"))
    assert got.edit is not None and got.edit.new_text == "x = grow(1)\ny = grow(2)\n"


def test_a_renamed_field_follows_its_object_whatever_comes_after_it():
    doc = ("class Reader:\n    def __init__(self, n):\n        self._left = n\n\n"
           "    def take(self, k):\n        self._remaining -= k\n        print(other._remaining)\n")
    got = suggest_next_edit(request(doc, 2, 3, "        self._remaining = n\n", "        self._left = n\n"))
    assert got.edit is not None and (got.edit.start_line, got.edit.end_line) == (5, 6)
    assert got.edit.new_text == "        self._left -= k\n"          # other._remaining is another object's
    assert got.jump_targets == []


def test_only_a_line_feed_breaks_a_line():
    doc = "x = bar(1)\n\x0c\ny = foo(2)\n"            # a form feed between two sections
    got = suggest_next_edit(request(doc, 0, 1, "x = foo(1)\n", "x = bar(1)\n"))
    assert got.edit is not None and got.edit.start_line == 2 and got.edit.new_text == "y = bar(2)\n"
