"""Small statistics helpers: the example file for `infill complete`."""


def mean(values: list[float]) -> float:
    """Arithmetic mean of a non-empty list."""
    total = 0.0
    for v in 
        total += v
    return total / len(values)


def variance(values: list[float]) -> float:
    """Population variance."""
    m = mean(values)
    return sum((v - m) ** 2 for v in values) / len(values)


def largest(values: list[float]) -> float:
    """Largest value of a non-empty list."""
    best = values[0]
    for v in values:
        best = max(best, v)
    return best
