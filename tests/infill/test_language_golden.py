"""Golden cases per language: what kind of gap a cursor is in, and which completions the syntax
check rejects.

``golden/gaps/<language>.json``: a list of cases, each a ``code`` with the cursor marked by
``█``, the expected ``kind`` (a key of ``GAP_SHAPES``) and, where it matters, the ``indent`` the
completion's lines take. ``golden/syntax/<language>.json``: a ``code`` with ``█``, completions
that must pass (``valid``) and completions that must be rejected (``broken``) by
``adds_syntax_errors``. Every supported language has both files (a test checks it).
"""

import json
from pathlib import Path

import pytest

from infill.context import extract
from infill.languages import supported_languages
from infill.syntax import adds_syntax_errors

GOLDEN = Path(__file__).parent / "golden"
CURSOR = "█"


def _cases(kind: str) -> list:
    params = []
    for path in sorted((GOLDEN / kind).glob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8")):
            params.append(pytest.param(path.stem, case, id=f"{path.stem}: {case['name']}"))
    return params


def _split(code: str) -> tuple[str, int]:
    assert code.count(CURSOR) == 1, "a case marks its cursor once"
    return code.replace(CURSOR, ""), code.index(CURSOR)


@pytest.mark.parametrize("language, case", _cases("gaps"))
def test_gap_kind(language, case):
    text, offset = _split(case["code"])
    ctx = extract(text, offset, language)
    assert ctx.gap_kind == case["kind"]
    if "indent" in case:
        assert ctx.indent == case["indent"]


@pytest.mark.parametrize("language, case", _cases("syntax"))
def test_syntax_check(language, case):
    text, offset = _split(case["code"])
    before, after = text[:offset], text[offset:]
    for completion in case["valid"]:
        assert not adds_syntax_errors(before, completion, after, language), completion
    for completion in case["broken"]:
        assert adds_syntax_errors(before, completion, after, language), completion


@pytest.mark.parametrize("kind", ["gaps", "syntax"])
def test_every_language_has_golden_cases(kind):
    covered = {path.stem for path in (GOLDEN / kind).glob("*.json")}
    assert covered == set(supported_languages())
    counts = {}
    for param in _cases(kind):
        counts[param.values[0]] = counts.get(param.values[0], 0) + 1
    assert min(counts.values()) >= (5 if kind == "gaps" else 2), counts


def test_a_php_window_cut_from_the_middle_of_the_file_still_reads_as_code():
    """Text before ``<?php`` is HTML to the grammar: a window that starts inside the code is
    parsed after the tag (edited out again), and one inside HTML is not."""
    from infill.sources.diagnostics import enclosing_function

    body = "".join(f"function f{n}($items) {{\n    $total = 0;\n    return helper($items, {n});\n}}\n\n"
                   for n in range(3000))
    text = "<?php\n" + body
    at = text.index("helper($items, 2500") + len("helper(")
    assert extract(text, at, "php").gap_kind == "arguments"
    assert enclosing_function(text, at, "php").name == "f2500"
    before, after = text[:at], text[at:]
    assert not adds_syntax_errors(before, "$other, ", after, "php")
    assert adds_syntax_errors(before, "$other +* ", after, "php")
    html = "<?php $a = 1; ?>\n<div>\n" + "<p>text</p>\n" * 3000 + "<p><?php echo f(█); ?></p>\n"
    page, offset = _split(html)
    assert extract(page, offset, "php").gap_kind == "arguments"
