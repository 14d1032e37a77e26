"""The infill command line: complete, batch, and every bad input named in the issue."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import run_cli

REPO = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("fresh_backends")


run = run_cli


@pytest.fixture
def pyfile(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def add(a, b):\n    return a + b\n\n\nx = add(1, 2)\n")
    return f


def test_complete_prints_json_statistics(pyfile, tiny_model_dir, capsys):
    code, out, err = run(["complete", f"{pyfile}:2:12", "--json", "--model", str(tiny_model_dir), "--canvas", "8"],
                         capsys)
    assert code == 0, err
    obj = json.loads(out)
    assert set(obj) >= {"text", "forward_passes", "tokens", "latency_ms", "gap_kind", "syntax_valid"}
    assert obj["line"] == 2 and obj["column"] == 12 and obj["forward_passes"] >= 1


@pytest.mark.parametrize("loc, message, status", [
    ("{f}:99:1", "line 99 is past the end of the file (5 lines)", 1),
    ("{f}:7:1", "line 7 is past the end of the file (5 lines)", 1),
    ("{f}:1:40", "column 40 is past the end of line 1 (14 characters)", 1),
    ("{f}:0:1", "1-based", 2),                       # bad usage, as -1 is
    ("{f}:-1:3", "expected FILE:LINE:COL", 2),
    ("{f}", "expected FILE:LINE:COL", 2),            # bad usage, as argparse's own errors
    ("{f}:two:1", "expected FILE:LINE:COL", 2),
])
def test_bad_positions_are_one_clear_line(pyfile, tiny_model_dir, capsys, loc, message, status):
    code, out, err = run(["complete", loc.format(f=pyfile), "--model", str(tiny_model_dir)], capsys)
    assert code == status and out == ""
    assert err.startswith("infill: error: ") and message in err and err.count("\n") == 1


def test_complete_and_rewrite_count_the_lines_of_a_file_alike(pyfile, tiny_model_dir, capsys):
    """5 lines and a final line break: both commands say 5 (complete said 6, rewrite 5); the
    empty line after the final break is where a cursor at the end of the file sits."""
    _, _, complete_err = run(["complete", f"{pyfile}:9:1", "--model", str(tiny_model_dir)], capsys)
    _, _, rewrite_err = run(["rewrite", f"{pyfile}:9-9", "--model", str(tiny_model_dir)], capsys)
    assert "(5 lines)" in complete_err and "(5 lines)" in rewrite_err
    code, _, err = run(["complete", f"{pyfile}:6:1", "--model", str(tiny_model_dir), "--canvas", "4"], capsys)
    assert code == 0, err


@pytest.mark.parametrize("flags, message", [
    (["--steps", "-1"], "steps must be 0 (no budget) or a number of forward passes per block"),
    (["--repair", "9"], "repair must be between 0 (off) and 8 rounds"),
    (["--repair", "-1"], "repair must be between 0 (off) and 8 rounds"),
    (["--threads", "0"], "threads must be between 1 and 256"),
    (["--pass-share", "1.5"], "pass-share must be in [0, 1] (0: as many passes as the canvas has tokens)"),
    (["--pass-share", "-0.1"], "pass-share must be in [0, 1]"),
    (["--threshold", "2"], "threshold must be in [0, 1]"),
    (["--threshold", "nan"], "threshold must be in [0, 1]"),
    (["--entropy-bound", "-3"], "entropy-bound must be a positive number"),
    (["--stable-steps", "-2"], "stable-steps must be 0 (off)"),
    (["--seed", str(2 ** 64)], "seed must be between 0 and 2**63 - 1"),
    (["--fim-format", "bogus"], "unknown fim-format 'bogus'"),
])
def test_options_out_of_range_are_bad_usage(pyfile, tiny_model_dir, capsys, flags, message):
    code, out, err = run(["complete", f"{pyfile}:2:12", "--model", str(tiny_model_dir), *flags], capsys)
    assert code == 2 and out == ""
    assert err.startswith("infill: error: ") and message in err and err.count("\n") == 1


def test_a_file_over_the_size_limit_says_by_how_much(tmp_path, monkeypatch, capsys):
    from infill import files
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 1000)
    big = tmp_path / "big.py"
    big.write_text("x" * 1001)
    code, _, err = run(["complete", f"{big}:1:1"], capsys)
    assert code == 1 and "1,001 bytes is larger than the limit of 1,000 bytes" in err


def test_json_reports_the_model_load_apart_from_the_request(pyfile, tiny_model_dir, capsys, monkeypatch):
    import time as _time

    from infill import backends
    real = backends.load_backend

    def slow_load(*args, **kwargs):
        _time.sleep(2.0)
        return real(*args, **kwargs)

    monkeypatch.setattr(backends, "load_backend", slow_load)
    code, out, err = run(["complete", f"{pyfile}:2:12", "--json", "--model", str(tiny_model_dir), "--canvas", "4",
                          "--candidates", "1", "--no-known-names"],     # the request alone: no jedi process
                         capsys)
    assert code == 0, err
    obj = json.loads(out)
    assert obj["load_ms"] >= 2000 and obj["latency_ms"] < obj["load_ms"]


def test_unknown_language_binary_and_non_utf8_files(tmp_path, tiny_model_dir, capsys):
    cases = {
        "notes.xyz": (b"hello\n", "no supported language"),
        "blob.py": (b"\x00\x01\x02binary", "binary"),
        "latin.py": ("x = 'caf\xe9'\n".encode("latin-1"), "not valid UTF-8"),
    }
    for name, (data, message) in cases.items():
        (tmp_path / name).write_bytes(data)
        code, _, err = run(["complete", f"{tmp_path / name}:1:1", "--model", str(tiny_model_dir)], capsys)
        assert code == 1 and message in err and "Traceback" not in err, (name, err)
    code, _, err = run(["complete", f"{tmp_path / 'missing.py'}:1:1"], capsys)
    assert code == 1 and "no such file" in err


def test_missing_and_corrupt_model_folders(pyfile, tiny_model_dir, tmp_path, capsys):
    code, _, err = run(["complete", f"{pyfile}:2:5", "--model", str(tmp_path / "nope")], capsys)
    assert code == 1 and "has no config.json" in err
    broken = tmp_path / "broken"
    shutil.copytree(tiny_model_dir, broken)
    (broken / "model.safetensors").write_bytes(b"garbage")
    code, _, err = run(["complete", f"{pyfile}:2:5", "--model", str(broken)], capsys)
    assert code == 1 and "could not load the model" in err and err.count("\n") == 1


def test_empty_file_and_5mb_file_succeed(tmp_path, tiny_model_dir, capsys):
    empty = tmp_path / "empty.py"
    empty.write_text("")
    code, out, err = run(["complete", f"{empty}:1:1", "--json", "--model", str(tiny_model_dir), "--canvas", "4"],
                         capsys)
    assert code == 0, err
    big = tmp_path / "big.py"
    line = "value_{0} = compute(value_{0}, 'padding text')\n"
    big.write_text("".join(line.format(i) for i in range(100_000)))
    assert big.stat().st_size > 5_000_000
    code, out, err = run(["complete", f"{big}:50000:1", "--json", "--model", str(tiny_model_dir),
                          "--canvas", "4"], capsys)
    assert code == 0, err
    assert json.loads(out)["latency_ms"] < 20_000


def test_eval_any_of_reports_the_ranking_ceiling(tiny_model_dir, tmp_path, capsys):
    from infill.eval.humaneval import find_data_dir
    try:
        find_data_dir()
    except Exception as exc:  # noqa: BLE001 - the data lives in ../shared
        pytest.skip(f"HumanEval-infilling data not available: {exc}")
    out_file = tmp_path / "ev.json"
    code, out, err = run(["eval", "--limit", "3", "--candidates", "3", "--any-of", "--quiet", "--out", str(out_file),
                          "--model", str(tiny_model_dir), "--canvas", "6"], capsys)
    assert code == 0, err
    assert "pass@any" in out and "candidates 3" in out
    report = json.loads(out_file.read_text())
    assert report["summary"]["pass@any"] >= report["summary"]["pass@1"]
    assert all(o["passed_any"] is not None and o["candidates_checked"] >= 1 for o in report["outcomes"])


def test_batch_keeps_order_and_reports_bad_lines(tiny_model_dir, capsys, monkeypatch):
    lines = [
        json.dumps({"task_id": "a", "prefix": "def f(x):\n    return ", "suffix": "\n"}),
        "{not json",
        json.dumps({"task_id": "c", "suffix": "only a suffix"}),
        json.dumps({"task_id": "d", "prefix": "x = ", "suffix": "", "language": "cobol"}),
        json.dumps({"prefix": "y = ", "suffix": "\n", "path": "z.py"}),
    ]
    code, out, err = run(["batch", "--model", str(tiny_model_dir), "--canvas", "6"], capsys,
                         stdin="\n".join(lines) + "\n", monkeypatch=monkeypatch)
    assert code == 0, err
    rows = [json.loads(x) for x in out.splitlines()]
    assert [r["task_id"] for r in rows] == ["a", 2, "c", "d", 5]
    assert {"completion", "forward_passes", "tokens", "latency_ms", "candidates", "confidence", "shown",
            "drafted"} <= set(rows[0])
    assert rows[0]["candidates"][0] == rows[0]["completion"]
    assert "invalid JSON" in rows[1]["error"]
    assert "prefix" in rows[2]["error"]
    assert "unsupported language 'cobol'" in rows[3]["error"]
    assert "completion" in rows[4]


def test_console_script_with_the_shipped_model_prints_no_traceback():
    """The README's main job: the real model on the shipped example, as a subprocess."""
    proc = subprocess.run([sys.executable, "-m", "infill.cli", "complete", "examples/stats.py:7:14", "--json"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    out = json.loads(proc.stdout)
    assert out["forward_passes"] >= 1 and out["tokens"] >= 1 and out["gap_kind"] == "line"
    assert out["text"] == "values:" and out["shown"]   # what the README says the first command prints
    bad = subprocess.run([sys.executable, "-m", "infill.cli", "complete", "examples/stats.py:500:1"],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and bad.stderr.strip() == \
        "infill: error: line 500 is past the end of the file (23 lines)"


def test_complete_drafts_from_the_files_of_its_folder(tmp_path, tiny_model_dir, capsys):
    (tmp_path / "table.py").write_text("def read_table(path):\n    with open(path) as f:\n"
                                       "        rows = decode_rows(f.read(), limit=3)\n    return rows\n")
    app = tmp_path / "app.py"
    app.write_text("def read_other(path):\n    with open(path) as f:\n        rows = \n    return rows\n")
    base = ["complete", f"{app}:3:16", "--json", "--model", str(tiny_model_dir), "--canvas", "8",
            "--no-checks", "--min-confidence", "0"]
    code, out, _ = run(base, capsys)
    got = json.loads(out)
    assert code == 0 and "decode_rows(f.read(), limit=3)" in got["candidates"]
    at = got["candidates"].index("decode_rows(f.read(), limit=3)")
    assert got["retrieved"][at] > 0.5 and got["votes"][at] == 0       # drafted, not sampled
    code, out, _ = run(base + ["--workspace", ""], capsys)
    assert code == 0 and "decode_rows(f.read(), limit=3)" not in json.loads(out)["candidates"]
    code, out, _ = run(base + ["--no-retrieval"], capsys)
    assert code == 0 and not any(json.loads(out)["retrieved"])


def test_the_command_line_and_next_edits_start_without_torch(tmp_path):
    """Reading flags and answering next edits need no model: torch (a second or more to
    import) is imported only when a command runs the model."""
    task = {"task_id": "t", "document": "def f(width):\n    return width * 2\n", "cursor": {"line": 0, "character": 6},
            "recent_edit": {"start_line": 0, "end_line": 1, "old_text": "def f(w):\n", "new_text": "def f(width):\n"}}
    code = ("import io, json, sys; import infill.cli as cli; "
            f"sys.stdin = io.StringIO({json.dumps(json.dumps(task))} + '\\n'); "
            "cli.main(['next-edit']); print('torch' in sys.modules, file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert json.loads(out.stdout.splitlines()[0])["task_id"] == "t", out.stderr[-2000:]
    assert out.stderr.strip().splitlines()[-1] == "False"


def test_a_fifo_is_refused_not_waited_on(tmp_path, tiny_model_dir, capsys):
    """Reading a named pipe blocks until something writes to it: refused at once instead."""
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    code, out, err = run(["complete", f"{fifo}:1:1", "--model", str(tiny_model_dir)], capsys)
    assert code == 1 and out == "" and "not a regular file" in err and err.count("\n") == 1
