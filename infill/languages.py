"""Registry of the languages infill supports: grammar, file extensions and queries.

A language is one ``LanguageSpec`` entry in ``LANGUAGES``: its name, the file
extensions that select it, and a loader that returns the tree-sitter grammar. Adding a
language is adding an entry (and its ``queries/<name>/*.scm`` files); nothing else in
infill branches on a language name.

Grammars, parsers and compiled queries are built once and cached. Queries are data:
``.scm`` files shipped as package data and read with ``importlib.resources``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import PurePath
from typing import Callable

from tree_sitter import Language, Parser, Query, Tree

from infill.errors import UnknownLanguageError


def _python_grammar() -> object:
    import tree_sitter_python  # imported lazily: only the languages used are loaded

    return tree_sitter_python.language()


@dataclass(frozen=True)
class LanguageSpec:
    name: str  # the name used everywhere in infill ("python")
    extensions: tuple[str, ...]  # lower-case file suffixes that select it, with the dot
    grammar: Callable[[], object]  # returns the tree-sitter language pointer (a capsule)


LANGUAGES: dict[str, LanguageSpec] = {
    spec.name: spec
    for spec in (
        LanguageSpec("python", (".py", ".pyi"), _python_grammar),
    )
}

_EXTENSIONS: dict[str, str] = {
    ext: spec.name for spec in LANGUAGES.values() for ext in spec.extensions
}


def supported_languages() -> list[str]:
    """Names of the supported languages, sorted."""
    return sorted(LANGUAGES)


def reserved_names(name: str) -> frozenset[str]:
    """Keywords and built-in names of a language: bound in every file."""
    if name not in _RESERVED:
        _spec(name)
        import builtins
        import keyword
        _RESERVED[name] = frozenset(keyword.kwlist + keyword.softkwlist + dir(builtins))
    return _RESERVED[name]


_RESERVED: dict[str, frozenset[str]] = {}


def file_suffixes(name: str) -> tuple[str, ...]:
    """The file suffixes of a language (``.py``, ``.pyi``); raises UnknownLanguageError."""
    return _spec(name).extensions


def _spec(name: str) -> LanguageSpec:
    spec = LANGUAGES.get(name)
    if spec is None:
        supported = ", ".join(supported_languages())
        raise UnknownLanguageError(f"unsupported language {name!r} (supported: {supported})")
    return spec


def language_for_path(path: str | PurePath) -> str:
    """The language name of a file, chosen by its extension."""
    suffix = PurePath(path).suffix.lower()
    name = _EXTENSIONS.get(suffix)
    if name is None:
        known = ", ".join(sorted(_EXTENSIONS))
        raise UnknownLanguageError(
            f"no supported language for {str(path)!r} (known extensions: {known})"
        )
    return name


@cache
def get_language(name: str) -> Language:
    """The tree-sitter grammar of a language, loaded once."""
    return Language(_spec(name).grammar())


_parsers = threading.local()  # a Parser is not safe to share between threads


def get_parser(name: str) -> Parser:
    """A parser for the language, one per thread, reused between calls."""
    cached: dict[str, Parser] = _parsers.__dict__.setdefault("by_language", {})
    parser = cached.get(name)
    if parser is None:
        parser = cached[name] = Parser(get_language(name))
    return parser


def parse(source: str | bytes, language: str) -> Tree:
    """Parse source text (str is encoded as UTF-8: node offsets are UTF-8 bytes)."""
    data = source.encode("utf-8") if isinstance(source, str) else source
    return get_parser(language).parse(data)


def query_names(language: str) -> list[str]:
    """Names of the query files shipped for a language (``queries/<language>/*.scm``)."""
    folder = resources.files("infill").joinpath("queries", _spec(language).name)
    if not folder.is_dir():
        return []
    return sorted(p.name[: -len(".scm")] for p in folder.iterdir() if p.name.endswith(".scm"))


@cache
def load_query(language: str, name: str) -> Query:
    """The compiled query ``queries/<language>/<name>.scm``, compiled once."""
    path = resources.files("infill").joinpath("queries", _spec(language).name, f"{name}.scm")
    if not path.is_file():
        raise UnknownLanguageError(f"no query {name!r} for language {language!r}")
    return Query(get_language(language), path.read_text(encoding="utf-8"))
