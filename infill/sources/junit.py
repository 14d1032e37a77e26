"""The one JUnit XML reader: test cases of a pytest report by node id.

Read for two purposes: the failing tests an editor's last test run left (``sources.tests``,
any report the user's pytest wrote) and the runs ``fix`` makes itself (``fix.testrun``, the
``xunit1`` family, whose cases carry ``file``). One node-id rule serves both:

- with a ``file`` attribute (xunit1): ``tests/test_a.py`` + ``tests.test_a.TestX`` +
  ``test_y[1]`` -> ``tests/test_a.py::TestX::test_y[1]``; a case with no classname is a
  collection error of the module itself;
- without one (xunit2, pytest's default): the longest dotted prefix of the classname that
  names a file under the root is the module (``tests.test_calc.TestAdd`` -> ``tests/test_calc.py
  ::TestAdd``).

A message is the failure's ``message`` attribute, or where it has none (or says only
"collection failure") the ``E   ...`` lines of its traceback, capped at ``MAX_MESSAGE_CHARS``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

MAX_MESSAGE_CHARS = 400           # of an assertion message kept per test


@dataclass(frozen=True)
class Case:
    nodeid: str
    status: str                     # passed | failed | error | skipped
    message: str = ""               # assertion or exception message
    text: str = ""                  # the failure's traceback text as pytest wrote it
    collection: bool = False        # an error while collecting (importing) the test module


def read_junit(path: str | Path, root: str | Path | None = None) -> dict[str, Case]:
    """The test cases of a JUnit XML report by node id; {} for a missing or broken file.
    ``root`` is where the report's module paths are looked up (xunit2 reports)."""
    try:
        tree = ET.parse(path)
    except (OSError, ET.ParseError):
        return {}
    cases = (_case(case, Path(root) if root is not None else None) for case in tree.iter("testcase"))
    return {case.nodeid: case for case in cases}


def _case(case: ET.Element, root: Path | None) -> Case:
    nodeid = node_id(case.get("file") or "", case.get("classname") or "", case.get("name") or "", root)
    for tag, status in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
        found = case.find(tag)
        if found is None:
            continue
        text = found.text or ""
        message = found.get("message") or ""
        collection = tag == "error" and message == "collection failure"
        if collection or not message.strip():
            message = "\n".join(line[1:].strip() for line in text.splitlines() if line.startswith("E ")) \
                or message
        message = message.strip()
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[:MAX_MESSAGE_CHARS] + "..."
        return Case(nodeid, status, message, text, collection)
    return Case(nodeid, "passed")


def node_id(file: str, classname: str, name: str, root: Path | None = None) -> str:
    """pytest's node id of a JUnit test case (see the module docstring)."""
    if file:
        if not classname:   # a collection error: the case is the module itself
            return file
        module = file[:-3].replace("/", ".") if file.endswith(".py") else file
        rest = classname[len(module):].lstrip(".") if classname.startswith(module) else ""
        return "::".join(p for p in (file, *rest.split("."), name) if p)
    parts = [p for p in classname.split(".") if p]
    for cut in range(len(parts), 0, -1):
        module = "/".join(parts[:cut]) + ".py"
        if root is not None and (root / module).is_file():
            return "::".join([module, *parts[cut:], name])
    return "::".join(["/".join(parts) + ".py", name]) if parts else name
