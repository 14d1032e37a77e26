# SPDX-License-Identifier: MIT
import pytest

from minstack import Stack, balanced, eval_postfix


def test_push_pop_order():
    s = Stack()
    s.push(1)
    s.push(2)
    assert s.pop() == 2
    assert s.pop() == 1


def test_pop_empty_raises():
    with pytest.raises(IndexError):
        Stack().pop()


def test_peek_does_not_remove():
    s = Stack()
    s.push("a")
    assert s.peek() == "a"
    assert s.size() == 1


def test_size_and_empty():
    s = Stack()
    assert s.is_empty() and s.size() == 0
    s.push(3)
    assert not s.is_empty() and s.size() == 1


def test_balanced():
    assert balanced("(a[b]{c})")
    assert balanced("")
    assert not balanced("(]")
    assert not balanced("((")
    assert not balanced(")")


def test_eval_postfix():
    assert eval_postfix([2, 3, "+"]) == 5
    assert eval_postfix([7, 2, "-"]) == 5
    assert eval_postfix([2, 3, 4, "*", "+"]) == 14
