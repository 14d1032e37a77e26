"""infill.next_edit.canvas: where propagation shows nothing, the lines around the user's edit
rewritten by a backend (scripted here), checked like every candidate, and silence where the
draws do not agree, the backend fails or does not serve the language."""

import json
import subprocess
import sys

from engine.api import Candidate, Capabilities, InfillResult
from infill.errors import InfillError
from infill.next_edit import LineEdit, NextEditRequest, suggest_next_edit
from infill.next_edit.canvas import lines_to_try

# The user just added ``retries`` to the signature; nothing of the edit fits elsewhere (no
# propagation), and the next edit due is passing it on in the call below.
DOC = """def fetch(url, retries):
    session = open_session()
    return session.get(url)


def close():
    pass
"""
EDIT = LineEdit(0, 1, "def fetch(url):\n", "def fetch(url, retries):\n")


class Scripted:
    """A backend that rewrites each line with the draws given for its text (else keeps it)."""
    name = "scripted"

    def __init__(self, draws: dict[str, list[str]], rewrite: bool = True, languages=None, fail: bool = False):
        self.draws, self.fail, self.asked = draws, fail, []
        self.capabilities = Capabilities(rewrite=rewrite, languages=languages)

    def infill(self, request):
        self.asked.append(request)
        if self.fail:
            raise InfillError("the model server did not answer")
        line = request.init_text if request.init_text is not None else \
            DOC[:DOC.rindex(request.suffix)].split("\n")[-1].strip()
        texts = self.draws.get(line.strip(), [line] * request.candidates)
        return InfillResult([Candidate(t, -0.5, 3) for t in texts[:request.candidates]], 1, 1.0)

    def describe(self):
        return {"name": self.name}

    def count_tokens(self, text):
        return len(text.split())


def ask(backend, threshold=0.35, doc=DOC, edit=EDIT, language="python", earlier=()):
    return suggest_next_edit(NextEditRequest(doc, language, (*earlier, edit), 1), threshold, backend=backend)


def test_the_lines_tried_are_two_below_the_edit_and_one_above():
    lines = DOC.splitlines(keepends=True)
    assert lines_to_try(lines, LineEdit(1, 2, "x\n", "    session = open_session()\n")) == [2, 5, 0]
    assert lines_to_try(lines, EDIT) == [1, 2]                # nothing above the first line


def test_a_rewrite_most_draws_agree_on_is_suggested_with_their_share():
    call = "return session.get(url)"
    backend = Scripted({call: ["return session.get(url, retries=retries)"] * 3 + ["return session.get(url)"]})
    got = ask(backend)
    assert got.edit is not None and got.source == "canvas"
    assert (got.edit.start_line, got.edit.end_line) == (2, 3)
    assert got.edit.old_text == "    return session.get(url)\n"
    assert got.edit.new_text == "    return session.get(url, retries=retries)\n"     # the line's indentation kept
    assert got.confidence == 0.75
    request = backend.asked[0]
    assert request.init_text == "session = open_session()" and request.remask_spans == ((0, 24),)
    assert request.prefix.endswith("retries):\n    ") and request.suffix.startswith("\n    return")
    embedded = Scripted({})
    embedded.name = "embedded"                  # trained on code alone: no comment block before the prefix
    ask(embedded)
    assert embedded.asked[0].prefix == "def fetch(url, retries):\n    "


def test_draws_that_disagree_stay_below_the_threshold():
    backend = Scripted({"return session.get(url)": ["return url", "return retries", "return session", "return fetch"]})
    got = ask(backend)
    assert got.edit is None
    assert ask(backend, threshold=0.25).edit is not None          # a quarter of the draws: shown at 0.25


def test_a_rewrite_that_breaks_the_syntax_or_undoes_the_edit_is_not_suggested():
    broken = Scripted({"return session.get(url)": ["return session.get(url,"] * 4})
    assert ask(broken).edit is None
    # the user took ", retries" out of the call a moment before: putting it back is no suggestion
    undo = Scripted({"return session.get(url)": ["return session.get(url, retries)"] * 4})
    earlier = LineEdit(2, 3, "    return session.get(url, retries)\n", "    return session.get(url)\n")
    assert ask(undo, earlier=(earlier,)).edit is None
    assert ask(undo).edit is not None


def test_a_backend_that_writes_lines_afresh_gets_the_gap_between_prefix_and_suffix():
    backend = Scripted({"return session.get(url)": ["return session.get(url, retries)"] * 4}, rewrite=False)
    got = ask(backend)
    assert got.edit.new_text == "    return session.get(url, retries)\n"
    assert all(r.init_text is None and r.max_lines == 1 for r in backend.asked)
    # a model other than the embedded one reads the user's edit before the prefix
    told = backend.asked[0].prefix
    assert "# - def fetch(url):\n# + def fetch(url, retries):\n\ndef fetch(url, retries):\n" in told


def test_propagation_answers_first_and_the_model_is_not_asked():
    doc = "def load(source):\n    data = read(path)\n    return data\n"
    backend = Scripted({})
    got = ask(backend, doc=doc, edit=LineEdit(0, 1, "def load(path):\n", "def load(source):\n"))
    assert got.source == "rename" and backend.asked == []


def test_a_failing_backend_or_an_unserved_language_is_silence_not_an_error():
    assert ask(Scripted({}, fail=True)).edit is None
    other = Scripted({"return session.get(url)": ["return session.get(url, retries)"] * 4}, languages=("rust",))
    assert ask(other).edit is None and other.asked == []
    assert ask(Scripted({}), language=None).edit is None


def test_a_whole_file_paste_never_asks_the_model():
    backend = Scripted({"return session.get(url)": ["return session.get(url, retries)"] * 4})
    paste = LineEdit(0, 1, "x = 1\n", DOC)                   # the whole document pasted over one line
    got = suggest_next_edit(NextEditRequest(DOC, "python", (paste,), 1), 0.0, backend=backend)
    assert got.edit is None and not got.model_ran and backend.asked == []


def test_without_a_backend_the_canvas_never_runs():
    assert ask(None).edit is None


def test_the_cli_loads_a_backend_only_with_the_canvas_on():
    task = {"task_id": "t", "document": DOC, "language": "python", "cursor": {"line": 1, "character": 0},
            "recent_edit": {"start_line": 0, "end_line": 1, "old_text": EDIT.old_text, "new_text": EDIT.new_text}}
    code = ("import sys, infill.cli; rc = infill.cli.main(['next-edit'] + sys.argv[1:]); "
            "print('torch' in sys.modules, file=sys.stderr); sys.exit(rc)")
    for flags, loads in (([], "False"), (["--next-edit-canvas", "--threads", "1"], "True")):
        done = subprocess.run([sys.executable, "-c", code, *flags], input=json.dumps(task) + "\n",
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        row = json.loads(done.stdout)
        assert row["task_id"] == "t" and "error" not in row
        assert done.stderr.strip().splitlines()[-1] == loads


def test_a_rewrite_writing_a_name_bound_nowhere_is_no_candidate():
    # the embedded model's rewrites in a real Neovim: `    ex` for `    except ...:`, `    return n`
    cut = Scripted({"return session.get(url)": ["return sess"] * 4})
    assert ask(cut, threshold=0.25).edit is None
    known = Scripted({"return session.get(url)": ["return fetch(url, retries)"] * 4})    # names the file has
    assert ask(known).edit.new_text == "    return fetch(url, retries)\n"
    in_text = Scripted({"return session.get(url)": ['return session.get(url, "any new words")'] * 4})
    assert ask(in_text).edit is not None                    # words inside a string are no names
