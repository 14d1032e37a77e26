"""The script ``infill.examples`` runs in its sandboxed child, after a line ``JOB = <json>``:
the module's imports and definitions compiled once, then for each candidate its own module
(the definitions run again, the definition holding the gap redefined with the candidate), every
example run under a time share, the candidate's lines traced until the gap is reached. It
prints ``@@RESULTS@@`` and ``{"base": ran, "rows": [[outcome per example] per candidate]}``:
1 passed running the candidate's lines, 0 failed there, 2 / 3 passed / failed without getting
there, 4 too slow to tell, null could not run or skipped. Plain text: nothing imports it to run.
"""

SCRIPT = r"""
import doctest, json, signal, sys

class Slow(BaseException):
    pass

ARMED = [False]

def _alarm(signum, frame):
    if ARMED[0]:
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

import time
deadline = time.monotonic() + job["budget_s"]
ARMED[0] = True
signal.setitimer(signal.ITIMER_REAL, job["base_s"])
try:
    code = compile(job["base"], "<module>", "exec")
    exec(code, {"__name__": "__infill_examples__"})      # the imports, once, untimed after
except BaseException:
    code = None
finally:
    ARMED[0] = False
    signal.setitimer(signal.ITIMER_REAL, 0)
results = []
pieces = list(zip(job["pieces"], job["gaps"]))
for n, (piece, (first, last)) in enumerate(pieces):
    row = [None] * len(examples)
    try:
        if code is None:
            raise RuntimeError("the module does not run")
        GAP.clear()
        GAP.update(range(first, last + 1))
        left = deadline - time.monotonic()
        share = min(job["per_candidate_s"], left / (len(pieces) - n))
        if share <= 0.005:
            raise Slow()
        ns = {"__name__": "__infill_examples__"}           # each candidate its own module
        # Repeating: doctest catches every exception of an example, so after the first the
        # alarm goes on firing until the candidate's examples are done.
        ARMED[0] = True
        signal.setitimer(signal.ITIMER_REAL, share, 0.02)
        try:
            exec(code, ns)
            exec(compile(piece, "<candidate>", "exec"), ns)
            sys.settrace(_calls)
            tests = [doctest.Example(e["source"], e["want"], exc_msg=e["exc_msg"],
                                     options={int(k): bool(v) for k, v in e["options"]})
                     for e in examples if e["doctest"]]
            if tests:
                runner = Runner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
                runner.run(doctest.DocTest(tests, ns, "examples", None, 0, None), out=lambda s: None,
                           clear_globs=False)
                for k, t in zip([i for i, e in enumerate(examples) if e["doctest"]], tests):
                    row[k] = runner.outcome.get(id(t))              # None: skipped
            for k, e in enumerate(examples):
                if not e["doctest"]:
                    row[k] = one_line(e, ns)
        finally:
            ARMED[0] = False
            sys.settrace(None)
            signal.setitimer(signal.ITIMER_REAL, 0)
    except Slow:
        row = [4 if v is None else v for v in row]       # too slow here: tells nothing
    except BaseException:
        row = [None] * len(examples)
    results.append(row)
sys.stdout.write("\n@@RESULTS@@" + json.dumps({"base": code is not None, "rows": results}))
"""
