"""What the checks of one gap read (``infill.checks``): the window of a large file, the names
the rest of it may bind, and that window with the bodies of the functions away from the gap
hollowed for the checks that parse it.

``scope``: all of a small file; in a large one the window the syntax check reads
(``syntax.check_window``: the top-level statements around the gap, in Python the method), with
every name the rest of the file may bind in the module's scope (``module_binds``: not the
parameters and locals of other functions, which are in no scope the window reads; ``STAR``
where a star import beyond the window may bind anything). ``parsed_scope``: in Python, that
window with ``hollow_methods`` applied. ``own_statement``: the top-level statement around the
gap, for a file that does not parse elsewhere. Text and Python's syntax tree only; no model.
"""

from __future__ import annotations

import ast
import re
import warnings
from functools import lru_cache

from .languages import spec_of
from .syntax import WINDOW_THRESHOLD, check_window, top_level_window, window_chars

_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
# Names bound where no scope analysis sees them: the names check says unknown where they occur.
DYNAMIC = re.compile(r"\bexec\s*\(|\bglobals\s*\(\s*\)|\blocals\s*\(\s*\)\s*\[|__builtins__")
_LONE_CR = re.compile(r"\r(?!\n)")


def _parse(doc: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(doc)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


_BINDS = re.compile(r"\b(?:def|class)\s+([A-Za-z_]\w*)|\bas\s+([A-Za-z_]\w*)|\bglobal\s+([\w, ]+)"
                    r"|^\s*(?:from\s+\S+\s+)?import\s+\(?([\w, .]+)|^\s*([\w, ()\[\]*.]+?)\s*(?::[^=\n]+)?=(?!=)"
                    r"|\bfor\s+([\w, ()]+?)\s+in\b|^\s+([A-Za-z_]\w*),?\s*$", re.MULTILINE)


@lru_cache(maxsize=16)
def bound_anywhere(text: str) -> frozenset[str]:
    """Every name ``text`` may bind, at any depth (def, class, import, assignment, for, as,
    global): a generous stand-in for the module scope of the code outside a window. Read line
    by line, each line's names cached: the next request, at another place of the same file,
    reads the lines it already read for free."""
    out: set[str] = set()
    for line in text.split("\n"):
        if line.strip():
            out |= _line_binds(line)
    return frozenset(out)


@lru_cache(maxsize=1 << 16)
def _line_binds(line: str) -> frozenset[str]:
    out: set[str] = set()
    for m in _BINDS.finditer(line):
        for group in m.groups():
            if group:
                out.update(n for n in _NAME.findall(group) if n not in ("import", "as"))
    return frozenset(out)


_DEF = re.compile(r"\s*(?:async\s+)?def\s+([A-Za-z_]\w*)")
_GLOBAL = re.compile(r"\bglobal\s+([\w, ]+)")
_STAR_IMPORT = re.compile(r"\bimport\s+\*")
STAR = "*"      # in ``outside``: a star import beyond the window may bind any name


@lru_cache(maxsize=16)
def module_binds(text: str) -> frozenset[str]:
    """The names whole top-level statements may bind in their module's scope: what
    ``bound_anywhere`` reads, except inside function bodies, whose parameters and locals are
    in no other function's scope (a ``global`` statement there still binds a module name).
    ``STAR`` is among them where a star import may bind anything. A line at or left of a
    ``def`` (a string's lines at column 0) ends its body early: that only binds more."""
    out: set[str] = set()
    body = None                       # the indentation of the def whose body is being skipped
    for line in text.split("\n"):
        stripped = line.lstrip()
        if not stripped or stripped[0] == "#":
            continue
        indent = len(line) - len(stripped)
        if body is not None:
            if indent > body or stripped[0] in ")]}":      # the body, or the signature's close
                g = _GLOBAL.search(line)
                if g:
                    out.update(_NAME.findall(g.group(1)))
                continue
            body = None
        d = _DEF.match(line)
        if d:
            out.add(d.group(1))
            body = indent
            continue
        if _STAR_IMPORT.search(line):
            out.add(STAR)
        out |= _line_binds(line)
    return frozenset(out)


_CLASS = re.compile(r"(?:@.*\n)*class\s+([A-Za-z_]\w*)")


@lru_cache(maxsize=8)   # the same for every candidate of a request
def scope(before: str, after: str, language: str) -> tuple[str, str, frozenset[str]]:
    """What the checks read: all of a small file; in a large one the window the syntax check
    reads (``syntax.check_window``: the top-level statements around the gap, in Python the
    method), with the names the rest may bind."""
    if len(before) + len(after) <= WINDOW_THRESHOLD:
        return before, after, frozenset()
    head, wb, wa = check_window(before, after, language)
    tb, ta = top_level_window(before, after, window_chars(language))
    outside = module_binds(before[:len(before) - len(tb)]) | module_binds(after[len(ta):])
    if len(wb) < len(tb) or len(wa) < len(ta):     # narrowed to a method of the top-level statement
        rest = tb[:len(tb) - len(wb)] + "\n" + ta[len(wa):]
        header = _CLASS.match(tb)
        # A class body's names are not in its methods' scope, but the class's own name is; the
        # rest of another statement (an ``if`` at module level) binds module names.
        outside |= frozenset([header.group(1)]) if header else bound_anywhere(rest)
    return head + wb, wa, outside


@lru_cache(maxsize=8)
def parsed_scope(before: str, after: str, language: str) -> tuple[str, str]:
    """What the checks that parse the completed code read: ``scope``'s window, in Python with
    the bodies of the functions away from the gap hollowed (``hollow_methods``)."""
    wb, wa, _ = scope(before, after, language)
    if len(before) + len(after) > WINDOW_THRESHOLD and spec_of(language).compiler == "cpython":
        return hollow_methods(wb, wa) or (wb, wa)
    return wb, wa


_BODY_STUB = "..."


def hollow_methods(before: str, after: str) -> tuple[str, str] | None:
    """``before`` and ``after`` with the body of every function that does not hold the gap
    replaced by ``...`` on one line (its ``def`` line kept), or None where nothing is hollowed
    or the text without the gap does not parse.

    A gap in a class body outside its methods (the class's docstring, an attribute) is read
    with the whole class, 1,000 lines in ``argparse.ArgumentParser``: compiled and
    scope-checked for every candidate, about 100 ms each. Code at class level reads nothing
    of its methods' bodies, so the checks' verdicts on it are the same without them."""
    if _LONE_CR.search(before) or _LONE_CR.search(after):   # ast's lines would not be split("\n")'s
        return None
    tree = _parse(before + after)
    if tree is None:
        return None
    gap = before.count("\n") + 1                      # 1-based line of the gap
    lines = (before + after).split("\n")
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    # The functions that end last above the gap stay whole: the candidate may continue their body.
    above = max((n.end_lineno for n in functions if n.end_lineno < gap), default=0)
    spans: list[tuple[int, int, int]] = []            # (first body line, last line, body column)
    for node in functions:
        if not node.lineno <= gap <= node.end_lineno and node.end_lineno != above:
            first = node.body[0]
            own_line = not lines[first.lineno - 1][:first.col_offset].strip()   # not after a signature's ``:``
            if own_line and not any(a <= first.lineno <= b for a, b, _ in spans):
                if any(isinstance(n, (ast.Global, ast.Nonlocal)) for n in ast.walk(node)) \
                        or DYNAMIC.search("\n".join(lines[node.lineno - 1:node.end_lineno])):
                    return None                       # it binds names outside itself
                spans.append((first.lineno, node.end_lineno, first.col_offset))
    if not spans:
        return None
    for first, last, column in sorted(spans, reverse=True):
        lines[first - 1:last] = [lines[first - 1][:column] + _BODY_STUB]    # its own indentation (tabs)
    removed_above = sum(last - first for first, last, _ in spans if last < gap)
    cut = gap - 1 - removed_above                     # the gap's line in the hollowed text
    column = len(before) - (before.rfind("\n") + 1)
    return "\n".join(lines[:cut] + [lines[cut][:column]]), "\n".join([lines[cut][column:]] + lines[cut + 1:])


def own_statement(before: str, after: str) -> tuple[str, str, frozenset[str]]:
    """The top-level statement around the gap (``top_level_window`` at any size) and the names
    the rest of the file may bind."""
    sb, sa = top_level_window(before, after, threshold=0)
    return sb, sa, bound_anywhere(before[:len(before) - len(sb)]) | bound_anywhere(after[len(sa):])
