# SPDX-License-Identifier: MIT
"""Calendar arithmetic and closed integer intervals (start, end) with start <= end."""

MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def is_leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year, month):
    if not 1 <= month <= 12:
        raise ValueError("month must be 1..12")
    if month == 2 and is_leap(year):
        return 29
    return MONTH_DAYS[month - 1]


def day_of_year(year, month, day):
    total = 0
    for m in range(1, month):
        total += days_in_month(year, m)
    return total + day


def overlaps(a, b):
    return a[0] <= b[1] and b[0] <= a[1]


def length(interval):
    return interval[1] - interval[0] + 1


def merge(intervals):
    """Merge overlapping or touching intervals; the result is sorted."""
    result = []
    for start, end in sorted(intervals):
        if result and start <= result[-1][1] + 1:
            result[-1] = (result[-1][0], max(result[-1][1], end))
        else:
            result.append((start, end))
    return result
