"""Regression: an MLP with tanh hidden layers fits a smooth noisy curve, y = sin(πx) + 0.3x + ε.

Mean squared error, Adam, minibatches of 8; R² is measured on held-out points (20%). Draws the data,
the fitted curve and the loss per epoch.

Run: ``python demos/regression.py --out out/``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from microgradnet import data, nn, plots, train


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for the pictures (default out/)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    X, y = data.make_regression_curve(n=80, noise=0.1, seed=0)
    Xtr, Xte, ytr, yte = data.train_test_split(X, y, seed=0)
    model = nn.MLP(1, [16, 16, 1], activation="tanh", seed=0)
    start = time.perf_counter()
    history = train.fit(
        model,
        Xtr,
        ytr,
        X_val=Xte,
        y_val=yte,
        loss="mse",
        optimizer="adam",
        lr=0.02,
        epochs=150,
        batch_size=None,
    )
    r2 = train.r2_score(yte, train.predict(model, Xte))
    print(f"test R² {r2:.4f}, test MSE {history.val_loss[-1]:.4f} in {time.perf_counter() - start:.1f} s")

    # the fitted curve on a fine grid, over the data (matplotlib directly: a demo may)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    grid = np.linspace(-1.1, 1.1, 200)[:, None]
    fig = Figure(figsize=(6, 4), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.scatter(Xtr[:, 0], ytr, s=18, color="#0072B2", marker="o", label="training points")
    ax.scatter(Xte[:, 0], yte, s=24, color="#E69F00", marker="s", edgecolors="black", label="test points")
    ax.plot(
        grid[:, 0], np.sin(np.pi * grid[:, 0]) + 0.3 * grid[:, 0], color="grey", ls=":", label="true curve"
    )
    ax.plot(grid[:, 0], train.predict(model, grid), color="#009E73", lw=2, label="MLP(1, [16, 16, 1])")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"regression, test R² = {r2:.3f}")
    ax.legend()
    fig.savefig(out / "regression_fit.png")
    plots.plot_history(history, out / "regression_history.png", title="regression: mean squared error")
    print(f"pictures in {out}/: regression_fit.png, regression_history.png")
    return r2


if __name__ == "__main__":
    main()
