# SPDX-License-Identifier: MIT
from wraptext import center, count_words, truncate, wrap


def test_wrap_basic():
    assert wrap("the quick brown fox", 10) == ["the quick", "brown fox"]


def test_wrap_exact_width():
    assert wrap("aa bb cc", 5) == ["aa bb", "cc"]


def test_wrap_long_word_and_empty():
    assert wrap("a verylongword b", 4) == ["a", "verylongword", "b"]
    assert wrap("   ", 10) == []


def test_center():
    assert center("ab", 6) == "  ab  "
    assert center("ab", 5) == " ab  "
    assert center("abcdef", 3) == "abcdef"


def test_truncate():
    assert truncate("hello world", 8) == "hello..."
    assert truncate("short", 10) == "short"
    assert truncate("hello", 5) == "hello"


def test_count_words():
    assert count_words("The cat, the hat.") == {"the": 2, "cat": 1, "hat": 1}
