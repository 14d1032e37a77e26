"""Bad input in every language: garbage, deep nesting, a file of another language, an empty or
one-character file, CRLF line ends. Reading the gap and checking a candidate give an answer, never
a traceback; a file infill cannot place (unknown extension, ``.vue``, ``.html``) is one clear error."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infill.checks import run_checks
from infill.context import extract
from infill.errors import ParseTimeout
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
    try:
        extract(text, offset, language)
    except ParseTimeout:        # a grammar that loops on the text: a clear error (see below)
        pass
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


FUZZ = """
import random, sys
from infill.languages import parse
rnd = random.Random(int(sys.argv[1]))
marks = list("{}()[]<>'\\"`$#@\\\\/*-+=;:,.!?%&|^~\\n\\t \\r") + ["<<EOF", "EOF", "${", "<<-", "<<~", "%w("]
def text():
    out = []
    for _ in range(rnd.randint(0, 300)):
        r = rnd.random()
        c = rnd.randint(0x80, 0x10FFFF)
        out.append(rnd.choice(marks) if r < 0.4 else chr(rnd.randint(32, 126)) if r < 0.8
                   else chr(c if not 0xD800 <= c <= 0xDFFF else 0xE9))
    return "".join(out)
for _ in range(5000):
    parse(text(), sys.argv[2])
"""


@pytest.mark.parametrize("seed", [3, 4])
def test_characters_beyond_ascii_do_not_crash_the_bash_grammars_scanner(seed):
    # tree-sitter-bash's scanner crashed the process (SIGSEGV) on such text in 5 of 6 runs of
    # 5,000 texts: its spec is marked ascii_scanner, and it parses them with those bytes read as "x"
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", FUZZ, str(seed), "bash"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_a_grammar_that_reads_ascii_only_keeps_the_texts_offsets():
    from infill.languages import parse

    text = 'echo "héllo ✅"\nname=1\n'
    tree = parse(text, "bash")
    string = tree.root_node.children[0].child_by_field_name("argument")
    assert string.type == "string" and not tree.root_node.has_error
    data = text.encode("utf-8")
    assert data[string.start_byte:string.end_byte] == '"héllo ✅"'.encode("utf-8")
    assert tree.root_node.children[1].start_point == (1, 0)


# 300 characters of fuzz on which tree-sitter-tsx (0.13.0's) loops for good
TSX_LOOP = 'VM\U0002dd47A/*Y<<EOF@"#\U000ef814O# \U00104804\U00060bbc--[[\n"""${<<-${I\U0004048dia$;${${\u5f77-\U000c1062e+@>jA/:\U0001f377?;!#?><<EOF\U00016dac]]#[;\U000cf8890\U0006c7c3\U000ff448=\U000bf645-\U0002255d2\U00084829?>\U00099459u\U000a57ea)+-r#"3UF\nc%\U000b8962;&mh!\U00058299l\U00030fac--[[}+\U000f0d71}"""J<!m&=end#<\']\U00032c79\U000c2075\\\U00072af2~{^SX\U000df0f4!>/*{\U00039691Z"""[>\u9088t\U000dbc93WX+?>!\U000e9bc8E/*}?\\\U0006ae8e]]=begint=\U00096127\U000bb140>\t\U000bc3d9\t;"-\U000164ee?\U000607a8t\U0001da1f${\U00051152-!C\U000d9cec\U000f823eWdN `mh?>#%?>=begin\U000d9d84\U0001a4ef-3/*N\U000db72e]e\U0009e05ej$<<~\u22dd]"S<<-F>)\U00106640EOF>\U00099841k3{`${"qvK[\U000c1cdc;<<~--[[,"^<<EOF--[[~\U0007947d1_) \U0002f4c01!\U0005799c$gc*[a)j4;\U000eee92.D#+\U00068047H>L/I'


def test_a_grammar_that_loops_is_stopped_with_a_clear_error(tmp_path, capsys):
    import time

    from helpers import FakeServer
    from infill.languages import PARSE_TIMEOUT_S, parse

    started = time.monotonic()
    with pytest.raises(ParseTimeout, match="the TSX grammar did not finish parsing this text in 1 s"):
        parse(TSX_LOOP, "tsx")
    assert time.monotonic() - started < PARSE_TIMEOUT_S + 2
    assert not parse("const x = <div/>;", "tsx").root_node.has_error          # the parser works on
    assert adds_syntax_errors("const x = ", TSX_LOOP, ";\n", "tsx")          # such a candidate is rejected
    source = tmp_path / "page.tsx"
    source.write_text(TSX_LOOP)
    server = FakeServer(lambda _, body: {"choices": [{"index": 0, "text": "x"}]})
    try:
        code, out, err = run_cli(["complete", f"{source}:1:1", "--endpoint", server.url, "--model", "m"], capsys)
    finally:
        server.close()
    assert code == 1 and out == ""
    assert err.startswith("infill: error: the TSX grammar did not finish parsing this text in 1 s")
