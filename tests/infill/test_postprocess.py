"""Golden cases for infill.postprocess: one JSON list per filter in golden/postprocess.

Each case gives the text around the gap (prefix, suffix), a raw completion and the
expected output of one filter ("filter": a key of FILTERS, or "postprocess" for the
whole pipeline), and optionally its "language" (Python when it names none). The GapContext
comes from context.extract on prefix + suffix.
"""

import json
from pathlib import Path

import pytest

from infill.context import extract
from infill.postprocess import FILTERS, postprocess

GOLDEN = Path(__file__).parent / "golden" / "postprocess"


def _cases() -> list:
    params = []
    for path in sorted(GOLDEN.glob("*.json")):
        cases = json.loads(path.read_text(encoding="utf-8"))
        for case in cases if isinstance(cases, list) else [cases]:
            language = f"[{case['language']}] " if "language" in case else ""
            params.append(pytest.param(case, id=f"{case['filter']}: {language}{case['name']}"))
    return params


@pytest.mark.parametrize("case", _cases())
def test_golden(case):
    ctx = extract(case["prefix"] + case["suffix"], len(case["prefix"]), case.get("language", "python"))
    apply = postprocess if case["filter"] == "postprocess" else FILTERS[case["filter"]]
    assert apply(case["completion"], ctx) == case["expected"]


def test_every_filter_has_three_cases():
    counts = {name: 0 for name in FILTERS}
    for param in _cases():
        counts[param.values[0]["filter"]] = counts.get(param.values[0]["filter"], 0) + 1
    assert all(counts[name] >= 3 for name in FILTERS), counts


def test_filters_keep_an_empty_completion_empty():
    ctx = extract("x = \n", 4)
    assert postprocess("", ctx) == ""


def test_off_grid_indentation_that_the_lines_around_use_is_kept():
    """HumanEval/80: a 4-space file whose loop body is indented by 2 more. The line the
    gap holds uses the 6 spaces its neighbours use; moving it to 8 broke the program."""
    prefix = ("def is_happy(s):\n    if len(s) < 3:\n      return False\n\n"
              "    for i in range(len(s) - 2):\n      \n")
    body = "      if s[i] == s[i+1] or s[i+1] == s[i+2] or s[i] == s[i+2]:\n"
    suffix = "        return False\n    return True\n"
    text = prefix.removesuffix("      \n") + suffix
    offset = len(prefix.removesuffix("      \n"))
    ctx = extract(text, offset, "python")
    assert postprocess(body, ctx) == body


def test_every_language_has_post_processing_cases():
    from infill.languages import supported_languages

    covered = {param.values[0].get("language", "python") for param in _cases()}
    assert covered == set(supported_languages())
