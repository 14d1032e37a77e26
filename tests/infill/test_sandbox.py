"""The sandbox runs code, reports failures and contains runaways without hurting the caller."""

import os
import sys
import textwrap
from pathlib import Path

import pytest

from infill.errors import TaskError
from infill.sandbox import run_command, run_python


def _alive_in_session(leader: int) -> list[int]:
    """Live, non-zombie pids whose process group or session is ``leader``."""
    alive = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_bytes().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] not in (b"Z", b"X") and leader in (int(fields[2]), int(fields[3])):
            alive.append(int(entry))
    return alive


def test_normal_run_passes():
    r = run_python("print('hello')")
    assert r.passed and r.returncode == 0 and not r.timed_out and r.killed_reason is None
    assert r.stdout == "hello\n"


def test_exception_fails_with_traceback():
    r = run_python("raise ValueError('boom')")
    assert not r.passed and r.returncode == 1 and not r.timed_out
    assert "ValueError: boom" in r.stderr


def test_infinite_loop_is_killed_by_timeout():
    r = run_python("while True:\n    pass", timeout_s=1.0)
    assert r.timed_out and not r.passed and r.killed_reason == "timeout"
    assert r.duration_s < 3.0


def test_spawned_children_are_killed_with_the_group():
    # Bounded stand-in for a fork bomb: 50 sleeping children, then the parent hangs.
    code = textwrap.dedent("""
        import os, time
        print(os.getpid(), flush=True)
        for _ in range(50):
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
        time.sleep(60)
    """)
    r = run_python(code, timeout_s=1.5)
    assert r.timed_out
    assert _alive_in_session(int(r.stdout.split()[0])) == []


def test_children_left_behind_after_a_normal_exit_are_killed():
    code = textwrap.dedent("""
        import os, time
        print(os.getpid(), flush=True)
        for _ in range(5):
            if os.fork() == 0:
                os.setpgid(0, 0)  # leaves the group but not the session
                time.sleep(60)
                os._exit(0)
    """)
    r = run_python(code, timeout_s=5.0)
    assert r.passed and r.duration_s < 3.0
    assert _alive_in_session(int(r.stdout.split()[0])) == []


def test_a_child_in_a_new_session_is_killed_while_its_parent_lives():
    code = textwrap.dedent("""
        import os, time
        if os.fork() == 0:
            os.setsid()
            print(os.getpid(), flush=True)
            time.sleep(60)
            os._exit(0)
        time.sleep(60)
    """)
    r = run_python(code, timeout_s=1.0)
    escaped = int(r.stdout.split()[0])
    assert r.timed_out and _alive_in_session(escaped) == []


def test_memory_hog_fails_cleanly():
    r = run_python("x = bytearray(4 * 2**30)", memory_mb=256)
    assert not r.passed and not r.timed_out
    assert r.killed_reason == "memory-limit" and "MemoryError" in r.stderr


def test_huge_output_is_truncated():
    r = run_python("import sys\nsys.stdout.write('x' * 50_000_000)", max_output_bytes=10_000)
    assert r.passed and r.output_truncated
    assert len(r.stdout) < 11_000 and "output truncated" in r.stdout


def test_environment_is_scrubbed(monkeypatch):
    monkeypatch.setenv("SECRET_TOKEN", "hunter2")
    r = run_python("import os\nprint(sorted(os.environ))\nprint(os.environ['HOME'] == os.getcwd())")
    assert r.passed and "SECRET_TOKEN" not in r.stdout
    assert r.stdout.splitlines()[1] == "True"


def test_writes_stay_in_a_removed_temp_dir():
    code = "import os\nopen('out.txt', 'w').write('data')\nprint(os.path.abspath('out.txt'))"
    r = run_python(code, files={"helper/data.txt": "x"})
    written = Path(r.stdout.strip())
    assert r.passed and written.name == "out.txt"
    assert not written.exists() and not written.parent.exists()


def test_files_are_importable_and_names_are_checked():
    r = run_python("import helper\nprint(helper.VALUE)", files={"helper.py": "VALUE = 42"})
    assert r.stdout == "42\n"
    with pytest.raises(TaskError):
        run_python("pass", files={"../escape.py": ""})


def test_run_command_uses_cwd_and_scrubbed_env(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_TOKEN", "hunter2")
    argv = [sys.executable, "-c", "import os; print(os.getcwd()); print('SECRET_TOKEN' in os.environ)"]
    r = run_command(argv, tmp_path, timeout_s=10.0, extra_env={"EXTRA": "1"})
    assert r.passed and r.stdout.splitlines() == [str(tmp_path), "False"]


def test_missing_program_is_reported_not_raised(tmp_path):
    r = run_command(["/nonexistent/program"], tmp_path, timeout_s=5.0)
    assert not r.passed and r.returncode is None and r.killed_reason.startswith("failed to start")
