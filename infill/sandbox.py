"""Run untrusted code (generated completions, a copied repo's tests) in a child process.

The sandbox is a process boundary with resource limits, not a security boundary: the
child runs as the same user, can read what that user can read and can use the network.
What it guarantees is that a runaway child cannot hurt the caller: it gets a scrubbed
environment, a fresh temporary working directory that is removed afterwards, limits on
memory, CPU time, file size and core dumps, a capped capture of its output, and on
timeout (or when it exits leaving children behind) its whole process group and session
are killed.

Limits and their caveats:

- ``RLIMIT_AS`` caps virtual memory, so Python raises ``MemoryError`` instead of the
  machine swapping. Libraries that reserve large address ranges (torch) need a higher cap.
- ``RLIMIT_NPROC`` counts every process of the user, not only the child's, so the cap
  is set to "processes the user has now + ``max_procs``". The kernel does not apply it to
  root (``CAP_SYS_RESOURCE``/``CAP_SYS_ADMIN``); there a fork bomb is only stopped by the
  timeout, which kills the process group, and the CPU limit of each process.
- Children that leave both the process group and the session (``setsid`` after a
  double fork) and whose parents have died are out of reach of the cleanup.
- ``sys.executable -I`` runs in isolated mode, which also ignores ``PYTHON*`` variables;
  ``PYTHONHASHSEED`` and ``PYTHONDONTWRITEBYTECODE`` therefore apply to ``run_command``
  children (pytest and the like), while ``run_python`` adds ``-B`` itself and runs with
  Python's random hash seed.
- ``preexec_fn`` only calls ``resource.setrlimit`` with values computed beforehand, which
  keeps it safe to use from the threads of ``humaneval.evaluate``.
"""

from __future__ import annotations

import math
import os
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from infill.errors import TaskError

SCRIPT_NAME = "main.py"
_READ_CHUNK = 65536
_DRAIN_GRACE_S = 0.5  # how long to keep reading pipes after the child has exited


@dataclass
class SandboxResult:
    passed: bool  # exited by itself with status 0, within the time limit
    returncode: int | None  # negative: killed by that signal; None: never started
    timed_out: bool  # the wall-clock limit was hit and the group was killed
    killed_reason: str | None  # "timeout", "cpu-limit", "file-size-limit", "memory-limit", "signal SIGx"
    stdout: str  # decoded as UTF-8 with replacement, at most max_output_bytes (+ a marker)
    stderr: str
    duration_s: float  # wall-clock time from start to exit (or kill)
    output_truncated: bool = False  # stdout or stderr went past max_output_bytes


@dataclass(frozen=True)
class _Limits:
    timeout_s: float  # wall clock, enforced by the parent
    memory_mb: int | None  # RLIMIT_AS; None: unlimited
    cpu_s: int | None  # RLIMIT_CPU; None: ceil(timeout_s) + 1
    max_output_bytes: int  # per stream; the rest is read and dropped
    file_mb: int  # RLIMIT_FSIZE, the largest file the child may write
    max_procs: int  # RLIMIT_NPROC headroom above the user's current process count


def run_python(
    code: str,
    *,
    timeout_s: float = 10.0,
    memory_mb: int | None = 1024,
    cpu_s: int | None = None,
    max_output_bytes: int = 64_000,
    files: dict[str, str] | None = None,
    cwd: Path | None = None,
    file_mb: int = 64,
    max_procs: int = 64,
) -> SandboxResult:
    """Run ``code`` as a script with ``sys.executable -I -B`` in a fresh temporary directory.

    ``files`` (relative path -> text) are written next to the script and its folder is
    put on ``sys.path`` (isolated mode leaves it off), so they can be imported. The script runs in that directory unless ``cwd`` is given; the directory
    is removed afterwards either way.
    """
    limits = _Limits(timeout_s, memory_mb, cpu_s, max_output_bytes, file_mb, max_procs)
    with _temp_dir() as tmp:
        _write_files(tmp, {**(files or {}), SCRIPT_NAME: code})
        script = str(tmp / SCRIPT_NAME)
        argv = [sys.executable, "-I", "-B", script]
        if files:  # -I leaves the script's folder off sys.path: put it back for imports
            boot = (f"import runpy, sys; sys.path.insert(0, {str(tmp)!r}); sys.argv = [{script!r}]; "
                    f"runpy.run_path({script!r}, run_name='__main__')")
            argv = [sys.executable, "-I", "-B", "-c", boot]
        return _run(argv, cwd=cwd or tmp, home=tmp, limits=limits, extra_env=None)


def run_command(
    argv: list[str],
    cwd: Path,
    timeout_s: float = 60.0,
    *,
    memory_mb: int | None = 4096,
    cpu_s: int | None = None,
    max_output_bytes: int = 64_000,
    file_mb: int = 64,
    max_procs: int = 64,
    extra_env: dict[str, str] | None = None,
) -> SandboxResult:
    """Run ``argv`` in ``cwd`` with the same limits, environment scrubbing and cleanup.

    HOME is a fresh temporary directory, removed afterwards. ``extra_env`` is added to
    the scrubbed environment (for example PYTHONPATH); nothing else is inherited.
    """
    if not argv:
        raise TaskError("run_command needs a non-empty argument list.")
    limits = _Limits(timeout_s, memory_mb, cpu_s, max_output_bytes, file_mb, max_procs)
    with _temp_dir() as home:
        return _run(list(argv), cwd=Path(cwd), home=home, limits=limits, extra_env=extra_env)


class _temp_dir:
    """A temporary directory removed on exit even if the child made it hard to remove."""

    def __enter__(self) -> Path:
        self.path = Path(tempfile.mkdtemp(prefix="infill-sandbox-"))
        return self.path

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _write_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts or not rel.parts:
            raise TaskError(f"Sandbox file name {name!r} must be a relative path inside the sandbox.")
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _scrubbed_env(home: Path, extra: dict[str, str] | None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "HOME": str(home),
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update(extra or {})
    return env


def _rlimits(limits: _Limits) -> list[tuple[int, int, int]]:
    """(resource, soft, hard) triples, computed in the parent and clamped to its hard limits."""
    cpu = limits.cpu_s if limits.cpu_s is not None else math.ceil(limits.timeout_s) + 1
    wanted = [
        (resource.RLIMIT_CPU, cpu, cpu + 1),  # SIGXCPU at soft, SIGKILL at hard
        (resource.RLIMIT_FSIZE, limits.file_mb * 2**20, limits.file_mb * 2**20),
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_NPROC, *(2 * [_user_process_count() + limits.max_procs])),
    ]
    if limits.memory_mb is not None:
        wanted.append((resource.RLIMIT_AS, limits.memory_mb * 2**20, limits.memory_mb * 2**20))
    clamped = []
    for res, soft, hard in wanted:
        _, cur_hard = resource.getrlimit(res)
        if cur_hard != resource.RLIM_INFINITY:
            soft, hard = min(soft, cur_hard), min(hard, cur_hard)
        clamped.append((res, soft, hard))
    return clamped


def _user_process_count() -> int:
    """Processes owned by this user now (RLIMIT_NPROC counts them all); 0 without /proc."""
    uid = os.getuid()
    count = 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0
    for entry in entries:
        if entry.isdigit():
            try:
                count += os.stat(f"/proc/{entry}").st_uid == uid
            except OSError:
                pass  # the process ended while we looked
    return count


def _run(argv: list[str], *, cwd: Path, home: Path, limits: _Limits,
         extra_env: dict[str, str] | None) -> SandboxResult:
    rlimits = _rlimits(limits)

    def preexec() -> None:  # runs in the child between fork and exec: keep it minimal
        for res, soft, hard in rlimits:
            resource.setrlimit(res, (soft, hard))

    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=_scrubbed_env(home, extra_env), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
            preexec_fn=preexec, close_fds=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return SandboxResult(False, None, False, f"failed to start: {exc}", "", str(exc),
                             time.monotonic() - start)
    try:
        out, err, timed_out = _pump(proc, start + limits.timeout_s, limits.max_output_bytes)
    finally:
        _kill_tree(proc.pid)  # the leader may be a zombie: its group is still ours to kill
        proc.wait()  # reap only now: until then no other process can take the pid
        proc.stdout.close()
        proc.stderr.close()
    duration = time.monotonic() - start
    stdout, out_cut = out.text()
    stderr, err_cut = err.text()
    code = proc.returncode
    return SandboxResult(
        passed=code == 0 and not timed_out, returncode=code, timed_out=timed_out,
        killed_reason=_killed_reason(code, timed_out, stderr), stdout=stdout, stderr=stderr,
        duration_s=duration, output_truncated=out_cut or err_cut,
    )


class _CappedBuffer:
    """Keeps the first ``cap`` bytes of a stream and counts the rest."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.chunks: list[bytes] = []
        self.kept = 0
        self.dropped = 0

    def add(self, data: bytes) -> None:
        room = max(self.cap - self.kept, 0)
        self.chunks.append(data[:room])
        self.kept += min(len(data), room)
        self.dropped += max(len(data) - room, 0)

    def text(self) -> tuple[str, bool]:
        text = b"".join(self.chunks).decode("utf-8", errors="replace")
        if self.dropped:
            text += f"\n[... output truncated: {self.dropped} more bytes dropped]"
        return text, self.dropped > 0


def _pump(proc: subprocess.Popen, deadline: float, cap: int) -> tuple[_CappedBuffer, _CappedBuffer, bool]:
    """Read both pipes until the child exits or the deadline passes; True if it timed out.

    The child's exit is watched without reaping it (a pidfd, or ``waitid(WNOWAIT)``
    polling), so its pid and process group stay reserved until ``_kill_tree`` has run.
    """
    buffers = {proc.stdout.fileno(): _CappedBuffer(cap), proc.stderr.fileno(): _CappedBuffer(cap)}
    sel = selectors.DefaultSelector()
    for fd in buffers:
        sel.register(fd, selectors.EVENT_READ)
    pidfd = _pidfd_open(proc.pid)
    if pidfd is not None:
        sel.register(pidfd, selectors.EVENT_READ)
    timed_out = False
    try:
        while not _exited(proc.pid):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            poll_s = remaining if pidfd is not None else min(remaining, 0.02)
            _read_ready(sel, buffers, poll_s)
        # Kill leftovers (or everything, on timeout) first, so the pipes reach EOF soon;
        # what the child wrote before it died is still in the pipes.
        _kill_tree(proc.pid)
        if pidfd is not None:
            sel.unregister(pidfd)
        grace_end = time.monotonic() + _DRAIN_GRACE_S
        while sel.get_map() and time.monotonic() < grace_end:
            _read_ready(sel, buffers, grace_end - time.monotonic())
    finally:
        sel.close()
        if pidfd is not None:
            os.close(pidfd)
    out, err = buffers.values()
    return out, err, timed_out


def _read_ready(sel: selectors.BaseSelector, buffers: dict[int, _CappedBuffer], timeout: float) -> None:
    for key, _ in sel.select(max(timeout, 0.0)):
        if key.fd not in buffers:
            continue  # the pidfd: the loop condition checks the exit
        data = os.read(key.fd, _READ_CHUNK)
        if data:
            buffers[key.fd].add(data)
        else:
            sel.unregister(key.fd)


def _pidfd_open(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _exited(pid: int) -> bool:
    """True once the child has exited; it is left as a zombie for ``Popen.wait``."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _kill_tree(leader: int) -> None:
    """SIGKILL the leader's process group, its session and their descendants.

    The group is stopped first, so that nobody forks or dies (reparenting its children
    to init) while /proc is walked; then everything found is killed.
    """
    _signal_group(leader, signal.SIGSTOP)
    for _ in range(3):  # a few rounds: members outside the group may have forked meanwhile
        targets = _session_members(leader)
        for pid in targets:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        _signal_group(leader, signal.SIGKILL)
        if not targets:
            return


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _session_members(leader: int) -> set[int]:
    """Live pids in the leader's group or session, plus their descendants (Linux /proc)."""
    table: dict[int, tuple[int, int, int]] = {}  # pid -> (ppid, pgrp, session)
    try:
        entries = os.listdir("/proc")
    except OSError:
        return set()
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] in (b"Z", b"X"):  # zombies are already dead
            continue
        table[int(entry)] = (int(fields[1]), int(fields[2]), int(fields[3]))
    found = {pid for pid, (_, pgrp, sid) in table.items() if leader in (pgrp, sid)}
    grew = True
    while grew:  # add descendants that moved to a group or session of their own
        more = {pid for pid, (ppid, _, _) in table.items() if ppid in found or ppid == leader} - found
        found |= more
        grew = bool(more)
    found.discard(os.getpid())
    return found


def _killed_reason(code: int | None, timed_out: bool, stderr: str) -> str | None:
    if timed_out:
        return "timeout"
    if code is None or code == 0:
        return None
    if code < 0:
        sig = -code
        if sig == signal.SIGXCPU:
            return "cpu-limit"
        if sig == signal.SIGXFSZ:
            return "file-size-limit"
        try:
            return f"signal {signal.Signals(sig).name}"
        except ValueError:
            return f"signal {sig}"
    if "MemoryError" in stderr:  # Python turns RLIMIT_AS into MemoryError
        return "memory-limit"
    if "File too large" in stderr:  # Python ignores SIGXFSZ and raises OSError(EFBIG)
        return "file-size-limit"
    return None
