# SPDX-License-Identifier: MIT
"""Matrices as lists of rows."""


def zeros(rows, cols):
    return [[0] * cols for _ in range(rows)]


def identity(n):
    m = zeros(n, n)
    for i in range(n):
        m[i][i] = 1
    return m


def shape(m):
    return len(m), len(m[0]) if m else 0


def transpose(m):
    rows, cols = shape(m)
    return [[m[r][c] for r in range(rows)] for c in range(cols)]


def matmul(a, b):
    n, k = shape(a)
    k2, p = shape(b)
    if k != k2:
        raise ValueError("shapes do not match")
    out = zeros(n, p)
    for i in range(n):
        for j in range(p):
            total = 0
            for t in range(k):
                total += a[i][t] * b[t][j]
            out[i][j] = total
    return out


def trace(m):
    return sum(m[i][i] for i in range(len(m)))


def add(a, b):
    if shape(a) != shape(b):
        raise ValueError("shapes do not match")
    return [[x + y for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]
