"""Optimizers with PyTorch's update rules: :class:`SGD`, :class:`Adam` and :class:`AdamW`.

Each takes the parameters to update (``model.parameters()``, any iterable of ``Value``\\s) and
reads their ``.grad`` when :meth:`Optimizer.step` is called::

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for step in range(100):
        loss = ...
        opt.zero_grad()
        loss.backward()
        opt.step()

>>> from microgradnet import Value
>>> w = Value(1.0)
>>> opt = SGD([w], lr=0.1, momentum=0.9)
>>> w.grad = 2.0; opt.step(); w.data            # the first step: buffer = grad
0.8
>>> w.grad = 2.0; opt.step(); round(w.data, 12)  # buffer = 0.9 * 2 + 2 = 3.8
0.42

**Learning-rate schedules.** ``lr`` is a positive number or a function of the step number,
**0-based**: the first ``step()`` uses ``lr(0)``, the second ``lr(1)``, ... (``opt.steps`` is the
number of steps taken so far). micrograd's demo schedule is ``lr=lambda k: 1.0 - 0.9 * k / 100``.

**Parameters** are taken in order; a ``Value`` listed twice is kept once (its first position),
so each parameter is updated once per step.

**Update rules.** Each optimizer's arithmetic is one function, :func:`sgd_rule` or
:func:`adam_rule`, of (parameter, gradient, state buffers, hyper-parameters).
:meth:`Optimizer.step` applies it to each parameter's floats; the fused trainer of
``microgradnet.compile`` applies the very same function to NumPy arrays holding every parameter,
so both give the same numbers, bit for bit. It talks to the optimizer through three methods:

* :meth:`Optimizer.update_rule` ``(step, sqrt)``: the rule of one step with the
  hyper-parameters (and the learning rate of that step) bound, ``rule(p, g, *buffers)``;
* :meth:`Optimizer.buffers`: the state that rule carries from step to step, one list of
  floats per buffer (named by :meth:`Optimizer.state_names`);
* :meth:`Optimizer.advance` ``(steps, buffers)``: take the state back after running the rule
  ``steps`` times elsewhere.

>>> import numpy as np
>>> p, g = np.array([1.0, 2.0]), np.array([0.5, -1.0])
>>> opt = SGD([Value(1.0), Value(2.0)], lr=0.1, momentum=0.9)
>>> rule = opt.update_rule(opt.steps, np.sqrt)
>>> p, buf = rule(p, g, *np.array(opt.buffers()))
>>> opt.advance(1, [buf]); opt.steps, opt.momentum_buffer
(1, [0.5, -1.0])

**State.** :meth:`Optimizer.state_dict` returns a JSON-able dict (the step count and each
buffer as a list of floats, one per parameter in order); :meth:`Optimizer.load_state_dict`
validates everything before changing anything. Hyperparameters are not part of the state: they
are the constructor's arguments.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Union

from microgradnet.engine import Value

__all__ = ["SGD", "Adam", "AdamW", "LearningRate", "Optimizer", "adam_rule", "sgd_rule"]

#: A learning rate: a positive number, or a function of the 0-based step number.
LearningRate = Union[float, Callable[[int], float]]


def _real(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


# ---- the update rules, written once ----------------------------------------------------------
#
# Each rule maps (parameter, gradient, state buffers..., hyper-parameters) to the new parameter
# and the new buffers, with arithmetic operators only (and the ``sqrt`` it is given). So the same
# function runs on Python floats (``Optimizer.step``, one parameter at a time, pure Python) and on
# NumPy arrays holding every parameter at once (the fused training of ``microgradnet.compile``),
# with the same operations in the same order: the two agree bit for bit.

#: a float, or a NumPy array of floats (the rules use only arithmetic on it)
Number = Any


def sgd_rule(
    p: Number,
    g: Number,
    buf: Number,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    first: bool,
) -> tuple[Number, Number]:
    """One SGD update of ``p`` with gradient ``g``: returns ``(new p, new momentum buffer)``.

    ``first`` says that no momentum buffer exists yet (the buffer becomes the gradient); without
    momentum ``buf`` is returned unchanged.
    """
    if weight_decay:
        g = g + weight_decay * p
    if momentum:
        buf = g if first else momentum * buf + (1.0 - dampening) * g
        g = g + momentum * buf if nesterov else buf
    return p - lr * g, buf


def adam_rule(
    p: Number,
    g: Number,
    m: Number,
    v: Number,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled: bool,
    c1: float,
    c2: float,
    sqrt: Callable[[Number], Number],
) -> tuple[Number, Number, Number]:
    """One Adam (``decoupled=False``) or AdamW (``decoupled=True``) update: ``(new p, m, v)``.

    ``c1 = 1 - beta1**t`` and ``c2 = 1 - beta2**t`` are the bias corrections of step ``t``
    (1-based), computed once per step; ``sqrt`` is ``math.sqrt`` on floats, ``numpy.sqrt`` on
    arrays (both correctly rounded; ``x ** 0.5`` on a Python float is not always).
    """
    if decoupled:
        if weight_decay:
            p = p * (1.0 - lr * weight_decay)
    elif weight_decay:
        g = g + weight_decay * p
    m = beta1 * m + (1.0 - beta1) * g
    v = beta2 * v + (1.0 - beta2) * g * g
    return p - lr * (m / c1) / (sqrt(v / c2) + eps), m, v


class Optimizer:
    """Base class: holds the parameters, the learning rate and the step count.

    Raises:
        TypeError: ``params`` is not an iterable of ``Value``\\s, or ``lr`` is neither a number
            nor a callable.
        ValueError: no parameters, or a number ``lr`` that is not positive and finite.
    """

    #: names of the per-parameter buffers saved in the state
    _buffers: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Value], lr: LearningRate) -> None:
        who = f"{type(self).__name__}()"
        if isinstance(params, Value):
            raise TypeError(
                f"{who}: params must be an iterable of Values (e.g. model.parameters()), got one Value"
            )
        try:
            items = list(params)
        except TypeError:
            raise TypeError(
                f"{who}: params must be an iterable of Values (e.g. model.parameters()), "
                f"got {type(params).__name__}"
            ) from None
        unique: list[Value] = []
        seen: set[Value] = set()
        for k, p in enumerate(items):
            if not isinstance(p, Value):
                raise TypeError(f"{who}: parameter {k} must be a Value, got {p!r} ({type(p).__name__})")
            if p not in seen:
                seen.add(p)
                unique.append(p)
        if not unique:
            raise ValueError(f"{who}: got an empty parameter list; pass model.parameters()")
        if callable(lr):
            pass
        elif not _real(lr):
            raise TypeError(f"{who}: lr must be a number or a function of the step, got {lr!r}")
        elif not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"{who}: lr must be a positive finite number, got {lr!r}")
        self.params: list[Value] = unique
        self.lr: LearningRate = lr
        #: the number of steps taken so far
        self.steps = 0

    def lr_at(self, step: int) -> float:
        """The learning rate of the step numbered ``step`` (0-based: the first step is 0).

        Raises ``ValueError``/``TypeError`` if a schedule returns something that is not a
        non-negative finite number, and ``ValueError`` for a negative ``step``.
        """
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise ValueError(f"{type(self).__name__}.lr_at: step must be an integer >= 0, got {step!r}")
        if not callable(self.lr):
            return float(self.lr)
        value = self.lr(step)
        if not _real(value):
            raise TypeError(
                f"{type(self).__name__}: the lr schedule returned {value!r} ({type(value).__name__}) "
                f"at step {step}; it must return a number"
            )
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(
                f"{type(self).__name__}: the lr schedule returned {value!r} at step {step}; "
                f"it must be a non-negative finite number"
            )
        return float(value)

    def zero_grad(self) -> None:
        """Set ``grad = 0`` on every parameter."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its ``.grad`` (see the subclass for the rule)."""
        rule = self.update_rule(self.steps, math.sqrt)  # validates the lr before any change
        names = self.state_names()
        buffers = self.buffers()
        if not names:
            for p in self.params:
                p.data = rule(p.data, p.grad)[0]
        else:
            results = [rule(p.data, p.grad, *bs) for p, *bs in zip(self.params, *buffers)]
            for p, r in zip(self.params, results):
                p.data = r[0]
            for k, name in enumerate(names, start=1):
                setattr(self, name, [r[k] for r in results])
        self.steps += 1

    def state_names(self) -> tuple[str, ...]:
        """The per-parameter buffers :meth:`update_rule` reads and returns, in its order
        (a subset of the saved state: SGD without momentum keeps no buffer)."""
        return self._buffers

    def update_rule(self, step: int, sqrt: Callable[[Any], Any]) -> Callable[..., tuple[Any, ...]]:
        """The update of step number ``step`` (0-based, ``>= self.steps``) as a function
        ``rule(p, g, *buffers) -> (p, *buffers)`` (buffers named by :meth:`state_names`, carried
        on from the current state; one that does not exist yet is passed as zeros). It uses
        only arithmetic and ``sqrt``, so it runs on floats and, elementwise, on NumPy arrays;
        it changes nothing itself.

        Raises ``ValueError``/``TypeError`` for a bad learning rate from a schedule.
        """
        raise NotImplementedError(f"{type(self).__name__} has no update rule")

    def buffers(self) -> list[list[float]]:
        """The buffers named by :meth:`state_names`, in that order, one float per parameter
        (zeros for a buffer that does not exist yet): what :meth:`update_rule`'s function
        takes after the parameter and its gradient."""
        n = len(self.params)
        return [list(self._buffer(name) or [0.0] * n) for name in self.state_names()]

    def advance(self, steps: int, buffers: Sequence[Any]) -> None:
        """Record that ``steps`` updates ran elsewhere with :meth:`update_rule` (for steps
        ``self.steps``, ``self.steps + 1``, ...), leaving ``buffers`` (as :meth:`buffers`
        returns them; NumPy arrays are fine). The step count grows by ``steps``.

        This is how the fused trainer of ``microgradnet.compile`` hands back the state it kept
        in arrays. Raises ``ValueError`` for a negative ``steps``, the wrong number of buffers
        or a buffer of the wrong length, ``TypeError`` for a non-number; nothing changes then.
        """
        who = f"{type(self).__name__}.advance()"
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ValueError(f"{who}: steps must be an integer >= 0, got {steps!r}")
        names = self.state_names()
        if len(buffers) != len(names):
            raise ValueError(f"{who}: expected {len(names)} buffer(s) {names}, got {len(buffers)}")
        lists: list[list[float]] = []
        for name, buf in zip(names, buffers):
            values = buf.tolist() if hasattr(buf, "tolist") else list(buf)
            if len(values) != len(self.params):
                raise ValueError(
                    f"{who}: {name!r} has {len(values)} entries but there are {len(self.params)} parameters"
                )
            if not all(_real(x) for x in values):
                raise TypeError(f"{who}: {name!r} must hold numbers")
            lists.append([float(x) for x in values])
        self.steps += int(steps)
        for name, values in zip(names, lists):
            setattr(self, name, values)

    # ---- state ----

    def _buffer(self, name: str) -> list[float] | None:
        value: list[float] | None = getattr(self, name)
        return value

    def state_dict(self) -> dict[str, Any]:
        """``{"optimizer": "SGD", "steps": n, <buffer>: [floats] or None, ...}``, JSON-able."""
        state: dict[str, Any] = {"optimizer": type(self).__name__, "steps": self.steps}
        for name in self._buffers:
            buf = self._buffer(name)
            state[name] = None if buf is None else list(buf)
        return state

    def load_state_dict(self, state: Any) -> None:
        """Restore the state saved by :meth:`state_dict`; nothing changes if it is invalid.

        Raises:
            TypeError: ``state`` is not a dict, or holds a value of the wrong type.
            ValueError: another optimizer's state, missing or unexpected keys, a negative step
                count, or a buffer whose length is not the number of parameters.
        """
        who = f"{type(self).__name__}.load_state_dict()"
        if not isinstance(state, dict):
            raise TypeError(f"{who} takes a dict like state_dict() returns, got {type(state).__name__}")
        expected = {"optimizer", "steps", *self._buffers}
        if set(state) != expected:
            missing = sorted(expected - set(state))
            unexpected = sorted(map(str, set(state) - expected))
            raise ValueError(f"{who}: missing keys {missing}, unexpected keys {unexpected}")
        if state["optimizer"] != type(self).__name__:
            raise ValueError(
                f"{who}: this is the state of {state['optimizer']!r}, not {type(self).__name__!r}"
            )
        steps = state["steps"]
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ValueError(f"{who}: 'steps' must be a non-negative int, got {steps!r}")
        buffers: dict[str, list[float] | None] = {}
        for name in self._buffers:
            buf = state[name]
            if buf is None:
                buffers[name] = None
                continue
            if hasattr(buf, "tolist"):
                buf = buf.tolist()
            if not isinstance(buf, (list, tuple)):
                raise TypeError(f"{who}: {name!r} must be a list of floats or None, got {type(buf).__name__}")
            if len(buf) != len(self.params):
                raise ValueError(
                    f"{who}: {name!r} has {len(buf)} entries but this optimizer has "
                    f"{len(self.params)} parameters"
                )
            for k, x in enumerate(buf):
                if not _real(x):
                    raise TypeError(f"{who}: {name!r}[{k}] must be a number, got {x!r}")
                try:
                    float(x)
                except OverflowError:
                    raise ValueError(f"{who}: {name!r}[{k}] is too large for a float") from None
            buffers[name] = [float(x) for x in buf]
        self._check_loaded(buffers, steps, who)
        self.steps = steps
        for name, buf in buffers.items():
            setattr(self, name, buf)

    def _check_loaded(self, buffers: dict[str, list[float] | None], steps: int, who: str) -> None:
        """Subclass hook: cross-check the buffers against the step count."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr!r})"


class SGD(Optimizer):
    """Stochastic gradient descent, with PyTorch's ``torch.optim.SGD`` rule.

    For each parameter ``p`` with gradient ``g`` (https://pytorch.org/docs/stable/generated/torch.optim.SGD.html)::

        g = g + weight_decay * p                      (if weight_decay)
        b = g                                         (first step)
        b = momentum * b + (1 - dampening) * g        (later steps)
        g = g + momentum * b if nesterov else b       (if momentum)
        p = p - lr * g

    ``weight_decay``, ``dampening`` and ``nesterov`` are keyword-only (PyTorch's positional order
    differs, so keywords avoid a silent mix-up).

    Raises (besides :class:`Optimizer`'s): ``ValueError`` for a negative momentum, dampening or
    weight decay, or ``nesterov=True`` without momentum or with dampening (as PyTorch).
    """

    _buffers = ("momentum_buffer",)

    def __init__(
        self,
        params: Iterable[Value],
        lr: LearningRate,
        momentum: float = 0.0,
        *,
        weight_decay: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        who = "SGD()"
        for name, v in (("momentum", momentum), ("weight_decay", weight_decay), ("dampening", dampening)):
            if not _real(v):
                raise TypeError(f"{who}: {name} must be a number, got {v!r}")
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"{who}: {name} must be a non-negative number, got {v!r}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(f"{who}: nesterov momentum needs momentum > 0 and dampening = 0")
        self.momentum = float(momentum)
        self.weight_decay = float(weight_decay)
        self.dampening = float(dampening)
        self.nesterov = bool(nesterov)
        #: one buffer entry per parameter, ``None`` before the first momentum step
        self.momentum_buffer: list[float] | None = None

    def state_names(self) -> tuple[str, ...]:
        """``("momentum_buffer",)`` with momentum, else ``()``."""
        return self._buffers if self.momentum else ()

    def update_rule(self, step: int, sqrt: Callable[[Any], Any]) -> Callable[..., tuple[Any, ...]]:
        """:func:`sgd_rule` with this optimizer's hyper-parameters and the lr of ``step``."""
        lr = self.lr_at(step)
        mu, damp, wd, nesterov = self.momentum, self.dampening, self.weight_decay, self.nesterov
        first = self.momentum_buffer is None and step == self.steps  # no buffer yet: b = g
        if not mu:
            return lambda p, g: sgd_rule(p, g, 0.0, lr, mu, damp, wd, nesterov, first)[:1]
        return lambda p, g, b: sgd_rule(p, g, b, lr, mu, damp, wd, nesterov, first)

    def __repr__(self) -> str:
        return (
            f"SGD({len(self.params)} parameters, lr={self.lr!r}, momentum={self.momentum}, "
            f"weight_decay={self.weight_decay})"
        )


class Adam(Optimizer):
    """Adam, with PyTorch's ``torch.optim.Adam`` rule (``amsgrad=False``).

    For each parameter at step ``t = 1, 2, ...`` (https://pytorch.org/docs/stable/generated/torch.optim.Adam.html)::

        g = g + weight_decay * p            (L2 penalty added to the gradient; see AdamW)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g²
        m̂ = m / (1 - beta1**t),  v̂ = v / (1 - beta2**t)
        p = p - lr * m̂ / (√v̂ + eps)

    Raises (besides :class:`Optimizer`'s): ``ValueError`` for betas outside [0, 1), eps <= 0 or
    a negative weight decay.
    """

    _buffers = ("exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params: Iterable[Value],
        lr: LearningRate = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        who = f"{type(self).__name__}()"
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{who}: betas must be a pair (beta1, beta2), got {betas!r}")
        for k, b in enumerate(betas):
            if not _real(b):
                raise TypeError(f"{who}: betas[{k}] must be a number, got {b!r}")
            if not 0.0 <= b < 1.0:
                raise ValueError(f"{who}: betas[{k}] must be in [0, 1), got {b!r}")
        if not _real(eps):
            raise TypeError(f"{who}: eps must be a number, got {eps!r}")
        if not (math.isfinite(eps) and eps > 0):
            raise ValueError(f"{who}: eps must be a positive number, got {eps!r}")
        if not _real(weight_decay):
            raise TypeError(f"{who}: weight_decay must be a number, got {weight_decay!r}")
        if not (math.isfinite(weight_decay) and weight_decay >= 0):
            raise ValueError(f"{who}: weight_decay must be a non-negative number, got {weight_decay!r}")
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = float(eps)
        self.weight_decay = float(weight_decay)
        n = len(self.params)
        self.exp_avg: list[float] | None = [0.0] * n
        self.exp_avg_sq: list[float] | None = [0.0] * n

    #: AdamW: weight decay applied to the parameter, not added to the gradient
    _decoupled = False

    def update_rule(self, step: int, sqrt: Callable[[Any], Any]) -> Callable[..., tuple[Any, ...]]:
        """:func:`adam_rule` with this optimizer's hyper-parameters, the lr of ``step`` and the
        bias corrections of ``t = step + 1``."""
        lr = self.lr_at(step)
        b1, b2 = self.betas
        eps, wd, decoupled = self.eps, self.weight_decay, self._decoupled
        t = step + 1
        c1 = 1.0 - b1**t
        c2 = 1.0 - b2**t
        return lambda p, g, m, v: adam_rule(p, g, m, v, lr, b1, b2, eps, wd, decoupled, c1, c2, sqrt)

    def _check_loaded(self, buffers: dict[str, list[float] | None], steps: int, who: str) -> None:
        for name in self._buffers:
            if buffers[name] is None:
                raise ValueError(f"{who}: {name!r} must be a list of {len(self.params)} floats, got None")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr!r}, betas={self.betas}, "
            f"eps={self.eps}, weight_decay={self.weight_decay})"
        )


class AdamW(Adam):
    """Adam with decoupled weight decay, PyTorch's ``torch.optim.AdamW`` rule.

    Before the Adam update (which then uses the plain gradient),
    ``p = p - lr * weight_decay * p`` (https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html).
    PyTorch's default ``weight_decay`` for AdamW is 0.01; it is the same here.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: LearningRate = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)

    _decoupled = True
