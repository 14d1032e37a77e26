"""The known names' order: the fast scorer agrees with the features the fit reads, a missing
weights file falls back to the hand-set order, and the shipped weights put what the code
around the cursor points at first."""

from __future__ import annotations

import json
import logging
import random
import time
from collections import Counter

import pytest

from infill import name_ranking as R
from infill.names import Slot, name_slot, rank

TEXT = '''import os
import sys

TIMEOUT = 30


def fetch(url, retries):
    session = make_session()
    response = session.get(url, timeout=TIMEOUT)
    payload = response.json()
    if payload:
        return '''


def _ctx(text: str, member: bool = False, receiver: Counter | None = None, partial: str = ""):
    return R.Context(text, len(text), member, receiver or Counter(), partial)


@pytest.mark.parametrize("member,tail", [(False, ""), (True, ""), (False, "x = fetch(url, max_timeout=")])
def test_the_fast_scorer_is_the_fitted_score_of_the_features(member, tail):
    rng = random.Random(0)
    ctx = _ctx(TEXT + tail, member, Counter({"get": 2, "json": 1}) if member else None)
    w = {f: rng.uniform(-2, 2) for f in R.FEATURES}
    scorer = R.Scorer(ctx, "", w)
    names = ["payload", "response", "TIMEOUT", "_private", "__dunder__", "Session", "os", "get", "json",
             "never_seen", "x", "A", "_", "__", "_B", "HTTPError", "T1", "DEFAULT_TIMEOUT", "maxTimeout"]
    for name in names:
        for kind in R.KINDS + ("unknown",):
            assert scorer(name, kind) == pytest.approx(R.score(R.features(name, kind, ctx), w), abs=1e-9)


def test_the_features_say_where_a_name_occurs():
    ctx = _ctx(TEXT)
    payload, retries, sys_ = (R.features(n, "statement", ctx) for n in ("payload", "retries", "sys"))
    assert payload["scope"] > 0 and payload["above"] == 1.0 and payload["recent"] > 0.9
    assert retries["scope"] > 0 and retries["above"] == 0.0 and retries["recent"] < payload["recent"]
    assert sys_["scope"] == 0.0 and sys_["near"] > 0 and sys_["recent"] < payload["recent"]
    assert "near" not in R.features("elsewhere", "statement", ctx)       # occurs nowhere: shape and kind only
    assert R.features("TIMEOUT", "statement", ctx)["constant"] == 1.0
    bound = _ctx("def f(a):\n    total = a + 1\n    return ")
    assert R.features("total", "statement", bound)["scope_once"] == 1.0     # bound, not used yet
    assert R.features("a", "param", bound)["scope_once"] == 0.0
    assert R.features("fetch", "function", _ctx("x = fetch(1)\ny = "))["callable_after_eq"] == 1.0
    bound_to = _ctx("get(url, timeout=config.", member=True)
    assert R.features("DEFAULT_TIMEOUT_SECONDS", "statement", bound_to)["target_words"] == 1.0
    assert "target_words" not in R.features("BASE_URL", "statement", bound_to)


def test_a_missing_weights_file_gives_the_hand_set_order(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(R, "WEIGHTS_FILE", tmp_path / "missing.json")
    R.weights.cache_clear()
    try:
        with caplog.at_level(logging.WARNING):
            assert R.weights() == R.HAND_SET
        assert "hand-set" in caplog.text
        (tmp_path / "missing.json").write_text("{not json")
        R.weights.cache_clear()
        assert R.weights() == R.HAND_SET
    finally:
        R.weights.cache_clear()


def test_the_shipped_weights_are_fitted_and_held_out_better_than_the_hand_set():
    data = json.loads(R.WEIGHTS_FILE.read_text())
    assert set(data["weights"]) <= set(R.FEATURES)
    held = data["held_out"]
    assert held["fitted"]["all_top4"] > held["hand_set"]["all_top4"]


def test_a_value_bound_just_above_comes_before_names_used_further_away():
    found = [(n, "statement") for n in ("os", "sys", "TIMEOUT", "session", "response", "payload", "url")]
    found += [("fetch", "function"), ("make_session", "function"), ("print", "builtin")]
    known = rank(Slot("", False), found, TEXT, len(TEXT), "jedi", complete=True)
    assert known.names[0] == "payload"
    assert known.names.index("print") > known.names.index("response")


def test_the_function_around_the_cursor_and_the_name_a_value_is_bound_to():
    nested = _ctx("def get_config(path):\n    def _load_file(p):\n        return p\n    for x in path:\n"
                  "        if x:\n            return ")
    assert nested.target == {"get", "config"} and nested.scope["path"] == 2    # not the ended inner def
    assert _ctx("class A:\n    timeout: float = ").target == {"timeout"}     # the name, not its annotation
    assert _ctx("x = f(retries=").target == {"retries"} and _ctx("if a == ").target == frozenset()
    text = "z = x\nz = "
    spaced = R.Context(text + " x\n", len(text), False, Counter())
    assert spaced.left1 == Counter({"x": 1})             # the gap's own text after the cursor is not counted


def test_a_long_line_costs_no_more_than_a_short_one():
    text = "def f():\n    return " + "a1" * 20_000 + " or "
    started = time.perf_counter()
    known = rank(name_slot(text), [("abc", "statement")], text, len(text), "jedi", complete=True)
    assert known.names == ("abc",) and time.perf_counter() - started < 1.0    # 3.9 s before the line was bounded
    minified = "x = 1; " * 700_000                                           # 4.9 MB on one line
    started = time.perf_counter()
    R.Context(minified, len(minified) // 2, False, Counter())
    assert time.perf_counter() - started < 1.0
