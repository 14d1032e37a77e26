"""Bad input in every language: garbage, deep nesting, a file of another language, an empty or
one-character file, CRLF line ends. Reading the gap and checking a candidate give an answer, never
a traceback; a file infill cannot place (unknown extension, ``.vue``, ``.html``) is one clear error."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infill.checks import run_checks
from infill.context import extract
from infill.languages import supported_languages
from infill.postprocess import postprocess
from infill.syntax import adds_syntax_errors

from helpers import run_cli

NASTY = ["", "}", "((((" * 500, "{" * 2000 + "\n", "\x00\x01\x02 binary\n", "def f(:\n\tend }\r\n",
         "<?php\n<?php\n?>", "'unterminated \"string\n" * 50, "é\u2028\U0001F600\n" * 30, "\r\n" * 40,
         "x = [1, 2,\n" * 300]


@pytest.mark.parametrize("language", supported_languages())
def test_nasty_text_in_every_language_gets_an_answer(language):
    for text in NASTY:
        for offset in {0, len(text) // 2, len(text)}:
            ctx = extract(text, offset, language)
            assert ctx.gap_kind in ("line", "block", "arguments", "expression")
            before, after = text[:offset], text[offset:]
            adds_syntax_errors(before, "x)", after, language)
            postprocess("x = 1\n  y\n", ctx)
            run_checks(before, "foo(", after, language)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(supported_languages()), st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
       st.integers(min_value=0, max_value=300), st.text(max_size=40))
def test_random_text_and_candidates_never_raise(language, text, at, candidate):
    offset = min(at, len(text))
    extract(text, offset, language)
    adds_syntax_errors(text[:offset], candidate, text[offset:], language)
    run_checks(text[:offset], candidate, text[offset:], language)


@pytest.mark.parametrize("name", ["notes.txt", "App.vue", "index.html", "Makefile"])
def test_a_file_infill_cannot_place_is_one_clear_error(name, tmp_path, capsys):
    path = tmp_path / name
    path.write_text("<script>\nconst x = \n</script>\n")
    code, out, err = run_cli(["complete", f"{path}:2:11"], capsys)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"infill: error: no supported language for '{path}'")
    code, _, err = run_cli(["complete", f"{path}:2:11", "--language", "vue"], capsys)
    assert code == 1 and "unsupported language 'vue'" in err
