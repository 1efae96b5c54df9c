"""Datasets for the lesson's exercises: toy generators, real handwritten digits, MNIST files.

Every generator takes a ``seed`` and returns ``(X, y)``: ``X`` a float64 array of shape
``(n, d)`` and ``y`` an int64 array of shape ``(n,)`` holding class indices ``0..k-1`` (the
regression curve returns float ``y``). The same seed always gives the same arrays.

Helpers: :func:`train_test_split` (80/20 by default), :class:`Standardizer` (zero mean, unit
variance per feature), :func:`one_hot`, :func:`minibatches` (the last partial batch is kept).

Real data: :func:`load_digits` returns the 1,797 8×8 handwritten digits shipped inside this
package; :func:`load_mnist` reads MNIST from the files a user downloaded (IDX files, gzipped or
not, or the lesson's ``mnist.pkl.gz``).
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
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

_IDX_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_PKL_PARTS = {"train": 0, "valid": 1, "test": 2}


def load_mnist(path: str | os.PathLike[str], kind: str = "train") -> tuple[FloatArray, IntArray]:
    """MNIST from local files: ``X`` (n, 784) float64 scaled to [0, 1], ``y`` (n,) int64 in 0..9.

    ``path`` is either a directory holding the standard IDX files (``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each
    optionally gzipped as ``*.gz``), or the lesson's ``mnist.pkl.gz`` (a gzipped pickle of
    ``((train_x, train_y), (valid_x, valid_y), (test_x, test_y))``), or a directory containing
    ``mnist.pkl.gz``. ``kind`` is ``"train"`` or ``"test"`` (and ``"valid"`` for the pickle).

    The pickle is read with a restricted unpickler that only allows numpy's array
    reconstruction, so a malicious file cannot run code. Raises ``FileNotFoundError`` for a
    missing file and ``ValueError`` (naming the file) for a truncated file, a wrong magic
    number, or image and label files whose counts disagree.
    """
    p = Path(path)
    if kind not in (*_IDX_NAMES, "valid"):
        raise ValueError(f"kind must be 'train', 'test' or 'valid', got {kind!r}")
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
        return _load_mnist_pickle(p, kind)
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
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3:
        raise ValueError(f"{images_path}: expected an IDX file of images (3 dimensions), got {images.ndim}")
    if labels.ndim != 1:
        raise ValueError(f"{labels_path}: expected an IDX file of labels (1 dimension), got {labels.ndim}")
    if len(images) != len(labels):
        raise ValueError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels"
        )
    X = images.reshape(len(images), -1).astype(np.float64) / 255.0
    return X, labels.astype(np.int64)


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


def read_idx(path: str | os.PathLike[str]) -> NDArray[Any]:
    """Read one IDX file (gzipped if its name ends in ``.gz``) into a numpy array.

    The IDX format (LeCun et al., the MNIST page): two zero bytes, a type byte (0x08 = ubyte),
    a byte giving the number of dimensions, one big-endian int32 per dimension, then the data.
    Raises ``FileNotFoundError`` or ``ValueError`` naming the file and what was wrong.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
        if p.suffix == ".gz":
            raw = gzip.decompress(raw)
    except FileNotFoundError:
        raise FileNotFoundError(f"IDX file {str(p)!r} not found") from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"{p}: not a readable gzip file ({exc})") from None
    if len(raw) < 4:
        raise ValueError(f"{p}: truncated IDX file ({len(raw)} bytes, the header alone needs 4)")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(
            f"{p}: not an IDX file (magic number {raw[:4].hex()}; expected 0000 then a type byte "
            "such as 08, e.g. 00000803 for images and 00000801 for labels)"
        )
    dtype = _IDX_TYPES[raw[2]]
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise ValueError(f"{p}: truncated IDX header (expected {ndim} dimension sizes)")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(
            f"{p}: header promises shape {shape} ({expected} data bytes) but the file holds "
            f"{len(raw) - header}; the file is truncated or corrupt"
        )
    array: NDArray[Any] = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


class _ArraysOnly(pickle.Unpickler):
    """An unpickler that reconstructs numpy arrays and nothing else."""

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

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name}: only numpy arrays are allowed in an MNIST pickle"
            )
        return super().find_class(module, name)


def _load_mnist_pickle(p: Path, kind: str) -> tuple[FloatArray, IntArray]:
    try:
        opener = gzip.open if p.name.endswith(".gz") else open
        with opener(p, "rb") as fh:
            data = _ArraysOnly(fh, encoding="latin1").load()
    except pickle.UnpicklingError as exc:
        raise ValueError(f"{p}: {exc}") from None
    except (OSError, EOFError) as exc:
        raise ValueError(
            f"{p}: not a complete gzipped pickle ({exc}); the file is truncated or corrupt"
        ) from None
    except Exception as exc:  # a corrupt pickle stream can fail in many ways
        raise ValueError(f"{p}: could not read the pickle ({type(exc).__name__}: {exc})") from None
    if not (
        isinstance(data, tuple) and len(data) == 3 and all(isinstance(s, tuple) and len(s) == 2 for s in data)
    ):
        raise ValueError(f"{p}: expected ((train_x, train_y), (valid_x, valid_y), (test_x, test_y))")
    X, y = data[_PKL_PARTS[kind]]
    if not isinstance(X, np.ndarray) or not isinstance(y, np.ndarray):
        raise ValueError(f"{p}: the {kind} part must hold two numpy arrays")
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(
            f"{p}: the {kind} part must be images (n, 784) and labels (n,), got {X.shape} and {y.shape}"
        )
    return X.astype(np.float64), y.astype(np.int64)
