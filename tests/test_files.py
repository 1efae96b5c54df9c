"""Atomic writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import fcntl
import os
import random
import resource
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from microgradnet import _files
from microgradnet._files import check_writable, write_atomic

FILES = Path(_files.__file__)


def test_writes_bytes_and_text_with_umask_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "a.txt", "héllo")
        assert path.read_bytes() == "héllo".encode()
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        write_atomic(path, b"\x00\x01")
        assert path.read_bytes() == b"\x00\x01"
    finally:
        os.umask(old)
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]  # no temp file left behind


def test_missing_directory_raises_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_atomic(tmp_path / "nope" / "a.txt", "x")
    assert list(tmp_path.iterdir()) == []


def test_a_failure_mid_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "model.json"
    path.write_text("old")

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


# ---------------------------------------------------------------- checks before any work


def test_check_writable_names_each_problem_and_creates_nothing(tmp_path: Path) -> None:
    (tmp_path / "a_file").write_text("x")
    cases: list[tuple[Path, type[OSError], str]] = [
        (tmp_path, IsADirectoryError, "it is a directory"),
        (tmp_path / "nope" / "m.json", FileNotFoundError, "does not exist"),
        (tmp_path / "a_file" / "m.json", NotADirectoryError, "is not a directory"),
        (Path("/dev/null"), FileExistsError, "not a regular file"),
    ]
    for path, error, message in cases:
        with pytest.raises(error, match=message) as info:
            check_writable(path, "the checkpoint (--save)")
        assert "the checkpoint (--save)" in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]
    assert check_writable(tmp_path / "m.json") == tmp_path / "m.json"
    with pytest.raises(TypeError, match="expected a file path"):
        check_writable(3)  # type: ignore[arg-type]


def test_check_writable_refuses_a_read_only_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    if os.geteuid() == 0:  # root may write anywhere: let access() answer as for a read-only disk
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == locked else real(p, mode))
    with pytest.raises(PermissionError, match="is not writable"):
        check_writable(locked / "m.json", "the model")
    with pytest.raises(PermissionError, match="is not writable"):
        write_atomic(locked / "m.json", "x")
    assert list(locked.iterdir()) == []


def test_check_writable_really_tries_a_file_in_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the audit: as root, os.access says yes for /proc, so `train --save /proc/m.json` trained
    # and then lost the model. A folder that refuses new files is refused before any work.
    if os.geteuid() == 0:
        target = Path("/proc/microgradnet-check.json")
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        target = locked / "m.json"
    real = os.access  # answer as os.access does for root: yes
    monkeypatch.setattr(os, "access", lambda p, mode: True if Path(p) == target.parent else real(p, mode))
    with pytest.raises(PermissionError, match="no file can be created") as info:
        check_writable(target, "the model (--save)")
    assert "the model (--save)" in str(info.value) and str(target.parent) in str(info.value)
    assert not target.exists()
    check_writable(tmp_path / "ok.json")  # a folder that takes files: the probe leaves nothing
    assert sorted(p.name for p in tmp_path.iterdir()) == ([] if os.geteuid() == 0 else ["locked"])


def test_writing_onto_a_directory_is_refused_before_a_temp_file_is_made(tmp_path: Path) -> None:
    target = tmp_path / "out.svg"
    target.mkdir()
    with pytest.raises(IsADirectoryError, match="it is a directory"):
        write_atomic(target, "x")
    assert [p.name for p in tmp_path.iterdir()] == ["out.svg"]  # no temp file beside it


# ---------------------------------------------------------------- writers that were killed


def strays(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if "tmp" in p.name)


def test_stray_temp_files_are_removed_by_the_next_write_but_a_live_one_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "m.json"
    dead = tmp_path / ".m.json.k1ll3d_x.microgradnet-tmp"  # what a killed writer leaves
    dead.write_bytes(b"half")
    other = tmp_path / ".n.svg.k1ll3d_y.microgradnet-tmp"  # another file's, killed too
    other.write_bytes(b"half")
    live = tmp_path / ".m.json.wr1t1ng_.microgradnet-tmp"
    live.write_bytes(b"being written")
    for name in (".m.json.backup.tmp", ".m.json.k1ll3d_x.tmp"):  # not ours: never touched
        (tmp_path / name).write_bytes(b"keep")
    with open(live, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # a writer still at work holds its lock
        write_atomic(target, "new")
        assert strays(tmp_path) == [
            ".m.json.backup.tmp",
            ".m.json.k1ll3d_x.tmp",
            ".m.json.wr1t1ng_.microgradnet-tmp",
        ]
    assert target.read_text() == "new"


WRITER = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("f", sys.argv[1])
f = importlib.util.module_from_spec(spec); spec.loader.exec_module(f)
n = 0
while True:
    n += 1
    f.write_atomic(sys.argv[2], (str(n % 10) * 2_000_000).encode())
"""


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def test_sigkills_during_saves_leave_no_stray_temp_file_after_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "m.json"
    rng = random.Random(0)
    seen = 0
    for _ in range(20):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(FILES), str(target)], preexec_fn=limit_memory
        )
        deadline = time.monotonic() + 30
        while not target.exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.05 + rng.random() * 0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        seen += len(strays(tmp_path))
        text = target.read_text()
        assert len(text) == 2_000_000 and len(set(text)) == 1  # always one whole save
    assert seen > 0  # the kills did land mid-write
    write_atomic(target, "final")
    assert strays(tmp_path) == []
    assert target.read_text() == "final"
