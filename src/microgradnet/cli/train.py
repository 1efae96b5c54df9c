"""``microgradnet train DATASET``: train an MLP on a built-in data set and print a summary.

    microgradnet train moons --hidden 16,16 --loss hinge --epochs 100 --plot moons.png
    microgradnet train digits --hidden 32 --activation tanh --optimizer adam --lr 0.01
    microgradnet train mnist --data ~/mnist --samples 2000

The data set is split 80/20 into training and test parts (MNIST uses its own test files),
the model is ``MLP(features, hidden + [outputs], activation)``, and the table at the end gives
the loss and accuracy (R² for regression) of both parts and the training time.
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path
from typing import Any

import numpy as np

from microgradnet import data, losses, nn, optim, train
from microgradnet.cli import CliError, emit, note, output_path, seed_arg

__all__ = ["DATASETS", "MAX_LAYER_SIZE", "MAX_PARAMETERS", "register", "run"]

#: The data sets ``microgradnet train`` knows, with one line of help each.
DATASETS = {
    "moons": "two interleaving half circles (2 classes)",
    "circles": "two concentric circles (2 classes)",
    "spirals": "three spiral arms (3 classes)",
    "xor": "the XOR corners (2 classes)",
    "blobs": "three Gaussian blobs (3 classes)",
    "regression": "a smooth 1-D curve with noise (regression)",
    "lesson": "the lesson's two-feature, two-class set (100 points)",
    "digits": "8x8 handwritten digits shipped with the package (10 classes)",
    "mnist": "MNIST from --data DIR (IDX files or mnist.pkl.gz)",
}
LOSSES = train.LOSS_NAMES
ACTIVATIONS = nn.ACTIVATIONS
#: The widest hidden layer ``--hidden`` accepts.
MAX_LAYER_SIZE = 10_000
#: The most parameters a model built by ``train`` may have: each one is a Python object (a few
#: hundred bytes), so a million already takes seconds to build and hundreds of megabytes.
MAX_PARAMETERS = 1_000_000


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (value > 0 and np.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def _hidden(text: str) -> list[int]:
    """``"16,16"`` -> ``[16, 16]``; ``""`` or ``"none"`` -> ``[]`` (a linear model)."""
    if text.strip().lower() in ("", "none"):
        return []
    sizes = []
    for part in text.split(","):
        try:
            n = int(part)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"--hidden takes layer sizes separated by commas, like 16,16; got {text!r}"
            ) from None
        if not 1 <= n <= MAX_LAYER_SIZE:
            raise argparse.ArgumentTypeError(f"layer sizes must be from 1 to {MAX_LAYER_SIZE}, got {n}")
        sizes.append(n)
    return sizes


def register(sub: Any) -> None:
    """Add the ``train`` subcommand."""
    p = sub.add_parser(
        "train",
        help="train an MLP on a built-in data set and print a summary table",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("dataset", metavar="DATASET", choices=list(DATASETS), help=", ".join(DATASETS))
    p.add_argument("--data", metavar="DIR", help="where the MNIST files are (mnist only)")
    p.add_argument("--hidden", type=_hidden, default=[16, 16], help="hidden layer sizes (default 16,16)")
    p.add_argument(
        "--activation", choices=ACTIVATIONS, default="tanh", help="hidden activation (default tanh)"
    )
    p.add_argument("--loss", choices=LOSSES, help="default: cross_entropy for classes, mse for regression")
    p.add_argument("--optimizer", choices=["sgd", "adam"], default="adam", help="default adam")
    p.add_argument("--lr", type=_positive_float, help="learning rate (default 0.01 adam, 0.1 sgd)")
    p.add_argument("--epochs", type=_positive_int, default=20, help="default 20")
    p.add_argument("--batch-size", type=_positive_int, default=32, help="default 32")
    p.add_argument("--samples", type=_positive_int, help="use at most this many training samples")
    p.add_argument(
        "--seed", type=seed_arg, default=0, help="seeds the data, the weights and the shuffling (>= 0)"
    )
    p.add_argument("--plot", metavar="FILE", help="save loss/accuracy curves as PNG (and the decision "
                   "boundary of a 2-D data set as FILE-boundary.png)")  # fmt: skip
    p.add_argument("--save", metavar="FILE", help="save the trained model as a JSON checkpoint")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _load(args: argparse.Namespace) -> tuple[np.ndarray[Any, Any], ...]:
    """``(X_train, X_test, y_train, y_test)`` for the chosen data set."""
    name, seed = args.dataset, args.seed
    if name == "mnist":
        if not args.data:
            raise CliError("mnist needs --data DIR: the folder holding the MNIST IDX files or mnist.pkl.gz")
        Xtr, ytr = data.load_mnist(args.data, "train")
        Xte, yte = data.load_mnist(args.data, "test")
        return Xtr, Xte, ytr, yte
    if args.data:
        raise CliError(f"--data is only for mnist; {name} is built in")
    makers: dict[str, Any] = {
        "moons": lambda: data.make_moons(n=200, noise=0.1, seed=seed),
        "circles": lambda: data.make_circles(n=200, seed=seed),
        "spirals": lambda: data.make_spirals(n=300, noise=0.1, seed=seed),
        "xor": lambda: data.make_xor(n=200, seed=seed),
        "blobs": lambda: data.make_blobs(n=200, seed=seed),
        "regression": lambda: data.make_regression_curve(n=100, seed=seed),
        "lesson": lambda: data.make_lesson_data(seed=seed),
        "digits": data.load_digits,
    }
    X, y = makers[name]()
    if name == "digits":
        X = X / 16.0
    Xtr, Xte, ytr, yte = data.train_test_split(X, y, seed=seed)
    return Xtr, Xte, ytr, yte


def _outputs(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """``(checkpoint, plot)`` paths, checked before any work so that none is lost at the end."""
    if args.plot and not args.plot.lower().endswith(".png"):
        raise CliError(f"--plot saves a PNG: give a file name ending in .png, got {args.plot!r}")
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise CliError("--plot needs matplotlib: pip install 'microgradnet[plot]'") from None
    save = output_path(args.save, "the checkpoint (--save)") if args.save is not None else None
    plot = output_path(args.plot, "the picture (--plot)") if args.plot else None
    if save is not None and plot is not None and save.resolve() == plot.resolve():
        raise CliError("--save and --plot must name different files")
    return save, plot


def _check_size(features: int, hidden: list[int], outputs: int) -> None:
    sizes = [features, *hidden, outputs]
    count = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
    if count > MAX_PARAMETERS:
        raise CliError(
            f"--hidden {','.join(map(str, hidden))} on {features} features makes a model with "
            f"{count:,} parameters, more than the {MAX_PARAMETERS:,} this command builds "
            "(each is a Python object); use smaller hidden layers"
        )


def run(args: argparse.Namespace) -> int:
    """Train and print the summary; returns the exit code (usage errors raise ``CliError``).

    Every output file is checked before the data is loaded, and written before the summary is
    printed, so a closed pipe or a bad path never costs the trained model.
    """
    regression = args.dataset == "regression"
    loss = args.loss or ("mse" if regression else "cross_entropy")
    if regression and loss not in train.REGRESSION_LOSSES:
        raise CliError(f"regression needs --loss mse or mae, got {loss}")
    save, plot = _outputs(args)
    try:
        Xtr, Xte, ytr, yte = _load(args)
    except (FileNotFoundError, ValueError) as exc:
        note(f"microgradnet: error: {exc}")
        return 1
    if args.samples:
        Xtr, ytr = Xtr[: args.samples], ytr[: args.samples]
    classes = 0 if regression else int(max(ytr.max(), yte.max())) + 1
    one_score = losses.LOSSES[loss].one_score  # one score per sample: two classes
    if one_score and classes != 2:
        raise CliError(f"--loss {loss} is for two classes; {args.dataset} has {classes}")
    outputs = 1 if regression or one_score else classes
    boundary = None
    if plot is not None and Xtr.shape[1] == 2 and not regression:
        boundary = output_path(str(plot)[: -len(".png")] + "-boundary.png", "the picture of the boundary")
    _check_size(Xtr.shape[1], args.hidden, outputs)
    model: Any = nn.MLP(Xtr.shape[1], [*args.hidden, outputs], activation=args.activation, seed=args.seed)
    if loss == "binary_cross_entropy":
        model = nn.Sequential(model, nn.Sigmoid())
    lr = args.lr if args.lr is not None else (0.01 if args.optimizer == "adam" else 0.1)
    opt = (
        optim.Adam(model.parameters(), lr=lr)
        if args.optimizer == "adam"
        else optim.SGD(model.parameters(), lr=lr)
    )

    start = time.perf_counter()
    history = train.fit(
        model,
        Xtr,
        ytr,
        loss=loss,
        optimizer=opt,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        progress=False if args.no_progress else None,
    )
    seconds = time.perf_counter() - start
    written: list[Path] = []
    if save is not None:  # first: the trained model is what a failure later must not lose
        train.save_checkpoint(model, save, opt)
        written.append(save)
    if plot is not None:
        from microgradnet import plots

        plots.plot_history(history, plot, title=f"{args.dataset}: {model!r}")
        written.append(plot)
        if boundary is not None:
            plots.plot_decision_boundary(
                model, Xtr, ytr, boundary, loss=loss, title=f"{args.dataset} (training set)"
            )
            written.append(boundary)
    rows: list[tuple[str, ...]] = []
    for part, X, y in (("train", Xtr, ytr), ("test", Xte, yte)):
        value, acc = train.evaluate(model, X, y, loss)
        if regression:
            score = f"{train.r2_score(y, train.predict(model, X)):.4f}"
        else:
            score = "-" if acc is None else f"{acc:.2%}"
        rows.append((part, str(len(y)), f"{value:.4f}", score))
    emit(_table(args, loss, lr, model, rows, seconds, len(history.epochs)) + "\n")
    for path in written:
        emit(f"wrote {path}\n")
    return 0


def _table(
    args: argparse.Namespace,
    loss: str,
    lr: float,
    model: Any,
    rows: list[tuple[str, ...]],
    seconds: float,
    epochs: int,
) -> str:
    header = ("data", "samples", f"loss ({loss})", "R²" if args.dataset == "regression" else "accuracy")
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(4)]
    line = "  ".join("-" * w for w in widths)
    body = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in [header, *rows]]
    return "\n".join(
        [
            f"{args.dataset}: {model!r}, {args.optimizer} lr={lr:g}, "
            f"{epochs} epochs of batch {args.batch_size}",
            body[0],
            line,
            *body[1:],
            f"time: {seconds:.1f} s ({seconds / max(epochs, 1):.2f} s per epoch)",
        ]
    )
