# SPDX-License-Identifier: MIT
import pytest

from intervals import day_of_year, days_in_month, is_leap, length, merge, overlaps


def test_is_leap():
    assert is_leap(2024) and is_leap(2000)
    assert not is_leap(1900) and not is_leap(2023)


def test_days_in_month():
    assert days_in_month(2023, 2) == 28
    assert days_in_month(2024, 2) == 29
    assert days_in_month(2024, 4) == 30
    assert days_in_month(2024, 12) == 31


def test_bad_month():
    with pytest.raises(ValueError):
        days_in_month(2024, 13)


def test_day_of_year():
    assert day_of_year(2023, 1, 1) == 1
    assert day_of_year(2023, 3, 1) == 60
    assert day_of_year(2024, 3, 1) == 61


def test_overlaps_and_length():
    assert overlaps((1, 5), (5, 9))
    assert not overlaps((1, 4), (5, 9))
    assert length((3, 3)) == 1 and length((1, 10)) == 10


def test_merge():
    assert merge([(6, 8), (1, 3), (2, 4)]) == [(1, 4), (6, 8)]
    assert merge([(1, 2), (3, 4)]) == [(1, 4)]
    assert merge([(1, 10), (2, 3)]) == [(1, 10)]
    assert merge([]) == []
