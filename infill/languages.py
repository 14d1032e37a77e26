"""Registry of the languages infill supports: grammar, file names, comments, blocks, tools.

A language is one ``LanguageSpec`` entry in ``LANGUAGES``: its name, the file extensions and
LSP language ids that select it, where its tree-sitter grammar comes from, its comment syntax,
the node types whose children are statements (its blocks), and which language-specific tools
infill may run on it (a compiler check, a scope analysis, a type checker, a test runner).
Adding a language is adding an entry and its ``queries/<name>/*.scm`` files; nothing else in
infill branches on a language name: callers read the spec's fields.

Grammars come from ``tree-sitter-language-pack`` (its wheel bundles every grammar, so nothing
is downloaded at run time), Python's from ``tree-sitter-python``, whose grammar our Python
queries and the golden tests were written against. Grammars, parsers and compiled queries are
built once and cached; queries are ``.scm`` data files shipped as package data.
"""

from __future__ import annotations

import builtins
import keyword
import re
import threading
import time
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import PurePath

from tree_sitter import Language, Parser, Query, Tree

from infill.errors import ParseTimeout, UnknownLanguageError

OWN_GRAMMAR = "tree_sitter_python"   # the one grammar not taken from the language pack
DEFAULT_LANGUAGE = "python"          # a text that names no language: a batch task with no path, HumanEval


@dataclass(frozen=True)
class LanguageSpec:
    name: str                        # infill's name ("typescript"): --language, queries/<name>/
    title: str                       # as people write it, for messages ("TypeScript")
    grammar: str                     # its name in tree-sitter-language-pack (or OWN_GRAMMAR)
    extensions: tuple[str, ...]      # lower-case file suffixes that select it, with the dot
    lsp_ids: tuple[str, ...]         # LSP languageId values and Neovim filetypes that select it
    line_comment: str                # starts a comment running to the line end ("" if none)
    block_comment: tuple[str, str] | None   # opens and closes a comment that may span lines
    blocks: tuple[str, ...]          # node types whose children are statements (queries/<name>/scopes.scm)
    offside: bool = False            # blocks are made by indentation alone: a header line ends in ":" and
    #                                  its body is the deeper lines after it (a next request may write it)
    file_names: tuple[str, ...] = ()  # whole file names that select it ("Rakefile")
    builtins: tuple[str, ...] = ()   # names bound in every file, besides the grammar's keywords
    compiler: str | None = None      # a compile check of ``infill.syntax.COMPILERS`` ("cpython")
    scope_analysis: str | None = None   # a names check of ``infill.checks.SCOPE_ANALYSES`` ("pyflakes")
    type_checker: str | None = None  # a checker of ``infill.sources.diagnostics`` ("mypy")
    test_runner: str | None = None   # the runner ``infill fix`` and the failing-test records speak ("pytest")
    root_markers: tuple[str, ...] = ()   # files that mark a project's root folder ("go.mod", "*.csproj"); .git in any
    code_tags: tuple[str, str] | None = None   # a language written inside text (PHP): the tags that open and
    #                                    close its code; a window cut from inside the code gets the opening one
    typed_literals: bool = False     # a type's name before "{" makes a value (Go's Point{X: 1}, Rust's
    #                                  Point { x: 1 }, C++'s Point{1}), not a block: read so in a broken tree
    ascii_scanner: bool = False      # the grammar's scanner mishandles characters beyond ASCII: it parses
    #                                  a copy with each such byte read as "x" (same byte offsets and rows)


_C_BLOCK = ("/*", "*/")
_JS_GLOBALS = ("undefined", "NaN", "Infinity", "globalThis", "console", "window", "document", "Math", "JSON",
               "Object", "Array", "String", "Number", "Boolean", "Symbol", "BigInt", "Promise", "Map", "Set",
               "WeakMap", "WeakSet", "Error", "TypeError", "RangeError", "Date", "RegExp", "parseInt",
               "parseFloat", "isNaN", "setTimeout", "clearTimeout", "setInterval", "clearInterval", "require",
               "module", "exports", "process", "this", "super", "null", "true", "false", "arguments")

LANGUAGES: dict[str, LanguageSpec] = {spec.name: spec for spec in (
    LanguageSpec("python", "Python", OWN_GRAMMAR, (".py", ".pyi", ".pyw"), ("python",), "#", None,
                 ("module", "block"), offside=True,
                 builtins=tuple(keyword.kwlist + keyword.softkwlist + dir(builtins)),
                 compiler="cpython", scope_analysis="pyflakes", type_checker="mypy", test_runner="pytest",
                 root_markers=("pyproject.toml", "setup.py", "setup.cfg")),
    LanguageSpec("javascript", "JavaScript", "javascript", (".js", ".mjs", ".cjs", ".jsx"),
                 ("javascript", "javascriptreact", "jsx"), "//", _C_BLOCK,
                 ("program", "statement_block", "class_body", "switch_case", "switch_default"),
                 builtins=_JS_GLOBALS,
                 root_markers=("package.json", "jsconfig.json")),
    LanguageSpec("typescript", "TypeScript", "typescript", (".ts", ".mts", ".cts"), ("typescript",), "//",
                 _C_BLOCK, ("program", "statement_block", "class_body", "switch_case", "switch_default",
                            "interface_body", "enum_body"), builtins=_JS_GLOBALS,
                 root_markers=("package.json", "tsconfig.json")),
    LanguageSpec("tsx", "TSX", "tsx", (".tsx",), ("typescriptreact", "tsx"), "//", _C_BLOCK,
                 ("program", "statement_block", "class_body", "switch_case", "switch_default",
                  "interface_body", "enum_body"), builtins=_JS_GLOBALS,
                 root_markers=("package.json", "tsconfig.json")),
    LanguageSpec("go", "Go", "go", (".go",), ("go",), "//", _C_BLOCK,
                 ("source_file", "block", "statement_list", "field_declaration_list", "interface_type",
                  "expression_case", "default_case", "type_case", "communication_case"),
                 builtins=("nil", "true", "false", "iota", "append", "cap", "close", "copy", "delete", "len",
                           "make", "new", "panic", "print", "println", "recover", "error", "string", "int",
                           "int64", "int32", "uint", "uint8", "byte", "rune", "float64", "bool", "any"),
                 root_markers=("go.mod",), typed_literals=True),
    LanguageSpec("rust", "Rust", "rust", (".rs",), ("rust",), "//", _C_BLOCK,
                 ("source_file", "block", "declaration_list", "field_declaration_list", "enum_variant_list",
                  "match_block"),
                 builtins=("self", "Self", "crate", "super", "Some", "None", "Ok", "Err", "Vec", "String", "Box",
                           "Option", "Result", "println", "print", "format", "vec", "panic", "assert",
                           "assert_eq", "i32", "i64", "u8", "u32", "u64", "usize", "isize", "f32", "f64",
                           "bool", "str", "char"),
                 root_markers=("Cargo.toml",), typed_literals=True),
    LanguageSpec("java", "Java", "java", (".java",), ("java",), "//", _C_BLOCK,
                 ("program", "block", "class_body", "interface_body", "enum_body_declarations",
                  "constructor_body", "switch_block_statement_group", "switch_block", "enum_body",
                  "annotation_type_body"),
                 builtins=("this", "super", "null", "true", "false", "String", "Object", "System", "Math",
                           "Integer", "Long", "Double", "Boolean", "List", "Map", "Set", "var"),
                 root_markers=("pom.xml", "build.gradle", "build.gradle.kts")),
    LanguageSpec("c", "C", "c", (".c", ".h"), ("c",), "//", _C_BLOCK,
                 ("translation_unit", "compound_statement", "case_statement", "field_declaration_list",
                  "enumerator_list", "preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "preproc_elifdef"),
                 builtins=("NULL", "true", "false", "printf", "fprintf", "sprintf", "snprintf", "malloc", "calloc",
                           "realloc", "free", "memcpy", "memset", "strlen", "strcmp", "size_t", "stderr",
                           "stdout", "stdin"),
                 root_markers=("CMakeLists.txt", "meson.build", "compile_commands.json")),
    LanguageSpec("cpp", "C++", "cpp", (".cpp", ".cc", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++", ".ipp"),
                 ("cpp",), "//", _C_BLOCK,
                 ("translation_unit", "compound_statement", "case_statement", "field_declaration_list",
                  "declaration_list", "enumerator_list", "preproc_if", "preproc_ifdef", "preproc_else",
                  "preproc_elif", "preproc_elifdef"),
                 builtins=("this", "nullptr", "true", "false", "std", "NULL", "size_t", "auto"),
                 root_markers=("CMakeLists.txt", "meson.build", "compile_commands.json"), typed_literals=True),
    LanguageSpec("c_sharp", "C#", "csharp", (".cs", ".csx"), ("csharp", "cs"), "//", _C_BLOCK,
                 ("compilation_unit", "block", "declaration_list", "switch_section", "enum_member_declaration_list",
                  "accessor_list"),
                 builtins=("this", "base", "null", "true", "false", "var", "string", "int", "bool", "object",
                           "Console", "Math", "String", "List", "Dictionary", "Task", "nameof"),
                 root_markers=("*.sln", "*.csproj", "global.json", "Directory.Build.props")),
    LanguageSpec("ruby", "Ruby", "ruby", (".rb", ".rake", ".gemspec", ".ru"), ("ruby",), "#", ("=begin", "=end"),
                 ("program", "body_statement", "then", "else", "do", "block_body", "begin_block", "end_block",
                  "begin", "ensure"),
                 file_names=("Rakefile", "Gemfile", "Guardfile", "Vagrantfile"),
                 builtins=("self", "nil", "true", "false", "puts", "print", "p", "require", "require_relative",
                           "attr_reader", "attr_writer", "attr_accessor", "raise", "lambda", "proc",
                           "include", "extend", "super", "block_given?"),
                 root_markers=("Gemfile",)),
    LanguageSpec("php", "PHP", "php", (".php", ".phtml"), ("php",), "//", _C_BLOCK,
                 ("program", "compound_statement", "declaration_list", "case_statement", "default_statement",
                  "colon_block", "enum_declaration_list"),
                 builtins=("this", "self", "parent", "null", "true", "false", "array", "isset", "empty", "count",
                           "strlen", "echo", "print", "sprintf", "implode", "explode", "in_array"),
                 root_markers=("composer.json",), code_tags=("<?php", "?>")),
    LanguageSpec("lua", "Lua", "lua", (".lua",), ("lua",), "--", ("--[[", "]]"),
                 ("chunk", "block", "function_definition"),
                 builtins=("nil", "true", "false", "self", "print", "pairs", "ipairs", "type", "tostring",
                           "tonumber", "require", "table", "string", "math", "os", "io", "error", "assert",
                           "pcall", "select", "setmetatable", "getmetatable", "next", "unpack", "_G"),
                 root_markers=(".luarc.json",)),
    LanguageSpec("bash", "Bash", "bash", (".sh", ".bash", ".bats"), ("sh", "bash", "shellscript"), "#", None,
                 ("program", "compound_statement", "do_group", "if_statement", "elif_clause", "else_clause",
                  "case_item", "subshell"),
                 file_names=(".bashrc", ".bash_profile", ".profile"),
                 builtins=("echo", "printf", "read", "cd", "test", "true", "false", "exit", "return", "shift",
                           "set", "source", "eval", "exec", "trap", "local", "export"),
                 # tree-sitter-bash (0.13.0's and 0.25.1) crashed the process (SIGSEGV) on text with
                 # characters beyond ASCII: 5 of 6 fuzz runs of 5,000 texts; none with them read as "x"
                 ascii_scanner=True),
)}

_EXTENSIONS: dict[str, str] = {ext: spec.name for spec in LANGUAGES.values() for ext in spec.extensions}
_FILE_NAMES: dict[str, str] = {n: spec.name for spec in LANGUAGES.values() for n in spec.file_names}
_LSP_IDS: dict[str, str] = {i: spec.name for spec in LANGUAGES.values() for i in (spec.name, *spec.lsp_ids)}


def supported_languages() -> list[str]:
    """Names of the supported languages, sorted."""
    return sorted(LANGUAGES)


def spec_of(name: str) -> LanguageSpec:
    """The registry entry of a language; raises UnknownLanguageError."""
    spec = LANGUAGES.get(name)
    if spec is None:
        supported = ", ".join(supported_languages())
        raise UnknownLanguageError(f"unsupported language {name!r} (supported: {supported})")
    return spec



def resolve_language(name: str) -> str:
    """infill's name for a language given by its name or one of its LSP ids / Neovim filetypes
    (``typescriptreact`` -> ``tsx``, ``shellscript`` -> ``bash``); raises UnknownLanguageError."""
    found = _LSP_IDS.get(name) or _LSP_IDS.get(name.lower())
    if found is None:
        spec_of(name)
    return found


def lsp_language_ids() -> list[str]:
    """Every LSP language id and Neovim filetype some language answers to, sorted."""
    return sorted({i for spec in LANGUAGES.values() for i in spec.lsp_ids})


def keywords(name: str) -> frozenset[str]:
    """The keywords of a language: the grammar's word-like anonymous nodes (``return``, ``fn``)."""
    if name not in _KEYWORDS:
        lang = get_language(name)
        _KEYWORDS[name] = frozenset(
            kind for i in range(lang.node_kind_count)
            if not lang.node_kind_is_named(i) and lang.node_kind_is_visible(i)
            and (kind := lang.node_kind_for_id(i)) and len(kind) > 1 and _WORD.fullmatch(kind))
    return _KEYWORDS[name]


_WORD = re.compile(r"[A-Za-z_]\w*")
_KEYWORDS: dict[str, frozenset[str]] = {}


def reserved_names(name: str) -> frozenset[str]:
    """Keywords and built-in names of a language: bound in every file."""
    return keywords(name) | frozenset(spec_of(name).builtins)


def prelude(language: str, text: str, start: int) -> str:
    """What a piece of ``text`` from ``start`` on must be preceded by to parse as code: PHP's
    ``<?php`` tag (and a line break) when the text before ``start`` left PHP's code open (a window
    cut from the middle of a PHP file would otherwise read as HTML); "" for other languages."""
    tags = spec_of(language).code_tags
    if not tags or start <= 0:
        return ""
    opened, closed = text.rfind(tags[0], 0, start), text.rfind(tags[1], 0, start)
    return tags[0] + "\n" if opened > closed else ""


def file_suffixes(name: str) -> tuple[str, ...]:
    """The file suffixes of a language (``.py``, ``.pyi``); raises UnknownLanguageError."""
    return spec_of(name).extensions


def language_for_path(path: str | PurePath) -> str:
    """The language name of a file, chosen by its extension (or its whole name: ``Rakefile``)."""
    pure = PurePath(path)
    name = _EXTENSIONS.get(pure.suffix.lower()) or _FILE_NAMES.get(pure.name)
    if name is None:
        what = f"extension {pure.suffix!r}" if pure.suffix else "no extension"
        raise UnknownLanguageError(
            f"no supported language for {str(path)!r} ({what}; supported: {', '.join(supported_languages())}; "
            "--language overrides, or a batch task's \"language\")")
    return name


def language_for_test_runner(runner: str) -> str:
    """The language whose tests ``runner`` runs (``pytest`` -> ``python``)."""
    for spec in LANGUAGES.values():
        if spec.test_runner == runner:
            return spec.name
    raise UnknownLanguageError(f"no supported language is tested with {runner!r}")


def _grammar(spec: LanguageSpec) -> object:
    """The tree-sitter language pointer (a capsule), imported lazily: only the languages used load."""
    if spec.grammar == OWN_GRAMMAR:
        import tree_sitter_python
        return tree_sitter_python.language()
    try:
        from tree_sitter_language_pack import get_binding
        return get_binding(spec.grammar)
    except (ImportError, LookupError) as exc:
        raise UnknownLanguageError(f"the {spec.title} grammar is not installed "
                                   f"(tree-sitter-language-pack: {exc})") from exc


@cache
def get_language(name: str) -> Language:
    """The tree-sitter grammar of a language, loaded once."""
    return Language(_grammar(spec_of(name)))


_parsers = threading.local()  # a Parser is not safe to share between threads


def get_parser(name: str) -> Parser:
    """A parser for the language, one per thread, reused between calls."""
    cached: dict[str, Parser] = _parsers.__dict__.setdefault("by_language", {})
    parser = cached.get(name)
    if parser is None:
        parser = cached[name] = Parser(get_language(name))
    return parser


_NON_ASCII = re.compile(rb"[\x80-\xff]")
PARSE_TIMEOUT_S = 1.0     # a window parses in a few milliseconds; a grammar that loops is stopped here
_CHUNK = 1 << 16


PARSED_KEPT = 32            # the last windows parsed, by text: a request parses many twice (each
PARSED_MAX_BYTES = 1 << 14  # candidate's window in the syntax check and again in the checks); a
_parsed: dict[tuple[str, bytes], Tree] = {}   # larger text (a whole document) is not kept
_parsed_lock = threading.Lock()


def parse(source: str | bytes, language: str) -> Tree:
    """Parse source text (str is encoded as UTF-8: node offsets are UTF-8 bytes). A grammar with
    an ``ascii_scanner`` parses the text with every byte beyond ASCII read as ``x``: the nodes'
    offsets and rows are those of the text, their ``text`` is the copy's. Raises ParseTimeout
    when the grammar has not finished after ``PARSE_TIMEOUT_S``.

    The trees of the last ``PARSED_KEPT`` texts of at most ``PARSED_MAX_BYTES`` are kept and
    the same text is not parsed again (about half of a request's parses on a real file). The
    caller gets its own copy (``Tree.copy``: shallow, the nodes are shared until one is
    edited), which it may edit or read on its thread."""
    data = source.encode("utf-8") if isinstance(source, str) else source
    if spec_of(language).ascii_scanner and not data.isascii():
        data = _NON_ASCII.sub(b"x", data)
    if len(data) > PARSED_MAX_BYTES:
        return _parse_now(data, language)
    key = (language, data)
    with _parsed_lock:
        tree = _parsed.pop(key, None)
        if tree is not None:
            _parsed[key] = tree                  # the most recent last
            return tree.copy()
    tree = _parse_now(data, language)
    with _parsed_lock:
        _parsed[key] = tree
        while len(_parsed) > PARSED_KEPT:
            del _parsed[next(iter(_parsed))]
    return tree.copy()


def _parse_now(data: bytes, language: str) -> Tree:
    parser = get_parser(language)
    deadline = time.monotonic() + PARSE_TIMEOUT_S
    try:   # a deadline needs the reading form of parse (a bytestring ignores the progress callback)
        return parser.parse(lambda offset, _: data[offset:offset + _CHUNK],
                            progress_callback=lambda *_: time.monotonic() > deadline)
    except ValueError as exc:       # "Parsing failed": the progress callback stopped it
        parser.reset()              # else the next parse would resume this one
        raise ParseTimeout(f"the {spec_of(language).title} grammar did not finish parsing this text in "
                           f"{PARSE_TIMEOUT_S:g} s (a tree-sitter grammar bug); nothing is suggested here") from exc


def query_names(language: str) -> list[str]:
    """Names of the query files shipped for a language (``queries/<language>/*.scm``)."""
    folder = resources.files("infill").joinpath("queries", spec_of(language).name)
    if not folder.is_dir():
        return []
    return sorted(p.name[: -len(".scm")] for p in folder.iterdir() if p.name.endswith(".scm"))


@cache
def load_query(language: str, name: str) -> Query:
    """The compiled query ``queries/<language>/<name>.scm``, compiled once."""
    path = resources.files("infill").joinpath("queries", spec_of(language).name, f"{name}.scm")
    if not path.is_file():
        raise UnknownLanguageError(f"no query {name!r} for language {language!r}")
    return Query(get_language(language), path.read_text(encoding="utf-8"))
