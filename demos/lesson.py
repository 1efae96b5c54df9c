"""The lesson's exercises (AI for Beginners, 04-OwnFramework) on its two-feature, two-class data.

1. One layer against two: ``Linear(2, 2)`` and ``Linear(2, 10) → Tanh → Linear(10, 2)``, both
   with softmax cross-entropy, trained as the notebook does (80/20 split, minibatches of 4,
   learning rate 0.1); prints the test accuracy of each and draws both decision boundaries.
2. The loss functions the lesson defines — absolute error, squared error, the 0-1 loss and the
   logistic loss (plus micrograd's hinge) — plotted against the network's output for a sample of
   class 1, each computed by ``microgradnet.losses`` and its slope by ``backward()``.
3. The two-layer network trained once with each loss, its test accuracy per epoch side by side.

Run: ``python demos/lesson.py --out out/``
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from microgradnet import Value, data, losses, nn, plots, train

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00"]


def figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def two_layers(seed: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(2, 10, seed=seed), nn.Tanh(), nn.Linear(10, 2, seed=seed + 1))


def loss_curves(out: Path) -> None:
    """Each loss for one sample of class 1 as the output z moves, with its derivative."""
    zs = np.linspace(-3, 3, 121)
    curves: dict[str, tuple[list[float], list[float]]] = {}
    per_loss = {
        "absolute error |z - 1|": lambda z: losses.mae([z], [1.0]),
        "squared error (z - 1)²": lambda z: losses.mse([z], [1.0]),
        "logistic loss log(1 + e⁻ᶻ)": lambda z: losses.binary_cross_entropy_with_logits([z], [1.0]),
        "hinge max(0, 1 - z)": lambda z: losses.hinge([z], [1.0]),
    }
    for name, fn in per_loss.items():
        values, slopes = [], []
        for z0 in zs:
            z = Value(float(z0))
            loss = fn(z)
            loss.backward()
            values.append(loss.data)
            slopes.append(z.grad)
        curves[name] = (values, slopes)
    # the 0-1 loss is 1 - accuracy: a step with zero slope almost everywhere (why it is not trained on)
    curves["0-1 loss"] = ([1.0 - losses.accuracy([float(z)], [1]) for z in zs], [0.0] * len(zs))

    fig = figure(10, 4)
    left, right = fig.subplots(1, 2)
    for k, (name, (values, slopes)) in enumerate(curves.items()):
        left.plot(zs, values, color=PALETTE[k], label=name, lw=2, ls=["-", "--", "-.", ":", "-"][k])
        right.plot(zs, slopes, color=PALETTE[k], label=name, lw=2, ls=["-", "--", "-.", ":", "-"][k])
    left.set_ylim(-0.1, 4)
    left.set_title("loss for a sample of class 1")
    right.set_title("its derivative ∂loss/∂z (from backward())")
    for ax in (left, right):
        ax.set_xlabel("network output z")
        ax.grid(alpha=0.3)
    left.legend(fontsize=8)
    fig.savefig(out / "lesson_losses.png")


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for the pictures (default out/)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    X, y = data.make_lesson_data(seed=0)
    Xtr, Xte, ytr, yte = data.train_test_split(X, y, seed=0)  # 80 / 20
    settings = dict(X_val=Xte, y_val=yte, optimizer="sgd", lr=0.1, epochs=20, batch_size=4, progress=False)

    # 1. one layer against two
    results = {}
    models = {
        "one layer": ("Linear(2, 2)", nn.Linear(2, 2, seed=0)),
        "two layers": ("Linear(2, 10) → Tanh → Linear(10, 2)", two_layers(0)),
    }
    for name, (text, model) in models.items():
        history = train.fit(model, Xtr, ytr, **settings)  # type: ignore[arg-type]
        results[name] = history.val_accuracy[-1]
        print(f"{name:10s} {text}: test accuracy {history.val_accuracy[-1]:.0%}")
        slug = name.replace(" ", "_")
        plots.plot_decision_boundary(model, X, y, out / f"lesson_{slug}.png", title=f"{name}: {text}")

    # 2. the loss functions themselves
    loss_curves(out)

    # 3. the two-layer network trained with each loss
    fig = figure(6, 4)
    ax = fig.add_subplot()
    for k, loss in enumerate(["cross_entropy", "mse", "mae", "hinge", "binary_cross_entropy_with_logits"]):
        outputs = 2 if loss in ("cross_entropy", "mse", "mae") else 1  # one score for the binary losses
        model = nn.Sequential(nn.Linear(2, 10, seed=0), nn.Tanh(), nn.Linear(10, outputs, seed=1))
        history = train.fit(model, Xtr, ytr, loss=loss, **settings)  # type: ignore[arg-type]
        ax.plot(history.epochs, history.val_accuracy, color=PALETTE[k], label=loss, lw=2)
        print(f"trained with {loss:33s} test accuracy {history.val_accuracy[-1]:.0%}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Linear(2,10) → Tanh → Linear(10,·), one run per loss")
    fig.savefig(out / "lesson_loss_training.png")
    names = "lesson_one_layer.png, lesson_two_layers.png, lesson_losses.png, lesson_loss_training.png"
    print(f"pictures in {out}/: {names}")
    return {k: float(v or 0.0) for k, v in results.items()}


if __name__ == "__main__":
    main()
