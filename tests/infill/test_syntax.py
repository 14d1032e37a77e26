"""Tests of infill.syntax: error counts and spans, and the "do no harm" completion check."""

import pytest

from infill.syntax import (COMPILE_MAX_CHARS, WINDOW_THRESHOLD, adds_syntax_errors, error_count, error_spans,
                           python_compile_error)


def test_error_count():
    assert error_count("x = 1\n", "python") == 0
    assert error_count("", "python") == 0
    assert error_count("x = (1, 2\n", "python") >= 1
    assert error_count("def f(:\n    pass\n", "python") >= 1  # a MISSING ")"


def test_error_spans_in_characters():
    assert error_spans("x = 1\n", "python") == []
    ascii_spans = error_spans("x = (1, 2\n", "python")
    accented = error_spans("é = (1, 2\n", "python")  # é is two bytes, one character
    assert ascii_spans == accented and ascii_spans
    start, end = accented[0]
    assert 0 <= start <= end <= len("é = (1, 2\n")


def test_missing_node_is_an_empty_span():
    spans = error_spans("def f(:\n    pass\n", "python")
    assert any(start == end for start, end in spans)


def test_nested_spans_are_left_out():
    spans = error_spans("x = (1, [2\ny = )\nz = ((\n", "python")
    for i, (s1, e1) in enumerate(spans):
        for j, (s2, e2) in enumerate(spans):
            assert i == j or not (s1 <= s2 and e2 <= e1)


@pytest.mark.parametrize(
    "prefix, completion, suffix, adds",
    [
        ("x = ", "1", "\nprint(x)\n", False),  # fills the gap: fewer errors
        ("x = ", "1)", "\nprint(x)\n", True),  # a stray bracket
        ("def f(x):\n", "    return x\n", "\n\ndef g():\n    pass\n", False),
        ("def f(x):\n", "    return x]\n", "", True),
        ("def target(x):\n    y = ", "x +* 1", "\n    return y\n", True),  # an error traded
        ("x = foo(", "a, b", "\n", False),  # the user's bracket: not the completion's
        ("x = [", "1, 2", "]\n", False),
        ('print("', "abc", '")\nx = 1\n', False),  # inside a string
        ("y = (1,\n", "", "", False),  # nothing inserted: not worse
        ("y = (1,\n", "2", "\nz = 3\n", False),  # the user's open bracket stays open
        ("", "", "", False),
    ],
)
def test_adds_syntax_errors(prefix, completion, suffix, adds):
    assert adds_syntax_errors(prefix, completion, suffix, "python") is adds


def test_completion_swallowing_the_rest_into_a_string_is_rejected():
    prefix = "def f():\n    "
    suffix = '\n    return 1\n\n\ndef g():\n    """G."""\n'
    assert adds_syntax_errors(prefix, '"""Doc.', suffix, "python")
    assert not adds_syntax_errors(prefix, '"""Doc."""', suffix, "python")
    # fewer errors, but only because broken code below became part of a string
    assert adds_syntax_errors("x = ", '"""a', '\ny = )\nz = """\n', "python")


def test_big_files_parse_only_a_window():
    filler = "".join(f"def f{i}():\n    return {i}\n\n\n" for i in range(WINDOW_THRESHOLD // 20))
    prefix = filler + "def target(x):\n    y = "
    suffix = "\n    return y\n\n\n" + filler
    assert not adds_syntax_errors(prefix, "x + 1", suffix, "python")
    assert adds_syntax_errors(prefix, "x +* 1)", suffix, "python")


PY_PREFIX, PY_SUFFIX = "def f(xs):\n    total = 0\n", "        total += x\n    return total\n"


@pytest.mark.parametrize(
    "prefix, completion, suffix, adds",
    [
        (PY_PREFIX, "    for x in xs:\n", PY_SUFFIX, False),   # the header the indented body needs
        (PY_PREFIX, "    try:\n", PY_SUFFIX, True),           # no except/finally before the dedent
        (PY_PREFIX, "    def g(x, x):\n", PY_SUFFIX, True),   # a duplicate argument
        (PY_PREFIX, "    try:\n", "    return total\n", True),  # a header with no block at all
        (PY_PREFIX, "    x = f(a, a=1, a=2)\n", "    return total\n", True),  # keyword repeated
        (PY_PREFIX, "    total = 1\n", "    return total\n", False),
        # the user's own broken code elsewhere is not the completion's
        ("def g(:\n    pass\n\n\n" + PY_PREFIX, "    for x in xs:\n", PY_SUFFIX, False),
        ("def f():\n    ", "return 1", "\n\n\ndef g(:\n    pass\n", False),
        (PY_PREFIX, "    for x in xs:\n", PY_SUFFIX + "\n\ny = (\n", False),
    ],
)
def test_compiler_catches_what_tree_sitter_lets_through(prefix, completion, suffix, adds):
    assert adds_syntax_errors(prefix, completion, suffix, "python") is adds


def test_python_compile_error_positions_and_quiet_warnings(recwarn):
    assert python_compile_error("x = 1\n") is None
    assert python_compile_error('x = "\\d"\n') is None and not recwarn.list   # SyntaxWarning kept quiet
    start, end, message = python_compile_error("x = 1\ndef f(a, a):\n    pass\n")
    assert "duplicate argument" in message and 6 <= start < end <= len("x = 1\ndef f(a, a):")
    start, end, _ = python_compile_error("x = (1,\n")
    assert start == 4 and end == 5
    assert python_compile_error("x = (\n" + " " * COMPILE_MAX_CHARS) is None   # too long: not compiled


def test_where_no_compiler_reads_it_the_window_is_bounded_even_on_one_line():
    """A Java or C# file is one class and a minified script one line: without a compiler that
    needs whole statements the window stops at WINDOW_CHARS on each side; Python's does not."""
    from infill.syntax import WINDOW_CHARS, top_level_window, window_chars

    java = "class Big {\n" + "    int f(int a) {\n        return a;\n    }\n" * 4000
    before, after = top_level_window(java[:len(java) // 2], java[len(java) // 2:], window_chars("java"))
    assert len(before) <= WINDOW_CHARS and len(after) <= WINDOW_CHARS and before.startswith("    int f")
    minified = "var a=" + "f(1);" * 20000
    before, after = top_level_window(minified[:50000], minified[50000:], window_chars("javascript"))
    assert len(before) <= WINDOW_CHARS and len(after) <= WINDOW_CHARS
    python = "class Big:\n" + "    def method_with_a_long_name(self):\n        return 'a fairly long string'\n" * 400
    assert window_chars("python") is None                     # CPython's compiler reads the whole class
    before = top_level_window(python[:40000], python[40000:], None)[0]
    assert len(before) > WINDOW_CHARS and before.startswith("class Big:")
    # a bracket the completion opens and leaves open is its own, one the user opened is not
    assert adds_syntax_errors("local x = ", "(a + 1", "\n", "lua")
    assert not adds_syntax_errors("print(", "a", "\n", "python")
