"""The confidence of a next-edit candidate: the probability that it is the edit the user makes
next, a logistic model of a few features of the candidate and of the edit it came from.

The weights were fitted on the next-edit benchmark's ``dev`` split (``python
benchmarks/next_edit.py --fit``, which prints ``WEIGHTS``) and never on ``test``. Labels: the
candidate nearest the cursor right (1) or not (0), ``none`` tasks included (a suggestion
there is wrong), so the confidence is the probability of being right where one is shown.
"""

from __future__ import annotations

import math

from .propagate import Hunk, Rules

FEATURES = ("bias", "similar", "defines", "rename", "mention", "block", "whole", "insert", "near", "mid", "far",
            "log_hunks", "multi_line", "one_line_edit")

# fitted on dev (benchmarks/next_edit.py --fit); a feature missing here weighs 0
WEIGHTS: dict[str, float] = {"bias": -2.886, "similar": 1.948, "defines": 0.452, "rename": 0.011, "mention": 0.121,
                             "block": 0.003, "whole": 1.566, "insert": -0.74, "near": -0.367, "mid": 0.352,
                             "far": -0.295, "log_hunks": -0.115, "multi_line": -0.601, "one_line_edit": 0.263}


def features(hunk: Hunk, rules: Rules, distance: float, total: int) -> dict[str, float]:
    """The features of one candidate (``total``: candidates that passed the checks)."""
    kinds = {c.kind for c in rules.changes}
    whole = hunk.applied >= 1.0 and (hunk.rule in ("token", "block") or len(rules.changes) <= 1)
    return {
        "bias": 1.0,
        "similar": hunk.features.get("similar", 0.0),   # how alike the place and the user's old line are
        "defines": hunk.features.get("defines", 0.0),   # a renamed definition: its old uses dangle
        "rename": float(hunk.rule == "rename"),
        "mention": float(hunk.rule == "mention"),
        "block": float(hunk.rule == "block"),
        "whole": float(whole),                       # every change of the user's edit fits here
        "insert": float(kinds == {"insert"}),        # only insertions (an added argument, a wrapper)
        "near": float(distance <= 2),
        "mid": float(2 < distance <= 8),
        "far": float(distance > 30),
        "log_hunks": math.log1p(total),
        "multi_line": float(hunk.end_line - hunk.start_line > 1),
        "one_line_edit": float(len(rules.old_lines) == 1 and len(rules.new_lines) == 1),
    }


def confidence(feats: dict[str, float], weights: dict[str, float] | None = None) -> float:
    """The logistic model's probability for a candidate's ``features``."""
    w = WEIGHTS if weights is None else weights
    z = sum(w.get(name, 0.0) * value for name, value in feats.items())
    return 1.0 / (1.0 + math.exp(-z))
