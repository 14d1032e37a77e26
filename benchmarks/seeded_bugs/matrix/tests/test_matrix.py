# SPDX-License-Identifier: MIT
import pytest

from matrix import add, identity, matmul, shape, trace, transpose, zeros


def test_zeros_and_shape():
    assert zeros(2, 3) == [[0, 0, 0], [0, 0, 0]]
    assert shape(zeros(2, 3)) == (2, 3)


def test_identity():
    assert identity(2) == [[1, 0], [0, 1]]


def test_transpose():
    assert transpose([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]


def test_matmul():
    a = [[1, 2], [3, 4]]
    b = [[5, 6], [7, 8]]
    assert matmul(a, b) == [[19, 22], [43, 50]]
    assert matmul(a, identity(2)) == a
    assert matmul([[1, 2, 3]], [[1], [2], [3]]) == [[14]]


def test_matmul_shape_mismatch():
    with pytest.raises(ValueError):
        matmul([[1, 2]], [[1, 2]])


def test_trace_and_add():
    assert trace([[1, 2], [3, 4]]) == 5
    assert add([[1, 2]], [[3, 4]]) == [[4, 6]]
