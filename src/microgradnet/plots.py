"""Pictures of training: decision boundaries, loss and accuracy curves, max |W| per layer.

Needs matplotlib (``pip install microgradnet[plot]``); it is imported only when a picture is
drawn, and a missing matplotlib gives an ``ImportError`` that says how to install it. Figures are
drawn with matplotlib's Agg canvas directly (no ``pyplot``, no global state, no window) and
saved as PNG atomically (a temp file beside ``path``, then ``os.replace``).

Classes are told apart by marker shape as well as colour (a colour-blind-safe palette), so a
picture reads in greyscale and on a projector.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np

from microgradnet._files import write_atomic
from microgradnet.losses import LOSSES, predicted_classes
from microgradnet.train import History, Model, predict

__all__ = ["plot_decision_boundary", "plot_history", "plot_max_weights"]

#: Okabe–Ito colours, distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def _figure(width: float = 6.4, height: float = 4.8) -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            "microgradnet.plots needs matplotlib: pip install 'microgradnet[plot]' or pip install matplotlib"
        ) from exc
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _integer_ticks(ax: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _save(fig: Any, path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if p.suffix.lower() != ".png":
        raise ValueError(f"pictures are saved as PNG: give a path ending in .png, got {str(p)!r}")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    write_atomic(p, buf.getvalue())
    return p


def plot_decision_boundary(
    model: Model,
    X: Any,
    y: Any,
    path: str | os.PathLike[str],
    *,
    loss: str = "cross_entropy",
    resolution: int = 60,
    title: str | None = None,
) -> Path:
    """Draw the regions a 2-D classifier assigns to each class, with the data on top; returns the path.

    The model is evaluated (without recording a graph) on a ``resolution × resolution`` grid
    covering the data plus a margin; the predicted class is
    :func:`microgradnet.losses.predicted_classes`: the argmax of several outputs, or
    ``output > 0`` for one output (``> 0.5`` with ``loss="binary_cross_entropy"``). The eager
    engine evaluates one grid point at a time, so keep ``resolution`` modest.
    Raises ``ValueError`` unless ``X`` has two features and ``path`` ends in ``.png``.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary needs 2-D points (n, 2), got shape {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} points but y has {len(y)} labels")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an integer >= 2, got {resolution!r}")
    if Path(path).suffix.lower() != ".png":
        raise ValueError(f"pictures are saved as PNG: give a path ending in .png, got {str(path)!r}")
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.1 * (hi - lo) + 1e-9
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    out = predict(model, np.column_stack([gx.ravel(), gy.ravel()]))
    spec = LOSSES.get(loss)
    grid = np.array(predicted_classes(out, threshold=spec.threshold if spec else 0.0), dtype=np.int64)
    classes = sorted(set(np.asarray(y).astype(np.int64).tolist()) | set(grid.tolist()))
    k = max(classes) + 1
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap([PALETTE[c % len(PALETTE)] for c in range(k)])
    fig = _figure(6.0, 5.0)
    ax = fig.add_subplot()
    ax.contourf(gx, gy, grid.reshape(gx.shape), levels=np.arange(-0.5, k), cmap=cmap, alpha=0.25)
    for c in classes:
        mask = y.astype(np.int64) == c
        if mask.any():
            ax.scatter(
                X[mask, 0],
                X[mask, 1],
                c=PALETTE[c % len(PALETTE)],
                marker=MARKERS[c % len(MARKERS)],
                edgecolors="black",
                linewidths=0.5,
                s=30,
                label=f"class {c}",
            )
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.legend(loc="best", framealpha=0.9)
    ax.set_title(title or "decision boundary")
    return _save(fig, path)


def _history(history: History | dict[str, Any]) -> History:
    if isinstance(history, History):
        return history
    if isinstance(history, dict):
        return History.from_dict(history)
    raise TypeError(f"expected a History (or its to_dict()), got {type(history).__name__}")


def plot_history(
    history: History | dict[str, Any], path: str | os.PathLike[str], *, title: str | None = None
) -> Path:
    """Loss (left) and accuracy (right, when measured) per epoch, training and validation.

    Returns the path. Raises ``ValueError`` for an empty history or a path not ending in .png.
    """
    h = _history(history)
    if not h.epochs:
        raise ValueError("the history is empty: nothing to plot")
    has_acc = any(a is not None for a in h.train_accuracy + h.val_accuracy)
    ms = 3 if len(h.epochs) <= 40 else 0  # markers only while they can be told apart
    fig = _figure(10.0 if has_acc else 6.0, 4.0)
    axes = fig.subplots(1, 2 if has_acc else 1, squeeze=False)[0]
    ax = axes[0]
    ax.plot(h.epochs, h.train_loss, color=PALETTE[0], marker="o", ms=ms, label="train")
    if h.val_loss:
        ax.plot(h.epochs, h.val_loss, color=PALETTE[1], marker="s", ms=ms, ls="--", label="validation")
    ax.set_xlabel("epoch")
    _integer_ticks(ax)
    ax.set_ylabel(f"loss ({h.loss})" if h.loss else "loss")
    if min(h.train_loss + h.val_loss) > 0 and max(h.train_loss) / min(h.train_loss) > 50:
        ax.set_yscale("log")
    ax.legend()
    ax.grid(alpha=0.3)
    if has_acc:
        ax = axes[1]
        tr = [np.nan if a is None else a for a in h.train_accuracy]
        ax.plot(h.epochs, tr, color=PALETTE[0], marker="o", ms=ms, label="train")
        if h.val_accuracy:
            va = [np.nan if a is None else a for a in h.val_accuracy]
            ax.plot(h.epochs, va, color=PALETTE[1], marker="s", ms=ms, ls="--", label="validation")
        ax.set_xlabel("epoch")
        _integer_ticks(ax)
        ax.set_ylabel("accuracy")
        ax.set_ylim(0, 1.02)
        ax.legend(loc="lower right")
        ax.grid(alpha=0.3)
    fig.suptitle(title or "training history")
    return _save(fig, path)


def plot_max_weights(
    history: History | dict[str, Any], path: str | os.PathLike[str], *, title: str | None = None
) -> Path:
    """The largest |w| of each layer per epoch, one line per layer (the lesson's lab plot).

    Returns the path. Raises ``ValueError`` if the history recorded no weights.
    """
    h = _history(history)
    if not h.epochs or not h.max_abs_weight:
        raise ValueError("the history holds no max |W| per layer: nothing to plot")
    fig = _figure(6.0, 4.0)
    ax = fig.add_subplot()
    for k, (name, values) in enumerate(h.max_abs_weight.items()):
        ax.plot(
            h.epochs[: len(values)],
            values,
            color=PALETTE[k % len(PALETTE)],
            marker=MARKERS[k % len(MARKERS)],
            ms=4 if len(values) <= 40 else 0,
            label=name,
        )
    ax.set_xlabel("epoch")
    _integer_ticks(ax)
    ax.set_ylabel("max |w| in the layer")
    ax.legend(title="layer")
    ax.grid(alpha=0.3)
    ax.set_title(title or "largest absolute weight per layer")
    return _save(fig, path)
