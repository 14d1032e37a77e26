"""The names valid at the cursor (infill.names) and their drafts in the completion path
(infill.naming): the slot, jedi's names in a two-file project, the document's own names,
bounds on time and size, and bad input that never becomes a traceback."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import replace

import pytest

from helpers import Scripted
from infill import names
from infill.complete import complete
from infill.config import InfillOptions
from infill.names import KnownNames, Slot, known_names, name_slot, rank

APP = ("import config\nimport units\n\n\ndef fetch(url, timeout=None):\n    return url\n\n\n"
       "def main():\n    fetch('x', timeout=config.)\n")
AT = APP.index("config.)") + len("config.")


@pytest.fixture
def project(tmp_path):
    (tmp_path / "config.py").write_text("DEFAULT_TIMEOUT_SECONDS = 30\nRETRIES = 3\n\n\ndef load(path):\n"
                                        "    return path\n")
    (tmp_path / "units.py").write_text("def celsius_to_fahrenheit(c):\n    return c * 9 / 5 + 32\n")
    (tmp_path / "app.py").write_text(APP)
    return tmp_path


@pytest.mark.parametrize("before, slot", [
    ("x = ", Slot("", False)),
    ("x = fo", Slot("fo", False)),
    ("    return ", Slot("", False)),
    ("f(a, ", Slot("", False)),
    ("f(key=", Slot("", False)),
    ("    y = self.conf", Slot("conf", True, "self")),
    ("a.b.", Slot("", True, "a.b")),
    ("x = 3", None),                 # after a number
    ("    ", None),                  # a whole line to write
    ("s = 'abc ", None),             # inside a string
    ("foo bar", None),               # after a name: no name starts here
])
def test_the_slot_is_where_a_name_starts(before, slot):
    assert name_slot(before) == slot


def test_jedi_knows_the_members_of_the_imported_module(project):
    known = known_names(APP, AT, "python", budget_s=30, root=str(project), path=str(project / "app.py"))
    assert known.source == "jedi" and known.complete
    assert {"DEFAULT_TIMEOUT_SECONDS", "RETRIES", "load"} <= set(known.names)
    assert known.verdict("DEFAULT_TIMEOUT_SECONDS)") == 1.0 and known.verdict("tent)") == -1.0
    assert known.complete_name("DEFAULT_TIM") == "DEFAULT_TIMEOUT_SECONDS"
    assert known.complete_name("tent") == "tent"      # after a dot: kept, its verdict lowers the confidence
    inside = known_names(APP, APP.index("config.)"), "python", budget_s=30, root=str(project),
                         path=str(project / "app.py"))
    assert inside.complete and inside.complete_name("tent") is None      # a name in scope: dropped


def test_without_jedi_the_imported_file_gives_its_top_level_names(project, monkeypatch):
    monkeypatch.setattr(names._JEDI, "submit", lambda *a: None)
    known = known_names(APP, AT, "python", budget_s=1, root=str(project), path=str(project / "app.py"))
    assert known.source == "tree-sitter" and not known.complete
    assert set(known.names) == {"DEFAULT_TIMEOUT_SECONDS", "RETRIES", "load"}
    assert known.verdict("tent") == 0.0          # the document's names alone do not say it is wrong


def test_other_languages_get_the_documents_definitions_and_imports():
    doc = ("import { readFile } from 'fs';\n\nfunction parseRows(text, limit) {\n  const rows = [];\n"
           "  return rows;\n}\n\nconst total = ")
    known = known_names(doc, len(doc), "javascript")
    assert known.source == "tree-sitter"
    assert {"readFile", "parseRows", "rows", "text", "limit"} <= set(known.names)


def test_a_cut_off_name_is_completed_from_part_of_a_known_one():
    known = KnownNames(Slot("", False), ("content", "handle", "config"), frozenset({"content", "handle", "config"}),
                       complete=True)
    assert known.complete_name("tent") == "content"
    assert known.complete_name("andle, x") == "handle, x"
    assert known.complete_name("config.x") == "config.x"          # known: as it stands
    assert known.complete_name("None") == "None"                  # a keyword is no name to check
    assert known.complete_name("zzz") is None


def test_ten_thousand_names_are_bounded_and_ranked_fast():
    found = [(f"name_{i}", "statement") for i in range(10_000)] + [("used_here", "statement")]
    text = "x = used_here + used_here\ny = "
    t0 = time.perf_counter()
    known = rank(Slot("", False), found, text, len(text), "jedi", complete=True)
    assert time.perf_counter() - t0 < 1.0
    assert len(known.names) == names.LIMIT and known.names[0] == "used_here"
    assert len(known.known) == 10_001 and known.verdict("name_9999") == 1.0


def test_a_module_of_ten_thousand_names_through_jedi(tmp_path):
    (tmp_path / "big.py").write_text("".join(f"value_{i} = {i}\n" for i in range(10_000)))
    doc = "import big\n\nx = big.value_99"
    known = known_names(doc, len(doc) - len("value_99"), "python", budget_s=60, root=str(tmp_path),
                        path=str(tmp_path / "app.py"))
    assert len(known.names) <= names.LIMIT and known.names
    assert known.verdict("value_9999") == 1.0 or known.source == "tree-sitter"


def test_jedi_slower_than_its_budget_is_not_waited_for(monkeypatch):
    def slow(request):
        time.sleep(1.5)
        return [("late", "statement")]

    monkeypatch.setattr(names._JEDI, "_ask", slow)
    doc = "def f(alpha, beta):\n    return alpha + beta\n\n\nresult = "
    t0 = time.perf_counter()
    known = known_names(doc + "  # slow\n", len(doc), "python", budget_s=0.05)
    assert time.perf_counter() - t0 < 0.5
    assert known.source == "tree-sitter" and "alpha" in known.names


def test_a_jedi_process_past_its_limit_is_killed(monkeypatch):
    worker = names._JediWorker()
    hung = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    monkeypatch.setattr(worker, "_process", lambda: hung)
    monkeypatch.setattr(worker, "KILL_S", 0.3)
    monkeypatch.setattr(worker, "_proc", hung)
    t0 = time.perf_counter()
    assert worker._ask({"text": "x = ", "line": 1, "column": 4}) == []
    assert time.perf_counter() - t0 < 2.0
    hung.wait(timeout=5)
    assert hung.returncode is not None


@pytest.mark.parametrize("doc", [
    "def f(:\n    return (((\nx = ",                  # a syntax error before the cursor
    "import no_such_module_here\nno_such_module_here.",   # a module that cannot be imported
    "x = \x00\ud800 = ",                               # a NUL and a lone surrogate
])
def test_bad_input_gives_names_or_none_never_an_error(doc):
    known = known_names(doc, len(doc), "python", budget_s=5)
    assert known is None or isinstance(known.names, tuple)


OPTS = InfillOptions(candidates=1, header_bodies=0, repair=0, resample=0, min_confidence=0.0, retrieval=False)


def test_known_names_become_drafts_and_a_cut_off_sample_is_completed(project):
    backend = Scripted("DEFAULT_TIM")                  # the model's name, cut off
    done = complete(APP, AT, "python", replace(OPTS, known_names_ms=30_000), backend,
                    root=str(project), file=str(project / "app.py"))
    assert done.names_source == "jedi"
    assert "DEFAULT_TIM" not in done.candidates and "DEFAULT_TIMEOUT_SECONDS" in done.candidates
    assert "RETRIES" in done.candidates and any(done.named)
    at = done.candidates.index("RETRIES")
    assert done.named[at] > 0 and done.known_names[at] == 1.0
    seeded = [r for r in backend.requests if r.seeds]
    assert seeded and all(s.extra_tokens > 0 for s in seeded[0].seeds)       # the model continues them


def test_known_names_off_leaves_the_samples_alone(project):
    backend = Scripted("DEFAULT_TIM")
    done = complete(APP, AT, "python", replace(OPTS, known_names=False), backend,
                    root=str(project), file=str(project / "app.py"))
    assert done.candidates == ["DEFAULT_TIM"] and not any(done.named) and done.names_source == ""
