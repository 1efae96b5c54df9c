"""microgradnet.plots: PNG files that hold what they claim, written atomically."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from microgradnet import data, nn, plots, train

PNG = b"\x89PNG\r\n\x1a\n"


def read_png(path: Path) -> Any:
    from matplotlib.image import imread

    assert path.read_bytes()[:8] == PNG
    return imread(path)


@pytest.fixture(scope="module")
def trained() -> tuple[Any, ...]:
    X, y = data.make_blobs(n=40, classes=3, seed=0)
    X = data.standardize(X)[0]
    model = nn.MLP(2, [6, 3], seed=0)
    h = train.fit(model, X[:30], y[:30], X_val=X[30:], y_val=y[30:], epochs=5, lr=0.2, progress=False)
    return model, X, y, h


def test_decision_boundary_colours_each_region_by_the_predicted_class(trained: Any, tmp_path: Path) -> None:
    model, X, y, _ = trained
    path = plots.plot_decision_boundary(model, X, y, tmp_path / "b.png", resolution=20)
    img = read_png(path)
    assert img.shape[0] > 200 and img.shape[1] > 200
    # several distinct region colours, not a blank canvas
    assert len(np.unique(img[..., :3].reshape(-1, 3).round(2), axis=0)) > 10


def test_history_and_max_weight_pictures(trained: Any, tmp_path: Path) -> None:
    _, _, _, h = trained
    a = read_png(plots.plot_history(h, tmp_path / "h.png"))
    b = read_png(plots.plot_history(h.to_dict(), tmp_path / "h2.png"))
    np.testing.assert_array_equal(a, b)  # a History and its dict draw the same picture
    assert a.shape[1] > a.shape[0]  # loss and accuracy side by side
    read_png(plots.plot_max_weights(h, tmp_path / "w.png"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.png", "h2.png", "w.png"]


def test_pictures_are_byte_for_byte_deterministic(trained: Any, tmp_path: Path) -> None:
    _, _, _, h = trained
    plots.plot_max_weights(h, tmp_path / "1.png")
    plots.plot_max_weights(h, tmp_path / "2.png")
    assert (tmp_path / "1.png").read_bytes() == (tmp_path / "2.png").read_bytes()


def test_bad_arguments(trained: Any, tmp_path: Path) -> None:
    model, _, _, h = trained
    with pytest.raises(ValueError, match=r"2-D points \(n, 2\)"):
        plots.plot_decision_boundary(model, np.zeros((3, 3)), np.zeros(3), tmp_path / "x.png")
    with pytest.raises(ValueError, match="PNG"):
        plots.plot_history(h, tmp_path / "x.jpg")
    with pytest.raises(ValueError, match="empty"):
        plots.plot_history(train.History(), tmp_path / "x.png")
    with pytest.raises(TypeError, match="History"):
        plots.plot_history([1, 2], tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []


def test_missing_matplotlib_gives_an_install_hint(
    trained,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, _, _, h = trained
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"microgradnet\[plot\]"):
        plots.plot_history(h, tmp_path / "h.png")
