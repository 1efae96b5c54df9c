"""Check a student's NumPy layer (the lesson's ``forward``/``backward`` kind) against autograd
and finite differences, and say in words which gradient is wrong, where and by how much.

The words come from the catalogue of slips (:data:`microgradnet.slips.SLIPS`), the same one the
find-the-slip exercises plant: the layer is recognised from what its ``forward`` computes
(``Linear``, ``Softmax``, ``Tanh``, ``Sigmoid``, ``ReLU``, or none of them), each kind's
:meth:`~microgradnet.slips.SlipKind.layer_variants` gives the gradients a layer with that slip
would return, and the first variant the student's gradient matches names the slip.

```pycon
>>> import numpy as np
>>> class MyLinear:
...     def __init__(self):
...         self.W = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, 1.0]])
...         self.b = np.zeros((1, 2))
...     def forward(self, x):
...         self.x = x
...         return x @ self.W.T + self.b
...     def backward(self, dz):
...         self.dW = self.x.T @ dz          # slip: should be dz.T @ self.x
...         self.db = dz.sum(axis=0)
...         return dz @ self.W
>>> report = check_layer(MyLinear(), np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]))
>>> report.ok
False
>>> [c.name for c in report.checks if not c.ok]
['dW']
>>> report.check("dW").diagnosis.name, report.check("dW").variant
('layer', 'transposed')
>>> print(report.check("dW").message.split(":")[0])
dW is the transpose of the right answer

```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from microgradnet.engine import Value
from microgradnet.slips import SLIPS, LayerCase, SlipKind

__all__ = ["GradientCheck", "LayerReport", "check_layer"]

Array = NDArray[np.float64]


@dataclass
class GradientCheck:
    """The verdict on one gradient (``dx``, ``dW``, ``db``).

    Attributes:
        name: the gradient's name.
        ok: it matches the right answer.
        got: the student's array (``None`` if the layer did not produce it).
        want: the right array.
        diagnosis: the slip of :data:`~microgradnet.slips.SLIPS` that explains the mistake, if
            one does.
        variant: which form of that slip (``"transposed"``, ``"not_summed"``), or ``""``.
        message: one paragraph for the student.
    """

    name: str
    ok: bool
    got: Array | None
    want: Array
    diagnosis: SlipKind | None = None
    message: str = ""
    variant: str = ""


@dataclass
class LayerReport:
    """What :func:`check_layer` found; ``print(report)`` tells the student.

    Attributes:
        layer: the layer's repr.
        checks: one :class:`GradientCheck` per gradient, ``dx`` first.
        reference: ``"autograd (confirmed by finite differences)"`` when the right answers come
            from running the layer's own ``forward`` on ``Value``\\s and central differences
            agree, else ``"finite differences"``.
        notes: anything else worth saying (e.g. why autograd could not be used).
    """

    layer: str
    checks: list[GradientCheck]
    reference: str
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every gradient is right."""
        return all(c.ok for c in self.checks)

    def check(self, name: str) -> GradientCheck:
        """The check of gradient ``name``. Raises ``KeyError`` if there is none."""
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"no gradient named {name!r}; checked: {', '.join(c.name for c in self.checks)}")

    def __str__(self) -> str:
        bad = [c for c in self.checks if not c.ok]
        head = (
            f"{self.layer}: all {len(self.checks)} gradients are right"
            if not bad
            else f"{self.layer}: {len(bad)} of {len(self.checks)} gradients are wrong"
        )
        lines = [f"{head} (checked against {self.reference})"]
        for c in self.checks:
            lines.append(("  ✓ " if c.ok else "  ✗ ") + c.message)
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython shows the text
        p.text(str(self))


# ---- the right answers ---------------------------------------------------------------------------


def _objects(a: Array) -> NDArray[Any]:
    out = np.empty(a.shape, dtype=object)
    for idx in np.ndindex(a.shape):
        out[idx] = Value(float(a[idx]))
    return out


def _loss_of(out: Any, dz: Array) -> Any:
    arr = np.asarray(out, dtype=object)
    if arr.shape != dz.shape:
        raise ValueError(f"forward gave shape {arr.shape}, expected {dz.shape}")
    if not all(isinstance(v, Value) for v in arr.reshape(-1)):
        raise TypeError("forward turned its Values into plain numbers")
    return sum((float(d) * v for d, v in zip(dz.reshape(-1), arr.reshape(-1))), Value(0.0))


def _autograd(layer: Any, x: Array, dz: Array, params: list[str]) -> dict[str, Array]:
    """Run the layer's own forward on ``Value``\\s and backpropagate ``Σ dz·y``."""
    saved = {p: getattr(layer, p) for p in params}
    leaves = {"dx": _objects(x)}
    try:
        for p in params:
            leaves["d" + p] = _objects(np.asarray(saved[p], dtype=np.float64))
            setattr(layer, p, leaves["d" + p])
        L = _loss_of(layer.forward(leaves["dx"]), dz)
        if not isinstance(L, Value):
            raise TypeError("forward did not produce Values")
        L.backward()
    finally:
        for p in params:
            setattr(layer, p, saved[p])
    return {
        k: np.array([v.grad for v in arr.reshape(-1)], dtype=np.float64).reshape(arr.shape)
        for k, arr in leaves.items()
    }


def _numeric(layer: Any, x: Array, dz: Array, params: list[str], eps: float) -> dict[str, Array]:
    """Central differences of ``Σ dz·forward(x)`` for every entry of ``x`` and each parameter."""

    def f() -> float:
        return float(np.sum(dz * np.asarray(layer.forward(x), dtype=np.float64)))

    out: dict[str, Array] = {}
    targets: list[tuple[str, Array]] = [("dx", x)] + [("d" + p, getattr(layer, p)) for p in params]
    for name, arr in targets:
        g = np.zeros(arr.shape, dtype=np.float64)
        for idx in np.ndindex(arr.shape):
            keep = arr[idx]
            arr[idx] = keep + eps
            up = f()
            arr[idx] = keep - eps
            down = f()
            arr[idx] = keep
            g[idx] = (up - down) / (2 * eps)
        out[name] = g
    return out


# ---- the verdict ---------------------------------------------------------------------------------


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _same(a: Array, b: Array) -> bool:
    """Comparable entry by entry: the same shape, up to a ``(1, n)`` against an ``(n,)``."""
    return a.size == b.size and (a.shape == b.shape or a.squeeze().shape == b.squeeze().shape)


def _close(a: Array, b: Array, rtol: float, atol: float) -> bool:
    return _same(a, b) and bool(np.allclose(a.reshape(b.shape), b, rtol=rtol, atol=atol))


def _factor(g: Array, want: Array) -> float | None:
    """The ``c`` with ``g = c·want`` (least squares), or ``None`` when the sizes differ or want is 0."""
    if g.size != want.size or not np.any(want):
        return None
    w = want.reshape(-1)
    return float(np.dot(g.reshape(-1), w) / np.dot(w, w))


def _layer_case(
    x: Array, y: Array, dz: Array, right: dict[str, Array], params: dict[str, Array]
) -> LayerCase:
    """What the slips need to know of the layer, recognised from what its ``forward`` computed."""
    layer = ""
    if set(params) == {"W", "b"} and y.ndim == 2:
        W, b = params["W"], params["b"]
        if W.ndim == 2 and W.shape == (y.shape[1], x.shape[1]) and b.size == y.shape[1]:
            layer = "Linear" if np.allclose(y, x @ W.T + b.reshape(-1)) else ""
    elif not params and y.shape == x.shape:
        with np.errstate(over="ignore"):
            e = np.exp(x - x.max(axis=1, keepdims=True))
            forms = {
                "Tanh": np.tanh(x),
                "Sigmoid": 1.0 / (1.0 + np.exp(-x)),
                "ReLU": np.maximum(x, 0.0),
                "Softmax": e / e.sum(axis=1, keepdims=True),
            }
        layer = next((name for name, out in forms.items() if np.allclose(y, out)), "")
    grads = {"x": right["dx"], **{p: right["d" + p] for p in params}}
    return LayerCase(layer, x, y, dz, grads, params)


def _diagnose(
    key: str, g: Array, want: Array, case: LayerCase, rtol: float, atol: float
) -> tuple[SlipKind, str, str] | None:
    """The first slip (catalogue order) with a variant equal to the student's ``g``:
    ``(kind, variant name, text part)``."""
    for kind in SLIPS.values():
        for variant in kind.layer_variants(case):
            v = variant.grads.get(key)
            if v is None:
                continue
            v = np.asarray(v, dtype=np.float64)
            if _close(g, v, rtol, atol) and not _close(v, want, rtol, atol):
                return kind, variant.name, variant.part
    return None


def _right_shapes(key: str, shape: tuple[int, ...]) -> str:
    """The shapes accepted (see :func:`_same`): ``(2,)`` as ``dz.sum(axis=0)`` gives it, and the
    parameter's own ``(1, 2)``."""
    squeezed = tuple(n for n in shape if n != 1)
    if squeezed == shape:
        return f"the right one is {shape}"
    how = " (as dz.sum(axis=0) gives)" if len(shape) == 2 and shape[0] == 1 else ""
    return f"the right one is {squeezed}{how} or {shape} (the shape of {key})"


def _verdict(
    name: str, key: str, got: Any, want: Array, case: LayerCase, rtol: float, atol: float
) -> GradientCheck:
    if got is None:
        return GradientCheck(
            name, False, None, want, None, f"{name}: the layer did not set it (expected shape {want.shape})."
        )
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return GradientCheck(name, False, None, want, None, f"{name} is not an array of numbers: {got!r}")
    comparable = _same(g, want)
    if _close(g, want, rtol, atol):
        worst = float(np.max(np.abs(g.reshape(want.shape) - want))) if want.size else 0.0
        return GradientCheck(name, True, g, want, None, f"{name} is right (largest difference {worst:.1e})")
    found = _diagnose(key, g, want, case, rtol, atol)
    c = _factor(g, want)
    parts = []
    if found is not None:
        kind, variant, part = found
        factor = "?" if c is None else _fmt(c)
        parts.append(kind.text(part).format(grad=name, factor=factor, n=len(case.x)))
    else:
        kind, variant = None, ""
        uniform = bool(c) and np.allclose(g.reshape(-1), (c or 0.0) * want.reshape(-1), rtol=rtol, atol=atol)
        parts.append(
            f"{name} is wrong: every entry is {_fmt(c or 0.0)} times the right one."
            if uniform
            else f"{name} is wrong."
        )
    if comparable:
        diff = np.abs(g.reshape(want.shape) - want)
        bad = diff > atol + rtol * np.abs(want)
        idx = np.unravel_index(int(np.argmax(diff)), want.shape)
        where = "".join(f"[{i}]" for i in idx)
        parts.append(
            f"{int(bad.sum())} of {want.size} entries differ; the largest at {name}{where}: "
            f"got {_fmt(float(g.reshape(want.shape)[idx]))}, expected {_fmt(float(want[idx]))} "
            f"(off by {_fmt(float(diff[idx]))})."
        )
    else:
        parts.append(f"Its shape is {g.shape}; {_right_shapes(key, want.shape)}.")
    return GradientCheck(name, False, g, want, kind, " ".join(parts), variant)


def _steps(
    dtype: np.dtype[Any], y: Array, eps: float | None, rtol: float | None, atol: float | None
) -> tuple[float, float, float]:
    """The finite-difference step and the tolerances for an output of ``dtype`` (given ones kept)."""
    u = float(np.finfo(dtype).eps) if np.issubdtype(dtype, np.floating) else 0.0
    if u <= float(np.finfo(np.float64).eps):
        default = (1e-6, 1e-5, 1e-7)
    else:  # float32 / float16: the output is rounded, so a tiny step measures only the rounding
        r = 100 * u ** (2 / 3)
        scale = max(1.0, float(np.max(np.abs(y)))) if y.size else 1.0
        default = (u ** (1 / 3), r, r * scale)
    return (
        default[0] if eps is None else eps,
        default[1] if rtol is None else rtol,
        default[2] if atol is None else atol,
    )


def check_layer(
    layer: Any,
    x: Any,
    *,
    dz: Any = None,
    params: tuple[tuple[str, str], ...] = (("W", "dW"), ("b", "db")),
    seed: int = 0,
    eps: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
) -> LayerReport:
    """Check ``layer.backward`` against the gradients of ``layer.forward``.

    The layer is an object with ``forward(x)`` (an array, one row per sample) and
    ``backward(dz)`` returning ``dx``; if it has the arrays named in ``params`` (by default
    ``W`` and ``b``), ``backward`` must set their gradients (``dW``, ``db``). The right answers
    come from autograd — the layer's own ``forward`` run on arrays of ``Value``\\s, then
    ``backward()`` from ``L = Σ dz·y`` — and are confirmed by central finite differences; when
    ``forward`` cannot run on ``Value``\\s, finite differences alone are the reference. A wrong
    gradient is named by the catalogue of slips (:data:`microgradnet.slips.SLIPS`): the first
    kind, in catalogue order, with a layer variant equal to the student's gradient.

    Args:
        layer: the layer to check. Its parameters are restored exactly afterwards.
        x: an input batch (2-D: rows are samples).
        dz: the upstream gradient to pass to ``backward``; default random normal numbers
            (from ``seed``) of the output's shape.
        params: ``(parameter, gradient)`` attribute names to check, where the layer has them.
        seed: for the default ``dz``.
        eps: the finite-difference step; by default from the precision of ``forward``'s output:
            ``1e-6`` for float64, ``u ** (1/3)`` for a coarser float with unit roundoff ``u``
            (about ``5e-3`` for float32, where ``1e-6`` would measure only rounding noise).
        rtol: relative tolerance of a match; by default ``1e-5`` for float64, ``100 · u ** (2/3)``
            for a coarser output (about ``2.4e-3`` for float32: still far from any slip).
        atol: absolute tolerance of a match; by default ``1e-7`` for float64, as ``rtol`` times
            the largest output for a coarser one.

    Returns:
        a :class:`LayerReport`; ``print`` it, or test ``report.ok``.

    Raises:
        TypeError: ``layer`` has no ``forward``/``backward``, or ``x`` is not numeric.
        ValueError: ``x`` is not 2-D, or ``dz`` does not have the output's shape.
    """
    for method in ("forward", "backward"):
        if not callable(getattr(layer, method, None)):
            raise TypeError(f"check_layer(): the layer needs a {method}() method, {layer!r} has none")
    try:
        xs = np.array(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"check_layer(): x must be a 2-D array of numbers, got {type(x).__name__}") from None
    if xs.ndim != 2:
        raise ValueError(f"check_layer(): x must be 2-D (one row per sample), got shape {xs.shape}")
    present = [
        (p, g)
        for p, g in params
        if isinstance(getattr(layer, p, None), np.ndarray) and getattr(layer, p).size
    ]
    names = [p for p, _ in present]
    originals = {p: getattr(layer, p) for p in names}
    saved = {p: np.array(originals[p], dtype=np.float64) for p in names}
    for p in names:  # work on float64 copies; the original arrays go back, untouched, at the end
        setattr(layer, p, saved[p].copy())
    try:
        raw = np.asarray(layer.forward(xs.copy()))
        y = np.asarray(raw, dtype=np.float64)
        eps, rtol, atol = _steps(raw.dtype, y, eps, rtol, atol)
        if dz is None:
            up = np.random.default_rng(seed).normal(size=y.shape)
        else:
            up = np.array(dz, dtype=np.float64)
            if up.shape != y.shape:
                raise ValueError(f"check_layer(): dz must have the output's shape {y.shape}, got {up.shape}")
        numeric = _numeric(layer, xs.copy(), up, names, eps)
        notes: list[str] = []
        right, reference = numeric, "finite differences"
        try:
            auto = _autograd(layer, xs, up, names)
        except Exception as exc:  # the student's forward may not run on Values
            notes.append(
                f"forward could not run on Values ({type(exc).__name__}: {exc}), so autograd was not used"
            )
        else:
            differ = [
                k
                for k, v in auto.items()
                if not np.allclose(v, numeric[k], rtol=max(1e-4, rtol), atol=max(1e-6, atol))
            ]
            if differ:
                notes.append(
                    f"autograd through forward on Values disagrees with finite differences on "
                    f"{', '.join(differ)} "
                    "(does forward turn some Values into numbers?), so autograd was not used"
                )
            else:
                right, reference = auto, "autograd (confirmed by finite differences)"
        layer.forward(xs.copy())
        dx = layer.backward(up.copy())
        case = _layer_case(xs, y, up, right, saved)
        checks = [_verdict("dx", "x", dx, right["dx"], case, rtol, atol)]
        for p, g in present:
            checks.append(_verdict(g, p, getattr(layer, g, None), right["d" + p], case, rtol, atol))
    finally:
        for p in names:
            setattr(layer, p, originals[p])
    custom_repr: object = type(layer).__repr__
    name = repr(layer) if custom_repr is not object.__repr__ else type(layer).__name__
    return LayerReport(name, checks, reference, notes)
