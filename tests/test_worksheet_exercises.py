"""Faded worked examples and find-the-slip worksheets, from Python and from the shell."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from microgradnet.cli import main
from microgradnet.slips import SlipError
from microgradnet.viz import make_worksheet
from microgradnet.viz.worksheet import WORKSHEET_STRINGS, rule_cards

PROMPT = WORKSHEET_STRINGS["rule_prompt"]


def _step_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"\| \d+ \| `∂", line)]


def test_fading_hides_one_more_step_from_the_end_in_each_version() -> None:
    ws = make_worksheet("(a*b + c) * f", {"c": 10}, seed=4, fade=True)
    steps = len(ws.versions[0].trace.events)
    assert len(ws.versions) == steps + 1  # all shown, then one hidden more each time, then none shown
    assert [v.hidden for v in ws.versions] == list(range(steps + 1))
    sheet, key = ws.sheet(), ws.answers()
    per_version = sheet.split("## Version ")[1:]
    rules = rule_cards()
    for v, text in zip(ws.versions, per_version):
        rows = _step_rows(text)
        assert len(rows) == steps
        hidden = [row for row in rows if PROMPT in row]
        assert len(hidden) == v.hidden
        assert rows[len(rows) - v.hidden :] == hidden  # the hidden steps are the last ones
        for row, event in zip(rows, v.trace.events):
            if row in hidden:
                assert "______" in row and v.trace.event_text(event) not in row.replace("\\|", "|")
            else:
                assert " ".join(v.trace.event_text(event).split()) in row and rules[event.op] in row
    assert PROMPT not in key and len(_step_rows(key)) == steps * len(ws.versions)


def test_fading_spreads_the_steps_over_fewer_versions() -> None:
    ws = make_worksheet("(a*b + c) * f", seed=0, fade=True, n_versions=3)
    assert [v.hidden for v in ws.versions] == [0, 3, 6]
    with pytest.raises(ValueError, match="at least 2"):
        make_worksheet("a*b", fade=True, n_versions=1)
    with pytest.raises(ValueError, match="not both"):
        make_worksheet("a*b", fade=True, slip="sign")


def test_find_the_slip_sheet_and_its_key() -> None:
    ws = make_worksheet("(a - b) * a + c", seed=3, n_versions=4, slip="random", fmt="md")
    sheet, key = ws.sheet(), ws.answers()
    for v in ws.versions:
        s = v.slipped
        assert s is not None and s.first_step >= 0
        wrong_line = " ".join(s.wrong.event_text(s.wrong.events[s.first_step]).split())
        assert wrong_line in sheet  # the sheet shows the slipped pass
        assert f"Line {s.first_step + 1} is the first wrong one." in key and s.explanation in key
        right_line = " ".join(s.right.event_text(s.right.events[s.first_step]).split())
        assert right_line in key
    assert "First wrong line:" in sheet and "is the first wrong one." not in sheet
    assert len({v.slipped.kind.name for v in ws.versions if v.slipped}) >= 2


def test_a_slip_that_cannot_apply_is_refused() -> None:
    with pytest.raises(SlipError, match=r"'fanout'.*no node of this graph feeds two others"):
        make_worksheet("(a*b + c) * f", slip="fanout")
    with pytest.raises(ValueError, match="no slip kind"):
        make_worksheet("a*b", slip="typo")


def test_the_shell_writes_faded_slip_and_nepali_sheets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet, key = tmp_path / "f.md", tmp_path / "fk.html"
    assert (
        main(["worksheet", "(a*b + c) * f", "c=10", "--fade", "-o", str(sheet), "--answers", str(key)]) == 0
    )
    assert sheet.read_text(encoding="utf-8").count(PROMPT) == sum(range(7))  # 6 steps, 7 versions
    slips = tmp_path / "s.md"
    assert main(["worksheet", "(a - b) * a", "--slip", "sign", "-o", str(slips)]) == 0
    ne = tmp_path / "ne.html"
    assert main(["worksheet", "(a*b + c) * f", "--lang", "ne", "-o", str(ne)]) == 0
    assert '<html lang="ne">' in ne.read_text(encoding="utf-8")
    assert main(["step", "--example", "lecture-expression", "--text", "--lang", "ne"]) == 0
    assert "ब्याकवार्ड पास" in capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["md", "gift", "moodle"])
def test_a_nepali_sheet_of_a_preset_has_no_english_title(tmp_path: Path, fmt: str) -> None:
    """The preset's English title is left out (as ``step`` does): the heading and the LMS
    category path are the sheet's own Nepali title with the formula."""
    out = tmp_path / f"ws.{ {'md': 'md', 'gift': 'gift', 'moodle': 'xml'}[fmt] }"
    assert main(["worksheet", "--example", "lecture-neuron", "--lang", "ne", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "ब्याकप्रोपोगेसन कार्यपत्र: o = tanh(" in text
    assert "tanh neuron" not in text and "neuron" not in text
    english = tmp_path / f"en.{out.suffix}"
    assert main(["worksheet", "--example", "lecture-neuron", "-o", str(english)]) == 0
    assert "a tanh neuron" in english.read_text(encoding="utf-8")  # English keeps the preset's title


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["worksheet", "a*b", "--slip", "fanout", "-o", "s.md"], "fanout"),
        (["worksheet", "a*b", "--fade", "--slip", "sign", "-o", "s.md"], "not both"),
        (["worksheet", "a*b", "-o", "q.xml", "--answers", "k.md"], "drop --answers"),
        (["worksheet", "a*b", "-o", "q.pdf"], "--format"),
    ],
)
def test_worksheet_option_errors(
    argv: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
