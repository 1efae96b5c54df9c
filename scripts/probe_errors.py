"""Probe the error paths of microgradnet's public API and tabulate the results.

Run: .venv/bin/python scripts/probe_errors.py [--bad] [--kinds]

``--bad`` prints only the failures; ``--kinds`` adds a count per area (engine, nn, ..., cli).

Each probe calls a public function with input a student could plausibly give by mistake.
GOOD: a TypeError / ValueError / FileNotFoundError / KeyError (or CLI exit 2 with a
``microgradnet: error:`` line) whose message is not empty, and no state changed.
BAD: anything else (another exception type, no error, or state changed before the error).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import math
import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np

import microgradnet as mg
from microgradnet import data, losses, nn, optim, train, viz
from microgradnet.cli import main as cli_main
from microgradnet.examples import load_example
from microgradnet.testing import gradcheck, gradgradcheck, numeric_grad
from microgradnet.viz.expr import parse_expression

# the module, not the function `microgradnet.compile` that the package exports under that name
mcompile = importlib.import_module("microgradnet.compile")

GOOD_TYPES = (TypeError, ValueError, FileNotFoundError, KeyError)
rows: list[tuple[str, str, str]] = []
kinds: list[str] = []  # the area of each probe, for the summary
KIND = ["engine"]


def section(kind: str) -> None:
    """Probes from here on are about ``kind`` (the summary counts them per kind)."""
    KIND[0] = kind


def probe(
    name: str,
    fn: Callable[[], Any],
    state: Callable[[], Any] | None = None,
    expect_error: bool = True,
    ok: tuple[type[BaseException], ...] = (),
) -> None:
    before = state() if state else None
    verdict, detail = "GOOD", ""
    try:
        result = fn()
    except GOOD_TYPES + ok as exc:
        msg = str(exc)
        detail = f"{type(exc).__name__}: {msg}"[:110]
        if not expect_error:
            verdict = "BAD"
        elif isinstance(exc, KeyError) and len(msg) < 25:
            verdict = "BAD"  # bare key
        elif not msg.strip():
            verdict = "BAD"
    except Exception as exc:
        verdict, detail = "BAD", f"{type(exc).__name__}: {exc}"[:110]
    else:
        if expect_error:
            verdict, detail = "BAD", f"no error, returned {result!r}"[:110]
        else:
            detail = "ok"
    if state and verdict == "GOOD" and state() != before:
        verdict, detail = "BAD", "STATE CHANGED; " + detail
    rows.append((verdict, name, detail))
    kinds.append("cli" if name.startswith("cli ") else KIND[0])


def cli(*argv: str) -> Callable[[], Any]:
    def run() -> Any:
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = cli_main(list(argv))
            except SystemExit as exc:
                code = exc.code
            except Exception as exc:  # a command line must never end in a traceback
                raise RuntimeError(f"traceback: {type(exc).__name__}: {exc}") from None
        text = err.getvalue()
        if (code == 2 and "error:" in text) or (
            (code == 1 and "microgradnet: error:" in text) and "Traceback" not in text
        ):
            raise ValueError(text.strip().splitlines()[-1])
        if code == 0:
            return "exit 0"
        raise RuntimeError(f"exit {code}: {text.strip()[-200:]}")

    return run


def params_of(m: Any) -> list[tuple[float, float]]:
    return [(p.data, p.grad) for p in m.parameters()]


def files_in(d: str) -> list[str]:
    return sorted(os.listdir(d))


V = mg.Value
tmp = tempfile.mkdtemp()
missing = os.path.join(tmp, "no", "such", "dir")

# ---- engine / top level -------------------------------------------------------------
probe("Value('2')", lambda: V("2"))  # type: ignore[arg-type]
probe("Value(None)", lambda: V(None))  # type: ignore[arg-type]
probe("Value([1,2])", lambda: V([1, 2]))  # type: ignore[arg-type]
probe("Value(np.array([1.,2.]))", lambda: V(np.array([1.0, 2.0])))  # type: ignore[arg-type]
probe("Value(1, label=3)", lambda: V(1, label=3))  # type: ignore[arg-type]
probe("Value(1) + 'a'", lambda: V(1) + "a")  # type: ignore[operator]
probe("Value(1) * None", lambda: V(1) * None)  # type: ignore[operator]
probe("Value(1) + [1]", lambda: V(1) + [1])  # type: ignore[operator]
probe("Value(1) ** 'x'", lambda: V(1) ** "x")  # type: ignore[operator]
probe("apply('nope', V(1))", lambda: mg.apply("nope", V(1)))
probe("apply('add', V(1))", lambda: mg.apply("add", V(1)))
probe("apply('mul', V(1), 'a')", lambda: mg.apply("mul", V(1), "a"))  # type: ignore[arg-type]
probe("apply('pown', V(1))", lambda: mg.apply("pown", V(1)))
probe("apply(3, V(1))", lambda: mg.apply(3, V(1)))  # type: ignore[arg-type]
probe("apply('dot', V(1),V(2),V(3))", lambda: mg.apply("dot", V(1), V(2), V(3)))
probe("grad(2.0, [V(1)])", lambda: mg.grad(2.0, [V(1)]))  # type: ignore[arg-type]
probe("grad(V(1), 'x')", lambda: mg.grad(V(1), "x"))  # type: ignore[arg-type]
probe("grad(V(1), [1.0])", lambda: mg.grad(V(1), [1.0]))  # type: ignore[list-item]
probe("topological_order(None)", lambda: mg.topological_order(None))  # type: ignore[arg-type]
probe("topological_order(3.0)", lambda: mg.topological_order(3.0))  # type: ignore[arg-type]
probe("register_op('add', ...) clash", lambda: mg.register_op("add", forward="a", grads=("1",)))
probe(
    "register_op('q', grads wrong count)",
    lambda: mg.register_op("q_bad", forward="a*b", params=("a", "b"), grads=("1",)),
)
probe("register_op('q', bad formula)", lambda: mg.register_op("q_bad2", forward="a +", grads=("1",)))
probe("register_op('q', unknown fn)", lambda: mg.register_op("q_bad3", forward="frob(a)", grads=("1",)))
probe("define_op(grads=3)", lambda: mg.define_op(grads=3))  # type: ignore[arg-type]

# ---- nn -------------------------------------------------------------------------------
section("nn")
probe("Neuron(0)", lambda: nn.Neuron(0))
probe("Neuron(-1)", lambda: nn.Neuron(-1))
probe("Neuron('3')", lambda: nn.Neuron("3"))  # type: ignore[arg-type]
probe("Neuron(2.5)", lambda: nn.Neuron(2.5))  # type: ignore[arg-type]
probe("Neuron(2, 'foo')", lambda: nn.Neuron(2, "foo"))
probe("Neuron(2, init='foo')", lambda: nn.Neuron(2, init="foo"))
probe("Layer(2, 0)", lambda: nn.Layer(2, 0))
probe("Layer(2, -3)", lambda: nn.Layer(2, -3))
probe("MLP(2, [])", lambda: nn.MLP(2, []))
probe("MLP(2, 4)", lambda: nn.MLP(2, 4))  # type: ignore[arg-type]
probe("MLP(2, [4, 0])", lambda: nn.MLP(2, [4, 0]))
probe("MLP(2, [4], 'sigmoidd')", lambda: nn.MLP(2, [4], "sigmoidd"))
probe("Linear(0, 2)", lambda: nn.Linear(0, 2))
probe("Linear(2, 2, init='x')", lambda: nn.Linear(2, 2, init="x"))
probe("Sequential(3)", lambda: nn.Sequential(3))  # type: ignore[arg-type]
n2 = nn.Neuron(2, seed=0)
probe("Neuron(2)([1])", lambda: n2([1.0]), lambda: params_of(n2))
probe("Neuron(2)([1,2,3])", lambda: n2([1.0, 2.0, 3.0]), lambda: params_of(n2))
probe("Neuron(2)('ab')", lambda: n2("ab"), lambda: params_of(n2))
probe("Neuron(2)(None)", lambda: n2(None), lambda: params_of(n2))
probe("Neuron(2)(3.0)", lambda: n2(3.0), lambda: params_of(n2))
probe("Neuron(2)(np.array([1.,2.]))", lambda: n2(np.array([1.0, 2.0])), expect_error=False)
m = nn.MLP(2, [3, 2], seed=0)
probe("MLP(2,..)([1,2,3])", lambda: m([1.0, 2.0, 3.0]), lambda: params_of(m))
probe("MLP(2,..)(['a','b'])", lambda: m(["a", "b"]), lambda: params_of(m))
probe(
    "MLP(2,..)([[1,2],[3,4]]) (a batch, documented)",
    lambda: m([[1.0, 2.0], [3.0, 4.0]]),
    lambda: params_of(m),
    expect_error=False,
)
lin = nn.Linear(2, 2, seed=0)
probe("Linear(2,2)([1])", lambda: lin([1.0]), lambda: params_of(lin))
probe("Softmax()([])", lambda: nn.Softmax()([]))
probe("Tanh()(None)", lambda: nn.Tanh()(None))
sd = m.state_dict()
probe(
    "load_state_dict(missing key)",
    lambda: m.load_state_dict({k: v for k, v in list(sd.items())[:-1]}),
    lambda: params_of(m),
)
probe("load_state_dict(extra key)", lambda: m.load_state_dict({**sd, "zzz": 1.0}), lambda: params_of(m))
bad_sd = dict(sd)
last = list(bad_sd)[-1]
bad_sd[last] = "x"
probe("load_state_dict(str value last)", lambda: m.load_state_dict(bad_sd), lambda: params_of(m))
probe("load_state_dict(None)", lambda: m.load_state_dict(None), lambda: params_of(m))  # type: ignore[arg-type]
wrong_shape = {k: (v[:-1] if isinstance(v, list) else v) for k, v in sd.items()}
probe("load_state_dict(short lists)", lambda: m.load_state_dict(wrong_shape), lambda: params_of(m))
probe("relabel(3)", lambda: m.relabel(3), lambda: [p.label for p in m.parameters()])  # type: ignore[arg-type]

# ---- losses ---------------------------------------------------------------------------
section("losses")
lg = [[V(1.0), V(2.0)], [V(0.5), V(-1.0)]]
probe("cross_entropy(target 2 of 2 classes)", lambda: losses.cross_entropy(lg, [0, 2]))
probe("cross_entropy(target -1)", lambda: losses.cross_entropy(lg, [0, -1]))
probe("cross_entropy(target 1.5)", lambda: losses.cross_entropy(lg, [0, 1.5]))
probe("cross_entropy(target 'a')", lambda: losses.cross_entropy(lg, [0, "a"]))
probe("cross_entropy(len mismatch)", lambda: losses.cross_entropy(lg, [0]))
probe("cross_entropy([], [])", lambda: losses.cross_entropy([], []))
probe("cross_entropy(ragged)", lambda: losses.cross_entropy([[V(1.0), V(2.0)], [V(1.0)]], [0, 0]))
probe("cross_entropy(None)", lambda: losses.cross_entropy(None, [0]))
probe("mse(len mismatch)", lambda: losses.mse([V(1.0), V(2.0)], [1.0]))
probe("mse([], [])", lambda: losses.mse([], []))
probe("mse(str target)", lambda: losses.mse([V(1.0)], ["a"]))
probe("mse(None target)", lambda: losses.mse([V(1.0)], None))
probe("mse(nan target) (IEEE: nan out)", lambda: losses.mse([V(1.0)], [float("nan")]), expect_error=False)
probe("mae(len mismatch)", lambda: losses.mae([V(1.0)], [1.0, 2.0]))
probe("hinge(label 0)", lambda: losses.hinge([V(1.0)], [0]))
probe("hinge(label 2)", lambda: losses.hinge([V(1.0)], [2]))
probe("hinge([], [])", lambda: losses.hinge([], []))
probe("bce(target 2)", lambda: losses.binary_cross_entropy([V(0.5)], [2]))
probe("bce(target -1)", lambda: losses.binary_cross_entropy([V(0.5)], [-1]))
probe("bce(len mismatch)", lambda: losses.binary_cross_entropy([V(0.5)], [1, 0]))
probe("bce_logits(target 'a')", lambda: losses.binary_cross_entropy_with_logits([V(0.5)], ["a"]))
probe("softmax([])", lambda: losses.softmax([]))
probe("softmax(None)", lambda: losses.softmax(None))  # type: ignore[arg-type]
probe("softmax(['a'])", lambda: losses.softmax(["a"]))  # type: ignore[list-item]
probe("log_softmax([])", lambda: losses.log_softmax([]))
probe("l2(None)", lambda: losses.l2(None))  # type: ignore[arg-type]
probe("l2(['a'])", lambda: losses.l2(["a"]))  # type: ignore[list-item]
probe("accuracy(len mismatch)", lambda: losses.accuracy([[1.0, 2.0]], [0, 1]))
probe("accuracy([], [])", lambda: losses.accuracy([], []))
probe("CrossEntropyLoss()(lg, [5,0])", lambda: nn.CrossEntropyLoss()(lg, [5, 0]))
probe("MSELoss()(len mismatch)", lambda: nn.MSELoss()([V(1.0)], [1.0, 2.0]))


# ---- optim ----------------------------------------------------------------------------
section("optim")


def pv() -> list[V]:
    ps = [V(1.0), V(2.0)]
    for p in ps:
        p.grad = 0.5
    return ps


ps = pv()
st = lambda: [(p.data, p.grad) for p in ps]
probe("SGD(params, lr=-1)", lambda: optim.SGD(ps, lr=-1.0))
probe("SGD(params, lr='0.1')", lambda: optim.SGD(ps, lr="0.1"))  # type: ignore[arg-type]
probe("SGD(params, lr=nan)", lambda: optim.SGD(ps, lr=float("nan")))
probe("SGD(params, lr=inf)", lambda: optim.SGD(ps, lr=float("inf")))
probe("SGD([], lr=0.1)", lambda: optim.SGD([], lr=0.1))
probe("SGD([1.0], lr=0.1)", lambda: optim.SGD([1.0], lr=0.1))  # type: ignore[list-item]
probe("SGD(model, lr=0.1) (module not params)", lambda: optim.SGD(m, lr=0.1))  # type: ignore[arg-type]
probe("SGD(None, lr=0.1)", lambda: optim.SGD(None, lr=0.1))  # type: ignore[arg-type]
probe("SGD(momentum=-0.5)", lambda: optim.SGD(ps, lr=0.1, momentum=-0.5))
probe(
    "SGD(momentum=1.5) (allowed, as PyTorch)", lambda: optim.SGD(ps, lr=0.1, momentum=1.5), expect_error=False
)
probe("SGD(nesterov, no momentum)", lambda: optim.SGD(ps, lr=0.1, nesterov=True))
probe("SGD(weight_decay=-1)", lambda: optim.SGD(ps, lr=0.1, weight_decay=-1.0))
probe("Adam(betas=(1.0,0.999))", lambda: optim.Adam(ps, betas=(1.0, 0.999)))
probe("Adam(betas=0.9)", lambda: optim.Adam(ps, betas=0.9))  # type: ignore[arg-type]
probe("Adam(eps=-1)", lambda: optim.Adam(ps, eps=-1.0))
probe("Adam(eps=0) (rejected by design)", lambda: optim.Adam(ps, eps=0.0))
probe("AdamW(lr=0) (rejected by design)", lambda: optim.AdamW(ps, lr=0.0))
opt_nan = optim.SGD(ps, lr=0.1)
ps[1].grad = float("nan")
probe("SGD.step() with nan grad (IEEE: nan propagates)", lambda: opt_nan.step(), expect_error=False)
ps[1].grad = 0.5
sched = optim.SGD(ps, lr=lambda t: "x")  # type: ignore[arg-type,return-value]
probe("SGD(lr=schedule returning str).step", lambda: sched.step(), st)
sgd = optim.SGD(ps, lr=0.1, momentum=0.9)
sgd.step()
sgs = sgd.state_dict()
probe("SGD.load_state_dict(None)", lambda: sgd.load_state_dict(None), lambda: sgd.state_dict())  # type: ignore[arg-type]
probe("SGD.load_state_dict({})", lambda: sgd.load_state_dict({}), lambda: sgd.state_dict())
adam = optim.Adam(ps)
adam.step()
probe(
    "SGD.load_state_dict(adam state)",
    lambda: sgd.load_state_dict(adam.state_dict()),
    lambda: sgd.state_dict(),
)
probe("Adam.load_state_dict(sgd state)", lambda: adam.load_state_dict(sgs), lambda: adam.state_dict())
probe("Optimizer.lr_at(-1)", lambda: sgd.lr_at(-1))
probe("SGD(lr=None)", lambda: optim.SGD(ps, lr=None))  # type: ignore[arg-type]

# ---- data -----------------------------------------------------------------------------
section("data")
probe("make_moons(n=0)", lambda: data.make_moons(n=0))
probe("make_moons(n=-5)", lambda: data.make_moons(n=-5))
probe("make_moons(n='100')", lambda: data.make_moons(n="100"))  # type: ignore[arg-type]
probe("make_moons(n=10.5)", lambda: data.make_moons(n=10.5))  # type: ignore[arg-type]
probe("make_moons(noise=-1)", lambda: data.make_moons(noise=-1.0))
probe("make_blobs(classes=0)", lambda: data.make_blobs(classes=0))
probe("make_blobs(features=0)", lambda: data.make_blobs(features=0))
probe("make_spirals(classes=0)", lambda: data.make_spirals(classes=0))
probe("make_circles(factor=2)", lambda: data.make_circles(factor=2.0))
probe("make_xor(n=-1)", lambda: data.make_xor(n=-1))
probe("make_lesson_data(flip=2)", lambda: data.make_lesson_data(flip=2.0))
probe("make_regression_curve(n=0)", lambda: data.make_regression_curve(n=0))
X, y = data.make_moons(20)
probe("minibatches(batch_size=0)", lambda: list(data.minibatches(X, y, 0)))
probe("minibatches(batch_size=-1)", lambda: list(data.minibatches(X, y, -1)))
probe("minibatches(len mismatch)", lambda: list(data.minibatches(X, y[:5], 4)))
probe("minibatches(batch_size='4')", lambda: list(data.minibatches(X, y, "4")))  # type: ignore[arg-type]
probe("one_hot([0, 3], 2)", lambda: data.one_hot([0, 3], 2))
probe("one_hot([-1])", lambda: data.one_hot([-1]))
probe("one_hot([0.5])", lambda: data.one_hot([0.5]))
probe("one_hot([]) (empty in, empty out)", lambda: data.one_hot([]), expect_error=False)
probe("one_hot([[0,1]])", lambda: data.one_hot([[0, 1]]))
probe("train_test_split(test_size=1.5)", lambda: data.train_test_split(X, y, test_size=1.5))
probe("train_test_split(test_size=0)", lambda: data.train_test_split(X, y, test_size=0.0))
probe("train_test_split(len mismatch)", lambda: data.train_test_split(X, y[:3]))
probe("standardize([])", lambda: data.standardize(np.zeros((0, 2))))
probe("standardize(1-D)", lambda: data.standardize(np.array([1.0, 2.0])))
probe("standardize(other wrong width)", lambda: data.standardize(X, np.zeros((3, 5))))
probe("Standardizer().transform before fit", lambda: data.Standardizer().transform(X))
probe(
    "Standardizer().fit(X).transform(wrong width)",
    lambda: data.Standardizer().fit(X).transform(np.zeros((2, 3))),
)
probe("load_mnist(missing dir)", lambda: data.load_mnist(missing))
probe("load_mnist(kind='foo')", lambda: data.load_mnist(tmp, kind="foo"))
probe("read_idx(missing)", lambda: data.read_idx(os.path.join(tmp, "nope.idx")))
junk = os.path.join(tmp, "junk.idx")
with open(junk, "wb") as fh:
    fh.write(b"hello world, not idx")
probe("read_idx(junk file)", lambda: data.read_idx(junk))
empty = os.path.join(tmp, "empty.idx")
open(empty, "wb").close()
probe("read_idx(empty file)", lambda: data.read_idx(empty))


# ---- train ----------------------------------------------------------------------------
section("train")


def fresh() -> nn.MLP:
    return nn.MLP(2, [4, 2], seed=0)


mt = fresh()
S = lambda: params_of(mt)
probe(
    "fit(X wrong width)",
    lambda: train.fit(mt, np.zeros((10, 3)), np.zeros(10, int), epochs=1, progress=False),
    S,
)
probe("fit(len mismatch)", lambda: train.fit(mt, X, y[:5], epochs=1, progress=False), S)
probe("fit(class 5 of 2)", lambda: train.fit(mt, X, np.full(len(X), 5), epochs=1, progress=False), S)
probe("fit(class -1)", lambda: train.fit(mt, X, np.full(len(X), -1), epochs=1, progress=False), S)
probe(
    "fit(epochs=0) (documented >= 0)",
    lambda: train.fit(mt, X, y, epochs=0, progress=False),
    S,
    expect_error=False,
)
probe("fit(epochs=-1)", lambda: train.fit(mt, X, y, epochs=-1, progress=False), S)
probe("fit(batch_size=0)", lambda: train.fit(mt, X, y, epochs=1, batch_size=0, progress=False), S)
probe("fit(loss='foo')", lambda: train.fit(mt, X, y, loss="foo", epochs=1, progress=False), S)
probe("fit(optimizer='foo')", lambda: train.fit(mt, X, y, optimizer="foo", epochs=1, progress=False), S)
probe("fit(lr=-1)", lambda: train.fit(mt, X, y, lr=-1.0, epochs=1, progress=False), S)
probe("fit(lr='0.1')", lambda: train.fit(mt, X, y, lr="0.1", epochs=1, progress=False), S)  # type: ignore[arg-type]
probe(
    "fit(X=[], y=[])", lambda: train.fit(mt, np.zeros((0, 2)), np.zeros(0, int), epochs=1, progress=False), S
)
probe(
    "fit(X with nan)",
    lambda: train.fit(mt, np.full((10, 2), np.nan), np.zeros(10, int), epochs=1, progress=False),
    S,
)
probe(
    "fit(X as list of lists)",
    lambda: train.fit(fresh(), X.tolist(), y.tolist(), epochs=1, progress=False),
    expect_error=False,
)
probe("fit(X_val without y_val)", lambda: train.fit(mt, X, y, X_val=X, epochs=1, progress=False), S)
probe(
    "fit(X_val wrong width)",
    lambda: train.fit(mt, X, y, X_val=np.zeros((4, 3)), y_val=np.zeros(4, int), epochs=1, progress=False),
    S,
)
probe(
    "fit(y_val class 7)",
    lambda: train.fit(mt, X, y, X_val=X, y_val=np.full(len(X), 7), epochs=1, progress=False),
    S,
)
probe(
    "fit(checkpoint in missing dir)",
    lambda: train.fit(mt, X, y, epochs=1, progress=False, checkpoint=os.path.join(missing, "c.json")),
    S,
)
probe("fit(l2=-1)", lambda: train.fit(mt, X, y, l2=-1.0, epochs=1, progress=False), S)
probe("fit(early_stopping=0)", lambda: train.fit(mt, X, y, early_stopping=0, epochs=1, progress=False), S)
probe("fit(model=None)", lambda: train.fit(None, X, y, epochs=1, progress=False))  # type: ignore[arg-type]
probe("fit(y float for CE)", lambda: train.fit(mt, X, y + 0.5, epochs=1, progress=False), S)
probe(
    "fit(compile=False, class 5)",
    lambda: train.fit(mt, X, np.full(len(X), 5), epochs=1, progress=False, compile=False),
    S,
)
probe(
    "fit(compile=False, wrong width)",
    lambda: train.fit(mt, np.zeros((10, 3)), np.zeros(10, int), epochs=1, progress=False, compile=False),
    S,
)
probe(
    "fit(hinge, y in {0,1} with 2 outputs)",
    lambda: train.fit(mt, X, y, loss="hinge", epochs=1, progress=False),
    S,
)
probe(
    "fit(mse with 2 outputs, 1-D y)",
    lambda: train.fit(mt, X, y.astype(float), loss="mse", epochs=1, progress=False),
    expect_error=False,
)
probe("evaluate(class 5)", lambda: train.evaluate(mt, X, np.full(len(X), 5)))
probe("evaluate(wrong width)", lambda: train.evaluate(mt, np.zeros((3, 3)), np.zeros(3, int)))
probe("evaluate(loss='foo')", lambda: train.evaluate(mt, X, y, loss="foo"))
probe("evaluate(empty)", lambda: train.evaluate(mt, np.zeros((0, 2)), np.zeros(0, int)))
probe("predict(wrong width)", lambda: train.predict(mt, np.zeros((3, 3))))
probe("predict(1-D X)", lambda: train.predict(mt, np.zeros(2)))
probe("predict(None)", lambda: train.predict(mt, None))
probe("predict_classes(loss='foo')", lambda: train.predict_classes(mt, X, loss="foo"))
probe("r2_score(len mismatch)", lambda: train.r2_score([1.0, 2.0], [1.0]))
probe("r2_score([], [])", lambda: train.r2_score([], []))
probe("r2_score(constant y)", lambda: train.r2_score([1.0, 1.0], [1.0, 2.0]))
probe("save_checkpoint(missing dir)", lambda: train.save_checkpoint(mt, os.path.join(missing, "c.json")))
probe(
    "save_checkpoint(model=None)",
    lambda: train.save_checkpoint(None, os.path.join(tmp, "c0.json")),
    lambda: files_in(tmp),
)
ck = os.path.join(tmp, "ck.json")
train.save_checkpoint(mt, ck)
probe("load_checkpoint(missing)", lambda: train.load_checkpoint(mt, os.path.join(tmp, "nope.json")), S)
probe("load_checkpoint(junk)", lambda: train.load_checkpoint(mt, junk), S)
probe("load_checkpoint(other arch)", lambda: train.load_checkpoint(nn.MLP(2, [3, 2]), ck))
probe("EarlyStopping(patience=-1)", lambda: train.EarlyStopping(patience=-1))
probe("EarlyStopping(monitor='foo')", lambda: train.EarlyStopping(monitor="foo"))
probe("layer_max_abs_weights(None)", lambda: train.layer_max_abs_weights(None))
probe("train_step(bad task)", lambda: train.train_step(mt, optim.SGD(mt.parameters(), 0.1), "foo", X, y), S)  # type: ignore[arg-type]

# ---- compile --------------------------------------------------------------------------
section("compile")
probe("compile(None)", lambda: mcompile.compile(None))
probe("compile(model, reduction='foo')", lambda: mcompile.compile(mt, reduction="foo"))
probe("for_fit(model, 'foo')", lambda: mcompile.for_fit(mt, "foo"))
probe("evaluate_named(model, 'foo')", lambda: mcompile.evaluate_named(mt, "foo", X, y))
probe(
    "evaluate_named(wrong width)",
    lambda: mcompile.evaluate_named(mt, "cross_entropy", np.zeros((3, 3)), np.zeros(3, int)),
)
probe("evaluate_named(class 5)", lambda: mcompile.evaluate_named(mt, "cross_entropy", X, np.full(len(X), 5)))
cs = mcompile.for_fit(mt, "cross_entropy")
probe("CompiledStep.predict(wrong width)", lambda: cs.predict(np.zeros((3, 3))))
probe("CompiledStep.evaluate(class 5)", lambda: cs.evaluate(X, np.full(len(X), 5)))
probe("CompiledStep.trainer('sgd')", lambda: cs.trainer("sgd"))
tr = cs.trainer(optim.SGD(mt.parameters(), 0.1))
probe("FusedTrainer.step(class 5)", lambda: tr.step(X, np.full(len(X), 5)), S)
probe("FusedTrainer.step(wrong width)", lambda: tr.step(np.zeros((3, 3)), np.zeros(3, int)), S)
probe("FusedTrainer.step(len mismatch)", lambda: tr.step(X, y[:3]), S)
probe("FusedTrainer.step(empty)", lambda: tr.step(np.zeros((0, 2)), np.zeros(0, int)), S)

# ---- plots ----------------------------------------------------------------------------
section("plots")
h = train.fit(fresh(), X, y, epochs=2, progress=False)
probe(
    "plot_history(missing dir)",
    lambda: __import__("microgradnet.plots").plots.plot_history(h, os.path.join(missing, "h.png")),
)
probe(
    "plot_history(None)",
    lambda: __import__("microgradnet.plots").plots.plot_history(None, os.path.join(tmp, "h.png")),
    lambda: files_in(tmp),
)
probe(
    "plot_history(.xyz)",
    lambda: __import__("microgradnet.plots").plots.plot_history(h, os.path.join(tmp, "h.xyz")),
    lambda: files_in(tmp),
)
probe(
    "plot_history({})",
    lambda: __import__("microgradnet.plots").plots.plot_history({}, os.path.join(tmp, "h2.png")),
    lambda: files_in(tmp),
)
probe(
    "plot_decision_boundary(3 features)",
    lambda: __import__("microgradnet.plots").plots.plot_decision_boundary(
        nn.MLP(3, [2]), np.zeros((4, 3)), np.zeros(4, int), os.path.join(tmp, "d.png")
    ),
    lambda: files_in(tmp),
)
probe(
    "plot_decision_boundary(resolution=0)",
    lambda: __import__("microgradnet.plots").plots.plot_decision_boundary(
        mt, X, y, os.path.join(tmp, "d.png"), resolution=0
    ),
    lambda: files_in(tmp),
)
probe(
    "plot_decision_boundary(len mismatch)",
    lambda: __import__("microgradnet.plots").plots.plot_decision_boundary(
        mt, X, y[:3], os.path.join(tmp, "d.png")
    ),
    lambda: files_in(tmp),
)
probe(
    "plot_max_weights(no weights in history)",
    lambda: __import__("microgradnet.plots").plots.plot_max_weights(
        {"epochs": []}, os.path.join(tmp, "w.png")
    ),
    lambda: files_in(tmp),
)


# ---- viz ------------------------------------------------------------------------------
section("viz")


def L() -> V:
    a, b = V(2.0, "a"), V(-3.0, "b")
    out = a * b
    out.label = "L"
    return out


root = L()
probe("trace_backward(None)", lambda: viz.trace_backward(None))  # type: ignore[arg-type]
probe("trace_backward(3.0)", lambda: viz.trace_backward(3.0))  # type: ignore[arg-type]
probe("trace_backward(root, parameters=3)", lambda: viz.trace_backward(root, parameters=3))  # type: ignore[arg-type]
probe("draw_dot(None)", lambda: viz.draw_dot(None))  # type: ignore[arg-type]
probe("draw_dot(rankdir='XX')", lambda: viz.draw_dot(root, rankdir="XX"))
probe("draw_dot(fmt='{:q}')", lambda: viz.draw_dot(root, fmt="{:q}"))
probe("draw_dot(fmt='no braces')", lambda: viz.draw_dot(root, fmt="no braces"))
probe("draw_dot(highlight='zz')", lambda: viz.draw_dot(root, highlight="zz"))
probe("draw_dot(foo=1)", lambda: viz.draw_dot(root, foo=1))  # type: ignore[call-arg]
probe("render(missing dir)", lambda: viz.render(root, os.path.join(missing, "g.svg")))
probe("render(.xyz)", lambda: viz.render(root, os.path.join(tmp, "g.xyz")), lambda: files_in(tmp))
probe(
    "render(unknown option)",
    lambda: viz.render(root, os.path.join(tmp, "g.svg"), colour=True),
    lambda: files_in(tmp),
)
probe("render(None)", lambda: viz.render(None, os.path.join(tmp, "g.svg")), lambda: files_in(tmp))  # type: ignore[arg-type]
probe("export_html(missing dir)", lambda: viz.export_html(root, os.path.join(missing, "s.html")))
probe(
    "export_html(theme='foo')",
    lambda: viz.export_html(root, os.path.join(tmp, "s.html"), theme="foo"),
    lambda: files_in(tmp),
)
probe(
    "export_html(interval=-1)",
    lambda: viz.export_html(root, os.path.join(tmp, "s.html"), interval=-1.0),
    lambda: files_in(tmp),
)
probe("export_html(None)", lambda: viz.export_html(None, os.path.join(tmp, "s.html")), lambda: files_in(tmp))  # type: ignore[arg-type]
probe(
    "export_html(rankdir='zz')",
    lambda: viz.export_html(root, os.path.join(tmp, "s.html"), rankdir="zz"),
    lambda: files_in(tmp),
)
probe("HtmlStepper(theme='x')", lambda: viz.HtmlStepper(root, theme="x"))
fd = os.path.join(tmp, "frames")
probe("export_frames(fmt='gif')", lambda: viz.export_frames(root, fd, fmt="gif"), lambda: os.path.exists(fd))
probe(
    "export_frames(granularity='foo')",
    lambda: viz.export_frames(root, fd, granularity="foo"),
    lambda: os.path.exists(fd),
)
probe(
    "export_frames(unknown option)",
    lambda: viz.export_frames(root, fd, colour=True),
    lambda: os.path.exists(fd),
)
probe("export_frames(None)", lambda: viz.export_frames(None, fd), lambda: os.path.exists(fd))  # type: ignore[arg-type]
afile = os.path.join(tmp, "afile")
open(afile, "w").close()
probe("export_frames(dir is a file)", lambda: viz.export_frames(root, afile))
probe("parse_expression('')", lambda: parse_expression(""))
probe("parse_expression('a +')", lambda: parse_expression("a +"))
probe("parse_expression('a*b', missing var)", lambda: parse_expression("a*b", {"a": 1.0}))
probe("parse_expression('foo(a)')", lambda: parse_expression("foo(a)", {"a": 1.0}))
probe("parse_expression('__import__(\"os\")')", lambda: parse_expression('__import__("os")'))
probe("parse_expression(None)", lambda: parse_expression(None))  # type: ignore[arg-type]
probe("parse_expression(var str)", lambda: parse_expression("a*2", {"a": "x"}))  # type: ignore[dict-item]
probe("parse_expression(var None)", lambda: parse_expression("a*2", {"a": None}))  # type: ignore[dict-item]
probe("parse_expression(vars list)", lambda: parse_expression("a*2", [1.0]))  # type: ignore[arg-type]
probe("parse_expression('a.b')", lambda: parse_expression("a.data", {"a": 1.0}))
probe("parse_expression('a[0]')", lambda: parse_expression("a[0]", {"a": 1.0}))
probe("parse_expression('a if a else b')", lambda: parse_expression("a if a else a", {"a": 1.0}))
probe("parse_expression('a < 1')", lambda: parse_expression("a < 1", {"a": 1.0}))
probe("parse_expression('9**9**9')", lambda: parse_expression("9**9**9"), expect_error=False)
probe("parse_expression('tanh(a, a)')", lambda: parse_expression("tanh(a, a)", {"a": 1.0}))
probe("parse_expression('tanh()')", lambda: parse_expression("tanh()", {"a": 1.0}))
probe("parse_expression('\"s\"')", lambda: parse_expression('"s"'))
probe("parse_expression('1j')", lambda: parse_expression("1j*a", {"a": 1.0}))
probe("parse_expression('tanh(a=1)')", lambda: parse_expression("tanh(x=a)", {"a": 1.0}))
probe("make_worksheet('')", lambda: viz.make_worksheet(""))
probe("make_worksheet(n_versions=0)", lambda: viz.make_worksheet("a*b", n_versions=0))
probe("make_worksheet(fmt='pdf')", lambda: viz.make_worksheet("a*b", fmt="pdf"))
probe("make_worksheet(bad range)", lambda: viz.make_worksheet("a*b", {"a": (3, 1)}))
probe("make_worksheet(range str)", lambda: viz.make_worksheet("a*b", {"a": "x"}))  # type: ignore[dict-item]
probe("make_worksheet(unknown var)", lambda: viz.make_worksheet("a*b", {"zz": (1, 2)}))
probe("make_worksheet(None)", lambda: viz.make_worksheet(None))  # type: ignore[arg-type]
ws = viz.make_worksheet("a*b")
probe("Worksheet.save(missing dir)", lambda: ws.save(os.path.join(missing, "w.md")))
probe("Worksheet.sheet(5)", lambda: ws.sheet(5))
tr0 = viz.trace_backward(L())
probe("Trace.node('zz')", lambda: tr0.node("zz"))
probe("narration(trace, 99)", lambda: viz.narration(tr0, 99), ok=(IndexError,))  # documented
probe("narration(trace, -99)", lambda: viz.narration(tr0, -99), ok=(IndexError,))  # documented
probe("narration(None, 0)", lambda: viz.narration(None, 0))  # type: ignore[arg-type]
probe("Trace.event_text(99)", lambda: tr0.event_text(99))
probe("layout(None)", lambda: viz.layout(None))  # type: ignore[arg-type]
probe(
    "dot_to_svg('not dot')",
    lambda: viz.dot_to_svg("not dot at all {"),
    ok=(importlib.import_module("microgradnet.viz.rendering").GraphvizError,),
)
probe("dot_to_svg(engine='foo')", lambda: viz.dot_to_svg("digraph{}", engine="foo"))
probe("backend('foo')", lambda: viz.backend("foo"))

# ---- examples -------------------------------------------------------------------------
section("examples")
probe("load_example('nope')", lambda: load_example("nope"))
probe("load_example(None)", lambda: load_example(None))  # type: ignore[arg-type]

# ---- testing --------------------------------------------------------------------------
section("testing")
probe("gradcheck(fn, [])", lambda: gradcheck(lambda: V(1.0), []))
probe("gradcheck(fn, ['a'])", lambda: gradcheck(lambda a: a * a, ["a"]))  # type: ignore[list-item]
probe("gradcheck(fn, 2.0)", lambda: gradcheck(lambda a: a * a, 2.0))  # type: ignore[arg-type]
probe("gradcheck(fn returning float)", lambda: gradcheck(lambda a: 3.0, [1.0]))
probe("gradcheck(fn wrong arity)", lambda: gradcheck(lambda a, b: a * b, [1.0]))
probe("gradcheck(eps=0)", lambda: gradcheck(lambda a: a * a, [1.0], eps=0.0))
probe("gradcheck(eps=-1)", lambda: gradcheck(lambda a: a * a, [1.0], eps=-1.0))
probe("gradcheck(nan input)", lambda: gradcheck(lambda a: a * a, [float("nan")]))
probe("gradcheck(None)", lambda: gradcheck(None, [1.0]))  # type: ignore[arg-type]
probe("gradgradcheck(fn returning float)", lambda: gradgradcheck(lambda a: 3.0, [1.0]))
probe("numeric_grad(eps=0)", lambda: numeric_grad(lambda a: a * a, [1.0], eps=0.0))
va = V(1.5)
probe(
    "gradcheck(Value input unchanged)",
    lambda: gradcheck(lambda a: a * a, [va]),
    lambda: (va.data, va.grad),
    expect_error=False,
)

# ---- CLI ------------------------------------------------------------------------------
section("cli")
probe("cli step (no expr)", cli("step"))
probe("cli step 'a+' a=1", cli("step", "a +", "a=1", "-o", os.path.join(tmp, "x.html")))
probe("cli step a*b a=x", cli("step", "a*b", "a=x", "b=1", "-o", os.path.join(tmp, "x.html")))
probe("cli step a*b (missing b)", cli("step", "a*b", "a=1", "-o", os.path.join(tmp, "x.html")))
probe("cli step a*b a=1 b", cli("step", "a*b", "a=1", "b", "-o", os.path.join(tmp, "x.html")))
probe("cli step -o missing dir", cli("step", "a*b", "a=1", "b=2", "-o", os.path.join(missing, "x.html")))
probe("cli step --example nope", cli("step", "--example", "nope"))
probe("cli step expr and --example", cli("step", "a*b", "a=1", "b=2", "--example", "lesson"))
probe("cli step a=1 a=2", cli("step", "a*2", "a=1", "a=2", "--text"))
probe("cli step c=1 unused", cli("step", "a*2", "a=1", "c=1", "--text"))
probe("cli step a=nan (IEEE values allowed)", cli("step", "a*2", "a=nan", "--text"), expect_error=False)
probe("cli graph -o .xyz", cli("graph", "a*b", "a=1", "b=2", "-o", os.path.join(tmp, "g.xyz")))
probe("cli graph -o missing dir", cli("graph", "a*b", "a=1", "b=2", "-o", os.path.join(missing, "g.svg")))
probe(
    "cli graph --rankdir XX",
    cli("graph", "a*b", "a=1", "b=2", "--rankdir", "XX", "-o", os.path.join(tmp, "g.svg")),
)
probe("cli train nope", cli("train", "nope"))
probe("cli train moons --hidden 0", cli("train", "moons", "--hidden", "0", "--epochs", "1", "--no-progress"))
probe("cli train moons --hidden x", cli("train", "moons", "--hidden", "x", "--epochs", "1", "--no-progress"))
probe(
    "cli train moons --hidden '' (documented: linear)",
    cli("train", "moons", "--hidden", "", "--epochs", "1", "--no-progress"),
    expect_error=False,
)
probe("cli train moons --hidden -3", cli("train", "moons", "--hidden=-3", "--epochs", "1", "--no-progress"))
probe("cli train moons --epochs 0", cli("train", "moons", "--epochs", "0", "--no-progress"))
probe("cli train moons --epochs -1", cli("train", "moons", "--epochs", "-1", "--no-progress"))
probe("cli train moons --lr -1", cli("train", "moons", "--lr", "-1", "--epochs", "1", "--no-progress"))
probe("cli train moons --lr nan", cli("train", "moons", "--lr", "nan", "--epochs", "1", "--no-progress"))
probe(
    "cli train moons --batch-size 0",
    cli("train", "moons", "--batch-size", "0", "--epochs", "1", "--no-progress"),
)
probe(
    "cli train moons --samples 0", cli("train", "moons", "--samples", "0", "--epochs", "1", "--no-progress")
)
probe(
    "cli train moons --samples 1 (trains on one)",
    cli("train", "moons", "--samples", "1", "--epochs", "1", "--no-progress"),
    expect_error=False,
)
probe("cli train mnist (no --data)", cli("train", "mnist", "--epochs", "1", "--no-progress"))
probe(
    "cli train mnist --data missing",
    cli("train", "mnist", "--data", missing, "--epochs", "1", "--no-progress"),
)
probe(
    "cli train moons --plot missing dir",
    cli("train", "moons", "--epochs", "1", "--no-progress", "--plot", os.path.join(missing, "p.png")),
)
probe(
    "cli train moons --save missing dir",
    cli("train", "moons", "--epochs", "1", "--no-progress", "--save", os.path.join(missing, "m.json")),
)
probe(
    "cli train moons --plot .xyz",
    cli("train", "moons", "--epochs", "1", "--no-progress", "--plot", os.path.join(tmp, "p.xyz")),
)
probe(
    "cli train regression --loss cross_entropy",
    cli("train", "regression", "--epochs", "1", "--no-progress", "--loss", "cross_entropy"),
)
probe(
    "cli train moons --loss mse (one-hot targets)",
    cli("train", "moons", "--epochs", "1", "--no-progress", "--loss", "mse"),
    expect_error=False,
)
probe("cli examples nope", cli("examples", "nope"))
probe("cli worksheet (no expr)", cli("worksheet"))
probe("cli worksheet a*b a=3:1", cli("worksheet", "a*b", "a=3:1", "b=1:2", "-o", os.path.join(tmp, "w.md")))
probe("cli worksheet a*b a=x", cli("worksheet", "a*b", "a=x", "b=1:2", "-o", os.path.join(tmp, "w.md")))
probe("cli worksheet -o missing dir", cli("worksheet", "a*b", "-o", os.path.join(missing, "w.md")))
probe("cli worksheet -o .pdf", cli("worksheet", "a*b", "-o", os.path.join(tmp, "w.pdf")))
probe(
    "cli worksheet --versions 0", cli("worksheet", "a*b", "--versions", "0", "-o", os.path.join(tmp, "w.md"))
)
probe("cli ops --nope", cli("ops", "--nope"))
probe("cli nope", cli("nope"))


# ---- second pass: more corners ------------------------------------------------------
from microgradnet.testing import strategies as strat  # noqa: E402
from microgradnet.viz.expr import parse_assignment  # noqa: E402


def _draw(strategy: Any) -> Any:
    """Strategies are lazy (hypothesis): their checks run when an example is drawn."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return strategy.example()


section("engine")
probe("apply('pown', V(1), arg='x')", lambda: mg.apply("pown", V(1), arg="x"))  # type: ignore[arg-type]
probe("apply('tanh', V(1), V(2))", lambda: mg.apply("tanh", V(1), V(2)))
probe("register_op(3, ...)", lambda: mg.register_op(3, forward="a", grads=("1",)))  # type: ignore[arg-type]
probe("Value(1).backward() twice ok", lambda: (V(1.0).backward(), V(2.0).backward()), expect_error=False)
probe("Value < 'a'", lambda: V(1.0) < "a")  # type: ignore[operator]
probe("grad(V, [V], create_graph='yes')", lambda: mg.grad(V(1.0) * 2, [V(1.0)], create_graph="yes"))  # type: ignore[arg-type]
section("nn")
n3 = nn.Neuron(2, seed=0)
probe("Neuron(2)([1.0, None])", lambda: n3([1.0, None]), lambda: params_of(n3))
probe("Neuron(2)([V(1)])", lambda: n3([V(1.0)]), lambda: params_of(n3))
probe("Neuron(2)({'a': 1})", lambda: n3({"a": 1.0, "b": 2.0}), lambda: params_of(n3))
probe("Layer(2, 3, activation=None)", lambda: nn.Layer(2, 3, activation=None))  # type: ignore[arg-type]
probe("MLP(2, [3], seed='x')", lambda: nn.MLP(2, [3], seed="x"))  # type: ignore[arg-type]
probe("MLP(2, ['3'])", lambda: nn.MLP(2, ["3"]))  # type: ignore[list-item]
probe("Sequential().append(3)", lambda: nn.Sequential().append(3))  # type: ignore[arg-type]
section("losses")
probe("losses.accuracy(threshold='x')", lambda: losses.accuracy([V(1.0)], [1], threshold="x"))  # type: ignore[arg-type]
probe("losses.hinge(labels None)", lambda: losses.hinge([V(1.0)], None))
probe("losses.mse(np preds)", lambda: losses.mse(np.array([1.0, 2.0]), [1.0, 2.0]), expect_error=False)
probe("losses.cross_entropy(1-D logits)", lambda: losses.cross_entropy([V(1.0), V(2.0)], [0, 1]))
section("optim")
pq = [V(1.0), V(2.0)]
for p_ in pq:
    p_.grad = 0.5
pq[1].grad = "x"  # type: ignore[assignment]
sgq = optim.SGD(pq, lr=0.1)
probe("SGD.step() with a str grad on 2nd param", lambda: sgq.step(), lambda: [p.data for p in pq])
pq[1].grad = 0.5
sg2 = optim.SGD(pq, lr=0.1, momentum=0.9)
sg2.step()
sd2 = sg2.state_dict()
short = dict(sd2)
for k_, v_ in list(short.items()):
    if isinstance(v_, list) and v_ and isinstance(v_[0], (int, float)):
        short[k_] = v_[:-1]
probe("SGD.load_state_dict(short buffers)", lambda: sg2.load_state_dict(short), lambda: sg2.state_dict())
probe(
    "SGD.load_state_dict(wrong param count)",
    lambda: optim.SGD([V(1.0)], lr=0.1, momentum=0.9).load_state_dict(sd2),
)
section("train")
probe("EarlyStopping(min_delta=-1)", lambda: train.EarlyStopping(min_delta=-1.0))
probe("EarlyStopping(patience='3')", lambda: train.EarlyStopping(patience="3"))  # type: ignore[arg-type]
probe("History.to_json(missing dir)", lambda: h.to_json(os.path.join(missing, "h.json")))
probe(
    "fit(optimizer on other params)",
    lambda: train.fit(fresh(), X, y, optimizer=optim.SGD([V(1.0)], lr=0.1), epochs=1, progress=False),
)
probe("fit(optimizer='sgd', lr=0)", lambda: train.fit(mt, X, y, lr=0.0, epochs=1, progress=False), S)
probe("fit(callbacks=[3])", lambda: train.fit(mt, X, y, callbacks=[3], epochs=1, progress=False), S)  # type: ignore[list-item]
probe("fit(X 3-D)", lambda: train.fit(mt, np.zeros((4, 2, 1)), np.zeros(4, int), epochs=1, progress=False), S)
probe("fit(y 2-D one-hot)", lambda: train.fit(mt, X, np.eye(2)[y], epochs=1, progress=False), S)
probe("fit(X strings)", lambda: train.fit(mt, [["a", "b"]], [0], epochs=1, progress=False), S)
probe("fit(y strings)", lambda: train.fit(mt, X, np.array(["a"] * len(X)), epochs=1, progress=False), S)
probe(
    "load_checkpoint(optimizer mismatch)",
    lambda: train.load_checkpoint(mt, ck, optim.SGD([V(1.0)], lr=0.1)),
    S,
)
ck2 = os.path.join(tmp, "ck2.json")
train.save_checkpoint(mt, ck2, optim.SGD(mt.parameters(), 0.1, momentum=0.9))
probe(
    "load_checkpoint(sgd state into adam)",
    lambda: train.load_checkpoint(mt, ck2, optim.Adam(mt.parameters())),
    S,
)
probe(
    "save_checkpoint(optimizer=3)",
    lambda: train.save_checkpoint(mt, os.path.join(tmp, "c3.json"), 3),
    lambda: files_in(tmp),
)
section("compile")
probe("compile(model, loss_fn='mse')", lambda: mcompile.compile(mt, "mse"))  # type: ignore[arg-type]
probe("compile(model, targets='foo')", lambda: mcompile.compile(mt, targets="foo"))
probe("CompiledStep(X, y strings)", lambda: cs(X, np.array(["a"] * len(X))))
probe("CompiledStep(X None)", lambda: cs(None, y))
section("data")
probe("data.make_blobs(spread=-1)", lambda: data.make_blobs(spread=-1.0))
probe("data.make_moons(seed='x')", lambda: data.make_moons(seed="x"))  # type: ignore[arg-type]
probe("Standardizer().inverse_transform before fit", lambda: data.Standardizer().inverse_transform(X))
probe("minibatches(X None)", lambda: list(data.minibatches(None, y, 4)))
probe("one_hot(['a'])", lambda: data.one_hot(["a"]))
probe("one_hot([0,1], num_classes=0)", lambda: data.one_hot([0, 1], 0))
probe("train_test_split(test_size='x')", lambda: data.train_test_split(X, y, test_size="x"))  # type: ignore[arg-type]
section("viz")
probe("HtmlStepper.save(missing dir)", lambda: viz.HtmlStepper(root).save(os.path.join(missing, "s.html")))
probe("HtmlStepper(title=3)", lambda: viz.HtmlStepper(root, title=3))  # type: ignore[arg-type]
probe("Worksheet.render('pdf')", lambda: ws.render("pdf"))
probe(
    "Worksheet.save(answers missing dir)",
    lambda: ws.save(os.path.join(tmp, "w2.md"), os.path.join(missing, "k.md")),
    lambda: files_in(tmp),
)
probe("layout(root, foo=1)", lambda: viz.layout(root, foo=1))
probe("draw_dot(collapse=3)", lambda: viz.draw_dot(root, collapse=3))  # type: ignore[arg-type]
probe("draw_dot(parameters=[3])", lambda: viz.draw_dot(root, parameters=[3]))  # type: ignore[list-item]
probe("trace_backward(root, parameters=['a'])", lambda: viz.trace_backward(root, parameters=["a"]))  # type: ignore[list-item]
probe("render(root, path=None)", lambda: viz.render(root, None))  # type: ignore[arg-type]
probe("export_html(path dir)", lambda: viz.export_html(root, tmp), lambda: files_in(tmp))
probe("make_worksheet(seed='x')", lambda: viz.make_worksheet("a*b", seed="x"))  # type: ignore[arg-type]
probe("make_worksheet(variables list)", lambda: viz.make_worksheet("a*b", [1, 2]))  # type: ignore[arg-type]
probe("parse_assignment('a')", lambda: parse_assignment("a"))
probe("parse_assignment('a=x')", lambda: parse_assignment("a=x"))
probe("parse_assignment('=1')", lambda: parse_assignment("=1"))
probe("parse_assignment(None)", lambda: parse_assignment(None))  # type: ignore[arg-type]
section("testing")
probe("strategies.expressions(ops=['nope'])", lambda: _draw(strat.expressions(ops=["nope"])))
probe("strategies.expressions(max_inputs=0)", lambda: _draw(strat.expressions(max_inputs=0)))
probe("strategies.op_calls('tanh')", lambda: _draw(strat.op_calls("tanh")))  # type: ignore[arg-type]
probe("strategies.domain_floats(None)", lambda: strat.domain_floats(None))  # type: ignore[arg-type]
probe("gradcheck(atol=-1)", lambda: gradcheck(lambda a: a * a, [1.0], atol=-1.0))
probe(
    "gradcheck(fn raises)", lambda: gradcheck(lambda a: a.nope, [1.0]), ok=(AttributeError,)
)  # the caller's own bug
probe("cli graph --example nope", cli("graph", "--example", "nope", "-o", os.path.join(tmp, "g.svg")))
probe("cli step 'a*b' a=1 b=2 -o out.txt", cli("step", "a*b", "a=1", "b=2", "-o", os.path.join(tmp, "s.txt")))
probe("cli train moons --optimizer foo", cli("train", "moons", "--optimizer", "foo"))
probe("cli train moons --seed x", cli("train", "moons", "--seed", "x"))
probe(
    "cli train regression --loss hinge",
    cli("train", "regression", "--loss", "hinge", "--epochs", "1", "--no-progress"),
)
probe("cli worksheet a*b --seed x", cli("worksheet", "a*b", "--seed", "x", "-o", os.path.join(tmp, "w.md")))
probe(
    "cli worksheet a*b a=1:2:3 (a grid, documented)",
    cli("worksheet", "a*b", "a=1:2:3", "-o", os.path.join(tmp, "w.md")),
    expect_error=False,
)

# ---- third pass: memory bombs, lost work, tracebacks, unbounded work (issue 10) --------
import gzip  # noqa: E402
import struct  # noqa: E402

section("data")
bombs = os.path.join(tmp, "bombs")
os.makedirs(bombs)


def bomb(name: str, body: bytes) -> str:
    """A gzipped pickle of a few bytes that asks for a lot."""
    path = os.path.join(bombs, name + ".pkl.gz")
    with open(path, "wb") as fh:
        fh.write(gzip.compress(body))
    return path


ND, SHAPE = b"cnumpy\nndarray\n", b"J\xc0'\t\x00M\x10\x03\x86"  # numpy.ndarray, (600000, 784)
SMALL = b"(" + ND + b"(K\x01K\x01\x86tR" + ND + b"(K\x01\x85tRt"
huge = bomb(
    "huge", b"\x80\x02((" + ND + b"(" + SHAPE + b"tR" + ND + b"(J\xc0'\t\x00\x85tRt" + SMALL * 2 + b"t."
)
probe("load_mnist(75-byte pickle asking for 3.5 GiB)", lambda: data.load_mnist(huge))
text = b"X" + struct.pack("<I", 10**6) + b"x" * 10**6 + b"q\x00"
codec = b"\x80\x02" + text + b"(" + b"c_codecs\nencode\nh\x00X\x06\x00\x00\x00latin1\x86R" * 2000 + b"l."
codec_path = bomb("codec", codec)
probe("load_mnist(1.2 KB pickle repeating a codec call)", lambda: data.load_mnist(codec_path))
hexed = b"\x80\x02C\x01x" + b"q\x00c_codecs\nencode\nh\x00X\x03\x00\x00\x00hex\x86R" * 36 + b"."
hex_path = bomb("hex", hexed)
probe("load_mnist(pickle doubling bytes with the hex codec)", lambda: data.load_mnist(hex_path))
idx_dir = os.path.join(tmp, "idx_bomb")
os.makedirs(idx_dir)
with open(os.path.join(idx_dir, "train-images-idx3-ubyte"), "wb") as fh:
    fh.write(bytes([0, 0, 8, 3]) + struct.pack(">iii", 1_000_000, 28, 28))
with open(os.path.join(idx_dir, "train-labels-idx1-ubyte"), "wb") as fh:
    fh.write(bytes([0, 0, 8, 1]) + struct.pack(">i", 1_000_000))
probe("load_mnist(IDX header declaring 1,000,000 images)", lambda: data.load_mnist(idx_dir))
digits_dir = os.path.join(tmp, "idx_labels")
os.makedirs(digits_dir)
with open(os.path.join(digits_dir, "train-images-idx3-ubyte"), "wb") as fh:
    fh.write(bytes([0, 0, 8, 3]) + struct.pack(">iii", 2, 28, 28) + bytes(2 * 784))
with open(os.path.join(digits_dir, "train-labels-idx1-ubyte"), "wb") as fh:
    fh.write(bytes([0, 0, 8, 1]) + struct.pack(">i", 2) + bytes([3, 11]))
probe("load_mnist(label 11)", lambda: data.load_mnist(digits_dir))

section("viz")
probe("make_worksheet(n_versions=501)", lambda: viz.make_worksheet("a*b", n_versions=501))
probe("make_worksheet('a*b', 101 versions of 100)", lambda: viz.make_worksheet("a*b", n_versions=101))
probe("make_worksheet('log(a)', 6 versions of 5)", lambda: viz.make_worksheet("log(a)", n_versions=6))

section("cli")
a_dir = os.path.join(tmp, "a_dir.svg")
os.makedirs(a_dir)
moons = ("train", "moons", "--epochs", "1", "--no-progress")
probe("cli train --save a directory", cli(*moons, "--save", tmp))
probe("cli train --save /dev/null", cli(*moons, "--save", os.devnull))
png_dir = os.path.join(tmp, "p_dir.png")
os.makedirs(png_dir)
probe("cli train --plot a directory", cli(*moons, "--plot", png_dir))
probe(
    "cli train --save same as --plot",
    cli(*moons, "--save", os.path.join(tmp, "x.png"), "--plot", os.path.join(tmp, "x.png")),
)
probe("cli graph -o a directory", cli("graph", "a*b", "a=1", "b=2", "-o", a_dir))
probe(
    "cli graph -o /dev/null.svg's parent is a device",
    cli("graph", "a*b", "a=1", "b=2", "-o", "/dev/null/g.svg"),
)
os.makedirs(os.path.join(tmp, "s_dir.html"))
probe("cli step -o a directory", cli("step", "a*b", "a=1", "b=2", "-o", os.path.join(tmp, "s_dir.html")))
os.makedirs(os.path.join(tmp, "w_dir.md"))
probe("cli worksheet -o a directory", cli("worksheet", "a*b", "-o", os.path.join(tmp, "w_dir.md")))
probe(
    "cli worksheet --answers a directory",
    cli("worksheet", "a*b", "-o", os.path.join(tmp, "w.md"), "--answers", os.path.join(tmp, "w_dir.md")),
)
probe("cli train --seed -1", cli(*moons, "--seed", "-1"))
probe("cli worksheet --seed -1", cli("worksheet", "a*b", "--seed", "-1", "-o", os.path.join(tmp, "w.md")))
probe("cli train --hidden 100000", cli(*moons, "--hidden", "100000"))
probe("cli train digits --hidden 5000,5000", cli("train", "digits", "--hidden", "5000,5000", "--epochs", "1"))
probe(
    "cli step --title non-UTF-8",
    cli("step", "a*b", "a=1", "b=2", "--title", "\udcff", "-o", os.path.join(tmp, "t.html")),
)
probe("cli graph --name non-UTF-8", cli("graph", "a*b", "a=1", "b=2", "--name", "\udcff", "--text"))
probe("cli graph EXPR non-UTF-8", cli("graph", "a\udcff", "--text"))
probe(
    "cli worksheet --versions 1000",
    cli("worksheet", "a*b", "--versions", "1000", "-o", os.path.join(tmp, "w.md")),
)
probe(
    "cli worksheet a*b --versions 101 (100 exist)",
    cli("worksheet", "a*b", "--versions", "101", "-o", os.path.join(tmp, "w.md")),
)


class _Stdout(io.StringIO):
    """A standard output that fails: full (ENOSPC) or with its reader gone (EPIPE)."""

    def __init__(self, error: OSError) -> None:
        super().__init__()
        self.error = error

    def write(self, text: str) -> int:
        raise self.error

    def flush(self) -> None:
        raise self.error


def cli_with_stdout(stdout: Any, *argv: str, quiet_exit: int | None = None) -> Callable[[], Any]:
    """Like cli(), with standard output replaced (None: closed); quiet_exit: that silent exit is right."""

    def run() -> Any:
        err, saved = io.StringIO(), sys.stdout
        sys.stdout = stdout
        try:
            with contextlib.redirect_stderr(err):
                code = cli_main(list(argv))
        except Exception as exc:
            raise RuntimeError(f"traceback: {type(exc).__name__}: {exc}") from None
        finally:
            sys.stdout = saved
        text = err.getvalue()
        if quiet_exit is not None and code == quiet_exit and not text:
            raise ValueError(f"stopped quietly with exit {code}, as Python's docs recommend")
        if code == 2 and "microgradnet: error:" in text:
            raise ValueError(text.strip().splitlines()[-1])
        raise RuntimeError(f"exit {code}: {text.strip()[-200:]}")

    return run


full = _Stdout(OSError(28, "No space left on device"))
probe("cli graph --text, stdout closed", cli_with_stdout(None, "graph", "a*b", "a=1", "b=2", "--text"))
probe("cli ops > /dev/full", cli_with_stdout(full, "ops"))
probe("cli examples > /dev/full", cli_with_stdout(full, "examples"))
probe(
    "cli train ... | head (reader gone)",
    cli_with_stdout(_Stdout(BrokenPipeError(32, "Broken pipe")), *moons, quiet_exit=1),
)

# ---- report ---------------------------------------------------------------------------
only_bad = "--bad" in sys.argv
bad = [r for r in rows if r[0] == "BAD"]
width = max(len(r[1]) for r in rows)
for verdict, name, detail in rows:
    if only_bad and verdict != "BAD":
        continue
    print(f"{verdict:4}  {name:<{width}}  {detail}".replace("\n", " "))
if "--kinds" in sys.argv:
    print()
    for kind in dict.fromkeys(kinds):
        mine = [r for r, k in zip(rows, kinds) if k == kind]
        good = sum(r[0] == "GOOD" for r in mine)
        print(f"{kind:10} {good:4} of {len(mine):4} good")
print(f"\n{len(rows)} probes, {len(bad)} bad, {len(rows) - len(bad)} good")
_ = math
