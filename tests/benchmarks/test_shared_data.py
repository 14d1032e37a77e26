"""The benchmarks read other projects' code from ../shared, never from the repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import shared_data  # noqa: E402


def test_the_repository_holds_no_benchmark_code_of_other_projects():
    tracked = subprocess.run(["git", "ls-files", "benchmarks"], cwd=ROOT, capture_output=True, text=True).stdout
    if not tracked:
        pytest.skip("not a git checkout")
    assert not [p for p in tracked.split() if p.endswith(("files.jsonl.gz", "tasks.jsonl"))]


def test_real_code_tasks_load_from_the_shared_folder():
    import real_code

    data = shared_data.folder("real-code")
    assert data.parent.name == "benchmarks" and (data / "manifest.json").is_file()
    dev, test = real_code.load("dev"), real_code.load("test")
    assert (len(dev), len(test)) == (684, 1163)
    task = test[0]
    assert task["prefix"].endswith(task.get("before", "")) and task["answer"].strip()


def test_a_missing_folder_says_where_it_looked_and_how_to_point_elsewhere(monkeypatch, tmp_path):
    monkeypatch.setattr(shared_data, "candidates", lambda: [tmp_path])
    with pytest.raises(shared_data.MissingData) as err:
        shared_data.folder("real-code")
    message = str(err.value)
    assert "../shared/benchmarks/real-code/" in message and shared_data.ENV in message and str(tmp_path) in message
    (tmp_path / "real-code").mkdir()
    for name in shared_data.NEEDED:
        (tmp_path / "real-code" / name).write_text("")
    assert shared_data.folder("real-code") == (tmp_path / "real-code").resolve()


def test_build_writes_only_where_it_is_told(tmp_path):
    with pytest.raises(SystemExit) as err:
        shared_data.output_folder(None, "languages")
    assert "--out DIR" in str(err.value)
    assert shared_data.output_folder(str(tmp_path / "new"), "languages").is_dir()


def test_calibrate_without_rows_is_a_usage_error():
    res = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "real_code.py"), "calibrate"],
                         capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 2 and "--input ROWS" in res.stderr and "Traceback" not in res.stderr
