"""Writing files all at once: what every exporter (pictures, pages, checkpoints) uses.

A reader never sees a half-written file and a crash mid-write leaves the old file (or none):
the bytes go to a temporary file in the same directory, are flushed to disk, and the temporary
file is renamed over the target with ``os.replace``, which is atomic on POSIX and Windows.

A process killed mid-write (``SIGKILL``, a power cut) cannot delete its temporary file, so the
name says what it is: ``.NAME.XXXXXXXX.microgradnet-tmp`` beside ``NAME``, held under an
``flock`` while it is written. The first write a process makes into a directory removes every
such file there that nobody holds: the strays of writers that were killed go away the next time
anything is saved there, and a live writer's file is never touched. (One scan per directory and
process keeps a thousand writes into one folder linear; on Windows, which has no ``flock``,
strays are left alone.)

:func:`check_writable` is the same checks plus an empty temporary file made and removed in the
target's folder (never the target itself): commands call it on every output path before they start
work that would be lost if the write failed at the end.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
import tempfile
from pathlib import Path

try:
    import fcntl

    _FLOCK = True
except ImportError:  # Windows, and Pyodide (the browser playground): no flock, strays are left alone
    _FLOCK = False

__all__ = ["check_writable", "write_atomic"]

#: Temporary files are ``.NAME.`` + eight of ``mkstemp``'s random characters + this suffix.
_TEMP_SUFFIX = ".microgradnet-tmp"
_STRAY = re.compile(r"\..+\.[a-z0-9_]{8}" + re.escape(_TEMP_SUFFIX))
#: Directories this process has already cleaned, by (device, inode).
_cleaned: set[tuple[int, int]] = set()


def _default_mode() -> int:
    """The permissions ``open()`` would give a new file (0o666 less the umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def check_writable(path: str | os.PathLike[str], what: str = "file") -> Path:
    """Check that :func:`write_atomic` could write ``path`` now; return it as a ``Path``.

    Besides looking at the path, it really creates an empty temporary file in the target's
    directory (named as :func:`write_atomic`'s are) and removes it at once: permission bits
    alone do not tell (root passes ``os.access`` for ``/proc`` or a read-only mount). The
    target itself is never created or changed. ``what`` names the file in messages
    (``"the checkpoint (--save)"``).

    Raises:
        TypeError: ``path`` is not a str or path.
        IsADirectoryError: ``path`` is a directory (name a file inside it instead).
        FileExistsError: ``path`` exists but is not a regular file (a device, a pipe, a socket),
            which an atomic write would replace rather than write into.
        FileNotFoundError: its directory does not exist.
        NotADirectoryError: what should be its directory is a file.
        PermissionError: its directory is not writable (no permission, a read-only disk, or
            a file system such as ``/proc`` that refuses new files).
    """
    target = _check_path(path, what)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=_TEMP_SUFFIX, dir=target.parent)
    except OSError as exc:
        raise PermissionError(
            f"cannot write {what} {str(target)!r}: no file can be created in directory "
            f"{str(target.parent)!r} ({exc.strerror or exc})"
        ) from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(tmp)
    return target


def _check_path(path: str | os.PathLike[str], what: str) -> Path:
    """:func:`check_writable`'s checks that create nothing (what :func:`write_atomic` runs
    first: its own temporary file is the real test)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{what}: expected a file path (str or Path), got {type(path).__name__}")
    target = Path(path)
    shown = str(target)
    if target.is_dir():
        raise IsADirectoryError(
            f"cannot write {what} {shown!r}: it is a directory; give a file name inside it"
        )
    if target.exists() and not stat.S_ISREG(target.stat().st_mode):
        raise FileExistsError(
            f"cannot write {what} {shown!r}: it exists and is not a regular file (a device, pipe or socket)"
        )
    directory = target.parent
    if not directory.exists():
        raise FileNotFoundError(f"cannot write {what} {shown!r}: directory {str(directory)!r} does not exist")
    if not directory.is_dir():
        raise NotADirectoryError(f"cannot write {what} {shown!r}: {str(directory)!r} is not a directory")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionError(
            f"cannot write {what} {shown!r}: directory {str(directory)!r} is not writable "
            "(no permission, or a read-only disk)"
        )
    return target


def _lock(fd: int, wait: bool) -> bool:
    """Take the writer's lock on ``fd``; ``False`` if ``wait`` is off and someone holds it."""
    if not _FLOCK:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def _remove_strays(directory: Path) -> None:
    """Delete temporary files left in ``directory`` by killed writers (those nobody holds)."""
    if not _FLOCK:
        return
    try:
        info = os.stat(directory)
        if (info.st_dev, info.st_ino) in _cleaned:
            return
        _cleaned.add((info.st_dev, info.st_ino))
        names = [e.name for e in os.scandir(directory) if _STRAY.fullmatch(e.name)]
    except OSError:
        return
    for name in names:
        stray = directory / name
        try:
            fd = os.open(stray, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue  # gone already, or not ours to open
        try:
            if _lock(fd, wait=False) and stat.S_ISREG(os.fstat(fd).st_mode):
                stray.unlink()  # under the lock, so a writer that opened it meanwhile sees it go
        except OSError:
            pass
        finally:
            os.close(fd)


def _locked_temp(target: Path) -> tuple[int, str]:
    """A new temporary file beside ``target``, open and locked: ``(fd, path)``."""
    while True:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=_TEMP_SUFFIX, dir=target.parent)
        _lock(fd, wait=True)
        if os.fstat(fd).st_nlink > 0:
            return fd, tmp
        os.close(fd)  # another write's cleanup took it before we locked it: make another


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` (``str`` as UTF-8) to ``path`` atomically and return the path.

    The new file gets the usual permissions for the user's umask (``mkstemp`` alone would
    leave it readable by its owner only). Temporary files left in the directory by writers
    that were killed are removed first (once per directory and process).

    Raises:
        FileNotFoundError: the directory does not exist (nothing is written).
        IsADirectoryError, FileExistsError, NotADirectoryError, PermissionError: as
            :func:`check_writable`, before anything is written.
        OSError: the write itself failed (a full disk); the old file is kept.
    """
    target = _check_path(path, "file")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    _remove_strays(target.parent)
    fd, tmp = _locked_temp(target)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
            os.chmod(tmp, _default_mode())
            if sys.platform != "win32":
                os.replace(tmp, target)  # still locked, so no cleanup can take it first
        if sys.platform == "win32":
            os.replace(tmp, target)  # Windows cannot rename an open file
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target
