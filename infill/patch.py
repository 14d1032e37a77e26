"""Patches as bots hand them out: unified diffs, GitHub suggestions, atomic writes, tree copies.

- ``unified_diff`` is difflib's, with ``a/`` and ``b/`` headers and git's marker for a
  missing final newline, so ``git apply`` and ``patch -p1`` take it;
- ``github_suggestions`` turns each changed hunk into a review comment with a
  ```` ```suggestion ```` block anchored on lines of the old file (an insertion is anchored
  on the line before it, since a suggestion must replace at least one line);
- ``write_atomic`` writes a temporary file in the target's folder and ``os.replace``-s it,
  keeping the target's mode: a reader sees the old file or the new one, never half of one;
- ``copy_tree`` copies a repository without its VCS, virtual environments and caches;
  ``tree_digest`` hashes every file under a folder.

Paths in diffs and suggestions are relative and use "/"; lines are 1-based.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

IGNORED_DIRS = (".git", ".hg", ".svn", ".venv", "venv", "__pycache__", "node_modules",
                ".pytest_cache", ".mypy_cache", ".tox", ".nox")
NO_NEWLINE = "\\ No newline at end of file\n"


# ---------------------------------------------------------------- diffs


def unified_diff(path: str, before: str, after: str, context: int = 3) -> str:
    """The change of one file as a unified diff with ``a/path`` and ``b/path`` headers."""
    if before == after:
        return ""
    out = []
    for line in difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                     f"a/{path}", f"b/{path}", n=context):
        if line.startswith(("---", "+++")):
            line = line.rstrip("\n") + "\n"   # difflib gives headers their own line break
        out.append(line)
        if not line.endswith("\n"):
            out[-1] += "\n" + NO_NEWLINE
    return "".join(out)


def diff_files(changes: dict[str, tuple[str, str]]) -> str:
    """Unified diffs of several files, ``{path: (before, after)}``, in path order."""
    return "".join(unified_diff(path, *changes[path]) for path in sorted(changes))


@dataclass(frozen=True)
class Suggestion:
    path: str
    start_line: int     # first old line the suggestion replaces (1-based)
    end_line: int       # last old line it replaces
    text: str           # the new lines, each ending with "\n" (empty: delete them)

    def markdown(self) -> str:
        where = f"line {self.start_line}" if self.start_line == self.end_line else \
            f"lines {self.start_line}-{self.end_line}"
        return f"**{self.path}** {where}\n```suggestion\n{self.text}```\n"

    def to_dict(self) -> dict:
        return {"path": self.path, "start_line": self.start_line, "line": self.end_line,
                "side": "RIGHT", "body": f"```suggestion\n{self.text}```\n"}


def suggestions(path: str, before: str, after: str) -> list[Suggestion]:
    """One suggestion per changed hunk of ``before`` -> ``after``."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    old = [line if line.endswith("\n") else line + "\n" for line in old]
    new = [line if line.endswith("\n") else line + "\n" for line in new]
    found = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if i1 == i2:   # a pure insertion: take the old line before it (or after, at the top) along
            if i1 > 0:
                i1, j1 = i1 - 1, j1 - 1
            else:
                i2, j2 = i2 + 1, j2 + 1
        found.append(Suggestion(path, i1 + 1, max(i2, i1 + 1), "".join(new[j1:j2])))
    return found


def github_suggestions(changes: dict[str, tuple[str, str]]) -> str:
    """Review-comment suggestion blocks for ``{path: (before, after)}``, one per hunk."""
    return "\n".join(s.markdown() for path in sorted(changes) for s in suggestions(path, *changes[path]))


# ---------------------------------------------------------------- files


def write_atomic(path: str | Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) through a temporary file in the same folder,
    keeping the file's permission bits."""
    path = Path(path)
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def copy_tree(src: str | Path, dst: str | Path) -> Path:
    """Copy a repository to ``dst`` (which must not exist), leaving out ``IGNORED_DIRS``.
    Relative symlinks that stay inside ``src`` are copied as links (they point inside the
    copy); others are left out, so nothing written in the copy reaches the original."""
    src = Path(src).resolve()

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n in IGNORED_DIRS}
        for n in names:
            p = Path(folder, n)
            if p.is_symlink() and (os.path.isabs(os.readlink(p)) or not p.resolve().is_relative_to(src)):
                skipped.add(n)
        return skipped

    shutil.copytree(src, dst, ignore=ignore, symlinks=True)
    return Path(dst)


def tree_digest(root: str | Path) -> str:
    """sha256 over the relative path and bytes of every file under ``root``, in path order."""
    root = Path(root)
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()
