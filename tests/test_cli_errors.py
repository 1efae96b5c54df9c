"""The command line never loses work and never shows a traceback for a user's mistake.

Each case here is from issue 10 (items 8, 9 and 13): an output path that cannot be written is
refused before any training, a closed pipe or a full disk on standard output ends with a clear
message (or quietly, for a reader that went away), and options are checked by the parser, which
names them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from microgradnet import train
from microgradnet.cli import main
from microgradnet.cli import train as cli_train
from microgradnet.viz.worksheet import MAX_VERSIONS

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "microgradnet"]
QUICK = ["--epochs", "1", "--no-progress"]


def run_cli(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """The command in a child process, bounded in time; stdout and stderr captured unless given."""
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kwargs}
    return subprocess.run([*CLI, *args], text=True, timeout=120, cwd=ROOT, **streams)


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative paths in the commands below land in the test's own folder, if anywhere."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any call to fit fails the test: the command must stop before training."""

    def fit(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("trained although an output could not be written")

    monkeypatch.setattr(train, "fit", fit)


def unwritable(path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory that cannot be written (for root, whom permissions do not stop, by access())."""
    path.mkdir()
    path.chmod(0o555)
    if os.geteuid() == 0:
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == path else real(p, mode))
    return path


# ---------------------------------------------------------------- item 8: lost work


@pytest.mark.parametrize(
    ("where", "option", "message"),
    [
        ("missing", "--save", "directory '{d}/nope' does not exist"),
        ("directory", "--save", "it is a directory"),
        ("unwritable", "--save", "is not writable"),
        ("device", "--save", "not a regular file"),
        ("directory", "--plot", "it is a directory"),
        ("unwritable", "--plot", "is not writable"),
    ],
)
def test_train_refuses_an_output_it_cannot_write_before_training(
    where: str,
    option: str,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    no_training: None,
) -> None:
    name = "m.png" if option == "--plot" else "m.json"
    if where == "missing":
        target = tmp_path / "nope" / name
    elif where == "directory":
        target = tmp_path / name
        target.mkdir()
    elif where == "unwritable":
        target = unwritable(tmp_path / "ro", monkeypatch) / name
    else:
        target = Path("/dev/null")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert main(["train", "digits", "--epochs", "30", "--no-progress", option, str(target)]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("microgradnet: error: cannot write the ") and message.format(d=tmp_path) in err
    assert out == ""  # no table: nothing was trained
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # and nothing was written


def test_save_and_plot_must_be_different_files(capsys: pytest.CaptureFixture[str], no_training: None) -> None:
    assert main(["train", "moons", *QUICK, "--save", "x.png", "--plot", "x.png"]) == 2
    assert "--save and --plot must name different files" in capsys.readouterr().err


def test_the_model_is_saved_even_when_the_reader_of_the_table_went_away(tmp_path: Path) -> None:
    # `microgradnet train ... --save m.json | head -0`: the pipe is closed before the table
    read, write = os.pipe()
    os.close(read)
    try:
        run = subprocess.run(
            [*CLI, "train", "moons", *QUICK, "--save", str(tmp_path / "m.json")],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
    finally:
        os.close(write)
    assert run.returncode == 1 and run.stderr == ""  # quietly, as Python's docs recommend
    assert (tmp_path / "m.json").read_text().startswith("{")


# ---------------------------------------------------------------- item 9: tracebacks


@pytest.mark.parametrize(
    "argv",
    [
        ["graph", "a*b", "a=1", "b=2", "-o", "{d}/out.svg"],
        ["step", "a*b", "a=1", "b=2", "-o", "{d}/out.html"],
        ["worksheet", "a*b", "-o", "{d}/out.md"],
        ["worksheet", "a*b", "-o", "{ok}/sheet.md", "--answers", "{d}/out.md"],
    ],
    ids=["graph", "step", "worksheet", "answers"],
)
@pytest.mark.parametrize("where", ["directory", "unwritable"])
def test_classroom_commands_refuse_outputs_they_cannot_write(
    argv: list[str],
    where: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if where == "directory":
        d = tmp_path
        name = Path(argv[-1]).name
        (tmp_path / name).mkdir()
    else:
        d = unwritable(tmp_path / "ro", monkeypatch)
    ok = tmp_path / "ok"
    ok.mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert main([a.format(d=d, ok=ok) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("microgradnet: error: cannot write the ")
    assert ("it is a directory" if where == "directory" else "is not writable") in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_a_closed_standard_output_is_an_error_not_a_traceback() -> None:
    run = run_cli("graph", "a*b", "a=1", "b=2", "--text", preexec_fn=lambda: os.close(1))
    assert run.returncode == 2
    assert run.stderr.startswith("microgradnet: error: standard output is closed, so there is nowhere")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("argv", [["ops"], ["examples"], ["graph", "--example", "mazur-network", "--json"]])
def test_a_full_disk_on_standard_output_is_an_error_not_a_traceback(argv: list[str]) -> None:
    with open("/dev/full", "w") as full:
        run = run_cli(*argv, stdout=full)
    assert run.returncode == 2
    assert run.stderr == "microgradnet: error: cannot write to standard output: No space left on device\n"


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["step", "a*b", "a=1", "b=2", "--title", "\udcff", "-o", "x.html"], "--title"),
        (["graph", "a*b", "a=1", "b=2", "--name", "L\udcff", "--text"], "--name"),
        (["graph", "a\udcff*b", "a=1", "b=2", "--text"], "EXPR"),
        (["worksheet", "a*b", "--title", "\udcff", "-o", "x.md"], "--title"),
    ],
)
def test_text_that_is_not_utf8_is_refused_by_the_parser(
    argv: list[str], option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Python hands undecodable argv bytes (b"\xff") over as lone surrogates ("\udcff")
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}" in err and r"\xff" in err and "is not valid UTF-8 text" in err


def test_non_utf8_bytes_on_a_real_command_line(tmp_path: Path) -> None:
    run = subprocess.run(
        [*CLI, "step", "a*b", "a=1", "b=2", "--title", b"\xff", "-o", str(tmp_path / "t.html")],
        capture_output=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == 2 and b"Traceback" not in run.stderr
    assert b'argument --title: "\\xff" is not valid UTF-8 text' in run.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "moons", "--seed", "-1"], "argument --seed: expected a whole number >= 0, got -1"),
        (["worksheet", "a*b", "--seed", "-1", "-o", "w.md"], "argument --seed: expected a whole number >= 0"),
        (["train", "digits", "--hidden", "100000"], "argument --hidden: layer sizes must be from 1 to 10000"),
        (["worksheet", "a*b", "--versions", "1000", "-o", "w.md"], "argument --versions: expected a number"),
    ],
)
def test_options_are_checked_by_the_parser_which_names_them(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_a_model_too_big_to_build_is_refused_before_building(
    capsys: pytest.CaptureFixture[str], no_training: None
) -> None:
    assert main(["train", "digits", "--hidden", "5000,5000", *QUICK]) == 2
    err = capsys.readouterr().err
    assert "--hidden 5000,5000 on 64 features makes a model with 25,380,010 parameters" in err
    assert f"more than the {cli_train.MAX_PARAMETERS:,}" in err


def test_running_out_of_memory_is_a_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fit(*args: Any, **kwargs: Any) -> None:
        raise MemoryError

    monkeypatch.setattr(train, "fit", fit)
    assert main(["train", "moons", *QUICK]) == 1
    assert capsys.readouterr().err == (
        "microgradnet: error: out of memory; ask for a smaller model or fewer samples\n"
    )


# ---------------------------------------------------------------- item 13: unbounded work


def test_worksheet_versions_are_capped_and_never_repeat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a*b with nonzero integers from -5 to 5 has 10 x 10 = 100 different sets of values
    assert main(["worksheet", "a*b", "--versions", "101", "-o", str(tmp_path / "w.md")]) == 2
    assert "the ranges give only 100 different sets of leaf values" in capsys.readouterr().err
    # log needs a > 0: five of them; the sixth version stops with a clear message
    assert main(["worksheet", "log(a)", "--versions", "6", "-o", str(tmp_path / "w.md")]) == 2
    assert "found only 5 versions with different leaf values" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    assert main(["worksheet", "a*b", "--versions", "100", "-o", str(tmp_path / "w.md")]) == 0
    sheet = (tmp_path / "w.md").read_text(encoding="utf-8")
    assert sheet.count("## Version") == 100
    assert MAX_VERSIONS == 500
