"""``infill rewrite FILE:START-END``: diff, JSON and GitHub output, atomic ``--apply``, bad
ranges; and the patch helpers it shares with ``infill fix``."""

import json
import os

import pytest

from infill import editing
from infill.bot import line_span, parse_line_range
from infill.cli import main
from infill.editing import Rewrite
from infill.patch import suggestions, unified_diff, write_atomic

SOURCE = "def add(a, b):\n    total = a + b\n    return total\n\n\nx = add(1, 2)\n"


pytestmark = pytest.mark.usefixtures("fresh_backends")


@pytest.fixture
def pyfile(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = tmp_path / "m.py"
    f.write_text(SOURCE)
    return f


@pytest.fixture
def scripted_rewrite(monkeypatch):
    """The model's rewrite replaced by a fixed replacement of the selection."""
    calls = []

    def fake(text, start, end, language, options, backend=None, renoise=0.5, **kw):
        calls.append(text[start:end])
        return Rewrite(text="result = a + b\n    return result", syntax_valid=True, forward_passes=3,
                       latency_ms=1.0, candidates=[])

    monkeypatch.setattr(editing, "rewrite", fake)
    return calls


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_rewrite_with_the_tiny_model_prints_a_diff_and_keeps_the_file(pyfile, tiny_model_dir, capsys):
    code, out, err = run(["rewrite", "m.py:2-3", "--model", str(tiny_model_dir), "--candidates", "2"], capsys)
    assert code == 0, err
    assert out == "" or out.startswith("--- a/m.py\n+++ b/m.py\n@@ ")
    assert pyfile.read_text() == SOURCE


def test_rewrite_selects_whole_lines_without_their_indentation(pyfile, scripted_rewrite, capsys):
    code, out, _ = run(["rewrite", "m.py:2-3"], capsys)
    assert code == 0
    assert scripted_rewrite == ["total = a + b\n    return total"]
    assert out == ("--- a/m.py\n+++ b/m.py\n@@ -1,6 +1,6 @@\n def add(a, b):\n"
                   "-    total = a + b\n-    return total\n+    result = a + b\n+    return result\n"
                   " \n \n x = add(1, 2)\n")


def test_rewrite_json_and_github(pyfile, scripted_rewrite, capsys):
    code, out, _ = run(["rewrite", "m.py:2-3", "--format", "json"], capsys)
    obj = json.loads(out)
    assert code == 0 and obj["file"] == "m.py" and (obj["start_line"], obj["end_line"]) == (2, 3)
    assert obj["diff"].startswith("--- a/m.py") and obj["applied"] is False and obj["syntax_valid"]
    code, out, _ = run(["rewrite", "m.py:2-3", "--format", "github"], capsys)
    assert out == "**m.py** lines 2-3\n```suggestion\n    result = a + b\n    return result\n```\n"
    assert pyfile.read_text() == SOURCE


def test_rewrite_apply_is_atomic_and_keeps_the_mode(pyfile, scripted_rewrite, capsys):
    os.chmod(pyfile, 0o600)
    code, _, _ = run(["rewrite", "m.py:2-3", "--apply"], capsys)
    assert code == 0
    assert pyfile.read_text() == SOURCE.replace("total", "result")
    assert pyfile.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in pyfile.parent.iterdir()) == ["m.py"]   # no temporary file left


def test_rewrite_apply_refuses_a_dirty_git_tree_unless_forced(pyfile, scripted_rewrite, capsys):
    """As ``fix --apply`` does: uncommitted changes anywhere in the file's working tree."""
    import subprocess

    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=pyfile.parent,
                       check=True, capture_output=True)
    git("init", "-q")
    (pyfile.parent / "sub").mkdir()
    (pyfile.parent / "sub" / "other.py").write_text("x = 1\n")
    git("add", ".")
    git("commit", "-qm", "init")
    (pyfile.parent / "sub" / "other.py").write_text("x = 2\n")
    code, out, err = run(["rewrite", "m.py:2-3", "--apply"], capsys)
    assert code == 2 and out == "" and "uncommitted changes" in err and "--force" in err
    assert err.count("\n") == 1 and pyfile.read_text() == SOURCE
    code, _, err = run(["rewrite", "m.py:2-3", "--apply", "--force"], capsys)
    assert code == 0, err
    assert pyfile.read_text() == SOURCE.replace("total", "result")


@pytest.mark.parametrize("loc, message, status", [    # 2: bad usage, 1: bad input
    ("m.py:3-2", "START <= END", 2),
    ("m.py:0-1", "1-based", 2),
    ("m.py:5-9", "line 9 is past the end of the file (6 lines)", 1),
    ("m.py", "expected FILE:START-END", 2),
    ("m.py:1:2", "a FILE:LINE:COL position", 2),
    ("m.py:4-4", "nothing to rewrite", 1),
    ("missing.py:1-2", "no such file", 1),
])
def test_bad_ranges_are_one_clear_line(pyfile, tiny_model_dir, capsys, loc, message, status):
    code, out, err = run(["rewrite", loc, "--model", str(tiny_model_dir)], capsys)
    assert code == status and out == ""
    assert err.startswith("infill: error: ") and message in err and err.count("\n") == 1


def test_line_ranges_and_spans():
    assert parse_line_range("a:b.py:3-5") == ("a:b.py", 3, 5)
    assert parse_line_range("x.py:7") == ("x.py", 7, 7)
    assert line_span(SOURCE, 2, 3) == (19, SOURCE.index("\n\n"))
    assert line_span("a\n  b", 2, 2) == (4, 5)   # last line without a line break


# ---------------------------------------------------------------- patch helpers


def test_unified_diff_marks_a_missing_final_newline():
    diff = unified_diff("p/q.py", "a\nb", "a\nc")
    assert diff == "--- a/p/q.py\n+++ b/p/q.py\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n" \
                   "+c\n\\ No newline at end of file\n"
    assert unified_diff("q.py", "same\n", "same\n") == ""


def test_suggestions_anchor_insertions_and_deletions_on_old_lines():
    old = "a\nb\nc\n"
    inserted = suggestions("f.py", old, "a\nb\nnew\nc\n")
    assert [(s.start_line, s.end_line, s.text) for s in inserted] == [(2, 2, "b\nnew\n")]
    deleted = suggestions("f.py", old, "a\nc\n")
    assert [(s.start_line, s.end_line, s.text) for s in deleted] == [(2, 2, "")]
    at_top = suggestions("f.py", old, "z\na\nb\nc\n")
    assert [(s.start_line, s.end_line, s.text) for s in at_top] == [(1, 1, "z\na\n")]


def test_write_atomic_replaces_and_keeps_mode(tmp_path):
    f = tmp_path / "x.py"
    f.write_text("old\n")
    os.chmod(f, 0o751)
    write_atomic(f, "new\n")
    assert f.read_text() == "new\n" and f.stat().st_mode & 0o777 == 0o751
    assert [p.name for p in tmp_path.iterdir()] == ["x.py"]


def test_copy_tree_leaves_out_caches_and_links_that_leave_the_copy(tmp_path):
    from infill.patch import copy_tree, tree_digest
    src = tmp_path / "src"
    for folder in (".git", ".venv", "pkg/__pycache__"):
        (src / folder).mkdir(parents=True)
        (src / folder / "f").write_text("x")
    (src / "pkg" / "a.py").write_text("A = 1\n")
    (src / "inside.py").symlink_to("pkg/a.py")                   # relative, stays inside: kept
    (src / "absolute.py").symlink_to(src / "pkg" / "a.py")       # absolute: would reach the original
    (src / "outside").symlink_to(tmp_path)
    before = tree_digest(src)
    dst = copy_tree(src, tmp_path / "dst")
    assert sorted(p.relative_to(dst).as_posix() for p in dst.rglob("*")) == ["inside.py", "pkg", "pkg/a.py"]
    assert (dst / "inside.py").read_text() == "A = 1\n" and tree_digest(src) == before
