"""Handwritten digits: the lesson's lab on the 8×8 UCI digits shipped with microgradnet.

Compares a one-layer (64 → 10) and a two-layer (64 → 32 → 10, tanh) perceptron, as the lab asks,
on an 80/20 split; softmax cross-entropy, Adam, minibatches of 32. The eager engine builds a graph
per sample, so by default a subset of the training images is used (``--samples``; all 1,437
training images take about 4 s per epoch for 64-32-10 on one core). Draws the training curves,
the largest |w| of each layer per epoch (the lab's plot), and some test digits with the
predicted labels.

Run: ``python demos/digits.py --out out/`` (``--samples 1437 --epochs 8`` for the full set)
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
    parser.add_argument("--samples", type=int, default=1000, help="training images to use (default 1000)")
    parser.add_argument("--epochs", type=int, default=3, help="default 3")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    X, y = data.load_digits()
    Xtr, Xte, ytr, yte = data.train_test_split(X / 16.0, y, seed=0)  # pixel values 0..16 -> 0..1
    Xtr, ytr = Xtr[: args.samples], ytr[: args.samples]
    print(f"{len(ytr)} training and {len(yte)} test images of 8×8 pixels")

    best = 0.0
    for name, hidden in (("64-10", []), ("64-32-10", [32])):
        model = nn.MLP(64, [*hidden, 10], activation="tanh", init="xavier", seed=1)
        start = time.perf_counter()
        history = train.fit(
            model,
            Xtr,
            ytr,
            X_val=Xte,
            y_val=yte,
            optimizer="adam",
            lr=0.01,
            epochs=args.epochs,
            batch_size=32,
        )
        seconds = time.perf_counter() - start
        acc = history.val_accuracy[-1] or 0.0
        best = max(best, acc)
        print(f"{name:9s} test accuracy {acc:.1%} ({seconds:.1f} s, {seconds / args.epochs:.1f} s per epoch)")
        plots.plot_history(history, out / f"digits_{name}_history.png", title=f"digits, {name}")
        plots.plot_max_weights(
            history, out / f"digits_{name}_max_weights.png", title=f"digits {name}: max |w|"
        )

    # the last model's guesses on the first 24 test images
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    guesses = train.predict_classes(model, Xte[:24])
    fig = Figure(figsize=(8, 3.6), layout="constrained")
    FigureCanvasAgg(fig)
    for k, ax in enumerate(fig.subplots(3, 8).ravel()):
        ax.imshow(Xte[k].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        right = guesses[k] == yte[k]
        ax.set_title(f"{guesses[k]}" + ("" if right else f" (is {yte[k]})"), fontsize=9,
                     color="black" if right else "#D55E00")  # fmt: skip
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("64-32-10 on test digits: predicted label (wrong ones name the true digit)")
    fig.savefig(out / "digits_predictions.png")
    print(f"{int(np.sum(guesses == yte[:24]))}/24 shown digits right; pictures in {out}/")
    return best


if __name__ == "__main__":
    main()
