"""Atomic file writing: write to a temporary file beside the target, then rename over it."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import glob
import os
import shutil
import sys
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


#: write errors that are the place's fault, not siege's: reported in one line naming the folder
_PLACE_ERRORS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EFBIG: "file too large for the file system or its limit",
}
#: the same, as GDAL words them (pyogrio raises its own exceptions for GeoPackage and GeoJSON)
_PLACE_WORDS = ("No space left on device", "Disk quota exceeded", "Read-only file system", "Permission denied")


@contextlib.contextmanager
def writing_into(folder: str | Path) -> Iterator[None]:
    """Turn a write that fails for lack of space, quota or rights into one line naming ``folder``."""
    try:
        yield
    except SiegeInputError as err:
        if "cannot write there" in err.problem and err.where != str(folder):
            raise SiegeInputError(str(folder), err.problem) from None  # a staging path: name the target
        raise
    except OSError as err:
        if err.errno in _PLACE_ERRORS:
            raise SiegeInputError(str(folder), f"cannot write there: {_PLACE_ERRORS[err.errno]}") from None
        raise
    except Exception as err:
        text = str(err)
        hit = next((w for w in _PLACE_WORDS if w in text), None)
        if hit is None or type(err).__module__.split(".")[0] not in ("pyogrio", "fiona", "matplotlib", "PIL"):
            raise
        raise SiegeInputError(str(folder), f"cannot write there: {hit[0].lower()}{hit[1:]}") from None


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``, else delete it.

    Readers never see a half-written file, and a failed write leaves any old file untouched.
    """
    path = check_writable_target(path)
    with writing_into(path.parent if str(path.parent) else "."):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".part" + "".join(path.suffixes), dir=path.parent
        )
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


def write_text_exclusive(path: str | Path, text: str) -> Path:
    """Write ``text`` to a new file ``path`` (UTF-8), whole or not at all; ``FileExistsError`` if
    ``path`` exists, even when it was created a moment ago by someone else (the finished temporary
    file is hard-linked into place, which never replaces a file)."""
    path = check_writable_target(path)
    with writing_into(path.parent):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        _write_new(fd, tmp_name, path, text)
    return path


def _write_new(fd: int, tmp_name: str, path: Path, text: str) -> None:
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # as open() would create it, not mkstemp's owner-only mode
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp_name, path)
    finally:
        os.unlink(tmp_name)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: Every output folder siege writes holds this file; only such a folder (or an empty one) is replaced
#: by a later run, so siege never deletes files it did not write.
OUTPUT_MARKER = ".siege-output"


def check_output_dir(out: str | Path) -> Path:
    """Raise a clear error if ``out`` cannot be an output folder: a file, under a file, not writable,
    or a folder holding files siege did not write (siege replaces only its own output folders)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SiegeInputError(str(out), "is a file (expected an output folder)")
    parent = out if out.exists() else out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise SiegeInputError(str(out), f"{parent} is a file (expected an output folder)")
    if not os.access(parent, os.W_OK) or (out.exists() and not os.access(out.parent.resolve(), os.W_OK)):
        raise SiegeInputError(str(out), f"cannot write into {parent} (expected a writable output folder)")
    if out.is_dir() and not (out / OUTPUT_MARKER).is_file() and any(out.iterdir()):
        raise SiegeInputError(
            str(out),
            "holds files siege did not write (expected a new or empty folder, or one written by an earlier "
            "siege run, which is replaced whole)",
        )
    return out


def write_folder(out: str | Path, write: Callable[[Path], None]) -> Path:
    """Let ``write`` fill a staging folder beside ``out``, then put it in place of ``out`` at once.

    ``out`` holds exactly one run: a used output folder is replaced whole (never merged), and a
    failure or an interruption leaves ``out`` as it was, with no staging folder left behind (one left
    by a killed process is removed by the next write beside it).
    """
    out = check_output_dir(out)
    with writing_into(out):
        created = _make_parents(out.parent)
        _remove_stale_stages(out)
        stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.siege-{os.getpid()}-", dir=out.parent))
    try:
        with writing_into(out):
            write(stage)
            (stage / OUTPUT_MARKER).write_text("written by siege; a later run into this folder replaces it whole\n")
            _swap_in(stage, out)
    except BaseException:
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)  # after a swap it holds the previous run
    return out


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return those created (outermost first)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for f in reversed(missing):
        f.mkdir()
    return list(reversed(missing))


def _remove_stale_stages(out: Path) -> None:
    """Remove staging folders of ``out`` whose process is gone (killed before it could clean up)."""
    for stage in out.parent.glob(f".{glob.escape(out.name)}.siege-*-*"):
        pid = stage.name.removeprefix(f".{out.name}.siege-").split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stage, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _swap_in(stage: Path, out: Path) -> None:
    """Put ``stage`` at ``out`` in one step; a previous ``out`` ends up at ``stage``."""
    if not out.exists():
        os.rename(stage, out)
        return
    if _exchange(stage, out):
        return
    # no atomic exchange here: move the old folder aside, then the new one in (two renames)
    aside = Path(tempfile.mkdtemp(prefix=f".{out.name}.siege-{os.getpid()}-old-", dir=out.parent))
    os.rename(out, aside / "old")
    os.rename(stage, out)
    os.rename(aside, stage)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux's renameat2(RENAME_EXCHANGE); False where unsupported."""
    if sys.platform != "linux":
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return done == 0
