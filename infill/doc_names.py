"""The names a document itself shows, for every language (tree-sitter): what it defines,
imports and takes as parameters; after ``x.`` the names that follow ``x.`` elsewhere in it; and
the top-level names of the file ``x`` names (``x.py`` in the document's folder or the project
root). ``names`` falls back on them where jedi has not answered, and uses them alone for the
languages jedi does not know. Bounded: ``MAX_NODES`` nodes per tree, ``MAX_KNOWN`` names.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

from .errors import InfillError
from .languages import file_suffixes, keywords

MAX_KNOWN = 20_000         # names kept per document
MAX_NODES = 200_000        # tree-sitter nodes read per document at most
MAX_FILE_CHARS = 400_000   # a larger imported file is not read

Found = list[tuple[str, str]]       # (name, kind) as an analysis returns them


def document_names(text: str, offset: int, language: str, slot) -> Found:
    """The names the document defines, imports and takes as parameters (tree-sitter); after
    ``x.``, the names that follow ``x.`` elsewhere in the document."""
    if slot.member:
        if not slot.receiver:
            return []
        at = len(text[:offset]) - len(slot.partial)
        seen = Counter(m.group(1) for m in member_pattern(slot.receiver).finditer(text) if m.start(1) != at)
        return [(n, "attribute") for n, _ in seen.most_common(MAX_KNOWN)]
    return list(_definitions(text, language))


@lru_cache(maxsize=64)
def member_pattern(receiver: str) -> re.Pattern:
    """``receiver.name`` (or ``->name``, ``::name``) anywhere in a text, the name in group 1."""
    return re.compile(r"(?<![\w.])" + re.escape(receiver) + r"\s*(?:\.|->|::)\s*([A-Za-z_]\w*)")


def module_names(receiver: str, language: str, folders: tuple[str, ...]) -> Found:
    """The top-level definitions of the file a receiver names (``config`` -> ``config.py`` in
    the document's folder or the project root): the members of a module the document imports."""
    head = receiver.split(".")[0]
    for folder in folders:
        for suffix in file_suffixes(language):
            try:
                file = Path(folder) / (head + suffix)
                if file.is_file() and file.stat().st_size <= MAX_FILE_CHARS:
                    return list(_top_level(file.read_text(encoding="utf-8", errors="replace"), language))
            except (OSError, ValueError):
                continue
    return []


def _tree(text: str, language: str):
    """The tree-sitter tree of ``text``, or None where it cannot be had."""
    try:
        from .languages import parse
        return parse(text, language)
    except (InfillError, ValueError, RecursionError, MemoryError):
        return None


@lru_cache(maxsize=16)
def _top_level(text: str, language: str) -> tuple[tuple[str, str], ...]:
    """The names a file's top-level statements define (its members as a module)."""
    tree = _tree(text, language)
    if tree is None:
        return ()
    out: dict[str, str] = {}
    for node in tree.root_node.children[:MAX_NODES]:
        for n in (node, *node.children):
            named = n.child_by_field_name("name")
            if named is not None and "identifier" in named.type:
                out.setdefault(_text(named), "definition")
            left = n.child_by_field_name("left") if n.type == "assignment" else None
            if left is not None and left.type == "identifier":
                out.setdefault(_text(left), "statement")
    return tuple(out.items())


@lru_cache(maxsize=8)
def _definitions(text: str, language: str) -> tuple[tuple[str, str], ...]:
    tree = _tree(text, language)
    if tree is None:
        return ()
    reserved = keywords(language)
    out: dict[str, str] = {}
    stack, seen = [tree.root_node], 0
    while stack and seen < MAX_NODES:
        node = stack.pop()
        seen += 1
        kind = node.type
        named = node.child_by_field_name("name")
        if named is not None and "identifier" in named.type:
            out.setdefault(_text(named), "definition")
        if "import" in kind or "parameter" in kind or kind in ("assignment", "variable_declarator",
                                                                "short_var_declaration", "let_declaration"):
            target = node if "import" in kind or "parameter" in kind else (
                node.child_by_field_name("left") or node.child_by_field_name("pattern") or node)
            for ident in _identifiers(target):
                out.setdefault(ident, "import" if "import" in kind else "definition")
            if "import" in kind:
                continue
        stack.extend(reversed(node.children))
    return tuple((n, k) for n, k in out.items() if n and n not in reserved)[:MAX_KNOWN]


def _identifiers(node, limit: int = 200) -> list[str]:
    out, stack = [], [node]
    while stack and len(out) < limit:
        n = stack.pop()
        if n.type in ("identifier", "type_identifier", "field_identifier", "property_identifier",
                      "shorthand_property_identifier_pattern", "variable_name", "name"):
            out.append(_text(n))
        elif n.type not in ("attribute", "subscript", "call"):
            stack.extend(n.children)
    return out


def _text(node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""
