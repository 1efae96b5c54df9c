"""``gradcheck`` and ``gradgradcheck``: analytic derivatives against central differences."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from microgradnet.engine import Value, grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", "numeric_grad"]


class GradcheckError(AssertionError):
    """A derivative from backpropagation disagrees with its finite-difference estimate."""


def _floats(inputs: Sequence[float | Value], who: str) -> list[float]:
    if isinstance(inputs, (Value, int, float)):
        raise TypeError(
            f"{who}() takes a sequence of inputs, e.g. [x] — got a single {type(inputs).__name__}"
        )
    out = []
    for k, x in enumerate(inputs):
        if isinstance(x, Value):
            out.append(x.data)
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            out.append(float(x))
        else:
            raise TypeError(f"{who}() input {k} must be a number or a Value, got {x!r} ({type(x).__name__})")
    if not out:
        raise ValueError(f"{who}() needs at least one input")
    for k, v in enumerate(out):
        if not math.isfinite(v):
            raise ValueError(f"{who}() input {k} is {v!r}; derivatives are checked at finite points only")
    return out


def _labels(inputs: Sequence[float | Value]) -> list[str]:
    return [x.label if isinstance(x, Value) and x.label else f"x{k}" for k, x in enumerate(inputs)]


def _call(fn: Callable[..., Value], xs: Sequence[Value], who: str) -> Value:
    out = fn(*xs)
    if not isinstance(out, Value):
        raise TypeError(f"{who}(): fn must return a Value, got {out!r} ({type(out).__name__})")
    return out


def numeric_grad(fn: Callable[..., Value], inputs: Sequence[float | Value], eps: float = 1e-6) -> list[float]:
    """Central differences ``(f(x + eps) - f(x - eps)) / (2 eps)`` for every input of ``fn``."""
    xs = _floats(inputs, "numeric_grad")
    if not eps > 0:
        raise ValueError(f"numeric_grad() needs eps > 0, got {eps!r}")
    labels = _labels(inputs)
    result = []
    # not under no_grad: fn may itself differentiate (gradgradcheck's first derivatives do)
    for k in range(len(xs)):
        up = [Value(x + (eps if j == k else 0.0), labels[j]) for j, x in enumerate(xs)]
        down = [Value(x - (eps if j == k else 0.0), labels[j]) for j, x in enumerate(xs)]
        result.append(
            (_call(fn, up, "numeric_grad").data - _call(fn, down, "numeric_grad").data) / (2.0 * eps)
        )
    return result


def _close(analytic: float, numeric: float, atol: float, rtol: float) -> bool:
    if math.isnan(analytic) or math.isnan(numeric):
        return False
    if math.isinf(analytic) or math.isinf(numeric):
        return analytic == numeric
    return abs(analytic - numeric) <= atol + rtol * abs(numeric)


def _check_tolerances(eps: float, atol: float, rtol: float, who: str) -> None:
    for name, v in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if not isinstance(v, (int, float)) or not v >= 0 or (name == "eps" and v == 0):
            kind = "positive" if name == "eps" else "non-negative"
            raise ValueError(f"{who}(): {name} must be a {kind} number, got {v!r}")


def gradcheck(
    fn: Callable[..., Value],
    inputs: Sequence[float | Value],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check every ``∂fn/∂input`` from backpropagation against a central difference.

    ``fn`` takes one ``Value`` per input and returns a ``Value``. ``inputs`` are numbers or
    ``Value``\\s (only their ``data`` is used; no ``.grad`` is touched). A derivative passes when
    ``|analytic - numeric| <= atol + rtol * |numeric|``.

    Returns:
        ``True`` when every derivative passes.

    Raises:
        GradcheckError: naming each failing input with its analytic and numeric derivative.
        TypeError / ValueError: bad ``fn``, inputs or tolerances.
    """
    _check_tolerances(eps, atol, rtol, "gradcheck")
    xs = _floats(inputs, "gradcheck")
    labels = _labels(inputs)
    values = [Value(x, labels[k]) for k, x in enumerate(xs)]
    analytic = [g.data for g in grad(_call(fn, values, "gradcheck"), values)]
    numeric = numeric_grad(fn, inputs, eps)
    bad = [
        f"  ∂f/∂{labels[k]} at {labels[k]}={xs[k]!r}: analytic {a!r}, numeric {n!r} "
        f"(difference {abs(a - n):.3g}, allowed {atol + rtol * abs(n):.3g})"
        for k, (a, n) in enumerate(zip(analytic, numeric))
        if not _close(a, n, atol, rtol)
    ]
    if bad:
        raise GradcheckError(
            f"gradcheck: {len(bad)} of {len(xs)} derivative(s) of {_fn_name(fn)} disagree with "
            f"central differences (eps={eps}):\n" + "\n".join(bad)
        )
    return True


def gradgradcheck(
    fn: Callable[..., Value],
    inputs: Sequence[float | Value],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check second derivatives: each ``∂fn/∂input`` (built with ``create_graph=True``) is
    itself gradchecked against central differences, which covers the whole Hessian.

    Returns ``True`` or raises :class:`GradcheckError` naming the derivative that failed.
    """
    _check_tolerances(eps, atol, rtol, "gradgradcheck")
    xs = _floats(inputs, "gradgradcheck")
    labels = _labels(inputs)
    for k in range(len(xs)):

        def first_derivative(*vs: Value, k: int = k) -> Value:
            out: Value = grad(_call(fn, vs, "gradgradcheck"), vs[k], create_graph=True)
            return out

        first_derivative.__name__ = f"∂{_fn_name(fn)}/∂{labels[k]}"
        try:
            gradcheck(first_derivative, inputs, eps=eps, atol=atol, rtol=rtol)
        except GradcheckError as exc:
            raise GradcheckError(
                f"gradgradcheck: second derivatives through ∂f/∂{labels[k]}:\n{exc}"
            ) from None
    return True


def _fn_name(fn: Any) -> str:
    return str(getattr(fn, "__name__", None) or repr(fn))
