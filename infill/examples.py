"""The examples in a docstring as a check: run them against each candidate.

Where the gap lies in a Python function whose docstring shows what it returns — doctests
(``>>> f(2)`` then ``4``, read by the standard library's ``doctest``) or one-line examples
(``f(2) == 4``, ``f(2) => 4``, ``f(2) -> 4``, ``f(2) ➞ 4``) — each candidate completes the
document, the module's imports and definitions are run in one sandboxed child process
(``sandbox.run_python``: its own temporary folder, limits, killed on timeout; other top-level
statements are left out, so a module that starts a server does not) once, and then for each
candidate, in a copy of that namespace and with its own time limit, the top-level definition
holding the gap is defined again with the candidate in it and every example is run.

An example counts when at least one candidate satisfies it while running the candidate's own
lines (traced: an example that calls an installed copy of the function, or returns before the
gap, says nothing about the candidate) and it says what to expect (a doctest with no output,
or one whose expected value does not evaluate, such as ``f(a) => False`` with ``a`` unbound,
tells nothing). With counted examples, a candidate that satisfies
them all gets an ``examples`` check ``ok``, one that fails any (a wrong value, an exception,
too slow) is rejected; with none (no examples, nothing satisfies them: the function is not
finished yet or every candidate is wrong, the module does not import on this machine, the
child was too slow) the check says nothing. So the examples never silence a request on
their own; they pick among its candidates.

Knows Python's ``ast`` and ``doctest`` and the sandbox; nothing of the model or of LSP.
The project's own modules are not on the child's path (the check never runs the user's
code beyond the module it completes); a module importing them gets no verdict.
"""

from __future__ import annotations

import ast
import doctest
import json
import re
import threading
from dataclasses import dataclass

from .checks import OK, REJECT, Check

NAME = "examples"
TIMEOUT_S = 1.0          # the child's wall-clock limit for all candidates together ...
BASE_S = 0.5             # ... the module's imports and definitions, run once ...
PER_CANDIDATE_S = 0.1    # ... and each candidate's (its definition and the examples)
MAX_EXAMPLES = 20
MAX_CANDIDATES = 24
_SEPARATORS = r"==|=>|->|➞|⇒|→"
_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_][A-Za-z_0-9]*)", re.M)
LOOK_BACK = 20_000       # characters before the cursor searched for the function's ``def``
_KEPT = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign,
         ast.AnnAssign)
# Calls an assignment kept at module level may make (constants, patterns, types): any other call
# (``httpd = HTTPServer(...)``, ``data = requests.get(...)``) leaves the assignment out.
_QUIET_CALLS = frozenset({
    "compile", "namedtuple", "NamedTuple", "TypeVar", "NewType", "ParamSpec", "frozenset", "set", "dict",
    "list", "tuple", "object", "getLogger", "defaultdict", "OrderedDict", "Counter", "deque", "range", "len",
    "sorted", "reversed", "int", "float", "str", "bytes", "bool", "complex", "property", "staticmethod",
    "classmethod", "partial", "field", "Decimal", "Fraction", "Enum", "IntEnum", "Flag", "IntFlag", "chr",
    "ord", "max", "min", "sum", "abs", "round", "zip", "enumerate", "map", "filter", "isinstance", "getattr",
    "hasattr", "escape", "join", "format", "encode", "decode", "upper", "lower", "split", "strip", "replace",
    "fromkeys", "union", "keys", "values", "items", "copy", "Path", "cast", "Literal", "Union", "Optional",
})


def _quiet(stmt: ast.stmt) -> bool:
    """Whether a kept top-level statement may run in the child: definitions and imports, and
    assignments whose value calls only ``_QUIET_CALLS``."""
    if not isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        return True
    for node in ast.walk(stmt.value) if stmt.value is not None else ():
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            if name not in _QUIET_CALLS:
                return False
        elif isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
            return False
    return True


@dataclass(frozen=True)
class Example:
    source: str          # doctest: the statement; one-line: the call
    want: str            # doctest: the expected output; one-line: the expected value's expression
    doctest: bool
    exc_msg: str | None = None                       # doctest: the exception it expects, if any
    options: tuple[tuple[int, bool], ...] = ()       # doctest: its directives (+SKIP, +ELLIPSIS ...)


@dataclass(frozen=True)
class Target:
    function: str
    examples: tuple[Example, ...]
    kept: tuple[tuple[int, int], ...] = ()   # 0-based line ranges of the top-level imports, definitions ...
    top: tuple[int, int] = (0, 0)             # ... and of the definition holding the gap, as read


def maybe(before: str) -> bool:
    """Cheap: whether the docstring of the last function begun before the cursor, or of one
    around it, shows an example (a ``>>>`` or a call of that function followed by ``==``,
    ``=>`` ...). Only then is anything parsed, so a request elsewhere costs a few
    regular-expression searches."""
    start = max(0, len(before) - LOOK_BACK)
    defs = list(_DEF.finditer(before, start))
    chain, depth = [], None
    for k in range(len(defs) - 1, -1, -1):          # the last one, then those it is nested in
        indent = len(defs[k].group(0)) - len(defs[k].group(0).lstrip())
        if depth is None or indent < depth:
            chain.append(k)
            depth = indent
        if depth == 0:
            break
    for k in chain:
        d = defs[k]                                # from the line after the ``def`` (``-> int`` is no example)
        body = before.find("\n", d.end())
        region = before[body + 1 if body >= 0 else len(before):defs[k + 1].start() if k + 1 < len(defs) else len(before)]
        if ">>>" in region or re.search(rf"{re.escape(d.group(1))}\s*\(.*\)\s*(?:{_SEPARATORS})", region):
            return True
    return False


def target(source: str, line: int) -> Target | None:
    """The innermost function of ``source`` (a candidate in its gap) around ``line`` (1-based)
    whose docstring shows examples, those examples, and where the module's top-level imports,
    definitions and assignments lie (the rest is never run); None: no such function, the gap
    is not inside a top-level definition, or ``source`` does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    holding = [stmt for stmt in tree.body if stmt.lineno <= line <= (stmt.end_lineno or 0)]
    around = [node for stmt in holding for node in ast.walk(stmt)       # the one definition, not the module
              if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno <= line <= (node.end_lineno or 0)]
    for node in sorted(around, key=lambda n: -n.lineno):          # innermost first
        doc = ast.get_docstring(node, clean=True)
        found = read_examples(doc, node.name) if doc else []
        if found:
            break
    else:
        return None
    kept, top = [], None
    for stmt in tree.body:
        if not isinstance(stmt, _KEPT) or not _quiet(stmt):
            continue
        first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", []))]) - 1
        span = (first, stmt.end_lineno or stmt.lineno)
        kept.append(span)
        if span[0] < line <= span[1] and isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            top = span
    if top is None:
        return None
    return Target(node.name, tuple(found[:MAX_EXAMPLES]), tuple(kept), top)


def read_examples(doc: str, function: str) -> list[Example]:
    """Doctests with an expected output, then one-line examples that call ``function``."""
    out: list[Example] = []
    try:
        parsed = doctest.DocTestParser().get_examples(doc)
    except ValueError:            # inconsistent indentation and the like: no doctests
        parsed = []
    for ex in parsed:
        out.append(Example(ex.source, ex.want, True, ex.exc_msg, tuple(sorted(ex.options.items()))))
    if parsed:
        return out
    one_line = re.compile(rf"^\s*({re.escape(function)}\s*\(.*\))\s*(?:{_SEPARATORS})\s*(.+?)\s*$")
    for line in doc.splitlines():
        m = one_line.match(line)
        if m:
            out.append(Example(m.group(1), m.group(2).rstrip(".,;"), False))
    return out


_READ: dict[tuple[int, int, int], tuple[str, Target]] = {}
_READ_LOCK = threading.Lock()   # the server's threads share it
READ_KEPT = 4            # gaps whose reading is kept (a request reads its gap's again for each round)


_EXERCISED: dict[tuple[int, int, int], bool] = {}


def _key(before: str, after: str) -> tuple[int, int, int]:
    return hash(before), hash(after), len(before)


def exercised(before: str, after: str) -> bool:
    """Whether the last run at this gap had an example run the candidates' lines (so that
    other candidates might satisfy it): fresh rounds are worth drawing only then."""
    with _READ_LOCK:
        return _EXERCISED.get(_key(before, after), False)


def _read(before: str, texts: list[str], after: str) -> tuple[str, Target] | None:
    """(the candidate the module was read with, its ``target``) for the first of ``texts`` with
    which the module parses; kept for the last few gaps, since a candidate only shifts the
    lines of the definition that holds the gap."""
    key = _key(before, after)
    with _READ_LOCK:
        if key in _READ:
            return _READ[key]
    line = before.count("\n") + 1
    read = next(((t, f) for t, f in ((t, target(before + t + after, line)) for t in texts[:3]) if f is not None),
                None)
    if read is not None:       # a reading that failed may succeed with the next round's texts
        with _READ_LOCK:
            if len(_READ) >= READ_KEPT:
                _READ.pop(next(iter(_READ)))
            while len(_EXERCISED) >= READ_KEPT:
                _EXERCISED.pop(next(iter(_EXERCISED)))
            _READ[key] = read
    return read


def kept(checks: list[Check]) -> bool:
    """Whether the docstring's examples keep a candidate with these checks."""
    return any(c.name == NAME and c.verdict == OK for c in checks)


def _lines(text: str) -> list[str]:
    """Lines as ``ast`` counts them (``\n`` only: ``splitlines`` also splits at a form feed)."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def run(before: str, texts: list[str], after: str, timeout_s: float = TIMEOUT_S) -> dict[str, Check]:
    """The ``examples`` check of each of ``texts`` (the candidates of one gap), for those that
    get one (see the module docstring); empty where the examples say nothing."""
    texts = list(dict.fromkeys(t for t in texts if t.strip()))[:MAX_CANDIDATES]
    if not texts or timeout_s <= 0 or not maybe(before):
        return {}
    read = _read(before, texts, after)
    if read is None:
        return {}
    first, found = read
    from .examples_child import SCRIPT
    from .sandbox import run_python       # imported here: most requests never get this far

    # The module is run once with the first readable candidate in its gap; each candidate then
    # redefines the top-level definition that holds the gap (its lines shift by the candidate's).
    lines = _lines(before + first + after)
    base = "".join("".join(lines[a:b]) for a, b in found.kept)
    a, b = found.top
    pieces, gaps = [], []
    at = before.count("\n") - a + 1                 # the gap's first line within the definition
    for t in texts:
        shift = t.count("\n") - first.count("\n")
        pieces.append("".join(_lines(before + t + after)[a:b + shift]))
        gaps.append((at, at + t.rstrip("\n").count("\n")))
    job = {"examples": [{"source": e.source, "want": e.want, "doctest": e.doctest, "exc_msg": e.exc_msg,
                         "options": [list(o) for o in e.options]} for e in found.examples],
           "base": base, "pieces": pieces, "gaps": gaps, "per_candidate_s": PER_CANDIDATE_S, "base_s": BASE_S,
           "budget_s": max(0.05, timeout_s - 0.25)}
    code = "JOB = " + repr(json.dumps(job)) + "\n" + SCRIPT
    try:
        result = run_python(code, timeout_s=timeout_s, memory_mb=1024)
    except Exception:             # the sandbox could not start a child: no verdict
        return {}
    _, sep, tail = result.stdout.rpartition("@@RESULTS@@")
    if not sep:
        return {}
    try:
        data = json.loads(tail)
        rows, base_ran = data["rows"], data["base"] is True
    except (ValueError, TypeError, KeyError):
        return {}
    width = len(found.examples)
    if (not isinstance(rows, list) or len(rows) != len(texts)
            or not all(isinstance(r, list) and len(r) == width and all(v in (None, 0, 1, 2, 3, 4) for v in r)
                       for r in rows)):
        return {}
    # 1: passed running the candidate's lines, 0: failed there, 2 / 3: passed / failed without
    # getting there, 4: too slow to tell, None: could not run or skipped. An example counts where
    # some candidate passed it there.
    # Fresh rounds are worth drawing where the module runs and the examples are not all seen to
    # stop before the gap or to call another copy of the function.
    seen = [v for row in rows for v in row if v is not None]
    with _READ_LOCK:
        _EXERCISED[_key(before, after)] = base_ran and not (seen and all(v in (2, 3) for v in seen))
    counted = [k for k, e in enumerate(found.examples)
               if (e.want.strip() or not e.doctest) and any(row[k] == 1 for row in rows)]
    if not counted:
        return {}
    out = {}
    for text, row in zip(texts, rows):
        failed = [k for k in counted if row[k] not in (1, 2, 4)]
        if not failed and any(row[k] == 4 for k in counted):
            continue                         # too slow to tell: no verdict either way
        if failed:
            first = found.examples[failed[0]].source.strip().splitlines()[0]
            out[text] = Check(NAME, REJECT, f"fails {len(failed)} of {len(counted)} docstring examples "
                                            f"(first: {first[:60]})")
        else:
            out[text] = Check(NAME, OK, f"satisfies the {len(counted)} docstring examples")
    return out
