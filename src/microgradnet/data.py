"""Datasets for the lesson's exercises: toy generators, real handwritten digits, MNIST files.

Every generator takes a ``seed`` and returns ``(X, y)``: ``X`` a float64 array of shape
``(n, d)`` and ``y`` an int64 array of shape ``(n,)`` holding class indices ``0..k-1`` (the
regression curve returns float ``y``). The same seed always gives the same arrays.

Helpers: :func:`train_test_split` (80/20 by default), :class:`Standardizer` (zero mean, unit
variance per feature), :func:`one_hot`, :func:`minibatches` (the last partial batch is kept).

Real data: :func:`load_digits` returns the 1,797 8×8 handwritten digits shipped inside this
package; :func:`load_mnist` reads MNIST from the files a user downloaded (IDX files, gzipped or
not, or the lesson's ``mnist.pkl.gz``). Downloaded files are checked before they are trusted:
at most ``max_images`` images (:data:`MAX_IMAGES`), headers compared with the data really there,
labels 0..9, and a pickle that can neither run code nor build more than it holds.
"""

from __future__ import annotations

import gzip
import importlib
import io
import os
import pickle
import struct
import zlib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "MAX_IDX_BYTES",
    "MAX_IMAGES",
    "Standardizer",
    "load_digits",
    "load_mnist",
    "make_blobs",
    "make_circles",
    "make_lesson_data",
    "make_moons",
    "make_regression_curve",
    "make_spirals",
    "make_xor",
    "minibatches",
    "one_hot",
    "read_idx",
    "standardize",
    "train_test_split",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


# ---------------------------------------------------------------- argument checks


def _check_n(n: object, name: str = "n", minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {n!r} ({type(n).__name__})")
    if n < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {n}")
    return int(n)


def _check_noise(noise: object, name: str = "noise") -> float:
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {noise!r} ({type(noise).__name__})")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {noise}")
    return float(noise)


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"seed must be an int, a numpy Generator or None, got {seed!r}")
    return np.random.default_rng(seed)


def _check_xy(X: Any, y: Any) -> tuple[NDArray[Any], NDArray[Any]]:
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(
            f"X and y must be arrays with one row per sample, got shapes {X.shape} and {y.shape}"
        )
    if len(X) != len(y):
        raise ValueError(
            f"X and y must have the same number of samples, got {len(X)} rows in X and {len(y)} in y"
        )
    return X, y


Seed = int | np.random.Generator | None


# ---------------------------------------------------------------- toy generators


def make_moons(n: int = 100, noise: float = 0.1, seed: Seed = 0) -> tuple[FloatArray, IntArray]:
    """Two interleaving half circles (scikit-learn's "moons"): ``n`` points, classes 0 and 1.

    Class 0 is the upper arc ``(cos t, sin t)``, class 1 the lower arc ``(1 - cos t, 0.5 - sin t)``
    for ``t`` in ``[0, π]``; Gaussian noise of standard deviation ``noise`` is added to both
    coordinates. Raises ``ValueError`` for ``n < 2`` or a negative ``noise``.
    """
    n = _check_n(n, minimum=2)
    noise = _check_noise(noise)
    rng = _rng(seed)
    n0 = n // 2
    n1 = n - n0
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n1)
    X = np.concatenate(
        [np.stack([np.cos(t0), np.sin(t0)], axis=1), np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)]
    )
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n1, np.int64)])
    X = X + rng.normal(scale=noise, size=X.shape)
    return _shuffled(X, y, rng)


def make_circles(
    n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: Seed = 0
) -> tuple[FloatArray, IntArray]:
    """Two concentric circles: class 0 on the unit circle, class 1 on radius ``factor``.

    Raises ``ValueError`` for ``n < 2``, a negative ``noise`` or ``factor`` outside ``(0, 1)``.
    """
    n = _check_n(n, minimum=2)
    noise = _check_noise(noise)
    if not 0 < factor < 1:
        raise ValueError(f"factor must be between 0 and 1 (the inner radius), got {factor}")
    rng = _rng(seed)
    n0 = n // 2
    n1 = n - n0
    t0 = np.linspace(0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0, 2 * np.pi, n1, endpoint=False)
    X = np.concatenate(
        [np.stack([np.cos(t0), np.sin(t0)], axis=1), factor * np.stack([np.cos(t1), np.sin(t1)], axis=1)]
    )
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n1, np.int64)])
    X = X + rng.normal(scale=noise, size=X.shape)
    return _shuffled(X, y, rng)


def make_spirals(
    n: int = 300, classes: int = 3, noise: float = 0.2, seed: Seed = 0
) -> tuple[FloatArray, IntArray]:
    """``classes`` interleaved spiral arms (the CS231n spiral data), ``n`` points in all.

    Arm ``k`` has radius ``r`` from 0 to 1 and angle ``a·k + a·r`` with ``a = 12 / classes``
    (4 radians for 3 classes, as in CS231n), plus Gaussian noise of standard deviation ``noise``
    radians on the angle; a point is ``(r sin θ, r cos θ)``. Not linearly separable.
    Raises ``ValueError`` for ``classes < 2`` or ``n < classes``.
    """
    classes = _check_n(classes, "classes", minimum=2)
    n = _check_n(n, minimum=classes)
    noise = _check_noise(noise)
    rng = _rng(seed)
    sizes = [n // classes + (1 if k < n % classes else 0) for k in range(classes)]
    arm = 4.0 * 3 / classes  # the angle each arm turns through (4 radians for 3 classes)
    parts, labels = [], []
    for k, m in enumerate(sizes):
        r = np.linspace(0.0, 1.0, m)
        theta = arm * k + arm * r + rng.normal(scale=noise, size=m)
        parts.append(np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1))
        labels.append(np.full(m, k, np.int64))
    return _shuffled(np.concatenate(parts), np.concatenate(labels), rng)


def make_blobs(
    n: int = 100, classes: int = 3, features: int = 2, spread: float = 1.0, seed: Seed = 0
) -> tuple[FloatArray, IntArray]:
    """``classes`` Gaussian blobs in ``features`` dimensions, centres drawn uniformly in [-10, 10].

    Each blob has standard deviation ``spread``. Raises ``ValueError`` for ``classes < 2``,
    ``n < classes``, ``features < 1`` or a negative ``spread``.
    """
    classes = _check_n(classes, "classes", minimum=2)
    n = _check_n(n, minimum=classes)
    features = _check_n(features, "features")
    spread = _check_noise(spread, "spread")
    rng = _rng(seed)
    centres = rng.uniform(-10.0, 10.0, size=(classes, features))
    y = np.arange(n, dtype=np.int64) % classes
    X = centres[y] + rng.normal(scale=spread, size=(n, features))
    return _shuffled(X, y, rng)


def make_xor(n: int = 200, noise: float = 0.1, seed: Seed = 0) -> tuple[FloatArray, IntArray]:
    """XOR: points near the four corners ``(±1, ±1)``; class 1 where the signs differ.

    The classic set a single linear layer cannot learn. Raises ``ValueError`` for ``n < 4``.
    """
    n = _check_n(n, minimum=4)
    noise = _check_noise(noise)
    rng = _rng(seed)
    corners = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    which = np.arange(n) % 4
    X = corners[which] + rng.normal(scale=noise, size=(n, 2))
    y = np.array([0, 1, 1, 0], np.int64)[which]
    return _shuffled(X, y, rng)


def make_regression_curve(n: int = 100, noise: float = 0.1, seed: Seed = 0) -> tuple[FloatArray, FloatArray]:
    """A smooth 1-D curve with noise: ``x`` uniform in [-1, 1], ``y = sin(πx) + 0.3x + ε``.

    Returns ``X`` of shape ``(n, 1)`` and float64 ``y`` of shape ``(n,)``; ``ε`` is Gaussian with
    standard deviation ``noise`` (the best possible R² is about ``1 - noise² / var(y)``).
    Raises ``ValueError`` for ``n < 1`` or a negative ``noise``.
    """
    n = _check_n(n)
    noise = _check_noise(noise)
    rng = _rng(seed)
    x = np.sort(rng.uniform(-1.0, 1.0, size=n))
    y = np.sin(np.pi * x) + 0.3 * x + rng.normal(scale=noise, size=n)
    return x[:, None].astype(np.float64), y.astype(np.float64)


def make_lesson_data(n: int = 100, seed: Seed = 0, flip: float = 0.01) -> tuple[FloatArray, IntArray]:
    """A two-feature, two-class set like the lesson's (100 points by default).

    The lesson (AI for Beginners, 04-OwnFramework, ``OwnFramework.ipynb``) used scikit-learn's
    ``make_classification(n_samples=100, n_features=2, n_informative=2, n_redundant=0,
    n_clusters_per_class=1, flip_y=0.2)``; pass ``flip=0.2`` for the lesson's noise level.
    This generator follows the same recipe without scikit-learn: each class is one Gaussian
    cluster centred on a different vertex of the square
    ``[-1, 1]²`` (class separation 1), stretched and sheared by its own random 2×2 matrix with
    entries uniform in [-1, 1] (so clusters are elongated and may overlap), classes balanced,
    and a fraction ``flip`` of labels (1% by default) replaced by random ones. A straight line
    separates most but not all points, as in the lesson. Raises ``ValueError`` for ``n < 2`` or
    ``flip`` outside [0, 1].
    """
    n = _check_n(n, minimum=2)
    if not 0.0 <= flip <= 1.0:
        raise ValueError(f"flip must be a fraction between 0 and 1, got {flip}")
    rng = _rng(seed)
    vertices = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    centres = vertices[rng.choice(4, size=2, replace=False)]
    sizes = [n // 2, n - n // 2]
    parts, labels = [], []
    for k in range(2):
        A = rng.uniform(-1.0, 1.0, size=(2, 2))
        parts.append(rng.normal(size=(sizes[k], 2)) @ A + centres[k])
        labels.append(np.full(sizes[k], k, np.int64))
    X, y = np.concatenate(parts), np.concatenate(labels)
    flipped = rng.random(n) < flip
    y[flipped] = rng.integers(0, 2, size=int(flipped.sum()))
    return _shuffled(X, y, rng)


def _shuffled(X: FloatArray, y: NDArray[Any], rng: np.random.Generator) -> tuple[FloatArray, IntArray]:
    order = rng.permutation(len(X))
    return np.ascontiguousarray(X[order], dtype=np.float64), np.ascontiguousarray(y[order], dtype=np.int64)


# ---------------------------------------------------------------- helpers


def train_test_split(
    X: Any, y: Any, test_size: float = 0.2, seed: Seed = 0, shuffle: bool = True
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]:
    """Split into ``(X_train, X_test, y_train, y_test)``; ``test_size`` is a fraction or a count.

    With a fraction, the test part has ``ceil(test_size * n)`` samples (20 of 100 by default, the
    lesson's 80/20). ``shuffle=False`` keeps the order and takes the test part from the end.
    Raises ``ValueError`` for mismatched lengths or a split that leaves either part empty.
    """
    X, y = _check_xy(X, y)
    n = len(X)
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float, np.integer, np.floating)):
        raise TypeError(f"test_size must be a fraction or a count, got {test_size!r}")
    if isinstance(test_size, (int, np.integer)):
        n_test = int(test_size)
    else:
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"test_size as a fraction must be between 0 and 1, got {test_size}")
        n_test = int(np.ceil(test_size * n))
    if not 0 < n_test < n:
        raise ValueError(
            f"test_size={test_size} leaves {n_test} test and {n - n_test} training samples of {n}; "
            "both must be non-empty"
        )
    order = _rng(seed).permutation(n) if shuffle else np.arange(n)
    train, test = order[: n - n_test], order[n - n_test :]
    return X[train], X[test], y[train], y[test]


class Standardizer:
    """Per-feature standardisation: ``(X - mean) / std``, fitted on training data only.

    >>> s = Standardizer().fit(np.array([[0.0], [2.0]]))
    >>> s.transform(np.array([[1.0], [3.0]])).ravel().tolist()
    [0.0, 2.0]

    A feature that is constant in the training data gets std 1 (it is only centred).
    """

    def __init__(self) -> None:
        self.mean: FloatArray | None = None
        self.std: FloatArray | None = None

    def fit(self, X: Any) -> Standardizer:
        """Learn the mean and standard deviation of each column; returns ``self``.

        Raises ``ValueError`` for an empty or non-2-D array.
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or len(X) == 0:
            raise ValueError(f"Standardizer.fit takes a non-empty 2-D array (n, d), got shape {X.shape}")
        self.mean = X.mean(axis=0)
        std = X.std(axis=0)
        self.std = np.where(std > 0, std, 1.0)
        return self

    def _fitted(self, X: Any) -> tuple[FloatArray, FloatArray, FloatArray]:
        if self.mean is None or self.std is None:
            raise ValueError("this Standardizer is not fitted yet: call fit(X_train) first")
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.mean):
            raise ValueError(f"expected an array of shape (n, {len(self.mean)}), got {X.shape}")
        return X, self.mean, self.std

    def transform(self, X: Any) -> FloatArray:
        """``(X - mean) / std`` with the fitted statistics; raises ``ValueError`` if not fitted."""
        X, mean, std = self._fitted(X)
        out: FloatArray = (X - mean) / std
        return out

    def fit_transform(self, X: Any) -> FloatArray:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X: Any) -> FloatArray:
        """Undo :meth:`transform`: ``X * std + mean``."""
        X, mean, std = self._fitted(X)
        out: FloatArray = X * std + mean
        return out


def standardize(X_train: Any, *others: Any) -> tuple[FloatArray, ...]:
    """Standardise ``X_train`` and any further arrays with the training set's statistics."""
    s = Standardizer().fit(X_train)
    return (s.transform(X_train), *(s.transform(o) for o in others))


def one_hot(y: Any, num_classes: int | None = None) -> FloatArray:
    """One-hot rows: ``one_hot([0, 2], 3) == [[1, 0, 0], [0, 0, 1]]`` (float64).

    ``num_classes`` defaults to ``max(y) + 1``. Raises ``ValueError`` for labels that are not
    integers in ``0..num_classes-1``.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"one_hot takes a 1-D array of class indices, got shape {y.shape}")
    if y.size and not np.all(np.equal(np.mod(y, 1), 0)):
        raise ValueError("one_hot takes integer class indices, got non-integer labels")
    yi = y.astype(np.int64)
    if num_classes is None:
        num_classes = int(yi.max()) + 1 if yi.size else 0
    num_classes = _check_n(num_classes, "num_classes", minimum=1 if yi.size else 0)
    if yi.size and (yi.min() < 0 or yi.max() >= num_classes):
        raise ValueError(f"labels must be in 0..{num_classes - 1}, got values from {yi.min()} to {yi.max()}")
    out = np.zeros((len(yi), num_classes), dtype=np.float64)
    out[np.arange(len(yi)), yi] = 1.0
    return out


def minibatches(
    X: Any, y: Any, batch_size: int, shuffle: bool = True, seed: Seed = 0
) -> Iterator[tuple[NDArray[Any], NDArray[Any]]]:
    """Yield ``(X_batch, y_batch)`` pairs covering every sample once; the last batch may be short.

    With ``shuffle=True`` the order is a permutation drawn from ``seed`` (pass a numpy Generator
    to get a new order each epoch). Raises ``ValueError`` for ``batch_size < 1`` or mismatched
    lengths — at the call, before the first batch.
    """
    X, y = _check_xy(X, y)
    batch_size = _check_n(batch_size, "batch_size")
    order = _rng(seed).permutation(len(X)) if shuffle else np.arange(len(X))
    return _batches(X, y, order, batch_size)


def _batches(
    X: NDArray[Any], y: NDArray[Any], order: NDArray[Any], batch_size: int
) -> Iterator[tuple[NDArray[Any], NDArray[Any]]]:
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]


# ---------------------------------------------------------------- handwritten digits


def load_digits() -> tuple[FloatArray, IntArray]:
    """The 8×8 handwritten digits: ``X`` (1797, 64) float64 with values 0..16, ``y`` (1797,) 0..9.

    Each row is an 8×8 image read row by row; a value counts the "on" pixels in a 4×4 block of the
    original 32×32 bitmap. Read from the copy shipped in this package (no network).

    Source: UCI Machine Learning Repository, "Optical Recognition of Handwritten Digits",
    E. Alpaydin and C. Kaynak (1998), https://doi.org/10.24432/C50P49, licensed CC BY 4.0. The
    file is the one scikit-learn ships as ``sklearn/datasets/data/digits.csv.gz`` (its
    ``load_digits``); see ``microgradnet/datasets/README.md``.
    """
    raw = resources.files("microgradnet").joinpath("datasets/digits.csv.gz").read_bytes()
    table = np.loadtxt(io.BytesIO(gzip.decompress(raw)), delimiter=",", dtype=np.float64)
    return np.ascontiguousarray(table[:, :-1]), table[:, -1].astype(np.int64)


# ---------------------------------------------------------------- MNIST

#: How many images :func:`load_mnist` reads unless told otherwise: MNIST has 70,000 (60,000
#: training, 10,000 test), Fashion-MNIST and KMNIST the same; EMNIST's digits need 240,000.
MAX_IMAGES = 100_000
#: How many data bytes :func:`read_idx` reads unless told otherwise (MNIST's training images
#: are 47 MB).
MAX_IDX_BYTES = 256 * 2**20

_IDX_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_PKL_PARTS = {"train": 0, "valid": 1, "test": 2}
_PIXELS = 28 * 28
_CHUNK = 2**20  # files are read a MiB at a time, so memory follows the bytes really there


def load_mnist(
    path: str | os.PathLike[str], kind: str = "train", *, max_images: int = MAX_IMAGES
) -> tuple[FloatArray, IntArray]:
    """MNIST from local files: ``X`` (n, 784) float64 scaled to [0, 1], ``y`` (n,) int64 in 0..9.

    ``path`` is either a directory holding the standard IDX files (``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each
    optionally gzipped as ``*.gz``), or the lesson's ``mnist.pkl.gz`` (a gzipped pickle of
    ``((train_x, train_y), (valid_x, valid_y), (test_x, test_y))``), or a directory containing
    ``mnist.pkl.gz``. ``kind`` is ``"train"`` or ``"test"`` (and ``"valid"`` for the pickle).

    ``max_images`` (default :data:`MAX_IMAGES`, 100,000) bounds what a file may hold, so a small,
    highly compressed or malicious file cannot expand into gigabytes: IDX headers are checked
    before any pixel is read, and a pickle (all three parts count) is refused as soon as it
    holds more bytes than that many images need. Raise it for larger sets of 28×28 images such
    as EMNIST.

    The pickle is read with a restricted unpickler that only allows numpy's array
    reconstruction, so a malicious file cannot run code, and that builds no more array bytes
    than the file holds. Raises ``FileNotFoundError`` for a missing file and ``ValueError``
    (naming the file) for a truncated file, a wrong magic number, images that are not 28×28
    pixels in [0, 1] (0..255 in IDX files), labels outside 0..9, image and label files whose
    counts disagree, or more than ``max_images`` images.
    """
    p = Path(path)
    if kind not in (*_IDX_NAMES, "valid"):
        raise ValueError(f"kind must be 'train', 'test' or 'valid', got {kind!r}")
    max_images = _check_n(max_images, "max_images")
    if p.is_dir() and not _find(p, _IDX_NAMES["test" if kind == "test" else "train"][0]):
        pkl = p / "mnist.pkl.gz"
        if pkl.exists():
            p = pkl
    if p.is_file():
        if not p.name.endswith((".pkl.gz", ".pkl")):
            raise ValueError(
                f"{p}: expected the lesson's mnist.pkl.gz (a gzipped pickle) or a directory holding "
                "the IDX files; to read one IDX file use read_idx()"
            )
        return _load_mnist_pickle(p, kind, max_images)
    if not p.exists():
        raise FileNotFoundError(
            f"no MNIST data at {str(p)!r}: expected a directory of IDX files or mnist.pkl.gz"
        )
    if kind == "valid":
        raise ValueError(
            "kind='valid' exists only in the lesson's mnist.pkl.gz; IDX files have 'train' and 'test'"
        )
    image_name, label_name = _IDX_NAMES[kind]
    images_path = _find(p, image_name)
    labels_path = _find(p, label_name)
    for name, found in ((image_name, images_path), (label_name, labels_path)):
        if found is None:
            raise FileNotFoundError(f"MNIST file {name} (or {name}.gz) not found in {str(p)!r}")
    assert images_path is not None and labels_path is not None
    # both headers first: a mismatch or an oversized file is refused before any pixel is read
    with _IdxFile(images_path) as images, _IdxFile(labels_path) as labels:
        if len(images.shape) != 3:
            raise ValueError(
                f"{images_path}: expected an IDX file of images (3 dimensions), got {len(images.shape)}"
            )
        if len(labels.shape) != 1:
            raise ValueError(
                f"{labels_path}: expected an IDX file of labels (1 dimension), got {len(labels.shape)}"
            )
        n = images.shape[0]
        if n != labels.shape[0]:
            raise ValueError(
                f"{images_path} holds {n} images but {labels_path} holds {labels.shape[0]} labels"
            )
        if images.shape[1:] != (28, 28) or images.dtype != np.uint8:
            raise ValueError(
                f"{images_path}: expected 28x28 images of unsigned bytes (type 08), got images of "
                f"{images.shape[1]}x{images.shape[2]} {images.dtype.name}"
            )
        if labels.dtype.kind not in "iu":
            raise ValueError(f"{labels_path}: expected integer labels, got {labels.dtype.name}")
        _check_count(n, max_images, images_path)
        pixels = images.read()
        y = _check_labels(labels.read(), labels_path)
    X = pixels.reshape(n, _PIXELS).astype(np.float64)
    X /= 255.0
    return X, y


def _check_count(n: int, max_images: int, where: object) -> None:
    if n > max_images:
        raise ValueError(
            f"{where}: holds {n:,} images, more than max_images={max_images:,}; if the file is "
            f"genuine, pass max_images={n} (a file that small cannot hold that many real images "
            "unless it is mostly zeros)"
        )


def _check_labels(y: NDArray[Any], where: object) -> IntArray:
    """Labels as int64, or ``ValueError`` unless every one is a whole number in 0..9."""
    if y.dtype.kind == "f" and not np.all(np.isfinite(y) & (y == np.round(y))):
        raise ValueError(f"{where}: labels must be whole numbers 0..9, found non-integer values")
    if y.dtype.kind not in "iuf":
        raise ValueError(f"{where}: labels must be whole numbers 0..9, got {y.dtype.name}")
    if y.size and (y.min() < 0 or y.max() > 9):
        raise ValueError(f"{where}: labels must be digits 0..9, found values from {y.min()} to {y.max()}")
    return y.astype(np.int64)


def _find(directory: Path, name: str) -> Path | None:
    for candidate in (directory / name, directory / (name + ".gz")):
        if candidate.is_file():
            return candidate
    return None


_IDX_TYPES: dict[int, np.dtype[Any]] = {
    code: np.dtype(name)
    for code, name in (
        (0x08, ">u1"),
        (0x09, ">i1"),
        (0x0B, ">i2"),
        (0x0C, ">i4"),
        (0x0D, ">f4"),
        (0x0E, ">f8"),
    )
}


def _read_at_most(fh: Any, n: int) -> bytearray:
    """Up to ``n`` bytes from ``fh``, read a chunk at a time (never allocating ``n`` up front)."""
    out = bytearray()
    while len(out) < n:
        chunk = fh.read(min(_CHUNK, n - len(out)))
        if not chunk:
            break
        out += chunk
    return out


class _IdxFile:
    """An open IDX file whose header has been read: ``shape`` and ``dtype``, then ``read()``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._fh: Any = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")  # noqa: SIM115
        except FileNotFoundError:
            raise FileNotFoundError(f"IDX file {str(path)!r} not found") from None
        try:
            head = self._read(4)
            if len(head) < 4:
                raise ValueError(f"{path}: truncated IDX file ({len(head)} bytes, the header alone needs 4)")
            if head[0] != 0 or head[1] != 0 or head[2] not in _IDX_TYPES:
                raise ValueError(
                    f"{path}: not an IDX file (magic number {bytes(head).hex()}; expected 0000 then a "
                    "type byte such as 08, e.g. 00000803 for images and 00000801 for labels)"
                )
            self.dtype: np.dtype[Any] = _IDX_TYPES[head[2]]
            ndim = head[3]
            dims = self._read(4 * ndim)
            if ndim == 0 or len(dims) < 4 * ndim:
                raise ValueError(f"{path}: truncated IDX header (expected {ndim} dimension sizes)")
            self.shape = tuple(int(d) for d in np.frombuffer(bytes(dims), dtype=">u4"))
            self.nbytes = int(np.prod(self.shape, dtype=object)) * self.dtype.itemsize
        except BaseException:
            self._fh.close()
            raise

    def _read(self, n: int) -> bytearray:
        try:
            return _read_at_most(self._fh, n)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"{self.path}: not a readable gzip file ({exc})") from None

    def read(self) -> NDArray[Any]:
        """The data, checked against the header's size before it becomes an array."""
        raw = self._read(self.nbytes + 1)  # one byte more: a longer file is as wrong as a shorter one
        if len(raw) != self.nbytes:
            held = f"{len(raw)}" if len(raw) <= self.nbytes else "more"
            raise ValueError(
                f"{self.path}: header promises shape {self.shape} ({self.nbytes} data bytes) but the "
                f"file holds {held}; the file is truncated or corrupt"
            )
        array: NDArray[Any] = np.frombuffer(raw, dtype=self.dtype).reshape(self.shape)
        return array.astype(self.dtype.newbyteorder("="), copy=False)

    def __enter__(self) -> _IdxFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()


def read_idx(path: str | os.PathLike[str], *, max_bytes: int | None = MAX_IDX_BYTES) -> NDArray[Any]:
    """Read one IDX file (gzipped if its name ends in ``.gz``) into a numpy array.

    The IDX format (LeCun et al., the MNIST page): two zero bytes, a type byte (0x08 = ubyte),
    a byte giving the number of dimensions, one big-endian int32 per dimension, then the data.
    A file whose header promises more than ``max_bytes`` bytes of data (default
    :data:`MAX_IDX_BYTES`, 256 MiB; ``None`` for no limit) is refused before its data is read,
    and the data is read a chunk at a time, so a header that promises more than the file holds
    costs nothing. Raises ``FileNotFoundError`` or ``ValueError`` naming the file and what was
    wrong.
    """
    if max_bytes is not None:
        max_bytes = _check_n(max_bytes, "max_bytes", minimum=0)
    with _IdxFile(Path(path)) as idx:
        if max_bytes is not None and idx.nbytes > max_bytes:
            raise ValueError(
                f"{path}: header promises shape {idx.shape}, {idx.nbytes:,} data bytes, more than "
                f"max_bytes={max_bytes:,}; if the file is genuine, pass max_bytes={idx.nbytes} (or None)"
            )
        return idx.read()


# ---------------------------------------------------------------- MNIST: the lesson's pickle

#: Limits on what the restricted unpickler does, whatever the file says: a real MNIST pickle
#: needs about a hundred opcodes and twenty calls.
_MAX_PICKLE_OPS = 10_000
_MAX_PICKLE_CALLS = 1_000
#: Arrays may hold at most twice the bytes read from the file so far, plus this (a protocol-2
#: pickle copies each array's bytes once from text); reusing one string for many arrays, or
#: asking for an empty array of a huge shape, is refused at once.
_PICKLE_SLACK = 2**20


class _PickleLimit(pickle.UnpicklingError):
    """The pickle asked for more than a real MNIST pickle would."""


def _real(name: str) -> Any:
    """numpy's pickle helper ``name`` (``numpy._core`` in numpy 2, ``numpy.core`` before)."""
    module, _, attr = name.rpartition(".")
    for prefix in ("numpy._core.", "numpy.core."):
        try:
            return getattr(importlib.import_module(prefix + module), attr)
        except (ImportError, AttributeError):
            continue
    raise ImportError(f"numpy has no {name}")  # pragma: no cover


class _CappedReader:
    """A file object that refuses to read past ``limit`` bytes and reads big blocks in chunks."""

    def __init__(self, fh: Any, max_images: int) -> None:
        self.fh = fh
        self.max_images = max_images
        self.limit = max_images * (_PIXELS + 1) * 8 + _PICKLE_SLACK  # float64 pixels, int64 labels
        self.used = 0

    def _charge(self, n: int) -> None:
        if self.used + n > self.limit:
            raise _PickleLimit(
                f"the pickle holds more than {self.limit:,} bytes, more than max_images="
                f"{self.max_images:,} images need; if the file is genuine, raise max_images"
            )

    def read(self, n: int = -1) -> bytes:
        n = self.limit - self.used + 1 if n is None or n < 0 else n
        self._charge(n)
        if n <= _CHUNK:
            data: bytes = self.fh.read(n)
        else:  # a chunk at a time; BytesIO hands over its buffer without a copy
            buf = io.BytesIO()
            while buf.tell() < n and (chunk := self.fh.read(min(_CHUNK, n - buf.tell()))):
                buf.write(chunk)
            data = buf.getvalue()
        self.used += len(data)
        return data

    def readline(self) -> bytes:
        line: bytes = self.fh.readline(_CHUNK)
        self._charge(len(line))
        self.used += len(line)
        return line


class _ArraysOnly(pickle._Unpickler):
    """An unpickler that reconstructs numpy arrays and nothing else, within fixed limits.

    Pure Python (``pickle._Unpickler``) so that every opcode is counted; every allowed callable
    is wrapped to count calls and charge the bytes it would build against the bytes read.
    """

    ALLOWED = frozenset(
        {
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy", "ndarray"),
            ("numpy", "dtype"),
            ("numpy.core.multiarray", "scalar"),
            ("numpy._core.multiarray", "scalar"),
            # protocol 5 rebuilds an array from its raw buffer
            ("numpy.core.numeric", "_frombuffer"),
            ("numpy._core.numeric", "_frombuffer"),
            # Python 3 writes bytes in protocol-2 pickles as _codecs.encode(text, "latin1"):
            # a pure text-to-bytes function, needed for pickles written the lesson's way
            ("_codecs", "encode"),
        }
    )
    memo: dict[int, Any]  # set by pickle._Unpickler

    def __init__(self, reader: _CappedReader) -> None:
        super().__init__(reader, encoding="latin1")
        self.reader = reader
        self.ops = 0
        self.calls = 0
        self.built = 0
        limits = self

        class Array(np.ndarray):
            """ndarray whose direct construction and unpickling are charged to this load."""

            def __new__(cls, shape: Any, dtype: Any = float, *args: Any, **kwargs: Any) -> Any:
                limits.charge_array(shape, np.dtype(dtype))
                return np.ndarray.__new__(np.ndarray, shape, dtype, *args, **kwargs)

            def __setstate__(self, state: Any) -> None:
                limits.call()
                if not (isinstance(state, tuple) and len(state) == 5):
                    raise pickle.UnpicklingError(
                        "an array's state must be (version, shape, dtype, order, data)"
                    )
                dtype, raw = state[2], state[4]
                if not isinstance(dtype, np.dtype) or dtype.kind not in "biuf":
                    raise pickle.UnpicklingError(f"only arrays of numbers are allowed, got dtype {dtype!r}")
                if not isinstance(raw, (bytes, bytearray, str)):
                    raise pickle.UnpicklingError("an array's data must be bytes")
                limits.charge(len(raw))
                super().__setstate__(state)

        self.Array = Array
        self._reconstruct = _real("multiarray._reconstruct")
        self._frombuffer = _real("numeric._frombuffer")
        self._scalar = _real("multiarray.scalar")

    # ---- limits

    def call(self) -> None:
        self.calls += 1
        if self.calls > _MAX_PICKLE_CALLS:
            raise _PickleLimit(
                f"the pickle makes more than {_MAX_PICKLE_CALLS:,} calls (MNIST needs about 20): "
                "the file is corrupt or malicious"
            )

    def charge(self, nbytes: int) -> None:
        self.built += nbytes
        if self.built > 2 * self.reader.used + _PICKLE_SLACK:
            raise _PickleLimit(
                f"the pickle asks for {self.built:,} bytes of arrays but the file has held only "
                f"{self.reader.used:,} bytes so far: a real MNIST pickle carries its pixels, so the file is "
                "corrupt or malicious"
            )

    def charge_array(self, shape: Any, dtype: np.dtype[Any]) -> None:
        self.call()
        dims = (shape,) if isinstance(shape, int) else shape
        if not isinstance(dims, tuple) or not all(isinstance(d, int) and d >= 0 for d in dims):
            raise pickle.UnpicklingError(f"an array shape must be whole numbers, got {shape!r}")
        if dtype.kind not in "biuf":
            raise pickle.UnpicklingError(f"only arrays of numbers are allowed, got dtype {dtype!r}")
        size = dtype.itemsize
        for d in dims:
            size *= d
        self.charge(size)

    # ---- the allowed callables, each checked

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name}: only numpy arrays are allowed in an MNIST pickle"
            )
        if name == "ndarray":
            return self.Array
        return getattr(self, "_allowed_" + name.lstrip("_"))

    def _allowed_reconstruct(self, subtype: Any, shape: Any, dtype: Any) -> Any:
        if subtype is not self.Array:
            raise pickle.UnpicklingError("_reconstruct may only build numpy arrays")
        self.charge_array(shape, np.dtype(np.uint8 if dtype in (b"b", "b") else dtype))
        return self._reconstruct(self.Array, shape, dtype)

    def _allowed_dtype(self, spec: Any, align: Any = False, copy: Any = False) -> Any:
        self.call()
        if not isinstance(spec, str):
            raise pickle.UnpicklingError(f"a dtype must be named by a string, got {type(spec).__name__}")
        dtype = np.dtype(spec, bool(align), bool(copy))
        if dtype.kind not in "biuf":
            raise pickle.UnpicklingError(f"only arrays of numbers are allowed, got dtype {spec!r}")
        return dtype

    def _allowed_scalar(self, dtype: Any, data: Any = None) -> Any:
        self.call()
        if not isinstance(dtype, np.dtype) or dtype.kind not in "biuf":
            raise pickle.UnpicklingError(f"only numbers are allowed, got {dtype!r}")
        self.charge(dtype.itemsize)
        return self._scalar(dtype, data)

    def _allowed_frombuffer(self, buf: Any, dtype: Any, shape: Any, order: Any) -> Any:
        self.call()
        if not isinstance(buf, (bytes, bytearray)):
            raise pickle.UnpicklingError("_frombuffer takes the bytes in the file")
        if not isinstance(dtype, np.dtype) or dtype.kind not in "biuf":
            raise pickle.UnpicklingError(f"only arrays of numbers are allowed, got dtype {dtype!r}")
        self.charge(len(buf))
        return self._frombuffer(buf, dtype, shape, order)

    def _allowed_encode(self, text: Any, encoding: Any = "utf-8") -> bytes:
        self.call()
        if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
            raise pickle.UnpicklingError("_codecs.encode is allowed only to turn text into bytes (latin1)")
        self.charge(len(text))
        return text.encode("latin1")


def _counted(op: Any) -> Any:
    def run(self: _ArraysOnly) -> None:
        self.ops += 1
        if self.ops > _MAX_PICKLE_OPS:
            raise _PickleLimit(
                f"the pickle has more than {_MAX_PICKLE_OPS:,} opcodes (MNIST needs about 100): "
                "the file is corrupt or malicious"
            )
        op(self)

    return run


def _load_bytearray8(self: Any) -> None:
    # the stock opcode allocates the promised length before reading: read first, then copy
    (n,) = struct.unpack("<Q", self.read(8))
    self.append(bytearray(self.read(n)))


_ArraysOnly.dispatch = {code: _counted(op) for code, op in pickle._Unpickler.dispatch.items()}
_ArraysOnly.dispatch[pickle.BYTEARRAY8[0]] = _counted(_load_bytearray8)


def _load_mnist_pickle(p: Path, kind: str, max_images: int) -> tuple[FloatArray, IntArray]:
    try:
        opener = gzip.open if p.name.endswith(".gz") else open
        with opener(p, "rb") as fh:
            unpickler = _ArraysOnly(_CappedReader(fh, max_images))
            try:
                data = unpickler.load()
            finally:
                unpickler.memo.clear()  # the arrays' class refers back here: free the texts now
    except pickle.UnpicklingError as exc:
        raise ValueError(f"{p}: {exc}") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(
            f"{p}: not a complete gzipped pickle ({exc}); the file is truncated or corrupt"
        ) from None
    except Exception as exc:  # a corrupt pickle stream can fail in many ways
        raise ValueError(f"{p}: could not read the pickle ({type(exc).__name__}: {exc})") from None
    if not (
        isinstance(data, tuple) and len(data) == 3 and all(isinstance(s, tuple) and len(s) == 2 for s in data)
    ):
        raise ValueError(f"{p}: expected ((train_x, train_y), (valid_x, valid_y), (test_x, test_y))")
    for part, (X, y) in zip(_PKL_PARTS, data):
        if not isinstance(X, np.ndarray) or not isinstance(y, np.ndarray):
            raise ValueError(f"{p}: the {part} part must hold two numpy arrays")
        if X.ndim != 2 or X.shape[1] != _PIXELS or y.ndim != 1 or len(X) != len(y):
            raise ValueError(
                f"{p}: the {part} part must be images (n, 784) and labels (n,), got {X.shape} and {y.shape}"
            )
    _check_count(sum(len(X) for X, _ in data), max_images, p)
    X, y = data[_PKL_PARTS[kind]]
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{p}: the {kind} images must be numbers, got {X.dtype.name}")
    X = np.array(X, dtype=np.float64)  # a copy, and a plain ndarray (not the unpickler's class)
    if X.size and not (np.isfinite(X).all() and X.min() >= 0.0 and X.max() <= 1.0):
        raise ValueError(
            f"{p}: the {kind} images must have pixels scaled to [0, 1], found values from "
            f"{np.nanmin(X):g} to {np.nanmax(X):g}" + (" (divide by 255)" if np.nanmax(X) > 1 else "")
        )
    return X, _check_labels(np.array(y), f"{p} ({kind} part)")
