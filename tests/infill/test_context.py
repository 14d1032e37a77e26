"""Tests of infill.context: positions, gap kinds, budgets and trimming, big and broken files."""

import time

import pytest

from infill.context import (
    GAP_SHAPES,
    extract,
    offset_to_position,
    position_to_offset,
)
from infill.errors import PositionError, UnknownLanguageError


def at_cursor(marked: str, **kwargs):
    """extract() at the "|" in marked text."""
    offset = marked.index("|")
    return extract(marked[:offset] + marked[offset + 1 :], offset, **kwargs)


# ---------------------------------------------------------------- positions


def test_position_to_offset():
    text = "ab\ncdé\n"
    assert position_to_offset(text, 0, 0) == 0
    assert position_to_offset(text, 1, 3) == 6
    assert position_to_offset(text, 2, 0) == len(text)


@pytest.mark.parametrize(
    "line, col, message",
    [
        (120, 0, "line 120 is past the end of the file (2 lines)"),
        (1, 90, "column 90 is past the end of line 1 (3 characters)"),
        (-1, 0, "position (-1, 0) is before the start of the file"),
    ],
)
def test_position_errors(line, col, message):
    with pytest.raises(PositionError) as error:
        position_to_offset("ab\ncdé\n", line, col)
    assert str(error.value) == message


def test_a_crlf_lines_carriage_return_is_not_a_column():
    text = "ab\r\ncd\r\n"
    assert position_to_offset(text, 0, 2) == 2 and position_to_offset(text, 1, 2) == 6
    with pytest.raises(PositionError, match=r"column 3 is past the end of line 0 \(2 characters\)"):
        position_to_offset(text, 0, 3)


def test_offset_to_position_round_trip():
    text = "x = 1\n  y\n"
    for offset in range(len(text) + 1):
        assert position_to_offset(text, *offset_to_position(text, offset)) == offset
    with pytest.raises(PositionError):
        offset_to_position(text, len(text) + 1)


def test_extract_rejects_bad_offset_and_language():
    with pytest.raises(PositionError):
        extract("abc", 4)
    with pytest.raises(UnknownLanguageError):
        extract("abc", 0, language="cobol")


# ---------------------------------------------------------------- gap kinds


@pytest.mark.parametrize(
    "marked, kind, indent",
    [
        ("x = |\n", "line", ""),
        ("def f():\n    x = |\n", "line", "    "),
        ("def f():\n    x = 1\n|    return x\n", "line", "    "),
        ("def f():\n|", "block", "    "),
        ("def f():\n    |\n", "block", "    "),
        ("class A:\n    def m(self):\n        |\n", "block", "        "),
        ("if x:  # why\n|\n", "block", "    "),
        ('def f():\n    """Doc."""\n    |\n\ndef g():\n    pass\n', "block", "    "),
        ("x = foo(a, |)\n", "arguments", ""),
        ("def f(a, |): pass\n", "arguments", ""),
        ("x = foo(a, |\n", "arguments", ""),  # unclosed: from the text scan
        ("x = [1, |]\n", "expression", ""),
        ("x = {'a': |}\n", "expression", ""),
        ("x = d[|]\n", "expression", ""),
        ("x = f([1, |])\n", "expression", ""),
        ("x = [1, |\ny = 2\n", "expression", ""),
        ("s = 'a:'\n|\n", "line", ""),
        # after a statement continued over lines, the next one aligns with its first line
        ("def f(a):\n    x = g(a,\n          1)\n|\n", "line", "    "),
        ("def f(a):\n    for y in g(a,\n               1):\n|\n", "block", "        "),
        ("|", "line", ""),
    ],
)
def test_gap_kind(marked, kind, indent):
    ctx = at_cursor(marked)
    assert (ctx.gap_kind, ctx.indent) == (kind, indent)
    assert ctx.max_new_lines == GAP_SHAPES[kind].max_new_lines
    assert ctx.canvas_tokens == GAP_SHAPES[kind].canvas_tokens


def test_continuation_line_does_not_set_the_next_indent():
    ctx = at_cursor("def f(a):\n    x = g(a,\n          1)\n|\n")
    assert "    " in ctx.valid_indents and "          " not in ctx.valid_indents


def test_line_fields():
    ctx = at_cursor("def f(x):\n    return g(|x):\n")
    assert ctx.line_prefix == "    return g("
    assert ctx.line_suffix == "x):"
    assert not ctx.whole_line
    ctx = at_cursor("def f(x):\n    y = 1\n|    return y\n")
    assert ctx.whole_line and ctx.valid_indents == ("    ",)


def test_tab_indentation():
    ctx = at_cursor("def f():\n\tif x:\n|")
    assert (ctx.gap_kind, ctx.indent, ctx.indent_unit) == ("block", "\t\t", "\t")


# ---------------------------------------------------------------- budgets and trimming


def _long_function(n: int) -> str:
    body = "".join(f"    x{i} = compute({i}, {i} + 1)\n" for i in range(n))
    return (
        "import os\n\n\ndef target(alpha, beta,\n           gamma):\n"
        + body
        + "    |\n    return x0\n\n\ndef after():\n"
        + "".join(f"    y{i} = {i}\n" for i in range(50))
    )


def test_small_texts_are_kept_whole():
    marked = _long_function(3)
    ctx = at_cursor(marked)
    before, after = marked.split("|")
    assert (ctx.prefix, ctx.suffix) == (before, after)
    assert (ctx.prefix_start, ctx.suffix_end) == (0, len(marked) - 1)


def test_signature_kept_under_a_small_budget():
    ctx = at_cursor(_long_function(200), prefix_budget=40)
    assert ctx.prefix.startswith("def target(alpha, beta,\n           gamma):\n    x")
    assert ctx.prefix.endswith("    x199 = compute(199, 199 + 1)\n    ")
    assert len(ctx.prefix) <= 40 * 3.5


def test_budget_too_small_for_the_signature_keeps_the_end():
    ctx = at_cursor(_long_function(200), prefix_budget=12)
    assert ctx.prefix == "    x199 = compute(199, 199 + 1)\n    "
    ctx = at_cursor("x = 'a long line that does not fit'|\n", prefix_budget=3)
    assert ctx.prefix == "s not fit'"


def test_prefix_starts_on_a_top_level_statement():
    header = "def one():\n    return 1\n\n\n" * 30
    ctx = at_cursor(header + "def two():\n    a = 1\n    |\n", prefix_budget=60)
    assert ctx.prefix.startswith("def one():\n")


def test_token_counter_is_used():
    calls = []

    def count(text: str) -> int:
        calls.append(text)
        return len(text.split())

    ctx = at_cursor(_long_function(200), prefix_budget=30, suffix_budget=5, count_tokens=count)
    assert calls
    assert count(ctx.prefix) <= 30 + 5  # summed per line: a little slack
    assert ctx.prefix.startswith("def target(")


def test_suffix_trimmed_at_line_ends_and_statement_ends():
    ctx = at_cursor(_long_function(3), suffix_budget=10)
    assert ctx.suffix == "\n    return x0\n"
    ctx = at_cursor(_long_function(3), suffix_budget=0)
    assert ctx.suffix == ""
    ctx = at_cursor("x = foo(|a, b, c, d, e, f)\n", suffix_budget=2)
    assert ctx.suffix == "a, b, c"


# ---------------------------------------------------------------- hard inputs


def test_empty_text():
    ctx = extract("", 0)
    assert (ctx.prefix, ctx.suffix, ctx.gap_kind, ctx.line_suffix) == ("", "", "line", "")


def test_five_megabyte_file_is_fast():
    text = "".join(f"def f{i}(a, b):\n    x = a + b\n    return x\n\n\n" for i in range(120_000))
    assert len(text) > 5_000_000
    offset = text.index("return", len(text) // 2)
    start = time.perf_counter()
    ctx = extract(text, offset)
    extract(text, len(text))
    extract("x=1;" * 1_300_000, 2_600_000)  # one huge line
    assert time.perf_counter() - start < 1.5
    assert ctx.prefix.endswith("    x = a + b\n    ") and ctx.suffix.startswith("return x\n")
    assert len(ctx.prefix) <= 3000 * 3.5


def test_syntax_errors_do_not_break_extraction():
    marked = "def f(a, b:\n    return a +\n\nclass (:\n    x = [1, |\n    y = )\n"
    ctx = at_cursor(marked)
    assert ctx.gap_kind == "expression"
    assert ctx.prefix + ctx.suffix == marked.replace("|", "")


def test_crlf_line_suffix():
    ctx = at_cursor("x = foo(|)\r\ny = 1\r\n")
    assert ctx.line_suffix == ")"
