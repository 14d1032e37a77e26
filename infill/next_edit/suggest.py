"""``suggest_next_edit``: from a document, the recent edits and the cursor to zero or one
suggested edit, its confidence and the jump targets.

One path: the last edit checked against the document (a stale one is refused) ->
``propagate`` (the edit's changes carried elsewhere) -> ``checks`` on every candidate, nearest
the cursor first -> ``confidence`` -> the nearest one if it reaches ``min_confidence``; the
other places, nearest first, are the jump targets. Where that shows nothing and a backend is
given (``nextEditCanvas``), ``canvas``: the lines around the edit rewritten by the model, checked
the same way.
"""

from __future__ import annotations

import time

from infill.errors import PositionError

from .canvas import DRAWS, canvas_hunks
from .checks import SyntaxCheck, passes
from .confidence import confidence, features
from .edits import LineEdit, NextEdit, NextEditRequest, check_fits, split_lines
from .propagate import Hunk, propagate, read_edit

MAX_CANDIDATES = 64      # hunks checked per request at most, nearest first ...
MAX_JUMP_TARGETS = 8     # ... until the suggestion and this many jump targets passed
MAX_EDIT_LINES = 200     # a larger edit (a paste, a whole-file change) is not propagated


def distance(hunk: Hunk, cursor_line: int) -> float:
    """Lines from the cursor to the hunk; a hunk above costs half a line more than one below."""
    if hunk.start_line >= cursor_line:
        return hunk.start_line - cursor_line
    return max(0, cursor_line - hunk.end_line + 1) + 0.5


def too_large(last: LineEdit, lines: list[str]) -> bool:
    """A whole-file paste or deletion, or an edit of more than ``MAX_EDIT_LINES``: nothing to
    carry elsewhere, nor to rewrite around."""
    new_count = len(split_lines(last.new_text))
    return max(new_count, last.end_line - last.start_line) > MAX_EDIT_LINES or new_count >= len(lines)


def candidates(request: NextEditRequest) -> list[tuple[Hunk, dict[str, float]]]:
    """The candidates that pass the checks, nearest the cursor first, with their confidence
    features. Raises PositionError when the last edit does not fit the document (a stale ring
    of edits) or the cursor lies outside it."""
    if not request.recent_edits:
        return []
    lines = split_lines(request.document)
    last = request.recent_edits[-1]
    check_fits(lines, last)
    if not 0 <= request.cursor_line <= len(lines):
        raise PositionError(f"the cursor's line {request.cursor_line} is outside the document's {len(lines)} lines")
    if too_large(last, lines):
        return []            # a whole-file paste or deletion: nothing to carry
    new_count = len(split_lines(last.new_text))
    rules = read_edit(last)
    if rules.empty():
        return []
    skip = range(last.start_line, last.start_line + new_count)
    hunks = propagate(lines, rules, skip, request.language, request.cancelled)
    hunks.sort(key=lambda h: distance(h, request.cursor_line))
    syntax = SyntaxCheck(lines, request.language)
    kept: list[Hunk] = []
    for hunk in hunks[:MAX_CANDIDATES]:
        if len(kept) > MAX_JUMP_TARGETS or request.cancelled():
            break
        if passes(lines, hunk, request.recent_edits, syntax):
            kept.append(hunk)
    return [(h, features(h, rules, distance(h, request.cursor_line), len(kept))) for h in kept]


def suggest_next_edit(request: NextEditRequest, min_confidence: float = 0.0,
                      weights: dict[str, float] | None = None, backend=None, draws: int = DRAWS) -> NextEdit:
    """The next edit after ``request.recent_edits[-1]``; silent (``edit`` None) when no candidate
    passes the checks or the nearest one's confidence is below ``min_confidence`` (``weights``:
    the confidence model's, default ``confidence.WEIGHTS``). With a ``backend`` (``nextEditCanvas``)
    that serves the document's language, where propagation shows nothing the canvas rewrites the
    lines around the edit (``canvas``). Raises PositionError for a stale edit or a cursor outside
    the document, ``Cancelled`` when the request is cancelled while the model runs."""
    t0 = time.perf_counter()
    found = candidates(request)
    if found:
        best, feats = found[0]
        conf = confidence(feats, weights)
        targets = [h.start_line for h, _ in found[1:]]
        if conf >= min_confidence:
            return _timed(NextEdit(_edit(split_lines(request.document), best), conf, targets, best.rule,
                                   len(found)), t0)
        silent = NextEdit(None, conf, targets, best.rule, len(found))
    else:
        silent = NextEdit(None, 0.0)
    if backend is None:
        return _timed(silent, t0)
    lines = split_lines(request.document)
    drawn, silent.model_ran = _from_canvas(request, lines, backend, draws, min_confidence)
    if drawn is not None:
        hunk, share = drawn
        return _timed(NextEdit(_edit(lines, hunk), share, silent.jump_targets, hunk.rule, silent.candidates + 1,
                               model_ran=True), t0)
    return _timed(silent, t0)


def _edit(lines: list[str], hunk: Hunk) -> LineEdit:
    return LineEdit(hunk.start_line, hunk.end_line, "".join(lines[hunk.start_line:hunk.end_line]), hunk.new_text)


def _from_canvas(request: NextEditRequest, lines: list[str], backend, draws: int,
                 min_confidence: float) -> tuple[tuple[Hunk, float] | None, bool]:
    """The canvas's candidate that passes the checks with the largest share of its line's draws
    (the nearer line on a tie), where that share reaches ``min_confidence``; None otherwise, and
    where the backend does not serve the language or fails (a failed model stays silent). With
    whether the model was asked."""
    from infill.backends import serves
    from infill.errors import Cancelled, InfillError

    if (request.language is None or not serves(backend, request.language) or not request.recent_edits
            or too_large(request.recent_edits[-1], lines)):
        return None, False
    try:
        drawn = canvas_hunks(request, backend, draws, lines)
    except Cancelled:
        raise
    except InfillError:
        return None, True
    syntax = SyntaxCheck(lines, request.language)
    kept = [(h, share) for h, share in drawn
            if share >= min_confidence and passes(lines, h, request.recent_edits, syntax)]
    return (max(kept, key=lambda hs: hs[1]) if kept else None), True


def _timed(result: NextEdit, t0: float) -> NextEdit:
    result.latency_ms = (time.perf_counter() - t0) * 1000
    return result
