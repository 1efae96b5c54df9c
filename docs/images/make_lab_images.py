"""Re-make the pictures of docs/howto/mnist-lab.md at full size.

The page trains for only a few epochs so that the docs tests stay fast. This script runs the
page's own python blocks, with the sizes line replaced by the full run's, in this folder: it
writes lab_accuracy.png, lab_max_weights_tanh.png,
lab_max_weights_sigmoid.png and lab_results.json (every History, for the numbers on the page).

Run from the repository root: ``.venv/bin/python docs/images/make_lab_images.py`` (about ten seconds on
the compiled path that ``fit`` uses by default).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
PAGE = HERE.parent / "howto" / "mnist-lab.md"
SMALL = "SAMPLES, TEST, EPOCHS, HIDDEN = 1437, 360, 4, 32"
FULL = "SAMPLES, TEST, EPOCHS, HIDDEN = 1437, 360, 15, 32"


def main() -> None:
    text = PAGE.read_text(encoding="utf-8")
    if SMALL not in text:
        raise SystemExit(f"{PAGE}: the line {SMALL!r} is gone; update this script")
    blocks = re.findall(r"^```python\n(.*?)^```", text.replace(SMALL, FULL), re.S | re.M)
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.chdir(HERE)
    namespace: dict[str, object] = {"__name__": "__lab__"}
    for code in blocks:
        exec(compile(code, str(PAGE), "exec"), namespace)
    histories = namespace["histories"]
    results = {name: h.to_dict() for name, h in histories.items()}  # type: ignore[attr-defined]
    (HERE / "lab_results.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
