"""microgradnet.data: generators, helpers, the shipped digits and the MNIST readers."""

from __future__ import annotations

import gzip
import json
import pickle
import struct
import subprocess
import sys
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from microgradnet import data

CLASSIFIERS: list[tuple[Callable[..., Any], int]] = [
    (data.make_moons, 2),
    (data.make_circles, 2),
    (data.make_spirals, 3),
    (data.make_blobs, 3),
    (data.make_xor, 2),
    (data.make_lesson_data, 2),
]


@pytest.mark.parametrize(("make", "k"), CLASSIFIERS, ids=lambda m: getattr(m, "__name__", str(m)))
def test_generators_are_seeded_typed_and_balanced(make: Callable[..., Any], k: int) -> None:
    X, y = make(n=120, seed=3)
    assert X.shape == (120, 2) and X.dtype == np.float64
    assert y.shape == (120,) and y.dtype == np.int64
    assert np.isfinite(X).all()
    X2, y2 = make(n=120, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make(n=120, seed=4)
    assert not np.array_equal(X, X3)
    counts = np.bincount(y, minlength=k)
    assert len(counts) == k
    # balanced up to rounding (the lesson set flips ~1% of labels)
    assert counts.max() - counts.min() <= (6 if make is data.make_lesson_data else 1)


@pytest.mark.parametrize(("make", "k"), CLASSIFIERS, ids=lambda m: getattr(m, "__name__", str(m)))
def test_generators_reject_bad_sizes(make: Callable[..., Any], k: int) -> None:
    with pytest.raises(ValueError, match="n must be at least"):
        make(n=0)
    with pytest.raises(TypeError, match="n must be an integer"):
        make(n=10.5)


def test_spirals_and_blobs_reject_fewer_than_two_classes() -> None:
    with pytest.raises(ValueError, match="classes must be at least 2"):
        data.make_spirals(n=30, classes=1)
    with pytest.raises(ValueError, match="classes must be at least 2"):
        data.make_blobs(n=30, classes=0)
    with pytest.raises(ValueError, match="noise"):
        data.make_moons(n=30, noise=-1.0)
    with pytest.raises(ValueError, match="spread must be"):
        data.make_blobs(n=30, spread=-2.0)
    with pytest.raises(ValueError, match="factor"):
        data.make_circles(n=30, factor=1.5)
    with pytest.raises(ValueError, match="flip"):
        data.make_lesson_data(flip=2.0)


def test_spirals_have_k_classes_and_are_not_linearly_separable() -> None:
    X, y = data.make_spirals(n=300, classes=5, seed=0)
    assert sorted(set(y.tolist())) == [0, 1, 2, 3, 4]
    # least squares on one-hot targets (the best linear map in the L2 sense) gets far from 100%
    A = np.hstack([X, np.ones((len(X), 1))])
    W, *_ = np.linalg.lstsq(A, data.one_hot(y), rcond=None)
    assert (np.argmax(A @ W, axis=1) == y).mean() < 0.6


def test_moons_points_lie_near_their_arcs() -> None:
    X, y = data.make_moons(n=200, noise=0.0, seed=0)
    upper = X[y == 0]
    lower = X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, atol=1e-12)


def test_xor_labels_follow_the_corner_signs() -> None:
    X, y = data.make_xor(n=100, noise=0.05, seed=2)
    np.testing.assert_array_equal(y, (np.sign(X[:, 0]) != np.sign(X[:, 1])).astype(np.int64))


def test_regression_curve_is_float_and_smooth_plus_noise() -> None:
    X, y = data.make_regression_curve(n=200, noise=0.0, seed=1)
    assert X.shape == (200, 1) and y.dtype == np.float64
    np.testing.assert_allclose(y, np.sin(np.pi * X[:, 0]) + 0.3 * X[:, 0])
    _, noisy = data.make_regression_curve(n=2000, noise=0.1, seed=1)
    Xn, _ = data.make_regression_curve(n=2000, noise=0.1, seed=1)
    resid = noisy - (np.sin(np.pi * Xn[:, 0]) + 0.3 * Xn[:, 0])
    assert 0.09 < resid.std() < 0.11


def test_lesson_data_is_mostly_but_not_perfectly_linearly_separable() -> None:
    # the character of sklearn's make_classification(n_features=2, n_informative=2,
    # n_redundant=0, n_clusters_per_class=1): two elongated Gaussian clusters, a line separates
    # most points. Checked over several seeds so the property is not one lucky draw.
    scores = []
    for seed in range(10):
        X, y = data.make_lesson_data(seed=seed)
        assert X.shape == (100, 2)
        A = np.hstack([X, np.ones((100, 1))])
        w, *_ = np.linalg.lstsq(A, 2.0 * y - 1.0, rcond=None)
        scores.append(((A @ w > 0) == (y == 1)).mean())
    assert np.median(scores) >= 0.8
    assert min(scores) < 1.0


def test_train_test_split_is_80_20_disjoint_and_seeded() -> None:
    X = np.arange(200.0).reshape(100, 2)
    y = np.arange(100)
    Xtr, Xte, ytr, yte = data.train_test_split(X, y, seed=1)
    assert (len(Xtr), len(Xte)) == (80, 20)
    assert sorted(ytr.tolist() + yte.tolist()) == list(range(100))
    np.testing.assert_array_equal(Xtr[:, 0], 2 * ytr)  # rows stay paired
    again = data.train_test_split(X, y, seed=1)
    np.testing.assert_array_equal(again[3], yte)
    _, _, _, yte_ordered = data.train_test_split(X, y, shuffle=False)
    assert yte_ordered.tolist() == list(range(80, 100))
    _, _, _, y25 = data.train_test_split(X, y, test_size=25)
    assert len(y25) == 25


def test_train_test_split_errors() -> None:
    with pytest.raises(ValueError, match="same number of samples"):
        data.train_test_split(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="between 0 and 1"):
        data.train_test_split(np.zeros((5, 2)), np.zeros(5), test_size=1.5)
    with pytest.raises(ValueError, match="both must be non-empty"):
        data.train_test_split(np.zeros((5, 2)), np.zeros(5), test_size=5)


def test_standardizer_round_trip_and_statistics() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(3.0, 5.0, size=(50, 3))
    X[:, 2] = 7.0  # a constant column is centred, not divided by zero
    s = data.Standardizer().fit(X)
    Z = s.transform(X)
    np.testing.assert_allclose(Z[:, :2].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z[:, :2].std(axis=0), 1.0)
    np.testing.assert_array_equal(Z[:, 2], 0.0)
    np.testing.assert_allclose(s.inverse_transform(Z), X)
    a, b = data.standardize(X[:40], X[40:])
    np.testing.assert_allclose(b, s.fit(X[:40]).transform(X[40:]))
    assert a.shape == (40, 3)
    with pytest.raises(ValueError, match="not fitted"):
        data.Standardizer().transform(X)
    with pytest.raises(ValueError, match=r"shape \(n, 3\)"):
        s.transform(np.zeros((2, 2)))


def test_one_hot() -> None:
    np.testing.assert_array_equal(data.one_hot([0, 2, 1], 3), [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert data.one_hot(np.array([1, 1])).shape == (2, 2)
    with pytest.raises(ValueError, match=r"labels must be in 0\.\.1"):
        data.one_hot([0, 2], 2)
    with pytest.raises(ValueError, match="integer class indices"):
        data.one_hot([0.5])


def test_minibatches_cover_every_sample_once_and_keep_the_last_partial_batch() -> None:
    X = np.arange(10.0)[:, None]
    y = np.arange(10)
    batches = list(data.minibatches(X, y, batch_size=4, seed=0))
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    seen = np.concatenate([b[1] for b in batches])
    assert sorted(seen.tolist()) == list(range(10))
    assert seen.tolist() != list(range(10))  # shuffled
    for xb, yb in batches:
        np.testing.assert_array_equal(xb[:, 0], yb)
    ordered = [b[1].tolist() for b in data.minibatches(X, y, batch_size=4, shuffle=False)]
    assert ordered == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_minibatches_reject_bad_arguments_at_the_call() -> None:
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        data.minibatches(np.zeros((3, 1)), np.zeros(3), batch_size=0)
    with pytest.raises(ValueError, match="same number of samples"):
        data.minibatches(np.zeros((3, 1)), np.zeros(2), batch_size=1)


# ---------------------------------------------------------------- digits


def test_load_digits_is_the_uci_set() -> None:
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 16.0
    assert np.array_equal(X, np.round(X))
    # the class counts of sklearn's copy of the UCI test set (counted from the shipped file;
    # scikit-learn's docs say "around 180" per class)
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    # the first image is a zero (sklearn's digits.images[0]); its top row is 0 0 5 13 9 1 0 0
    assert y[0] == 0 and X[0, :8].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]


def test_digits_ship_with_attribution() -> None:
    readme = Path(data.__file__).parent / "datasets" / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert "Alpaydin" in text and "Kaynak" in text and "CC BY 4.0" in text
    assert "Alpaydin" in (data.load_digits.__doc__ or "")


# ---------------------------------------------------------------- MNIST


def idx_bytes(array: np.ndarray[Any, Any], type_byte: int = 0x08) -> bytes:
    header = bytes([0, 0, type_byte, array.ndim]) + b"".join(struct.pack(">i", d) for d in array.shape)
    return header + array.astype(">u1").tobytes()


def write_mnist(
    folder: Path, n: int, prefix: str = "train", gz: bool = False, labels_n: int | None = None
) -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = (np.arange(labels_n if labels_n is not None else n) % 10).astype(np.uint8)
    for name, arr in ((f"{prefix}-images-idx3-ubyte", images), (f"{prefix}-labels-idx1-ubyte", labels)):
        raw = idx_bytes(arr)
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_reads_idx_files(tmp_path: Path, gz: bool) -> None:
    write_mnist(tmp_path, 12, gz=gz)
    write_mnist(tmp_path, 5, prefix="t10k", gz=gz)
    X, y = data.load_mnist(tmp_path)
    assert X.shape == (12, 784) and X.dtype == np.float64
    assert X.min() >= 0.0 and X.max() <= 1.0
    assert y.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    expected = np.random.default_rng(0).integers(0, 256, size=(12, 28, 28), dtype=np.uint8)
    np.testing.assert_array_equal(X, expected.reshape(12, -1) / 255.0)
    Xt, yt = data.load_mnist(tmp_path, kind="test")
    assert Xt.shape == (5, 784) and yt.tolist() == [0, 1, 2, 3, 4]


def test_load_mnist_missing_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        data.load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="no MNIST data"):
        data.load_mnist(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="kind must be"):
        data.load_mnist(tmp_path, kind="dev")


def test_load_mnist_mismatched_counts(tmp_path: Path) -> None:
    write_mnist(tmp_path, 6, labels_n=5)
    with pytest.raises(ValueError, match=r"6 images but .* 5 labels"):
        data.load_mnist(tmp_path)


def test_load_mnist_truncated_file(tmp_path: Path) -> None:
    write_mnist(tmp_path, 6)
    images = tmp_path / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-100])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.*truncated or corrupt"):
        data.load_mnist(tmp_path)
    images.write_bytes(images.read_bytes()[:6])
    with pytest.raises(ValueError, match="truncated IDX header"):
        data.load_mnist(tmp_path)


def test_load_mnist_wrong_magic(tmp_path: Path) -> None:
    write_mnist(tmp_path, 6)
    labels = tmp_path / "train-labels-idx1-ubyte"
    labels.write_bytes(b"PK\x03\x04" + labels.read_bytes()[4:])
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte: not an IDX file"):
        data.load_mnist(tmp_path)


def test_load_mnist_corrupt_gzip(tmp_path: Path) -> None:
    write_mnist(tmp_path, 6, gz=True)
    images = tmp_path / "train-images-idx3-ubyte.gz"
    images.write_bytes(images.read_bytes()[:30])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz"):
        data.load_mnist(tmp_path)


def lesson_pickle(path: Path, protocol: int = 2) -> list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
    rng = np.random.default_rng(1)
    parts = [
        (rng.random((n, 784)).astype(np.float32), (np.arange(n) % 10).astype(np.int64)) for n in (7, 3, 4)
    ]
    with gzip.open(path, "wb") as fh:
        pickle.dump(tuple(parts), fh, protocol=protocol)
    return parts


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_load_mnist_reads_the_lesson_pickle(tmp_path: Path, protocol: int) -> None:
    parts = lesson_pickle(tmp_path / "mnist.pkl.gz", protocol)
    for kind, (Xp, yp) in zip(["train", "valid", "test"], parts):
        X, y = data.load_mnist(tmp_path / "mnist.pkl.gz", kind=kind)
        np.testing.assert_array_equal(X, Xp.astype(np.float64))
        np.testing.assert_array_equal(y, yp)
    # a directory holding mnist.pkl.gz works too
    X, _ = data.load_mnist(tmp_path, kind="test")
    assert X.shape == (4, 784)


class Evil:
    def __reduce__(self) -> tuple[Any, ...]:
        return (print, ("pwned",))


def test_load_mnist_pickle_refuses_anything_but_arrays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mnist.pkl.gz"
    with gzip.open(path, "wb") as fh:
        pickle.dump(((Evil(), np.zeros(1)), (np.zeros(1), np.zeros(1)), (np.zeros(1), np.zeros(1))), fh)
    with pytest.raises(ValueError, match=r"refusing to load builtins\.print"):
        data.load_mnist(path)
    assert "pwned" not in capsys.readouterr().out


def test_load_mnist_reads_an_uncompressed_pickle_and_refuses_other_files(tmp_path: Path) -> None:
    parts = lesson_pickle(tmp_path / "mnist.pkl.gz")
    (tmp_path / "mnist.pkl").write_bytes(gzip.decompress((tmp_path / "mnist.pkl.gz").read_bytes()))
    X, y = data.load_mnist(tmp_path / "mnist.pkl", kind="valid")
    np.testing.assert_array_equal(y, parts[1][1])
    np.testing.assert_array_equal(X, parts[1][0].astype(np.float64))
    write_mnist(tmp_path, 3, gz=True)
    with pytest.raises(ValueError, match=r"expected the lesson's mnist\.pkl\.gz"):
        data.load_mnist(tmp_path / "train-images-idx3-ubyte.gz")
    assert data.read_idx(tmp_path / "train-images-idx3-ubyte.gz").shape == (3, 28, 28)


def test_load_mnist_pickle_truncated_or_wrong_shape(tmp_path: Path) -> None:
    path = tmp_path / "mnist.pkl.gz"
    lesson_pickle(path)
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[: len(raw) // 2]))
    with pytest.raises(ValueError, match=r"mnist\.pkl\.gz"):
        data.load_mnist(path)
    with gzip.open(path, "wb") as fh:
        pickle.dump(((np.zeros((3, 784)), np.zeros(2)),) * 3, fh)
    with pytest.raises(ValueError, match=r"images \(n, 784\) and labels \(n,\)"):
        data.load_mnist(path)
    with gzip.open(path, "wb") as fh:
        pickle.dump((1, 2), fh)
    with pytest.raises(ValueError, match="expected"):
        data.load_mnist(path)


# ---------------------------------------------------------------- MNIST: checks on what files say


def test_load_mnist_checks_labels_are_digits(tmp_path: Path) -> None:
    write_mnist(tmp_path, 6)
    labels = tmp_path / "train-labels-idx1-ubyte"
    labels.write_bytes(idx_bytes(np.array([0, 1, 2, 3, 4, 10])))
    with pytest.raises(ValueError, match=r"labels must be digits 0\.\.9, found values from 0 to 10"):
        data.load_mnist(tmp_path)
    path = tmp_path / "mnist.pkl.gz"
    images = np.zeros((2, 784), np.float32)
    for labels_, message in ((np.array([3.0, 7.5]), "whole numbers"), (np.array([-1, 2]), "from -1 to 2")):
        with gzip.open(path, "wb") as fh:
            pickle.dump(((images, labels_),) * 3, fh, protocol=2)
        with pytest.raises(ValueError, match=message):
            data.load_mnist(path)
    with gzip.open(path, "wb") as fh:  # float labels that are whole numbers are fine
        pickle.dump(((images, np.array([3.0, 7.0])),) * 3, fh, protocol=2)
    assert data.load_mnist(path)[1].tolist() == [3, 7]


def test_load_mnist_pickle_pixels_must_be_scaled(tmp_path: Path) -> None:
    path = tmp_path / "mnist.pkl.gz"
    with gzip.open(path, "wb") as fh:
        pickle.dump(((np.full((2, 784), 255.0), np.array([1, 2])),) * 3, fh, protocol=2)
    with pytest.raises(ValueError, match=r"scaled to \[0, 1\].*divide by 255"):
        data.load_mnist(path)


def test_load_mnist_idx_images_must_be_28x28_bytes(tmp_path: Path) -> None:
    write_mnist(tmp_path, 2)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros((2, 32, 32), np.uint8)))
    with pytest.raises(ValueError, match="expected 28x28 images of unsigned bytes"):
        data.load_mnist(tmp_path)


def test_max_images_is_a_documented_limit_a_user_can_raise(tmp_path: Path) -> None:
    write_mnist(tmp_path, 12)
    with pytest.raises(ValueError, match=r"holds 12 images, more than max_images=10.*max_images=12"):
        data.load_mnist(tmp_path, max_images=10)
    assert data.load_mnist(tmp_path, max_images=12)[0].shape == (12, 784)
    lesson_pickle(tmp_path / "mnist.pkl.gz")  # 7 + 3 + 4 images: all three parts count
    with pytest.raises(ValueError, match="more than max_images=13"):
        data.load_mnist(tmp_path / "mnist.pkl.gz", max_images=13)
    assert data.load_mnist(tmp_path / "mnist.pkl.gz", max_images=14)[0].shape == (7, 784)
    with pytest.raises(ValueError, match="max_images must be at least 1"):
        data.load_mnist(tmp_path, max_images=0)
    assert data.MAX_IMAGES >= 70_000 and "max_images" in (data.load_mnist.__doc__ or "")
    with pytest.raises(ValueError, match=r"more than max_bytes=100.*max_bytes=9408"):
        data.read_idx(tmp_path / "train-images-idx3-ubyte", max_bytes=100)
    assert data.read_idx(tmp_path / "train-images-idx3-ubyte", max_bytes=None).shape == (12, 28, 28)


def test_a_file_longer_than_its_header_says_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.idx"
    path.write_bytes(idx_bytes(np.arange(5)) + b"\x00")
    with pytest.raises(ValueError, match=r"promises shape \(5,\) \(5 data bytes\) but the file holds more"):
        data.read_idx(path)


def py2_array(array: np.ndarray[Any, Any]) -> bytes:
    """The opcodes Python 2 wrote for a numpy array (data as a byte string), as in mnist.pkl.gz."""

    def string(b: bytes) -> bytes:
        return (b"U" + bytes([len(b)]) if len(b) < 256 else b"T" + struct.pack("<i", len(b))) + b

    shape = b"(" + b"".join(b"J" + struct.pack("<i", d) for d in array.shape) + b"t"
    descr = array.dtype.str
    return (
        b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85" + string(b"b") + b"\x87R"
        b"(K\x01" + shape + b"cnumpy\ndtype\n(" + string(descr[1:].encode()) + b"K\x00K\x01tR"
        b"(K\x03" + string(descr[:1].encode()) + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
        b"\x89" + string(array.tobytes()) + b"tb"
    )


def test_load_mnist_reads_a_python2_pickle_like_the_lessons(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    parts = [(rng.random((n, 784)).astype("<f4"), (np.arange(n) % 10).astype("<i8")) for n in (5, 2, 3)]
    body = b"".join(b"(" + py2_array(X) + py2_array(y) + b"t" for X, y in parts)
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(b"\x80\x02(" + body + b"t."))
    X, y = data.load_mnist(path, "valid")
    np.testing.assert_array_equal(X, parts[1][0].astype(np.float64))
    assert y.tolist() == [0, 1] and type(X) is np.ndarray


# ---------------------------------------------------------------- MNIST: small files that ask for a lot

G = {
    "ndarray": b"cnumpy\nndarray\n",
    "reconstruct": b"cnumpy.core.multiarray\n_reconstruct\n",
    "encode": b"c_codecs\nencode\n",
}
SMALL = b"(" + G["ndarray"] + b"(K\x01K\x01\x86tR" + G["ndarray"] + b"(K\x01\x85tRt"


def pickle_bombs() -> dict[str, bytes]:
    """Gzipped pickles of a few hundred bytes that unpickle into gigabytes (issue 10, item 7)."""
    big = b"J\xc0'\t\x00M\x10\x03\x86"  # the tuple (600000, 784)
    uninitialised = (
        b"\x80\x02(("
        + G["ndarray"]
        + b"("
        + big
        + b"tR"
        + G["ndarray"]
        + b"(J\xc0'\t\x00\x85tRt"
        + SMALL
        + SMALL
        + b"t."
    )
    empty_huge = (
        b"\x80\x02((" + G["reconstruct"] + G["ndarray"] + big + b"U\x01b\x87R"
        + G["ndarray"] + b"(K\x01\x85tRt" + SMALL + SMALL + b"t."
    )  # fmt: skip
    text = b"X" + struct.pack("<I", 1_000_000) + b"x" * 1_000_000 + b"q\x00"
    call = G["encode"] + b"h\x00X\x06\x00\x00\x00latin1\x86R"
    codec_repeat = b"\x80\x02" + text + b"(" + call * 2_000 + b"l."
    hexed = b"\x80\x02C\x01x" + (b"q\x00" + G["encode"] + b"h\x00X\x03\x00\x00\x00hex\x86R") * 40 + b"."
    many_ops = b"\x80\x02K\x00q\x00(" + b"h\x00" * 200_000 + b"l."
    return {
        "uninitialised": gzip.compress(uninitialised),
        "empty_huge": gzip.compress(empty_huge),
        "codec_repeat": gzip.compress(codec_repeat),
        "hex_doubling": gzip.compress(hexed),
        "many_ops": gzip.compress(many_ops),
    }


def idx_bomb(n: int) -> bytes:
    """A real gzipped IDX file of ``n`` all-zero 28x28 images: 762 KB for a million."""
    header = bytes([0, 0, 8, 3]) + struct.pack(">iii", n, 28, 28)
    total = 28 * 28 * n
    zeros = bytes(2**20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)  # repeatable after a full flush
    body = comp.compress(header) + comp.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(header)
    for _ in range(total // len(zeros)):
        crc = zlib.crc32(zeros, crc)
    rest = bytes(total % len(zeros))
    crc = zlib.crc32(rest, crc)
    tail = comp.compress(rest) + comp.flush()
    size = (len(header) + total) % 2**32
    gz_header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return gz_header + body + block * (total // len(zeros)) + tail + struct.pack("<II", crc, size)


BOMB_RUNNER = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))
from microgradnet import data
for path in sys.argv[1:]:
    try:
        X, y = data.load_mnist(path)
        print(json.dumps([path, "loaded", X.nbytes]))
    except BaseException as exc:
        print(json.dumps([path, type(exc).__name__, str(exc)]))
"""


def test_small_files_cannot_expand_into_gigabytes(tmp_path: Path) -> None:
    paths = []
    for name, blob in pickle_bombs().items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "mnist.pkl.gz").write_bytes(blob)
        paths.append(folder / "mnist.pkl.gz")
        assert len(blob) < 2_000  # the 75-byte and 1.2 KB files, give or take
    idx = tmp_path / "idx"
    idx.mkdir()
    (idx / "train-images-idx3-ubyte.gz").write_bytes(idx_bomb(1_000_000))
    assert len((idx / "train-images-idx3-ubyte.gz").read_bytes()) < 800_000
    (idx / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(1_000_000, np.uint8)))
    paths.append(idx)
    run = subprocess.run(
        [sys.executable, "-c", BOMB_RUNNER, *map(str, paths)], capture_output=True, text=True, timeout=120
    )
    results = {Path(p).parent.name if p.endswith(".gz") else Path(p).name: (kind, msg)
               for p, kind, msg in map(json.loads, run.stdout.splitlines())}  # fmt: skip
    expected = {
        "uninitialised": "asks for 3,763,200,000 bytes of arrays",
        "empty_huge": "asks for 470,400,000 bytes of arrays",
        "codec_repeat": "bytes of arrays but the file has held only",
        "hex_doubling": "only to turn text into bytes",
        "many_ops": "more than 10,000 opcodes",
        "idx": "holds 1,000,000 images, more than max_images=100,000",
    }
    assert set(results) == set(expected), run.stderr[-2000:]
    for name, fragment in expected.items():
        kind, message = results[name]
        assert kind == "ValueError" and fragment in message, (name, kind, message)


def test_a_header_promising_more_than_the_file_holds_allocates_nothing(tmp_path: Path) -> None:
    # 90,000 images promised (within max_images), ten bytes there: refused after reading ten bytes
    (tmp_path / "train-images-idx3-ubyte").write_bytes(
        bytes([0, 0, 8, 3]) + struct.pack(">iii", 90_000, 28, 28) + bytes(10)
    )
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(90_000, np.uint8)))
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"\(70560000 data bytes\) but the file holds 10; "):
            data.load_mnist(tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20 + 200_000  # a chunk and the labels, never the 70 MB promised
