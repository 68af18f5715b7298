"""Atomic file writing: write to a temporary file beside the target, then rename over it."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from siege.errors import SiegeInputError


def check_writable_target(path: str | Path) -> Path:
    """Raise a clear error if ``path`` cannot be written (its folder is missing or is a file)."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise SiegeInputError(str(path), "is a folder (expected a file path to write)")
    if parent.exists() and not parent.is_dir():
        raise SiegeInputError(str(path), f"{parent} is a file, not a folder")
    if parent.exists() and not os.access(parent, os.W_OK):
        raise SiegeInputError(str(path), f"folder {parent} is not writable")
    return path


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``, else delete it.

    Readers never see a half-written file, and a failed write leaves any old file untouched.
    """
    path = check_writable_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part" + "".join(path.suffixes), dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as pyogrio refuse to open an existing file
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def check_output_dir(out: str | Path) -> Path:
    """Raise a clear error if ``out`` cannot be an output folder (a file, under a file, not writable)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SiegeInputError(str(out), "is a file (expected an output folder)")
    parent = out if out.exists() else out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise SiegeInputError(str(out), f"{parent} is a file (expected an output folder)")
    if not os.access(parent, os.W_OK):
        raise SiegeInputError(str(out), f"cannot write into {parent} (expected a writable output folder)")
    return out


def write_folder(out: str | Path, write: Callable[[Path], None]) -> Path:
    """Let ``write`` fill a staging folder inside ``out``, then rename each file into ``out``.

    A failure leaves ``out`` as it was: no half-written or partial set of files.
    """
    out = check_output_dir(out)
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".siege-", dir=out))
    try:
        write(stage)
        for f in stage.iterdir():
            os.replace(f, out / f.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return out
