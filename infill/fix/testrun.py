"""One pytest run in the sandbox, read back from its JUnit XML report.

``run_pytest(root, args)`` runs ``python -m pytest`` in ``root`` through
``infill.sandbox.run_command`` (scrubbed environment, wall-time, CPU and memory limits,
the whole process group killed on a timeout) with ``-p no:cacheprovider`` (nothing is
written under ``.pytest_cache``), ``--tb=long`` and a JUnit report in a temporary folder
outside ``root``. The report uses ``junit_family=xunit1``, whose test cases carry ``file``
and ``line``, so node ids are rebuilt without guessing.

``TestRun`` holds one ``Outcome`` per test: passed, failed, error or skipped, the assertion
message, and the traceback frames (file and line) read from the long traceback text.
``environment_problem`` says why a run cannot serve as a baseline (no tests, collection
errors, pytest missing, a usage error), or None. Nothing here knows about candidates.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from infill.sandbox import SandboxResult, run_command
from infill.sources.junit import read_junit

EXIT_NO_TESTS = 5           # pytest.ExitCode.NO_TESTS_COLLECTED
EXIT_INTERRUPTED = 2        # collection errors, among others
EXIT_INTERNAL = 3
EXIT_USAGE = 4

# "path/to/file.py:12: in function" or "path/to/file.py:12: AssertionError"
_FRAME = re.compile(r"^(?P<path>[^\s:][^:\n]*\.py):(?P<line>\d+):(?: |$)", re.MULTILINE)


@dataclass(frozen=True)
class Frame:
    path: str       # as pytest printed it: relative to the rootdir, or absolute
    line: int       # 1-based


@dataclass
class Outcome:
    nodeid: str
    status: str                     # passed | failed | error | skipped
    message: str = ""               # assertion or exception message
    frames: list[Frame] = field(default_factory=list)   # outermost first, as printed
    collection: bool = False        # an error while collecting (importing) the test module

    @property
    def ok(self) -> bool:
        return self.status in ("passed", "skipped")


@dataclass
class TestRun:
    outcomes: dict[str, Outcome]    # by node id
    exit_code: int | None
    sandbox: SandboxResult
    output: str                     # stdout and stderr, capped by the sandbox

    @property
    def killed(self) -> bool:
        """Stopped by a limit: time, CPU, memory (a ``MemoryError`` counts), output size."""
        if self.sandbox.timed_out or self.sandbox.killed_reason:
            return True
        return any("MemoryError" in o.message for o in self.outcomes.values())

    @property
    def failed(self) -> list[str]:
        return [n for n, o in self.outcomes.items() if not o.ok and not o.collection]

    @property
    def passed(self) -> set[str]:
        return {n for n, o in self.outcomes.items() if o.status == "passed"}

    def environment_problem(self) -> str | None:
        """Why this run cannot be fixed by editing code, in one sentence; None when it can."""
        text = self.output
        if "No module named pytest" in text:
            return "pytest is not installed for this Python (python -m pytest failed)"
        if self.sandbox.timed_out:
            return f"the test run timed out after {self.sandbox.duration_s:.0f} s"
        broken = [o for o in self.outcomes.values() if o.collection]
        if broken:
            first = broken[0]
            return (f"tests fail to import: {first.nodeid}: {_one_line(first.message)}"
                    + (f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""))
        if self.exit_code == EXIT_NO_TESTS or (self.exit_code == 0 and not self.outcomes):
            return "no tests found (pytest collected nothing)"
        if self.exit_code in (EXIT_INTERRUPTED, EXIT_INTERNAL, EXIT_USAGE) or not self.outcomes:
            return f"pytest stopped with exit status {self.exit_code}: {_last_lines(text)}"
        return None


def pytest_argv(python: str, root: Path, junit: Path, args: list[str]) -> list[str]:
    """``--rootdir`` is fixed so node ids do not depend on which test files are named."""
    return [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tb=long", f"--rootdir={root}",
            "-o", "junit_family=xunit1", f"--junitxml={junit}", *args]


def run_pytest(root: str | Path, args: list[str] = (), *, python: str | None = None,
               timeout_s: float = 60.0, memory_mb: int | None = 2048,
               plugin_autoload: bool = True, extra_env: dict[str, str] | None = None,
               plugin_dirs: tuple[str, ...] = ()) -> TestRun:
    """Run pytest in ``root`` in the sandbox; a run killed by a limit comes back, not raises.
    ``plugin_dirs`` go on PYTHONPATH after ``root`` (for ``-p module`` plugins in ``args``)."""
    root = Path(root).resolve()
    env = {"PYTHONPATH": os.pathsep.join([str(root), *plugin_dirs]), **(extra_env or {})}
    if not plugin_autoload:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"   # third-party plugins cost seconds per run
    with tempfile.TemporaryDirectory(prefix="infill-junit-") as tmp:
        junit = Path(tmp, "report.xml")
        result = run_command(pytest_argv(python or sys.executable, root, junit, list(args)), root,
                             timeout_s, memory_mb=memory_mb, extra_env=env)
        outcomes = read_report(junit, root) if junit.is_file() else {}
    code = None if result.timed_out else result.returncode
    return TestRun(outcomes, code, result, result.stdout + result.stderr)


def read_report(path: str | Path, root: Path | None = None) -> dict[str, Outcome]:
    """The test cases of a JUnit XML report (``sources.junit``) by node id, with the traceback
    frames read from each failure's text; frames inside ``root`` are made relative to it."""
    outcomes: dict[str, Outcome] = {}
    for nodeid, case in read_junit(path, root).items():
        frames = [Frame(m["path"], int(m["line"])) for m in _FRAME.finditer(case.text)]
        if root is not None:
            frames = [_relative(f, root) for f in frames]
        outcomes[nodeid] = Outcome(nodeid, case.status, case.message, frames, case.collection)
    return outcomes


def _relative(frame: Frame, root: Path) -> Frame:
    path = Path(frame.path)
    if path.is_absolute() and path.is_relative_to(root):
        return Frame(path.relative_to(root).as_posix(), frame.line)
    return frame


def _last_lines(text: str, n: int = 3) -> str:
    """pytest's own ``ERROR:`` lines where it wrote any (a warning printed after them is not
    the reason), else the last ``n`` lines, in one line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR:")]
    return " | ".join((errors or lines)[-n:]) or "no output"


_WHERE = re.compile(r'File "([^"]+)", line (\d+)')


def _one_line(message: str) -> str:
    """A collection error in one line: its last line (``SyntaxError: invalid syntax``) and the
    last place Python names, the file relative to the repository's copy (``m.py:1``)."""
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    if not lines:
        return "collection error"
    last = re.sub(r"^E\s+", "", lines[-1])
    where = _WHERE.findall(message)
    if not where:
        return last
    path, line = where[-1]
    return f"{last} ({path.rpartition('/repo/')[2] or path}:{line})"
