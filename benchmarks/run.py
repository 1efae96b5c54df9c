r"""The speed benchmark of issue 5: three training workloads, six implementations, one run.

Workloads (every implementation starts from the same weights and takes the same steps):

* ``moons``: micrograd's demo — MLP 2-16-16-1 (ReLU), 100 full-batch SGD steps on 100 points,
  max-margin (hinge) loss + 1e-4 · Σ p², learning rate 1.0 - 0.9 · step / 100.
* ``digits``: one epoch of the bundled 8×8 digits (1,797 samples, pixels / 16), MLP 64-32-10
  tanh, softmax cross-entropy, batch 32, SGD lr 0.1, data in file order.
* ``mnist``: MLP 784-64-10 tanh on 1,000 MNIST-shaped random samples (pixels U(0, 1), random
  labels), cross-entropy, batch 32, SGD lr 0.1.

Implementations: ``numpy`` (a vectorised MLP with forward and backward written out by hand: the
physical reference), ``eager`` (``microgradnet.nn.MLP`` + ``microgradnet.losses`` on the
scalar engine), ``compiled`` (the same model through the one-call API of
``microgradnet.compile``: ``for_fit(model, loss).trainer(optim.SGD(...)).run(batches)``, which
keeps parameters and optimizer state in arrays for the whole run and writes them back into the
``Value``\s at the end; timed from scratch: building the model's ``Value``\s, tracing, the fused
epoch and the final sync), ``compiled-epoch`` (the same, for a model whose tape is already
traced, as in every epoch after the first: only ``trainer.run(batches)`` is timed), ``micrograd``
(the PyPI package 0.1.0, with tanh/exp/log added in its own closure style), and ``torch``
(vectorised float64 tensors) when PyTorch is installed.

Each (workload, implementation) runs in its own subprocess, so its peak memory (max RSS, which
includes the interpreter and NumPy, about 40 MB) and its garbage-collector state are its own.
NumPy, compiled and torch runs take the best of 5 repetitions (each from the same weights,
tracing included); the others run once. BLAS runs on one thread.
The slow references run a fixed subset (a few steps, or a few samples of the first step) and
their time is **extrapolated** per sample to the whole workload; the table marks them. Fairness:
every full run must end at the same loss as NumPy (relative 1e-6) and every subset run must match
NumPy's loss on the same subset; otherwise the script fails.

Run: ``make bench`` or ``python benchmarks/run.py`` (``--quick`` for smaller subsets,
``--no-write`` to leave RESULTS.md alone). It also runs the benchmark of issue 15 against
PyTorch (``benchmarks/speed.py``); ``--suite workloads`` or ``--suite speed`` runs one of the
two. Each writes only its own section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent


# ---- workloads -----------------------------------------------------------------------------


@dataclass
class Workload:
    name: str
    sizes: list[int]
    activation: str  # hidden layers; the last layer is linear
    loss: str  # "hinge" (+ l2) or "cross_entropy"
    l2: float
    X: np.ndarray
    y: np.ndarray  # ±1 floats for hinge, class indices for cross-entropy
    batches: list[np.ndarray]  # row indices of each step
    description: str

    def lr(self, step: int) -> float:
        return 1.0 - 0.9 * step / 100 if self.name == "moons" else 0.1

    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        rng = np.random.default_rng(42)
        return [
            (rng.uniform(-1, 1, size=(nout, nin)) / math.sqrt(nin), np.zeros(nout))
            for nin, nout in zip(self.sizes, self.sizes[1:])
        ]


def make_moons(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, math.pi, n)
    upper = rng.random(n) < 0.5
    X = np.where(upper[:, None], np.c_[np.cos(t), np.sin(t)], np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
    return X + noise * rng.normal(size=X.shape), np.where(upper, 1.0, -1.0)


def batches_of(n: int, size: int) -> list[np.ndarray]:
    return [np.arange(k, min(k + size, n)) for k in range(0, n, size)]


def workload(name: str) -> Workload:
    if name == "moons":
        X, y = make_moons(100, 0.1, 1)
        return Workload(
            name, [2, 16, 16, 1], "relu", "hinge", 1e-4, X, y, [np.arange(100)] * 100,
            "micrograd's moons demo: MLP 2-16-16-1, 100 full-batch steps, 100 points",
        )  # fmt: skip
    if name == "digits":
        from microgradnet.data import load_digits

        X, y = load_digits()
        return Workload(
            name, [64, 32, 10], "tanh", "cross_entropy", 0.0, X / 16.0, y, batches_of(len(X), 32),
            "one epoch of 8×8 digits: MLP 64-32-10 tanh, softmax CE, batch 32, 1,797 samples",
        )  # fmt: skip
    if name == "mnist":
        rng = np.random.default_rng(7)
        X, y = rng.random((1000, 784)), rng.integers(0, 10, 1000)
        return Workload(
            name, [784, 64, 10], "tanh", "cross_entropy", 0.0, X, y, batches_of(1000, 32),
            "MLP 784-64-10 tanh on 1,000 MNIST-shaped samples, batch 32",
        )  # fmt: skip
    raise SystemExit(f"unknown workload {name!r}")


# ---- implementations: each returns the loss of every step (before its update) ---------------


def run_numpy(w: Workload, steps: list[np.ndarray]) -> list[float]:
    params = [(W.copy(), b.copy()) for W, b in w.weights()]
    act = np.tanh if w.activation == "tanh" else (lambda z: np.maximum(z, 0.0))
    losses = []
    for k, rows in enumerate(steps):
        X, y = w.X[rows], w.y[rows]
        hs, zs = [X], []
        for i, (W, b) in enumerate(params):
            z = hs[-1] @ W.T + b
            zs.append(z)
            hs.append(z if i == len(params) - 1 else act(z))
        out, n = hs[-1], len(rows)
        if w.loss == "hinge":
            margin = 1 - y * out[:, 0]
            loss = np.mean(np.maximum(margin, 0)) + w.l2 * sum(
                np.sum(W * W) + np.sum(b * b) for W, b in params
            )
            dout = (-(y * (margin > 0)) / n)[:, None]
        else:
            m = out.max(axis=1, keepdims=True)
            e = np.exp(out - m)
            lse = np.log(e.sum(axis=1)) + m[:, 0]
            loss = np.mean(lse - out[np.arange(n), y])
            dout = e / e.sum(axis=1, keepdims=True)
            dout[np.arange(n), y] -= 1
            dout /= n
        losses.append(float(loss))
        grads = []
        for i in range(len(params) - 1, -1, -1):
            W, b = params[i]
            gW, gb = dout.T @ hs[i], dout.sum(axis=0)
            if w.l2:
                gW, gb = gW + 2 * w.l2 * W, gb + 2 * w.l2 * b
            grads.append((gW, gb))
            if i:
                dh = dout @ W
                dout = dh * (1 - hs[i] ** 2) if w.activation == "tanh" else dh * (zs[i - 1] > 0)
        lr = w.lr(k)
        for (W, b), (gW, gb) in zip(params, reversed(grads)):
            W -= lr * gW
            b -= lr * gb
    return losses


def _mgn_model(w: Workload) -> Any:
    from microgradnet import nn

    model = nn.MLP(w.sizes[0], w.sizes[1:], activation=w.activation, seed=0)
    for layer, (W, b) in zip(model.layers, w.weights()):
        layer.weight, layer.bias = W, b
    return model


def run_eager(w: Workload, steps: list[np.ndarray]) -> list[float]:
    from microgradnet import losses as L

    model = _mgn_model(w)
    params = model.parameters()
    out = []
    for k, rows in enumerate(steps):
        outputs = [model(x) for x in w.X[rows].tolist()]
        if w.loss == "hinge":
            loss = L.hinge(outputs, w.y[rows].tolist()) + w.l2 * L.l2(params)
        else:
            loss = L.cross_entropy(outputs, w.y[rows].tolist())
        for p in params:
            p.grad = 0.0
        loss.backward()
        lr = w.lr(k)
        for p in params:
            p.data -= lr * p.grad
        out.append(loss.data)
    return out


def _trainer(w: Workload) -> Any:
    """The one-call API: the model, its compiled loss and the optimizer, fused."""
    from microgradnet import optim
    from microgradnet.compile import for_fit

    model = _mgn_model(w)
    return for_fit(model, w.loss, w.l2).trainer(optim.SGD(model.parameters(), lr=w.lr))


def _batches(w: Workload, steps: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(w.X[rows], w.y[rows].astype(np.int64)) for rows in steps]


def run_compiled(w: Workload, steps: list[np.ndarray]) -> list[float]:
    """From scratch: build the model, trace it, train the fused epoch, write the Values back."""
    t0 = time.perf_counter()
    trainer = _trainer(w)
    batches = _batches(w, steps)
    t1 = time.perf_counter()
    first = trainer.step(*batches[0])  # the first step traces and builds the tape
    t2 = time.perf_counter()
    losses: list[float] = [first, *trainer.run(batches[1:])]  # the other steps, then sync()
    t3 = time.perf_counter()
    typical = (t3 - t2) / max(len(batches) - 1, 1)
    BREAKDOWN.update(model=t1 - t0, trace=t2 - t1 - typical, epoch=t3 - t2 + typical)
    return losses


def run_compiled_epoch(w: Workload, steps: list[np.ndarray]) -> list[float]:
    """One fused epoch of a model whose tape is already traced (every epoch after the first):
    ``trainer.run(batches)`` including the final sync. Setup is not timed."""
    t0 = time.perf_counter()
    trainer = _trainer(w)
    batches = _batches(w, steps)
    trainer.compiled.evaluate(w.X, w.y.astype(np.int64))  # traces; changes no data or grad
    BREAKDOWN.update(untimed=time.perf_counter() - t0)
    return list(trainer.run(batches))


BREAKDOWN: dict[str, float] = {}


def run_micrograd(w: Workload, steps: list[np.ndarray]) -> list[float]:
    from micrograd.engine import Value as MV  # type: ignore[import-not-found]

    def tanh(self: Any) -> Any:
        t = math.tanh(self.data)
        out = MV(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    def exp(self: Any) -> Any:
        out = MV(math.exp(self.data), (self,), "exp")

        def _backward() -> None:
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self: Any) -> Any:
        out = MV(math.log(self.data), (self,), "log")

        def _backward() -> None:
            self.grad += (1 / self.data) * out.grad

        out._backward = _backward
        return out

    MV.tanh, MV.exp, MV.log = tanh, exp, log
    sys.setrecursionlimit(100_000)  # micrograd's topological sort is recursive
    layers = [([[MV(v) for v in row] for row in W], [MV(v) for v in b]) for W, b in w.weights()]
    params = [p for Ws, bs in layers for row in Ws for p in row] + [p for _, bs in layers for p in bs]

    def model(x: list[float]) -> list[Any]:
        act: list[Any] = list(x)
        for i, (Ws, bs) in enumerate(layers):
            zs = [
                sum((wi * xi for wi, xi in zip(row, act)), b) for row, b in zip(Ws, bs)
            ]  # micrograd's Neuron
            act = (
                zs if i == len(layers) - 1 else [z.tanh() if w.activation == "tanh" else z.relu() for z in zs]
            )
        return act

    out = []
    for k, rows in enumerate(steps):
        terms = []
        for x, t in zip(w.X[rows].tolist(), w.y[rows].tolist()):
            o = model(x)
            if w.loss == "hinge":
                terms.append((1 + -t * o[0]).relu())
            else:
                m = max(z.data for z in o)
                terms.append(sum((z - m).exp() for z in o).log() - (o[int(t)] - m))
        loss = sum(terms) * (1.0 / len(terms))
        if w.l2:
            loss = loss + w.l2 * sum(p * p for p in params)
        for p in params:
            p.grad = 0.0
        loss.backward()
        lr = w.lr(k)
        for p in params:
            p.data -= lr * p.grad
        out.append(loss.data)
    return out


def run_torch(w: Workload, steps: list[np.ndarray]) -> list[float]:
    import torch  # type: ignore[import-not-found]

    torch.set_num_threads(1)
    params = [
        (torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)) for W, b in w.weights()
    ]
    X_all, y_all = torch.tensor(w.X), torch.tensor(w.y)
    out = []
    for k, rows in enumerate(steps):
        idx = torch.as_tensor(rows)
        h = X_all[idx]
        for i, (W, b) in enumerate(params):
            h = h @ W.T + b
            if i < len(params) - 1:
                h = torch.tanh(h) if w.activation == "tanh" else torch.relu(h)
        if w.loss == "hinge":
            loss = torch.relu(1 - y_all[idx] * h[:, 0]).mean() + w.l2 * sum(
                (W * W).sum() + (b * b).sum() for W, b in params
            )
        else:
            loss = torch.nn.functional.cross_entropy(h, y_all[idx].long())
        for W, b in params:
            W.grad = b.grad = None
        loss.backward()
        with torch.no_grad():
            for W, b in params:
                W -= w.lr(k) * W.grad
                b -= w.lr(k) * b.grad
        out.append(float(loss))
    return out


IMPLS = {
    "numpy": run_numpy,
    "eager": run_eager,
    "compiled": run_compiled,
    "compiled-epoch": run_compiled_epoch,
    "micrograd": run_micrograd,
    "torch": run_torch,
}

# the subset a slow implementation runs: (steps, samples per step), None = the whole workload
SUBSETS: dict[tuple[str, str], tuple[int, int | None]] = {
    ("moons", "micrograd"): (5, None),
    ("digits", "micrograd"): (2, None),
    ("mnist", "micrograd"): (1, 4),
}
QUICK_SUBSETS: dict[tuple[str, str], tuple[int, int | None]] = {
    ("moons", "micrograd"): (2, None),
    ("digits", "micrograd"): (1, 8),
    ("mnist", "micrograd"): (1, 2),
    ("mnist", "eager"): (2, None),
}


def one(workload_name: str, impl: str, n_steps: int | None, limit: int | None) -> dict[str, Any]:
    """Run one implementation in this process and report time, losses and peak memory."""
    w = workload(workload_name)
    steps = w.batches if n_steps is None else w.batches[:n_steps]
    if limit is not None:
        steps = [rows[:limit] for rows in steps]
    if impl == "torch":
        try:
            import torch  # type: ignore[import-not-found]  # noqa: F401
        except ImportError:
            return {"skipped": "PyTorch is not installed"}
    if impl == "micrograd":
        try:
            import micrograd  # type: ignore[import-not-found]  # noqa: F401
        except ImportError:
            return {"skipped": "micrograd is not installed (pip install -e '.[bench]')"}
    import microgradnet.compile
    import microgradnet.losses
    import microgradnet.nn  # noqa: F401  # imports are not part of the timed work

    # the fast implementations take milliseconds: best of 5 runs (each from the same weights)
    # keeps a busy machine's noise out; the slow ones run once
    seconds, breakdown = math.inf, {}
    for _ in range(5 if impl in ("numpy", "compiled", "compiled-epoch", "torch") else 1):
        BREAKDOWN.clear()
        t0 = time.perf_counter()
        losses = IMPLS[impl](w, steps)
        elapsed = time.perf_counter() - t0 - BREAKDOWN.pop("untimed", 0.0)
        if elapsed < seconds:
            seconds, breakdown = elapsed, dict(BREAKDOWN)
    samples = sum(len(r) for r in steps)
    total = sum(len(r) for r in w.batches)
    return {
        "seconds": seconds,
        "estimated_seconds": seconds * total / samples,
        "extrapolated": samples != total,
        "subset": f"{len(steps)} step(s) × {len(steps[0])} samples" if samples != total else "",
        "losses": losses,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "breakdown": breakdown,
    }


def spawn(*args: str) -> dict[str, Any]:
    # one BLAS thread, as the measurements: on a busy 2-core machine OpenBLAS threads
    # spin against each other and make small matrix products 30x slower
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--one", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode:
        raise SystemExit(f"benchmark run {args} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def params_of(name: str) -> list[int]:
    sizes = workload(name).sizes
    return list(range(sum((a + 1) * b for a, b in itertools.pairwise(sizes))))


def close(a: float, b: float, rel: float = 1e-6) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-12)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="smaller subsets for the slow references")
    ap.add_argument("--no-write", action="store_true", help="do not write benchmarks/RESULTS.md")
    ap.add_argument("--workloads", default="moons,digits,mnist")
    ap.add_argument("--suite", choices=["all", "workloads", "speed"], default="all")
    ap.add_argument("--one", nargs=4, metavar=("WORKLOAD", "IMPL", "STEPS", "LIMIT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        name, impl, steps, limit = args.one
        res = one(name, impl, None if steps == "all" else int(steps), None if limit == "all" else int(limit))
        print(json.dumps(res))
        return 0

    status = 0
    if args.suite in ("all", "speed"):  # (its own process: it pins BLAS threads before NumPy loads)
        flags = [*(["--quick"] if args.quick else []), *(["--no-write"] if args.no_write else [])]
        status = subprocess.run([sys.executable, str(HERE / "speed.py"), *flags], check=False).returncode
    if args.suite == "speed":
        return status
    subsets = QUICK_SUBSETS if args.quick else SUBSETS
    lines = [
        f"Python {platform.python_version()}, NumPy {np.__version__}, {platform.machine()}, "
        f"one process per run, {'quick' if args.quick else 'full'} mode",
        "",
        "| workload | implementation | time (s) | peak RSS (MB) | × faster than micrograd "
        "| × NumPy time | final loss |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    ok = True
    notes: list[str] = []
    summary: dict[tuple[str, str], float] = {}
    peaks: dict[tuple[str, str], float] = {}
    for name in args.workloads.split(","):
        results: dict[str, dict[str, Any]] = {}
        for impl in IMPLS:
            n_steps, limit = subsets.get((name, impl), (None, None))
            print(f"running {name} / {impl}{' (subset)' if n_steps else ''} ...", file=sys.stderr, flush=True)
            results[impl] = spawn(name, impl, str(n_steps or "all"), str(limit or "all"))
        ref = results["numpy"]
        mg = results["micrograd"]
        for impl, res in results.items():
            if "skipped" in res:
                lines.append(f"| {name} | {impl} | skipped: {res['skipped']} | | | | |")
                continue
            if res["extrapolated"]:
                n_steps, limit = subsets[(name, impl)]
                check = spawn(name, "numpy", str(n_steps), str(limit or "all"))["losses"]
            else:
                check = ref["losses"]
            fair = all(close(a, b) for a, b in zip(res["losses"], check)) and len(res["losses"]) == len(check)
            if not fair:
                ok = False
                print(
                    f"UNFAIR: {name}/{impl} losses {res['losses'][-3:]} vs numpy {check[-3:]}",
                    file=sys.stderr,
                )
            t = res["estimated_seconds"]
            summary[(name, impl)] = t
            peaks[(name, impl)] = res["peak_mb"]
            vs_mg = f"{mg['estimated_seconds'] / t:.1f}" if "skipped" not in mg else "n/a"
            time_s = f"{t:.3f}" + (f" (extrapolated from {res['subset']})" if res["extrapolated"] else "")
            loss = f"{res['losses'][-1]:.6f}" + ("" if fair else " MISMATCH")
            if res["extrapolated"]:
                loss += f" (after step {len(res['losses'])} of the subset)"
            lines.append(
                f"| {name} | {impl} | {time_s} | {res['peak_mb']:.0f} | {vs_mg} | "
                f"{t / ref['estimated_seconds']:.1f} | {loss} |"
            )
            if res.get("breakdown"):
                b = res["breakdown"]
                notes.append(
                    f"- {name} / compiled: {b['model']:.3f} s building the model ({len(params_of(name))} "
                    f"parameter Values), its optimizer and the trainer, {b['trace']:.3f} s tracing and "
                    "building the tape (once per model), "
                    f"{b['epoch']:.3f} s for the fused epoch and the final sync"
                )
    lines += ["", "Where the compiled path spends its time:", *notes, "", "Targets (issue 5):"]
    targets = [
        ("eager moons ≥ 10× faster than micrograd", ("moons", "eager"), ("moons", "micrograd"), 10.0, True),
    ]
    for wl, what in (("digits", "compiled digits epoch"), ("mnist", "compiled MNIST-shaped")):
        ref = (wl, "numpy")
        targets += [
            (
                f"{what} within 10× of NumPy, per epoch (tape traced)",
                (wl, "compiled-epoch"),
                ref,
                10.0,
                False,
            ),
            (
                f"{what} within 10× of NumPy, from scratch (model + trace + epoch)",
                (wl, "compiled"),
                ref,
                10.0,
                False,
            ),
        ]
    for text, mine, other, bound, faster in targets:
        if mine in summary and other in summary:
            r = summary[other] / summary[mine] if faster else summary[mine] / summary[other]
            met = r >= bound if faster else r <= bound
            lines.append(f"- {text}: {r:.1f}× — {'met' if met else 'NOT met'}")
    if ("mnist", "compiled") in peaks:
        mb = peaks[("mnist", "compiled")]
        lines.append(
            f"- compiled MNIST-shaped peak memory < 500 MB: {mb:.0f} MB — {'met' if mb < 500 else 'NOT met'}"
        )
    lines.append(
        f"- every run reached NumPy's loss on the same steps (relative 1e-6): {'yes' if ok else 'NO'}"
    )
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        sys.path.insert(0, str(HERE))
        from _results import replace_section

        replace_section(
            HERE / "RESULTS.md",
            BEGIN,
            END,
            [
                "## Three training workloads (issue 5; `python benchmarks/run.py --suite workloads`)",
                "",
                "See `benchmarks/run.py`'s docstring for the workloads and the method. Times are per whole "
                'workload; "extrapolated" rows ran the subset shown and scale per sample.',
                "",
                text,
            ],
        )
    return status if ok else 1


BEGIN, END = "<!-- workloads benchmark: begin -->", "<!-- workloads benchmark: end -->"


if __name__ == "__main__":
    sys.exit(main())
