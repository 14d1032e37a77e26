"""infill.confidence: the calibrated score, its fallback, the fit; ``shown`` in the CLI, batch
and the rewrite refusal."""

from __future__ import annotations

import json
from dataclasses import replace
import logging

import pytest

from helpers import Scripted, run_cli
from infill import confidence as conf
from infill.checks import Check
from infill.config import InfillOptions
from infill.editing import rewrite

OK = [Check("names", "ok")]


def test_a_rejected_or_empty_candidate_has_no_confidence():
    assert conf.confidence(-0.1, 1.0, 3, "x + 1", [Check("names", "reject", "`m`")]) == 0.0
    assert conf.confidence(-0.1, 1.0, 3, "  ", OK) == 0.0


def test_calibrated_scores_follow_the_shipped_weights(tmp_path):
    cal = {"features": list(conf.FEATURES), "weights": [1.0, 2.0, 0.0, 0.0, -1.0, -1.0]}
    sure = conf.confidence(-0.05, 1.0, 3, "x", OK, calibration=cal)
    unsure = conf.confidence(-3.0, 0.25, 3, "x", OK, calibration=cal)
    assert 0.0 < unsure < sure < 1.0


@pytest.mark.parametrize("content", [None, "not json", json.dumps({"features": ["old"], "weights": [1]})])
def test_a_missing_or_corrupt_calibration_falls_back_with_one_warning(tmp_path, caplog, content):
    path = tmp_path / "confidence.json"
    if content is not None:
        path.write_text(content)
    conf.load_calibration.cache_clear()
    with caplog.at_level(logging.WARNING, logger="infill.confidence"):
        assert conf.load_calibration(str(path)) is None
        assert conf.load_calibration(str(path)) is None
    assert len([r for r in caplog.records if "uncalibrated" in r.getMessage()]) == 1
    x = conf.features(-0.5, 0.5, 3, "x", OK)
    assert conf.uncalibrated(x) == pytest.approx(0.5 * 2.718281828 ** -0.5, rel=1e-6)
    conf.load_calibration.cache_clear()


def test_the_shipped_calibration_loads():
    conf.load_calibration.cache_clear()
    cal = conf.load_calibration()
    assert cal is not None and cal["features"] == list(conf.FEATURES) and "fitted_on" in cal


def test_fit_recovers_which_signal_predicts_rightness():
    rows = [([lp, 1.0, 1.0, 0.0, 0.0, 1.0], lp > -1.0) for lp in [-0.1 * i for i in range(40)]]
    rows += [([-0.5, 1.0, 1.0, 0.0, 0.0, 1.0], False), ([-1.5, 1.0, 1.0, 0.0, 0.0, 1.0], True)]
    weights = conf.fit(rows)
    assert weights[0] > 0          # a higher log-probability: more often right


def test_below_min_confidence_complete_prints_nothing_and_says_why_on_stderr(tmp_path, tiny_model_dir, capsys):
    src = tmp_path / "m.py"
    src.write_text("def f(a):\n    return \n")
    flags = ["--model", str(tiny_model_dir), "--canvas", "4", "--max-blocks", "1", "--min-confidence", "1",
             "--no-checks"]
    code, out, err = run_cli(["complete", f"{src}:2:12", *flags], capsys)
    assert (code, out) == (0, "")
    assert err.count("\n") == 1 and err.startswith("infill: nothing shown: ")   # one line: why, not silence
    assert "below the threshold 1.00" in err and "--min-confidence 0." in err and "confidence 0." in err
    code, out, _ = run_cli(["complete", f"{src}:2:12", "--json", *flags], capsys)
    row = json.loads(out)
    assert code == 0 and row["shown"] is False and 0.0 <= row["confidence"] < 1.0
    assert row["text"] == "" and row["best"].strip() and row["decision"] == "below_threshold"   # text: what is shown
    assert "features" not in row
    code, out, _ = run_cli(["complete", f"{src}:2:12", "--json", "--debug", *flags], capsys)
    assert code == 0 and "features" in json.loads(out)
    code, out, err = run_cli(["complete", f"{src}:2:12", *flags[:-3], "--min-confidence", "0", "--no-checks"],
                             capsys)
    assert code == 0 and out.strip() and err == ""
    code, out, _ = run_cli(["complete", f"{src}:2:12", "--json", *flags[:-3], "--min-confidence", "0",
                            "--no-checks"], capsys)
    row = json.loads(out)
    assert row["shown"] and row["text"] == row["best"] and row["text"].strip()
    code, _, err = run_cli(["complete", f"{src}:2:12", "--min-confidence", "1.5"], capsys)
    assert code == 2 and "min-confidence must be in [0, 1]" in err


def test_batch_writes_the_best_candidate_its_confidence_and_whether_it_is_shown(tiny_model_dir, capsys,
                                                                               monkeypatch):
    tasks = "\n".join(json.dumps({"task_id": i, "prefix": "def f(a):\n    return ", "suffix": "\n"}) for i in range(2))
    code, out, _ = run_cli(["batch", "--model", str(tiny_model_dir), "--canvas", "4", "--max-blocks", "1",
                            "--min-confidence", "1"], capsys, stdin=tasks + "\n", monkeypatch=monkeypatch)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 2
    for row in rows:
        assert set(row) >= {"completion", "confidence", "shown"} and row["shown"] is False


class Rewriter(Scripted):
    """Answers a rewrite with ``fix``, and likes ``liked`` best."""

    def __init__(self, fix: str):
        from engine.api import Capabilities
        super().__init__("unused", fix)
        self.capabilities = Capabilities(rewrite=True, token_scoring=True)
        self.liked = fix

    def likelihood(self, prefix, suffix, texts):
        return [0.0 if t == self.liked else -5.0 for t in texts]


DOC = "def area(w, h):\n    return w * h\n"
SEL = (DOC.index("w * h"), DOC.index("w * h") + len("w * h"))


def test_a_rewrite_that_reads_an_unbound_name_or_scores_worse_is_refused():
    opts = InfillOptions(repair=0, resample=0)
    unbound = rewrite(DOC, *SEL, "python", opts, backend=Rewriter("w * hh"))
    assert unbound.refused.startswith("no better rewrite") and unbound.text == "w * h" and unbound.candidates == []
    worse = Rewriter("h * w")
    worse.liked = "w * h"
    assert "prefers the selection" in rewrite(DOC, *SEL, "python", opts, backend=worse).refused
    assert "syntax error" in rewrite(DOC, *SEL, "python", opts, backend=Rewriter("w * (h")).refused
    same = rewrite(DOC, *SEL, "python", opts, backend=Rewriter("w * h"))
    assert "wrote the selection again" in same.refused
    better = rewrite(DOC, *SEL, "python", opts, backend=Rewriter("h * w"))
    assert better.refused == "" and better.text == "h * w"


def test_the_calibration_is_the_embedded_models_and_other_backends_get_the_plain_score():
    conf.load_calibration.cache_clear()
    assert conf.calibrated_for("embedded") and not conf.calibrated_for("remote")
    ok = [Check("cut_off", "ok"), Check("echo", "ok")]
    # a served model sure of its answer, its four samples agreeing: the geometric-mean token
    # probability times the agreement, not a calibration fitted on another model's scores
    plain = conf.confidence(-0.2, 1.0, 2, "a + b", ok, calibrated=False)
    assert plain == pytest.approx(2.718281828 ** -0.2, abs=1e-4) and plain > conf.confidence(-0.2, 1.0, 2, "a + b", ok)
    assert conf.confidence(-0.2, 1.0, 2, "a + b", [Check("echo", "reject", "x")], calibrated=False) == 0.0


@pytest.mark.parametrize("before, flags", [
    ("x = 1\n    return ", (1, 0, 0, 0, 0)),
    ("    if ", (0, 1, 0, 0, 0)),
    ("  elif ", (0, 1, 0, 0, 0)),
    ("value = ", (0, 0, 1, 0, 0)),
    ("total += ", (0, 0, 1, 0, 0)),
    ("if a == ", (0, 0, 0, 0, 0)),       # a comparison, not an assignment
    ("if a <= ", (0, 0, 0, 0, 0)),
    ("print(", (0, 0, 0, 1, 0)),
    ("return self.", (0, 0, 0, 0, 1)),
    ("returns = ", (0, 0, 1, 0, 0)),     # a name that starts with "return"
    ("    ", (0, 0, 0, 0, 0)),           # a whole line to write
])
def test_the_slot_is_what_the_line_before_the_cursor_ends_with(before, flags):
    assert conf.slot(before) == tuple(float(f) for f in flags)
    f = dict(zip(conf.FEATURES, conf.features(-0.5, 0.5, 3, "x", OK, slot=conf.slot(before))))
    assert [f[name] for name in conf.SLOTS] == [float(v) for v in flags]


def test_a_retrieval_draft_another_draft_ties_with_is_a_rival():
    texts = ["UUID(value)", "Markup(value)", "UUID(value) ", "value", "tuple(value)"]
    assert conf.rivals(texts, [0.89, 0.89, 0.0, 0.0, 0.5]) == [True, True, False, False, True]
    # the same text twice is agreement, not a rival; a draft just inside the margin ties, one outside does not
    assert conf.rivals(["a(x)", "a(x)\n"], [0.8, 0.8]) == [False, False]
    assert conf.rivals(["a", "b"], [0.64, 0.625]) == [True, True]
    assert conf.rivals(["a", "b"], [0.64, 0.60]) == [False, True]     # b: a better draft disagrees
    assert conf.rivals([], []) == []


def test_a_rival_lowers_how_sure_the_best_is_without_choosing_it():
    conf.load_calibration.cache_clear()
    cal = conf.load_calibration()
    assert cal["weights"][conf.FEATURES.index("rival_draft")] < 0   # fitted: a tie is right less often
    x = conf.features(-0.3, 0.0, 3, "UUID(value)", OK, retrieved=0.89)
    tied = conf.features(-0.3, 0.0, 3, "UUID(value)", OK, retrieved=0.89, rival=True)
    alone = conf.confidence_of(x, "UUID(value)", OK)
    sure = conf.confidence_of(tied, "UUID(value)", OK)
    assert sure < alone
    assert conf.ranking_confidence(tied, "UUID(value)", OK, sure) == alone        # the order is the untied one
    assert conf.ranking_confidence(x, "UUID(value)", OK, alone) == alone


def test_judge_orders_by_the_untied_score_and_reports_the_tied_one():
    from infill.complete import Completion, judge

    before, after = "def to_python(value):\n    return ", "\n"
    drafts = Completion("UUID(value)", "line", True, 1, 1, 0.0, candidates=["UUID(value)", "Markup(value)", "value"],
                        votes=[0, 0, 1], scores=[-0.3, -0.3, -2.0], retrieved=[0.89, 0.89, 0.0],
                        likelihoods=[-0.3, -0.3, None])
    alone = replace(drafts, retrieved=[0.89, 0.5, 0.0])        # no tie: Markup's draft is far less similar
    opts = InfillOptions(checks=False)
    tied, untied = judge(drafts, before, after, "python", opts), judge(alone, before, after, "python", opts)
    assert tied.text == untied.text == "UUID(value)"
    assert tied.confidence < untied.confidence
    assert tied.features[0][conf.FEATURES.index("rival_draft")] == 1.0


def test_the_scale_only_features_end_the_vector_and_only_the_unranked_are_cleared():
    assert conf.FEATURES[-len(conf.SCALE_ONLY):] == conf.SCALE_ONLY      # calibrate reads them from the end
    assert set(conf.UNRANKED) <= set(conf.SCALE_ONLY) and not set(conf.UNRANKED) & set(conf.SLOTS)
    x = conf.features(-0.3, 0.0, 3, "a", OK, retrieved=0.9, slot=(1.0, 0, 0, 0, 0), rival=True)
    cleared = dict(zip(conf.FEATURES, conf.unranked(x)))
    assert cleared["rival_draft"] == 0.0 and cleared["after_return"] == 1.0 and cleared["retrieved"] == 0.9
