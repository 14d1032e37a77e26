"""Tests of infill.languages: the registry, file names, LSP ids, grammars and query files."""

import re

import pytest
from tree_sitter import Language, Query

from infill.errors import UnknownLanguageError
from infill.languages import (
    LANGUAGES,
    get_language,
    get_parser,
    keywords,
    language_for_path,
    language_for_test_runner,
    load_query,
    lsp_language_ids,
    parse,
    query_names,
    reserved_names,
    resolve_language,
    spec_of,
    supported_languages,
)

ISSUE_LANGUAGES = {"javascript", "typescript", "tsx", "go", "rust", "java", "c", "cpp", "c_sharp", "ruby", "php",
                   "lua", "bash", "python"}
QUERIES = {"gaps", "scopes", "literals", "definitions", "functions", "calls"}


def test_every_language_editors_open_is_registered():
    assert set(supported_languages()) == ISSUE_LANGUAGES
    assert isinstance(get_language("python"), Language)
    assert get_language("go") is get_language("go")  # loaded once


@pytest.mark.parametrize("path, language", [
    ("a.py", "python"), ("pkg/mod.pyi", "python"), ("UPPER.PY", "python"), ("app.js", "javascript"),
    ("m.mjs", "javascript"), ("view.jsx", "javascript"), ("a.ts", "typescript"), ("App.tsx", "tsx"),
    ("main.go", "go"), ("lib.rs", "rust"), ("A.java", "java"), ("x.c", "c"), ("x.h", "c"), ("x.cpp", "cpp"),
    ("x.hpp", "cpp"), ("P.cs", "c_sharp"), ("a.rb", "ruby"), ("Rakefile", "ruby"), ("i.php", "php"),
    ("init.lua", "lua"), ("run.sh", "bash"), ("/home/u/.bashrc", "bash"),
])
def test_language_for_path(path, language):
    assert language_for_path(path) == language


@pytest.mark.parametrize("given, language", [
    ("python", "python"), ("typescriptreact", "tsx"), ("javascriptreact", "javascript"), ("shellscript", "bash"),
    ("sh", "bash"), ("csharp", "c_sharp"), ("cs", "c_sharp"), ("c_sharp", "c_sharp"), ("cpp", "cpp"), ("Go", "go"),
])
def test_lsp_ids_and_neovim_filetypes_resolve(given, language):
    assert resolve_language(given) == language


def test_every_lsp_id_is_listed_once_and_resolves():
    ids = lsp_language_ids()
    assert len(ids) == len(set(ids)) and {"typescriptreact", "shellscript", "csharp", "python"} <= set(ids)
    assert all(resolve_language(i) in LANGUAGES for i in ids)


def test_unknown_language_messages():
    with pytest.raises(UnknownLanguageError) as error:
        get_language("cobol")
    assert str(error.value).startswith("unsupported language 'cobol' (supported: bash, c, c_sharp, cpp, go,")
    with pytest.raises(UnknownLanguageError) as error:
        language_for_path("notes.txt")
    assert "no supported language for 'notes.txt' (extension '.txt'; supported: bash" in str(error.value)
    with pytest.raises(UnknownLanguageError) as error:
        language_for_path("Makefile")
    assert "(no extension;" in str(error.value) and "--language overrides" in str(error.value)
    for mixed in ("App.vue", "index.html", "page.svelte"):       # a file of several languages: no guess
        with pytest.raises(UnknownLanguageError):
            language_for_path(mixed)
    with pytest.raises(UnknownLanguageError):
        resolve_language("vue")


@pytest.mark.parametrize("language, name", [(language, name) for language in LANGUAGES
                                            for name in query_names(language)])
def test_every_query_compiles_once(language, name):
    query = load_query(language, name)
    assert isinstance(query, Query) and query.pattern_count > 0
    assert load_query(language, name) is query


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_language_has_the_queries_infill_uses(language):
    assert QUERIES <= set(query_names(language))
    with pytest.raises(UnknownLanguageError):
        load_query(language, "no-such-query")


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_blocks_are_node_types_of_the_grammar_and_the_scopes_query(language):
    spec, grammar = spec_of(language), get_language(language)
    assert all(grammar.id_for_node_kind(kind, True) is not None for kind in spec.blocks)
    from importlib import resources
    scm = resources.files("infill").joinpath("queries", language, "scopes.scm").read_text()
    assert set(re.findall(r"^\((\w+)\) @scope", scm, re.MULTILINE)) == set(spec.blocks)


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_comment_syntax_parses_as_a_comment(language):
    spec = spec_of(language)
    head = "<?php\n" if language == "php" else ""
    opener, closer = spec.block_comment or ("", "")
    text = f"{spec.line_comment} a note\n" + (f"{opener}\nand another\n{closer}\n" if opener else "")
    tree = parse(head + text, language)
    assert not tree.root_node.has_error
    assert {n.type for n in tree.root_node.named_children} <= {"comment", "line_comment", "block_comment",
                                                                 "text", "php_tag"}


def test_keywords_come_from_the_grammar():
    assert {"return", "function", "const"} <= keywords("javascript")
    assert {"fn", "impl", "match"} <= keywords("rust") and "fn" not in keywords("go")
    assert "print" in reserved_names("python") and "console" in reserved_names("typescript")


def test_the_fix_bot_finds_the_language_pytest_tests():
    assert language_for_test_runner("pytest") == "python"
    with pytest.raises(UnknownLanguageError):
        language_for_test_runner("jest")


def test_parse_and_parser_reuse():
    assert get_parser("python") is get_parser("python")
    assert parse("x = 1\n", "python").root_node.type == "module"
    assert parse("let x = 1;\n", "rust").root_node.type == "source_file"


def test_the_same_window_is_parsed_once_and_each_caller_gets_a_tree_of_its_own(monkeypatch):
    from infill import languages
    from infill.window import _window_bounds, parse_window

    parsed = []
    real = languages._parse_now
    monkeypatch.setattr(languages, "_parse_now", lambda data, lang: parsed.append(data) or real(data, lang))
    text = "def f(x):\n    return x + 1\n"
    first, second = parse(text, "python"), parse(text, "python")
    assert len(parsed) == 1 and first is not second and str(first.root_node) == str(second.root_node)
    for k in range(languages.PARSED_KEPT):                 # bounded: the oldest goes first
        parse(f"y = {k}\n", "python")
    assert ("python", text.encode()) not in languages._parsed
    big = "x = 1\n" * (languages.PARSED_MAX_BYTES // 6 + 1)  # a whole document is not kept
    parse(big, "python")
    assert ("python", big.encode()) not in languages._parsed

    php = "<?php\n" + "".join(f"$a{k} = {k};\n" for k in range(200))
    offset = php.index("$a150")
    start, end = _window_bounds(php, offset, 200, 200)
    assert start > 0                                           # a window that needs the prelude
    key = ("php", ("<?php\n" + php[start:end]).encode())
    window = parse_window(php, offset, "php", 200, 200)         # parsed after the prelude, edited out
    rows = languages._parsed[key].root_node.end_point[0]
    assert window.tree.root_node.end_point[0] == rows - 1
    assert languages._parsed[key].root_node.end_point[0] == rows     # the kept tree is not edited
    assert parse_window(php, offset, "php", 200, 200).tree.root_node.end_point[0] == rows - 1
