"""Tests of infill.languages: the registry, extensions and query files."""

import pytest
from tree_sitter import Language, Query

from infill.errors import UnknownLanguageError
from infill.languages import (
    LANGUAGES,
    get_language,
    get_parser,
    language_for_path,
    load_query,
    parse,
    query_names,
    supported_languages,
)


def test_python_is_registered():
    assert supported_languages() == ["python"]
    assert isinstance(get_language("python"), Language)
    assert get_language("python") is get_language("python")  # loaded once


@pytest.mark.parametrize("path", ["a.py", "pkg/mod.pyi", "UPPER.PY"])
def test_language_for_path(path):
    assert language_for_path(path) == "python"


def test_unknown_language_message():
    with pytest.raises(UnknownLanguageError) as error:
        get_language("cobol")
    assert str(error.value) == "unsupported language 'cobol' (supported: python)"
    with pytest.raises(UnknownLanguageError):
        language_for_path("notes.txt")


@pytest.mark.parametrize(
    "language, name",
    [(language, name) for language in LANGUAGES for name in query_names(language)],
)
def test_every_query_compiles_once(language, name):
    query = load_query(language, name)
    assert isinstance(query, Query) and query.pattern_count > 0
    assert load_query(language, name) is query


def test_queries_used_by_infill_exist():
    for language in LANGUAGES:
        assert {"gaps", "definitions", "scopes", "literals"} <= set(query_names(language))
    with pytest.raises(UnknownLanguageError):
        load_query("python", "no-such-query")


def test_parse_and_parser_reuse():
    assert get_parser("python") is get_parser("python")
    assert parse("x = 1\n", "python").root_node.type == "module"
