"""scripts/probe_errors.py throws 405 kinds of bad input at the public API; only the case left
on purpose (an optimizer step over a str gradient; checking every gradient would slow every step)
may come back without a clear, side-effect-free error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bad_input_gets_clear_errors_everywhere_but_one_known_case() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "probe_errors.py"), "--bad"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    bad = [line for line in run.stdout.splitlines() if line.startswith("BAD")]
    assert len(bad) == 1, "\n".join(bad)
    assert "str grad" in bad[0]
    assert ", 1 bad," in run.stdout.splitlines()[-1]
