"""benchmarks/real_code.py: calibrate and rescore read a run's rows as the product judged them."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import real_code  # noqa: E402
from infill.complete import Completion, judge  # noqa: E402
from infill.confidence import FEATURES, SCALE_ONLY  # noqa: E402
from infill.config import InfillOptions  # noqa: E402


def _row(done: Completion) -> dict:
    """A judged completion as ``complete_row`` writes it."""
    judged = done.candidates[:len(done.features)]
    return {"judged": [{"text": t, "features": f, "confidence": c}
                       for t, f, c in zip(judged, done.features, done.confidences)]}


def test_the_scale_features_of_a_row_are_those_the_product_judged():
    before = "from uuid import UUID\nfrom markupsafe import Markup\n\n\ndef to_python(value):\n    return "
    after = "\n"
    done = Completion("UUID(value)", "line", True, 1, 1, 0.0,
                      candidates=["UUID(value)", "Markup(value)", "undefined_name(value)", "value"],
                      votes=[0, 0, 0, 1], scores=[-0.3, -0.3, -0.3, -2.0], retrieved=[0.89, 0.89, 0.9, 0.0],
                      likelihoods=[-0.3, -0.3, -0.3, None])
    judged = judge(done, before, after, "python", InfillOptions())
    row = _row(judged)
    scale = real_code._scale_features(row, before)
    at = [FEATURES.index(name) for name in SCALE_ONLY]
    for i, j in enumerate(row["judged"]):
        assert scale[i] == [j["features"][k] for k in at], j["text"]
    by_text = {j["text"]: scale[i][-1] for i, j in enumerate(row["judged"])}
    # the two passing drafts tie; the refused one (a name bound nowhere) is no rival, the sample none
    assert by_text["UUID(value)"] == by_text["Markup(value)"] == 1.0
    refused = next(j for j in row["judged"] if j["text"] == "undefined_name(value)")
    assert refused["confidence"] == 0.0 and by_text["undefined_name(value)"] == 0.0 and by_text["value"] == 0.0
    assert scale[0][:5] == [1.0, 0.0, 0.0, 0.0, 0.0]           # after ``return``
    # a row written before the flag existed (19 features): recomputed, to the same values
    older = {"judged": [{**j, "features": j["features"][:-1]} for j in row["judged"]]}
    assert real_code._scale_features(older, before) == scale
