"""Why a completion is shown or not, in one line: what ``infill complete`` says on stderr when
it prints nothing, and what the server's ``infill.status`` reports for its last request.

Silence must not look like a failure: below the threshold the best candidate, its confidence,
the threshold and the setting that would show it are said; a candidate a check rejects says
which check; no candidate at all says so.
"""

from __future__ import annotations

import math

from .complete import Completion


def decision(result: Completion, min_confidence: float, setting: str = "--min-confidence",
             checks_setting: str = "--no-checks") -> dict:
    """{shown, best, confidence, threshold, reason, message}: ``reason`` is ``shown``, ``empty``
    (no candidate), ``rejected`` (a check rejects the best) or ``below_threshold``; ``setting``
    and ``checks_setting``: how the caller's user changes the threshold and turns the checks off."""
    best, conf = result.text, float(result.confidence)
    out = {"shown": bool(result.shown), "best": best, "confidence": round(conf, 4),
           "threshold": float(min_confidence)}
    shown = _clip(best)
    rejects = [c for c in result.checks if c.get("verdict") == "reject"]
    if result.shown:
        return {**out, "reason": "shown", "message": f"shown: {shown} (confidence {conf:.2f}, threshold "
                                                     f"{min_confidence:.2f})"}
    if not best.strip():
        return {**out, "reason": "empty", "message": "nothing shown: no candidate to suggest here"}
    if rejects:
        why = f"{rejects[0].get('check')}: {rejects[0].get('reason', '')}".rstrip(": ")
        return {**out, "reason": "rejected", "message": f"nothing shown: the best candidate {shown} is rejected "
                                                        f"by a check ({why}); {checks_setting} shows it"}
    at = math.floor(conf * 100) / 100
    return {**out, "reason": "below_threshold",
            "message": f"nothing shown: the best candidate {shown} has confidence {conf:.2f}, below the threshold "
                       f"{min_confidence:.2f}; {setting} {at:.2f} shows it"}


def _clip(text: str, width: int = 60) -> str:
    """A candidate quoted on one line: line breaks as ``\\n``, cut at ``width`` characters."""
    one = text.rstrip("\n").replace("\n", "\\n")
    return repr(one if len(one) <= width else one[:width - 3] + "...")
