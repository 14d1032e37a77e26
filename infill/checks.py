"""Checks beyond syntax, run on every candidate before it is shown: what a reader would reject
at a glance.

Each check is a small function of (text before the gap, the candidate, text after it) that
returns a ``Check``: ``ok``, ``reject`` (with the reason) or ``unknown`` (the check cannot
tell; it never rejects then):

- ``names``: the candidate reads no name that is bound nowhere in its scope (parameters,
  locals, globals, imports, builtins, comprehension variables). Scope analysis is pyflakes'
  (MIT), run on the completed file; only the names the candidate itself wrote count. A star
  import, ``exec``, ``globals()`` or a file that does not parse make it ``unknown``.
- ``cut_off``: the candidate does not end inside a name (a name the next character of the
  suffix continues), nor in a name that is only the start of one bound in the file
  (``start_`` where ``start_idx`` is bound).
- ``echo``: no ``x = x``, no line that copies the line just above or below it, no empty text.
- ``compiles``: the completed file compiles; an error of the file's own away from the
  candidate makes it ``unknown``. ``syntax_valid`` reads it.
- ``parses`` (the languages without a compiler here): the candidate makes the syntax no worse
  (``syntax.adds_syntax_errors``: no more tree-sitter errors than the file without it, none
  starting inside it, the lines after it not swallowed by a string). A served model's
  ``a + b;;)`` in JavaScript was shown at 0.5 with ``syntax_valid`` false.
- ``repeated_condition`` (with ``compiles``, on the same tree): the candidate does not make
  an ``if``/``elif`` branch test what another branch of its chain tests. Not run (no verdict)
  where the completed code does not parse.
- ``none_then_used`` (likewise): the candidate does not set a name to ``None`` that the next
  statement calls or reads an attribute or item of.

Which run depends on the language's spec: ``names`` where it names a scope analysis
(``LanguageSpec.scope_analysis``: pyflakes for Python), ``compiles`` where it names a compiler
(``syntax.COMPILERS``), ``parses`` where it names none; ``cut_off`` and ``echo`` read only text
and run for every language.

A small file that does not parse with the candidate (the user is editing another function) is
read like a large one, narrowed to the top-level statement around the gap when that parses:
else an error far away would make ``names`` and ``compiles`` unknown for every candidate.

In a large file the checks read the window the syntax check uses (``infill.scope``: the
top-level statements around the gap; in Python the method around it), with every name the rest
of the file may bind in the module's scope taken as bound (not the parameters and locals of
other functions, which are in no scope the window reads): they stay within the latency budget,
a module name bound far away is never rejected, and a star import beyond the window makes
``names`` unknown. Where the gap is in a class body outside its methods (a docstring, an
attribute), that window is the whole class: the checks that parse it read it with the bodies
of the functions away from the gap hollowed (``scope.hollow_methods``; not the function just
above the gap, whose body a candidate may continue), since code at class level reads nothing in
them. On 18,190 judged candidates of the real-code benchmark every verdict is the same; judging
a gap in ``argparse.ArgumentParser``'s docstring fell from 455 to 88 ms.

``run_checks`` runs those the language has and ``passed`` says whether a candidate may be shown.
"""

from __future__ import annotations

import ast
import builtins
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache

from .languages import reserved_names, spec_of
from .scope import _NAME, DYNAMIC as _DYNAMIC, STAR, _parse, own_statement, parsed_scope, scope
from .syntax import adds_syntax_errors

OK, REJECT, UNKNOWN = "ok", "reject", "unknown"
_IDENT_CHAR = re.compile(r"[A-Za-z_0-9]")
_SELF_ASSIGN = r"^\s*\$?([A-Za-z_][\w.]*(?:\[[^\]=]*\])?)\s*=\s*\$?\1\s*;?\s*(?:{comment}.*)?$"   # x = x
# Lines that may stand twice in a row in real code: punctuation, bare keywords.
_REPEATABLE = re.compile(r"^[\s)\]}(\[{,:;]*$|^(?:pass|break|continue|return|else:|try:|finally:|"
                         r"yield|raise|\.\.\.|end|fi|done|esac|else|default:)\s*;?\s*$")


@dataclass(frozen=True)
class Check:
    name: str
    verdict: str             # ok | reject | unknown
    reason: str = ""

    def to_dict(self) -> dict:
        return {"check": self.name, "verdict": self.verdict, **({"reason": self.reason} if self.reason else {})}


def _span(before: str, text: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """(line, column) of the candidate's first and one-past-last character, 1-based lines."""
    line = before.count("\n") + 1
    col = len(before) - (before.rfind("\n") + 1)
    end_line = line + text.count("\n")
    end_col = (col + len(text)) if "\n" not in text else len(text) - (text.rfind("\n") + 1)
    return (line, col), (end_line, end_col)


def names(before: str, text: str, after: str, tree: ast.Module | None = None,
          outside: frozenset[str] = frozenset()) -> Check:
    """No name the candidate reads is unbound in its scope (pyflakes on the completed code;
    ``outside``: names bound beyond it, as builtins)."""
    if not _NAME.search(text):
        return Check("names", OK)
    doc = before + text + after
    tree = tree if tree is not None else _parse(doc)
    if tree is None:
        return Check("names", UNKNOWN, "the completed file does not parse")
    if _DYNAMIC.search(doc):
        return Check("names", UNKNOWN, "the file binds names dynamically (exec, globals())")
    try:
        from pyflakes import checker, messages
    except ImportError:         # pragma: no cover - a dependency; checked by the architecture of the install
        return Check("names", UNKNOWN, "pyflakes is not installed")
    try:
        found = checker.Checker(tree, filename="<completion>", builtins=set(outside) or None).messages
    except Exception:           # pyflakes on odd trees (recursion, memory): never a traceback
        return Check("names", UNKNOWN, "the scope analysis failed")
    (line, col), (end_line, end_col) = _span(before, text)

    def inside(m) -> bool:
        at = (m.lineno, getattr(m, "col", 0))
        return (line, col) <= at < (end_line, end_col)

    if STAR in outside or any(isinstance(m, messages.ImportStarUsage) and inside(m) for m in found):
        return Check("names", UNKNOWN, "a star import may bind it")
    unbound = [m.message_args[0] for m in found if isinstance(m, messages.UndefinedName) and inside(m)]
    if unbound:
        return Check("names", REJECT, f"`{unbound[0]}` is bound nowhere in its scope")
    return Check("names", OK)


def cut_off(before: str, text: str, after: str, reserved: frozenset[str] = frozenset(dir(builtins))) -> Check:
    """The candidate does not stop inside a name, nor at the start of a longer bound name
    (``reserved``: the language's keywords and built-in names, complete as they stand)."""
    stripped = text.rstrip()
    if not stripped or not _IDENT_CHAR.match(stripped[-1]):
        return Check("cut_off", OK)
    if stripped == text and after[:1] and _IDENT_CHAR.match(after[0]):
        tail = (_NAME.findall(text) or [text])[-1]
        head = re.match(r"[A-Za-z_0-9]*", after).group(0)
        return Check("cut_off", REJECT, f"`{tail}` runs on into `{head}`: a name cut in two")
    last = re.search(r"[A-Za-z_][A-Za-z_0-9]*$", stripped)
    if last is None or last.start() > 0 and stripped[last.start() - 1] == ".":
        return Check("cut_off", OK)          # an attribute: pyflakes does not know them either
    word = last.group(0)
    doc_names = set(_NAME.findall(before)) | set(_NAME.findall(after))
    if word not in doc_names and word not in reserved \
            and any(n.startswith(word) and n != word for n in doc_names):
        longer = sorted(n for n in doc_names if n.startswith(word) and n != word)[0]
        return Check("cut_off", REJECT, f"`{word}` is only the start of `{longer}`")
    return Check("cut_off", OK)


def _line_at(text: str, at: int) -> tuple[int, int]:
    """(start, end) of the line holding offset ``at``."""
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return start, (len(text) if end < 0 else end)


@lru_cache(maxsize=32)
def _self_assign(comment: str) -> re.Pattern:
    """``x = x`` (a ``;`` and a comment of the language after it allowed)."""
    return re.compile(_SELF_ASSIGN.format(comment=re.escape(comment) if comment else "(?!)"))


def echo(before: str, text: str, after: str, comment: str = "#") -> Check:
    """Not empty, no ``x = x``, no line that copies its neighbour above or below (``comment``:
    the language's line comment, which may follow ``x = x``)."""
    if not text.strip():
        return Check("echo", REJECT, "empty")
    doc = before + text + after
    first, _ = _line_at(doc, len(before))
    _, last = _line_at(doc, len(before) + len(text.rstrip("\n")))
    lines = doc[first:last].split("\n")
    for line in lines:
        if _self_assign(comment).match(line):
            return Check("echo", REJECT, f"`{line.strip()}` assigns a name to itself")
    above = [ln for ln in doc[:first].split("\n")[-3:] if ln.strip()]
    below = [ln for ln in doc[last:].split("\n")[:3] if ln.strip()]
    neighbours = {above[-1].strip() if above else None, below[0].strip() if below else None}
    for line in lines:
        if line.strip() and line.strip() in neighbours and not _REPEATABLE.match(line.strip()):
            return Check("echo", REJECT, f"`{line.strip()}` copies the line beside it")
    return Check("echo", OK)


def compiles(before: str, text: str, after: str, tree: ast.Module | None = None) -> Check:
    """The completed file compiles. An error away from the candidate's lines that the file had
    without it too makes this ``unknown`` (the user is editing elsewhere)."""
    error = _compile_error(tree if tree is not None else before + text + after)
    if error is None:
        return Check("compiles", OK)
    (line, _), (end_line, _) = _span(before, text)
    if line <= error <= end_line + 1:
        return Check("compiles", REJECT, "the completed code does not compile")
    shift = text.count("\n")
    before_error = _compile_error(before + after)
    if before_error is not None and before_error + (shift if before_error > line else 0) == error:
        return Check("compiles", UNKNOWN, f"the file has an error of its own at line {before_error}")
    return Check("compiles", REJECT, f"the completed code does not compile (line {error})")


def parses(before: str, text: str, after: str, language: str) -> Check:
    """``syntax.adds_syntax_errors`` as a check (a grammar that does not finish parsing counts
    as an error there)."""
    if adds_syntax_errors(before, text, after, language):
        return Check("parses", REJECT, "the completed code has a syntax error of the candidate's own")
    return Check("parses", OK)


def _compile_error(source: str | ast.Module) -> int | None:
    """The line of the first compile error, None when it compiles."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<completion>", "exec", dont_inherit=True)
        return None
    except SyntaxError as exc:
        return exc.lineno or 1
    except (ValueError, RecursionError, MemoryError, OverflowError):
        return 1


def repeated_condition(before: str, text: str, after: str, tree: ast.Module | None) -> Check | None:
    """The candidate does not make a branch of an ``if``/``elif`` chain test what another
    branch of the same chain tests (the later one could never run: ``elif arg is None:``
    drafted where a branch below already asks it). None when the file does not parse."""
    if tree is None:
        return None
    (first, _), (last, _) = _span(before, text)
    for node in ast.walk(tree):
        if not isinstance(node, ast.If) or node.lineno > last or (node.end_lineno or node.lineno) < first:
            continue
        chain, cur = [node], node
        while len(cur.orelse) == 1 and isinstance(cur.orelse[0], ast.If):
            cur = cur.orelse[0]
            chain.append(cur)
        tests = [ast.dump(c.test) for c in chain]
        for c, dumped in zip(chain, tests):
            if c.test.lineno <= last and (c.test.end_lineno or c.test.lineno) >= first and tests.count(dumped) > 1:
                return Check("repeated_condition", REJECT, "another branch of the same if/elif chain tests this")
    return Check("repeated_condition", OK)


def _base_name(node: ast.AST) -> str | None:
    """The name a chain of calls, attributes and subscripts starts from (``x`` of
    ``x.push()``, ``x[0].y``); None for anything else."""
    while isinstance(node, (ast.Call, ast.Attribute, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def none_then_used(before: str, text: str, after: str, tree: ast.Module | None) -> Check | None:
    """The candidate does not assign ``None`` to a name that the very next statement of its
    block reads an attribute, an item or a call of (``app_ctx = None`` above
    ``app_ctx.push()``: an error on every run). Only the next statement's own expression
    counts, not one under a condition. None when the file does not parse."""
    if tree is None:
        return None
    (first, _), (last, _) = _span(before, text)
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            for stmt, nxt in zip(block, block[1:]):
                if not (isinstance(stmt, ast.Assign) and first <= stmt.lineno <= last
                        and isinstance(stmt.value, ast.Constant) and stmt.value.value is None):
                    continue
                targets = {t.id for t in stmt.targets if isinstance(t, ast.Name)}
                value = nxt.value if isinstance(nxt, (ast.Expr, ast.Assign, ast.AugAssign, ast.Return)) else None
                used = _base_name(value) if isinstance(value, (ast.Call, ast.Attribute, ast.Subscript)) else None
                if used in targets:
                    return Check("none_then_used", REJECT, f"`{used}` is None where the next line uses it")
    return Check("none_then_used", OK)


COMPILE_CHECKS = {"cpython": compiles}   # LanguageSpec.compiler -> its check (CPython's syntax tree)
SCOPE_ANALYSES = {"pyflakes": names}     # LanguageSpec.scope_analysis -> its names check (the same tree)


def run_checks(before: str, text: str, after: str, language: str) -> list[Check]:
    """Every check the language has on one candidate (see the module docstring)."""
    spec = spec_of(language)
    wb, wa, outside = scope(before, after, language)      # what the text checks read (cut_off, echo)
    pb, pa = parsed_scope(before, after, language)        # what the checks that parse read
    found = []
    compile_check, scope_check = COMPILE_CHECKS.get(spec.compiler or ""), SCOPE_ANALYSES.get(spec.scope_analysis or "")
    tree = _parse(pb + text + pa) if compile_check or scope_check else None   # parsed once for both
    if tree is None and (compile_check or scope_check) and not outside:      # an error elsewhere?
        sb, sa, out = own_statement(wb, wa)
        narrow = _parse(sb + text + sa) if (sb, sa) != (wb, wa) else None
        if narrow is not None:
            wb, wa = pb, pa = sb, sa
            outside, tree = out, narrow
    if compile_check:
        found.append(compile_check(pb, text, pa, tree))
    else:
        found.append(parses(before, text, after, language))
    if scope_check:
        found.append(scope_check(pb, text, pa, tree, outside))
    if compile_check is compiles:
        found += [c for c in (repeated_condition(pb, text, pa, tree), none_then_used(pb, text, pa, tree))
                  if c is not None]
    return found + [cut_off(wb, text, wa, reserved_names(language)), echo(wb, text, wa, spec.line_comment)]


def passed(checks: list[Check]) -> bool:
    """A candidate may be shown: no check rejects it."""
    return not any(c.verdict == REJECT for c in checks)


def reasons(checks: list[Check]) -> list[str]:
    return [f"{c.name}: {c.reason}" for c in checks if c.verdict == REJECT]
