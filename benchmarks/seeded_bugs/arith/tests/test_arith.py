# SPDX-License-Identifier: MIT
import pytest

from arith import evaluate, tokenize


def test_tokenize():
    assert tokenize("12 + (3*4)") == [12, "+", "(", 3, "*", 4, ")"]


def test_tokenize_rejects_letters():
    with pytest.raises(ValueError):
        tokenize("1 + x")


def test_precedence():
    assert evaluate("1 + 2 * 3") == 7
    assert evaluate("10 - 4 - 3") == 3


def test_parentheses():
    assert evaluate("(1 + 2) * 3") == 9


def test_division():
    assert evaluate("8 / 2 / 2") == 2


def test_unary_minus():
    assert evaluate("-3 + 5") == 2
    assert evaluate("-(2 * 3)") == -6


def test_errors():
    for bad in ("(1 + 2", "1 +", "1 2"):
        with pytest.raises(ValueError):
            evaluate(bad)
