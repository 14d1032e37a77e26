"""Spectrum-based fault localization: which lines the failing tests run and the passing ones do not.

``trace_tests(run)`` runs the tests once more with a line tracer
(``pytest_plugins/infill_linetrace.py``, loaded with ``-p``) and reads back, for each test,
the lines of the repository's non-test code it ran. ``run`` is the caller's way of running
pytest in the sandbox (``fix.Verifier.run``); a traced run that fails or times out gives
None, and the caller goes on without it.

``ochiai(coverage, failed, passed)`` scores each line run by a failing test with the Ochiai
coefficient, ``ef / sqrt(F * (ef + ep))``: ``ef`` and ``ep`` count the failing and passing
tests that ran the line, ``F`` the failing tests that were traced. A line every failing test
runs and no passing test runs scores 1; a line no failing test runs scores 0 (it is left out).
This is the ranking of GZoltar and of most repair tools' fault localization.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections import Counter
from pathlib import Path
from typing import Callable

PLUGIN_DIR = Path(__file__).parent / "pytest_plugins"
PLUGIN = "infill_linetrace"

Coverage = dict[str, dict[str, set[int]]]     # node id -> relative path -> lines run


def trace_tests(run: Callable[..., object], args: list[str], timeout_s: float | None = None) -> Coverage | None:
    """Each test's lines, from one traced run of ``args``; None when the run did not finish."""
    with tempfile.TemporaryDirectory(prefix="infill-trace-") as tmp:
        out = Path(tmp, "lines.json")
        result = run({}, ["-p", PLUGIN, *args], timeout_s, env={"INFILL_LINETRACE_OUT": str(out)},
                     plugin_dirs=(str(PLUGIN_DIR),))
        if getattr(result, "killed", False) or not out.is_file():
            return None
        try:
            raw = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
    if not isinstance(raw, dict):
        return None
    return {str(node): {str(path): {int(n) for n in lines} for path, lines in files.items()}
            for node, files in raw.items() if isinstance(files, dict)}


def ochiai(coverage: Coverage, failed: list[str], passed: set[str]) -> dict[tuple[str, int], float]:
    """(path, line) -> Ochiai score, for the lines a traced failing test ran."""
    failing = [n for n in failed if n in coverage]
    ef: Counter = Counter()
    ep: Counter = Counter()
    for node, files in coverage.items():
        counts = ef if node in failing else ep if node in passed else None
        if counts is None:
            continue
        for path, lines in files.items():
            counts.update((path, line) for line in lines)
    return {key: n / math.sqrt(len(failing) * (n + ep[key])) for key, n in ef.items()}


def gap_score(scores: dict[tuple[str, int], float], path: str, first_line: int, last_line: int) -> float:
    """A region's score: the best of its lines (0 when no failing test ran any of them)."""
    return max((scores.get((path, line), 0.0) for line in range(first_line, last_line + 1)), default=0.0)
