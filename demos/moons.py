"""micrograd's moons demo: MLP(2, [16, 16, 1]) learns two interleaving half circles.

The recipe of karpathy/micrograd's demo.ipynb: 100 points with noise 0.1, labels ±1, the SVM
max-margin loss mean(relu(1 - y·score)) plus 1e-4 · Σ p² (L2), 100 full-batch SGD steps with the
learning rate falling from 1.0 to 0.1 (lr = 1.0 - 0.9·k/100). The notebook reaches 100% training
accuracy; this script prints the accuracy and the time, and draws the decision boundary, the loss
and accuracy curves, and the largest |w| of each layer per step.

Run: ``python demos/moons.py --out out/`` (or ``make demo``)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from microgradnet import data, nn, optim, plots, train


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for the pictures (default out/)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    X, y = data.make_moons(n=100, noise=0.1, seed=1)
    model = nn.MLP(2, [16, 16, 1], seed=1)  # micrograd's uniform(-1, 1) init, ReLU hidden layers
    print(model, "with", len(model.parameters()), "parameters")

    # the learning rate is a schedule: a function of the step number k
    sgd = optim.SGD(model.parameters(), lr=lambda k: 1.0 - 0.9 * k / 100)
    start = time.perf_counter()
    # full batch (batch_size=None): one "epoch" is one step; loss="hinge" maps classes 0/1 to -1/+1
    history = train.fit(model, X, y, loss="hinge", optimizer=sgd, epochs=100, batch_size=None, l2=1e-4)
    seconds = time.perf_counter() - start

    for k in (0, 9, 49, 99):
        print(f"step {k:3d} loss {history.train_loss[k]:.4f}, accuracy {history.train_accuracy[k]:.0%}")
    _, accuracy = train.evaluate(model, X, y, loss="hinge")
    assert accuracy is not None
    print(f"final training accuracy {accuracy:.0%} after 100 steps in {seconds:.1f} s")

    plots.plot_decision_boundary(
        model, X, y, out / "moons_boundary.png", loss="hinge", title="MLP(2, [16, 16, 1])"
    )
    plots.plot_history(history, out / "moons_history.png", title="moons: hinge + L2, SGD")
    plots.plot_max_weights(history, out / "moons_max_weights.png")
    print(f"pictures in {out}/: moons_boundary.png, moons_history.png, moons_max_weights.png")
    return accuracy


if __name__ == "__main__":
    main()
