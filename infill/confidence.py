"""How sure a suggestion is: one number in [0, 1] from signals the path already has.

Signals of a candidate (``features``): the model's mean log-probability per token, the share
of the K rows of its batch that wrote the same text (rows share the context cache, so the
agreement costs little), its length, whether it spans lines, and the checks (``checks``:
a rejected candidate gets 0; ``unknown`` verdicts count as a feature of their own).

A logistic model maps them to a score that orders the candidates of a request, fitted on
every candidate judged on the dev split of the real-code benchmark; a second, one-variable
logistic fit (Platt scaling, ``scale``) on the best candidate of each dev task turns that
score into the probability that the suggestion shown is right. The ordering is unchanged by
the second fit (its slope is positive), and ``min_confidence`` reads as that probability. The
second fit also weighs the scale-only features (``SCALE_ONLY``): what the line before the
cursor ends with, and whether a retrieval draft ties with another that says something else
(``rivals``); they say how sure a candidate is, and the candidates are ordered without the
latter (``ranking_confidence``). Both
are fitted by ``benchmarks/real_code.py calibrate`` and shipped as data
(``infill/data/confidence.json``), for the backend whose candidates they were fitted on (its
``backend``: the embedded model). Other backends (a served or local model, whose scores mean
something else) get the uncalibrated score, the geometric-mean token probability times the
agreement of the K samples or the draft's similarity, as does a missing or corrupt file (with
one warning).
"""

from __future__ import annotations

import json
import logging
import math
import re
from functools import lru_cache
from pathlib import Path

from .checks import REJECT, UNKNOWN, Check
from .examples import kept as examples_kept
from .siblings import bare

CALIBRATION = Path(__file__).with_name("data") / "confidence.json"
FEATURES = ("logprob", "agreement", "log_tokens", "multi_line", "whole_line", "unknown_checks", "likelihood",
            "retrieved", "bias", "known_name", "name_draft", "copies_body", "bare_draft",
            "copies_line", "after_return", "after_condition", "after_assign", "after_paren", "after_dot",
            "rival_draft")
SLOTS = FEATURES[-6:-1]    # what the line before the cursor ends with (``slot``)
# Read by the scale only (``benchmarks/real_code.py calibrate``): they say how sure the best
# candidate is, never which candidate is best.
SCALE_ONLY = (*SLOTS, "rival_draft")
UNRANKED = ("rival_draft",)  # scale-only and different between candidates: cleared to order them
_UNRANKED_AT = frozenset(FEATURES.index(name) for name in UNRANKED)
RIVAL_MARGIN = 0.02        # a draft whose similarity is this close to another's ties with it
_SLOT_PATTERNS = (re.compile(r"(?:^|[^\w.])return\s*$"), re.compile(r"(?:^|[^\w.])(?:if|elif|while)\s*$"),
                  re.compile(r"(?<![=!<>])=\s*$"), re.compile(r"\(\s*$"), re.compile(r"\.$"))
log = logging.getLogger(__name__)


def slot(before: str) -> tuple[float, ...]:
    """What the line before the cursor ends with, one flag per ``SLOTS``: ``return``, a condition's
    keyword (``if``, ``elif``, ``while``), an assignment's ``=``, an open ``(``, a ``.``; all 0
    elsewhere (a blank line, a half-written name). The same candidate is right less often after
    ``return`` (a bare ``None`` or name where an expression was due) than inside a call's brackets:
    on packages the calibration was not fitted on, precision at the default threshold rose with them."""
    line = before[before.rfind("\n") + 1:]
    return tuple(float(bool(p.search(line))) for p in _SLOT_PATTERNS)


def _plain(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").split("\n")).strip()


def rivals(texts: list[str], retrieved: list[float], margin: float = RIVAL_MARGIN) -> list[bool]:
    """Per candidate (of those the checks pass): a retrieval draft that another draft with a
    different text ties with (its similarity within ``margin`` of this one's or above).
    Retrieval found several places that look like the gap and they disagree, so copying any one
    is a guess: ``UUID(value)``, ``Markup(value)``, ``tuple(value)`` and ``b64decode(value)``
    drafted after ``return`` from four sibling classes' ``to_python``, all at 0.89, where the
    gap's class wants ``parse_date(value)``. On the real-code benchmark, as a scale feature
    fitted on dev, the precision of the 25% most confident test gaps rose from 42.8% to 46.6%."""
    plain = [_plain(t) for t in texts]
    out = []
    for i, r in enumerate(retrieved):
        out.append(r > 0 and any(j != i and o > 0 and o >= r - margin and plain[j] != plain[i]
                                 for j, o in enumerate(retrieved)))
    return out


def features(score: float, agreement: float, tokens: int, text: str, checks: list[Check],
             whole_line: bool = False, likelihood: float | None = None, retrieved: float = 0.0,
             known: float = 0.0, named: float = 0.0, copies_body: bool = False,
             slot: tuple[float, ...] = (0.0,) * 5, copies_line: bool = False, rival: bool = False) -> list[float]:
    """The signals of one candidate; ``whole_line``: the gap starts at a line's start or in its
    indentation (a line to write, not the rest of one); ``likelihood``: the model's mean
    pseudo-log-likelihood per token of it as the middle (``drafting.likelihoods``; the
    sampling score where there is none); ``retrieved``: a draft's similarity (0: sampled);
    ``known``: its first name is one of the names valid at the cursor (1), an analysis that
    knows the slot says it is none of them (-1), or nothing tells (0) (``names``); ``named``:
    a known name's draft, 1 / (the name's rank + 1) (0: none; ``naming``); ``copies_body``: the
    function around the gap, completed with it, has another function's body
    (``siblings.copies_a_body``). ``bare_draft``: a draft that is a lone name or literal
    (``siblings.bare``): drafts like ``None`` or ``value`` were right far less often than
    short sampled text, which ``log_tokens`` favours. ``copies_line``: the line it completes
    already stands in the function around the gap (``siblings.copies_a_line``). ``slot``: what
    the line before the cursor ends with (``slot``). ``rival``: a retrieval draft another draft
    with a different text ties with (``rivals``)."""
    score = max(-10.0, score)
    return [score, agreement, math.log1p(max(0, tokens)), float("\n" in text.rstrip("\n")),
            float(whole_line), float(sum(c.verdict == UNKNOWN for c in checks)),
            max(-10.0, likelihood) if likelihood is not None else score, retrieved, 1.0, known, named,
            float(copies_body), float(retrieved > 0 and bare(text)), float(copies_line), *slot, float(rival)]


@lru_cache(maxsize=4)
def load_calibration(path: str = str(CALIBRATION)) -> dict | None:
    """The shipped weights, or None (with one warning) when the file is missing or corrupt."""
    try:
        data = json.loads(Path(path).read_text())
        weights = [float(w) for w in data["weights"]]
        if data["features"] != list(FEATURES) or len(weights) != len(FEATURES):
            raise ValueError("its features are not this version's")
        scale = [float(v) for v in data.get("scale", (1.0, 0.0))]
        if len(scale) != 2 or scale[0] <= 0:
            raise ValueError("its scale is not a positive slope and an intercept")
        return {**data, "weights": weights, "scale": scale}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("confidence calibration %s unusable (%s); using the uncalibrated score", path, exc)
        return None


def uncalibrated(x: list[float]) -> float:
    return math.exp(x[0]) * max(x[1], x[7], x[10])


def calibrated_for(backend_name: str) -> bool:
    """Whether the shipped calibration was fitted on this backend's candidates."""
    cal = load_calibration()
    return cal is not None and cal.get("backend", "embedded") == backend_name


def confidence(score: float, agreement: float, tokens: int, text: str, checks: list[Check],
               calibration: dict | None = None, whole_line: bool = False, likelihood: float | None = None,
               retrieved: float = 0.0, known: float = 0.0, named: float = 0.0, calibrated: bool = True,
               copies_body: bool = False, slot: tuple[float, ...] = (0.0,) * 5, copies_line: bool = False,
               rival: bool = False) -> float:
    """The probability that the candidate is right (0 when a check rejects it); with
    ``calibrated`` False (another backend than the calibration's), the uncalibrated score."""
    x = features(score, agreement, tokens, text, checks, whole_line, likelihood, retrieved, known, named, copies_body,
                 slot, copies_line, rival)
    return confidence_of(x, text, checks, calibration, calibrated)


def confidence_of(x: list[float], text: str, checks: list[Check], calibration: dict | None = None,
                  calibrated: bool = True) -> float:
    """``confidence`` from a candidate's ``features`` already computed (``complete.judge``
    keeps them as well)."""
    if any(c.verdict == REJECT for c in checks) or not text.strip():
        return 0.0
    cal = (calibration if calibration is not None else load_calibration()) if calibrated else None
    if cal is None:
        return round(min(1.0, max(0.0, uncalibrated(x))), 4)
    return round(probability(x, cal), 4)


def examples_floor(checks: list[Check], alone: bool, calibration: dict | None = None,
                   calibrated: bool = True) -> float:
    """The least confidence of a candidate the docstring's examples keep (``examples``): the
    share of such candidates exactly right on single-line gaps of standard-library functions
    with examples (``benchmarks/examples_gaps.py --write``), ``only`` where the examples keep it
    alone (``alone``), ``shared`` where they keep others too. 0 for any other candidate, for
    another backend, or where the calibration has no such rates."""
    if not calibrated or not examples_kept(checks):
        return 0.0
    cal = calibration if calibration is not None else load_calibration()
    rates = (cal or {}).get("examples") or {}
    try:
        return max(0.0, min(1.0, float(rates.get("only" if alone else "shared", 0.0))))
    except (TypeError, ValueError):
        return 0.0


def ranking_confidence(x: list[float], text: str, checks: list[Check], sure: float,
                       calibration: dict | None = None, calibrated: bool = True) -> float:
    """What orders a request's candidates: ``confidence_of`` with the ``UNRANKED`` features
    cleared, so that a scale-only signal which differs between candidates says how sure the best
    is without choosing it (demoting the tied drafts lost exact matches on the real-code
    benchmark: a sampled candidate took their place and was right less often). ``sure``: the
    confidence already computed from ``x`` with the same calibration, returned when they are
    all clear."""
    cleared = unranked(x)
    return sure if cleared == x else confidence_of(cleared, text, checks, calibration, calibrated)


def unranked(x: list[float]) -> list[float]:
    """``x`` with the ``UNRANKED`` features set to 0."""
    return [0.0 if i in _UNRANKED_AT else v for i, v in enumerate(x)]


def probability(x: list[float], cal: dict) -> float:
    """The calibrated probability of a features vector: the weights' score through the scale."""
    slope, intercept = cal.get("scale", (1.0, 0.0))
    z = slope * sum(w * v for w, v in zip(cal["weights"], x)) + intercept
    return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


def fit(rows: list[tuple[list[float], bool]], l2: float = 1.0, steps: int = 200) -> list[float]:
    """Logistic-regression weights for (features, right) rows, by Newton's method (torch)."""
    import torch

    X = torch.tensor([r[0] for r in rows], dtype=torch.float64)
    y = torch.tensor([float(r[1]) for r in rows], dtype=torch.float64)
    w = torch.zeros(X.shape[1], dtype=torch.float64)
    eye = torch.eye(X.shape[1], dtype=torch.float64) * l2
    for _ in range(steps):
        p = torch.sigmoid(X @ w)
        grad = X.T @ (p - y) + l2 * w
        hess = (X * (p * (1 - p)).unsqueeze(1)).T @ X + eye
        step = torch.linalg.solve(hess, grad)
        w = w - step
        if float(step.abs().max()) < 1e-8:
            break
    return [round(float(v), 6) for v in w]
