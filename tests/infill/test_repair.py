"""Syntax repair: the tokens inside tree-sitter errors are re-masked and denoised again."""
# known_names=False: these tests read the model's own requests and candidates (known names: test_names).

from helpers import Scripted
from engine.api import Capabilities
from infill.complete import complete
from infill.config import InfillOptions
from infill.syntax import completion_error_spans

PREFIX = "def area(w, h):\n    return "
SUFFIX = "\n\n\nprint(area(2, 3))\n"


def test_error_spans_are_in_completion_coordinates():
    spans = completion_error_spans(PREFIX, "w * (h", SUFFIX, "python")
    assert spans and all(0 <= s < e <= len("w * (h") for s, e in spans)
    assert completion_error_spans(PREFIX, "w * h", SUFFIX, "python") == []


def test_a_broken_candidate_is_repaired_and_wins():
    backend = Scripted("w * (h", "w * (h)")
    result = complete(PREFIX + SUFFIX, len(PREFIX), "python", InfillOptions(known_names=False, repair=1), backend=backend)
    assert result.text == "w * (h)" and result.syntax_valid
    retry = backend.requests[1]
    assert retry.init_text == "w * (h" and retry.remask_spans and retry.extra_tokens > 0
    assert retry.candidates == 1
    assert result.forward_passes == 10 and result.candidates == ["w * (h)"] and result.rejected == 1


def test_repair_is_off_when_asked_and_for_valid_or_unsupported_backends():
    backend = Scripted("w * (h", "w * (h)")
    assert complete(PREFIX + SUFFIX, len(PREFIX), "python", InfillOptions(known_names=False, repair=0),
                    backend=backend).text == "w * (h"
    valid = Scripted("w * h", "never")
    assert complete(PREFIX + SUFFIX, len(PREFIX), "python", InfillOptions(known_names=False), backend=valid).text == "w * h"
    assert len(valid.requests) == 1
    plain = Scripted("w * (h", "never")
    plain.capabilities = Capabilities()          # no rewrites: nothing to repair with
    assert complete(PREFIX + SUFFIX, len(PREFIX), "python", InfillOptions(known_names=False, repair=3), backend=plain).text == "w * (h"
    assert len(plain.requests) == 1


def test_repair_rounds_stop_when_nothing_helps():
    backend = Scripted("w * (h", "w * ((h")
    result = complete(PREFIX + SUFFIX, len(PREFIX), "python", InfillOptions(known_names=False, repair=2, resample=0), backend=backend)
    assert not result.syntax_valid and len(backend.requests) == 3


def test_embedded_backend_repairs_with_kept_tokens(tiny_model_dir):
    """A real (tiny, random) model: the kept tokens stay, masks are filled, extra slots may end."""
    from engine.api import InfillRequest
    from engine.backends.embedded import EmbeddedBackend

    be = EmbeddedBackend(tiny_model_dir)
    body = "value = compute(items"
    req = InfillRequest(PREFIX, SUFFIX, canvas_length=8, init_text=body,
                        remask_spans=((len(body) - 5, len(body)),), extra_tokens=3)
    res = be.infill(req)
    text = res.candidates[0].text
    assert text.startswith("value = compute(") and res.forward_passes >= 1


def test_a_repair_that_empties_the_completion_is_refused():
    backend = Scripted("w * (h", "   ")
    result = complete(PREFIX + SUFFIX, len(PREFIX), "python", InfillOptions(known_names=False, repair=2, resample=0), backend=backend)
    assert result.text == "w * (h" and not result.syntax_valid and len(backend.requests) == 2


class Resampling(Scripted):
    """Scripted, and a batch of fresh candidates (text, score) for a request with K > 1."""

    def __init__(self, first, fix, fresh):
        super().__init__(first, fix)
        self.fresh = fresh

    def infill(self, request):
        from engine.api import Candidate, InfillResult

        if request.candidates == 1 or request.init_text is not None:
            return super().infill(request)
        self.requests.append(request)
        return InfillResult([Candidate(t, score, 3) for t, score in self.fresh], forward_passes=7, latency_ms=1.0)


def test_a_still_broken_candidate_is_replaced_by_the_best_valid_fresh_one():
    backend = Resampling("w * (h", "w * ((h", [("w * )", -0.1), ("w + h", -2.0), ("w * h", -0.5), ("", 0.0)])
    result = complete(PREFIX + SUFFIX, len(PREFIX), "python", InfillOptions(known_names=False, candidates=1, resample=4, seed=3), backend=backend)
    assert result.text == "w * h" and result.syntax_valid
    fresh = backend.requests[2]
    assert fresh.candidates == 4 and fresh.init_text is None and fresh.seed == 4
    assert fresh.sampler.temperature > 0          # every row sampled: the greedy one is the broken one
    assert result.forward_passes == 5 + 5 + 7
    assert result.candidates == ["w * h"]             # K = 1: the fresh one takes the broken one's place
    assert result.rejected == 1 + 1               # the first candidate and one fresh one


def test_resampling_keeps_the_repaired_candidate_when_nothing_fresh_is_valid():
    backend = Resampling("w * (h", "w * ((h", [("w * )", -0.1), ("  ", 0.0)])
    result = complete(PREFIX + SUFFIX, len(PREFIX), "python", InfillOptions(known_names=False, candidates=1, resample=2), backend=backend)
    assert result.text == "w * ((h" and not result.syntax_valid and len(backend.requests) == 3
    off = Resampling("w * (h", "w * ((h", [("w * h", -0.1)])
    assert complete(PREFIX + SUFFIX, len(PREFIX), "python", InfillOptions(known_names=False, candidates=1, resample=0), backend=off).text == "w * ((h"
    assert len(off.requests) == 2
    budget = Resampling("w * (h", "w * ((h", [("w * h", -0.1)])        # a pass budget: latency first
    assert complete(PREFIX + SUFFIX, len(PREFIX), "python", InfillOptions(known_names=False, candidates=1, steps=4), backend=budget).text == "w * ((h"
    assert len(budget.requests) == 2


def test_a_header_without_its_block_is_repaired_on_the_header_line():
    """tree-sitter accepts ``try:`` with no block; CPython does not, and the repair re-masks
    the header's line."""
    prefix, suffix = "def f(xs):\n    total = 0\n", "    return total\n"
    spans = completion_error_spans(prefix, "    try:\n", suffix, "python")
    assert spans and spans[0][0] <= 4 and spans[0][1] >= len("    try:")


def test_votes_count_the_rows_behind_each_distinct_candidate():
    """K candidates come back distinct, best first by their confidence (of which the rows that
    agree are a signal), with how many rows wrote each one."""
    backend = Resampling("unused", "unused", [("w * h", -0.5), ("w + h", -0.1), ("w * h", -0.7), ("w - h", -2.0)])
    result = complete(PREFIX + SUFFIX, len(PREFIX), "python", InfillOptions(known_names=False, candidates=4), backend=backend)
    assert dict(zip(result.candidates, result.votes)) == {"w + h": 1, "w * h": 2, "w - h": 1}
    assert result.confidences == sorted(result.confidences, reverse=True)
    assert result.text == result.candidates[0] == "w * h" and len(backend.requests) == 1
