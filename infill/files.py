"""Reading the user's source files: bounded, UTF-8, never a binary file; every failure an
``InputFileError`` with the path and the reason."""

from __future__ import annotations

from pathlib import Path

from .errors import InputFileError

MAX_FILE_BYTES = 20_000_000


def read_source(path: str) -> str:
    p = Path(path)
    if p.exists() and not p.is_dir() and not p.is_file():     # reading a FIFO would wait for a writer
        raise InputFileError(f"{path}: not a regular file (a pipe, socket or device)")
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror})") from None
    if len(data) > MAX_FILE_BYTES:
        raise InputFileError(f"{path}: {len(data):,} bytes is larger than the limit of {MAX_FILE_BYTES:,} bytes")
    if b"\x00" in data[:65536]:
        raise InputFileError(f"{path}: looks like a binary file (it contains NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: not valid UTF-8 (byte {exc.start})") from None
