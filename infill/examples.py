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
         ast.AnnAssign, ast.Try)


@dataclass(frozen=True)
class Example:
    source: str          # doctest: the statement; one-line: the call
    want: str            # doctest: the expected output; one-line: the expected value's expression
    doctest: bool


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
        if not isinstance(stmt, _KEPT):
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
        out.append(Example(ex.source, ex.want, True))
    if parsed:
        return out
    one_line = re.compile(rf"^\s*({re.escape(function)}\s*\(.*\))\s*(?:{_SEPARATORS})\s*(.+?)\s*$")
    for line in doc.splitlines():
        m = one_line.match(line)
        if m:
            out.append(Example(m.group(1), m.group(2).rstrip(".,;"), False))
    return out


_CHILD = r"""
import doctest, json, signal, sys

class Slow(BaseException):
    pass

def _alarm(signum, frame):
    raise Slow()

signal.signal(signal.SIGALRM, _alarm)
job = json.loads(JOB)
examples = job["examples"]

# Whether an example runs the candidate's lines: one that never gets there (it calls an
# installed copy of the function, or stops before the gap) says nothing about the candidate.
GAP, REACHED = set(), [False]

def _local(frame, event, arg):
    if event == "line" and frame.f_lineno in GAP:
        REACHED[0] = True
    return None if REACHED[0] else _local           # once there, the example runs untraced

def _calls(frame, event, arg):
    return _local if not REACHED[0] and frame.f_code.co_filename == "<candidate>" else None

def settle(passed):
    # 1 passed there, 0 failed there, 2 passed elsewhere, 3 failed elsewhere
    return (1 if passed else 0) if REACHED[0] else (2 if passed else 3)

class Runner(doctest.DocTestRunner):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.outcome = {}
    def report_start(self, out, test, example):
        REACHED[0] = False
    def report_success(self, out, test, example, got):
        self.outcome[id(example)] = settle(True)
    def report_failure(self, out, test, example, got):
        self.outcome[id(example)] = settle(False)
    def report_unexpected_exception(self, out, test, example, exc_info):
        self.outcome[id(example)] = settle(False)

def one_line(ex, ns):
    try:
        want = eval(compile(ex["want"], "<example>", "eval"), ns)
    except Exception:
        return None                      # the expected value does not read: tells nothing
    REACHED[0] = False
    try:
        got = eval(compile(ex["source"], "<example>", "eval"), ns)
    except NameError as exc:
        tb = exc.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        return None if tb.tb_frame.f_code.co_filename == "<example>" else settle(False)
    except SyntaxError:
        return None
    except Exception:
        return settle(False)
    try:
        return settle(bool(got == want))
    except Exception:
        return settle(False)

base = {"__name__": "__infill_examples__"}
signal.setitimer(signal.ITIMER_REAL, job["base_s"])
try:
    exec(compile(job["base"], "<module>", "exec"), base)
except BaseException:
    base = None
finally:
    signal.setitimer(signal.ITIMER_REAL, 0)
results = []
for piece, (first, last) in zip(job["pieces"], job["gaps"]):
    row = [None] * len(examples)
    if base is not None:
        ns = dict(base)
        GAP.clear()
        GAP.update(range(first, last + 1))
        # Repeating: doctest catches every exception of an example, so after the first the
        # alarm goes on firing until the candidate's examples are done.
        signal.setitimer(signal.ITIMER_REAL, job["per_candidate_s"], 0.02)
        try:
            exec(compile(piece, "<candidate>", "exec"), ns)
            sys.settrace(_calls)
            tests = [doctest.Example(e["source"], e["want"]) for e in examples if e["doctest"]]
            if tests:
                runner = Runner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
                runner.run(doctest.DocTest(tests, ns, "examples", None, 0, None), out=lambda s: None,
                           clear_globs=False)
                for k, t in zip([i for i, e in enumerate(examples) if e["doctest"]], tests):
                    row[k] = runner.outcome.get(id(t), 0)
            for k, e in enumerate(examples):
                if not e["doctest"]:
                    row[k] = one_line(e, ns)
        except Slow:
            row = [0 if v is None else v for v in row]
        except BaseException:
            row = [None] * len(examples)
        finally:
            sys.settrace(None)
            signal.setitimer(signal.ITIMER_REAL, 0)
    results.append(row)
sys.stdout.write("\n@@RESULTS@@" + json.dumps(results))
"""


def target_of(before: str, texts: list[str], after: str) -> Target | None:
    """The function around the gap with examples, read with one of the first ``texts`` in the
    gap (the first that parses), or None."""
    if not maybe(before):
        return None
    read = _read(before, texts, after)
    return read[1] if read is not None else None


_READ: dict[tuple[int, int, int], tuple[str, Target] | None] = {}
_READ_LOCK = threading.Lock()   # the server's threads share it
READ_KEPT = 4            # gaps whose reading is kept (a request reads its gap's again for each round)


def _read(before: str, texts: list[str], after: str) -> tuple[str, Target] | None:
    """(the candidate the module was read with, its ``target``) for the first of ``texts`` with
    which the module parses; kept for the last few gaps, since a candidate only shifts the
    lines of the definition that holds the gap."""
    key = (hash(before), hash(after), len(before))
    with _READ_LOCK:
        if key in _READ:
            return _READ[key]
    line = before.count("\n") + 1
    read = next(((t, f) for t, f in ((t, target(before + t + after, line)) for t in texts[:3]) if f is not None),
                None)
    with _READ_LOCK:
        if len(_READ) >= READ_KEPT:
            _READ.pop(next(iter(_READ)))
        _READ[key] = read      # None too: the same gap is asked again for each round
    return read


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
    from .sandbox import run_python       # imported here: most requests never get this far

    # The module is run once with the first readable candidate in its gap; each candidate then
    # redefines the top-level definition that holds the gap (its lines shift by the candidate's).
    lines = (before + first + after).splitlines(keepends=True)
    base = "".join("".join(lines[a:b]) for a, b in found.kept)
    a, b = found.top
    pieces, gaps = [], []
    at = before.count("\n") - a + 1                 # the gap's first line within the definition
    for t in texts:
        shift = t.count("\n") - first.count("\n")
        pieces.append("".join((before + t + after).splitlines(keepends=True)[a:b + shift]))
        gaps.append((at, at + t.rstrip("\n").count("\n")))
    job = {"examples": [{"source": e.source, "want": e.want, "doctest": e.doctest} for e in found.examples],
           "base": base, "pieces": pieces, "gaps": gaps, "per_candidate_s": PER_CANDIDATE_S, "base_s": BASE_S}
    code = "JOB = " + repr(json.dumps(job)) + "\n" + _CHILD
    try:
        result = run_python(code, timeout_s=timeout_s, memory_mb=1024)
    except Exception:             # the sandbox could not start a child: no verdict
        return {}
    _, sep, tail = result.stdout.rpartition("@@RESULTS@@")
    if not sep:
        return {}
    try:
        rows = json.loads(tail)
    except ValueError:
        return {}
    width = len(found.examples)
    if (not isinstance(rows, list) or len(rows) != len(texts)
            or not all(isinstance(r, list) and len(r) == width and all(v in (None, 0, 1, 2, 3) for v in r)
                       for r in rows)):
        return {}
    # 1: passed running the candidate's lines, 0: failed there, 2 / 3: passed / failed without
    # getting there, None: could not run. An example counts where some candidate passed it there.
    counted = [k for k, e in enumerate(found.examples)
               if (e.want.strip() or not e.doctest) and any(row[k] == 1 for row in rows)]
    if not counted:
        return {}
    out = {}
    for text, row in zip(texts, rows):
        failed = [k for k in counted if row[k] not in (1, 2)]
        if failed:
            first = found.examples[failed[0]].source.strip().splitlines()[0]
            out[text] = Check(NAME, REJECT, f"fails {len(failed)} of {len(counted)} docstring examples "
                                            f"(first: {first[:60]})")
        else:
            out[text] = Check(NAME, OK, f"satisfies the {len(counted)} docstring examples")
    return out
