"""infill.next_edit.history: keystrokes on the same lines make one whole-line edit; a change
elsewhere starts the next; an undo leaves none."""

from infill.next_edit import LineEdit
from infill.next_edit.history import EditHistory, line_diff

TEXT = "a = foo(1)\nb = foo(2)\n\n\n\nc = 3\n"


def test_line_diff_is_the_one_run_of_lines_that_differs():
    assert line_diff(TEXT, TEXT) is None
    assert line_diff("x\ny\nz\n", "x\nY\nY2\nz\n") == LineEdit(1, 2, "y\n", "Y\nY2\n")
    assert line_diff("x\ny\n", "x\n") == LineEdit(1, 2, "y\n", "")


def test_keystrokes_make_one_edit_and_a_change_elsewhere_the_next():
    h = EditHistory()
    h.record("u", None, TEXT)
    texts = [TEXT]
    for word in ("b", "ba", "bar"):
        texts.append(TEXT.replace("a = foo(1)", f"a = {word}(1)"))
        h.record("u", texts[-2], texts[-1])
    assert h.edits("u", texts[-1]) == (LineEdit(0, 1, "a = foo(1)\n", "a = bar(1)\n"),)
    later = texts[-1].replace("c = 3", "c = 4")
    h.record("u", texts[-1], later)
    assert [e.start_line for e in h.edits("u", later)] == [0, 5]
    h.record("u", later, texts[-1])                 # undo: the last run came to nothing
    assert h.edits("u", texts[-1]) == ()


def test_a_text_the_history_does_not_know_gives_no_edits():
    h = EditHistory()
    h.record("u", None, TEXT)
    h.record("u", TEXT, TEXT.replace("c = 3", "c = 4"))
    assert h.edits("u", "something else\n") == ()
    h.record("u", "not what it held\n", TEXT)      # lost track: starts again from this text
    assert h.edits("u", TEXT) == ()
    h.forget("u")
    assert h.edits("u", TEXT) == ()


def test_line_diff_gives_whole_lines_whatever_the_change():
    import random

    random.seed(7)
    pieces = ["a", "b", "\n", "ab\n", "\n\n"]
    for _ in range(3000):
        before = "".join(random.choice(pieces) for _ in range(random.randint(0, 10)))
        chars = list(before)
        for _ in range(random.randint(1, 3)):
            at = random.randint(0, len(chars))
            if random.random() < 0.5 or not chars:
                chars.insert(at, random.choice(pieces))
            else:
                del chars[min(at, len(chars) - 1)]
        after = "".join(chars)
        edit = line_diff(before, after)
        if edit is None:
            assert before == after
            continue
        lines = before.split("\n")
        starts = [0] + [i + 1 for i, ch in enumerate(before) if ch == "\n"]
        start = starts[edit.start_line] if edit.start_line < len(starts) else len(before)
        assert before[start:start + len(edit.old_text)] == edit.old_text
        assert before[:start] + edit.new_text + before[start + len(edit.old_text):] == after
        assert edit.end_line - edit.start_line == edit.old_text.count("\n") + (
            1 if edit.old_text and not edit.old_text.endswith("\n") else 0) and len(lines) >= 0


def test_a_line_inserted_before_a_line_it_starts_like_is_a_pure_insertion():
    before = "import os\nfrom .utils import echo\nx = 1\n"
    after = "import os\nfrom .utils import _detect\nfrom .utils import echo\nx = 1\n"
    assert line_diff(before, after) == LineEdit(1, 1, "", "from .utils import _detect\n")
    assert line_diff(after, before) == LineEdit(1, 2, "from .utils import _detect\n", "")
