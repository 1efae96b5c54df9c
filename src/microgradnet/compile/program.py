"""Straight-line code for a tape: its forward and backward pass as generated Python functions.

:mod:`~microgradnet.compile.run` *interprets* a tape: every minibatch, every step gathers its
operands, evaluates its formulas into new arrays and adds them into zeroed gradient stores. A
:class:`Program` does the same arithmetic with the planning done once, for one tape and one
batch size: it writes two Python functions, ``forward(X, T)`` and ``backward(X, rows, seed)``,
whose lines are NumPy calls on arrays allocated when the program is made. Nothing is
allocated per minibatch:

* every operand is a view of the stores (a slice, or a row broadcast to the step), or a buffer
  filled in place (``np.take(..., out=)``) when its rows are scattered;
* every formula of the op table is compiled into ufunc calls that write into the step's rows or
  into scratch arrays (``"1 - out * out"`` becomes ``np.multiply(out, out, out=t);
  np.subtract(1.0, t, out=t)``); a call the compiler cannot write in place (``relu``'s
  ``where``, a function of ``define_op``) is evaluated as the interpreter does and copied;
* a layer (a step of ``dot`` nodes over shared weights) is one matrix product forward and one
  per direction backward, written straight into the rows of the stores; the products into the
  *inputs* of the first layer — gradients nobody reads — are not computed at all (a row's
  gradient is computed only if a parameter's gradient depends on it);
* a gradient row is written (``out=``) by its first contribution instead of being zeroed and
  then added to, so only the rows that really accumulate are cleared.

The op table stays the only source of formulas: the program evaluates each row's formula
strings, as :mod:`~microgradnet.compile.arrays` compiles them, with the same NumPy functions
in the same order on operands laid out as the interpreter lays them out. Its numbers are the
interpreter's, equal to the last bit; the one thing that may differ is the sign of a gradient
that is exactly zero (a first write of ``-0.0`` where the interpreter computes ``0.0 + -0.0``).
What the compiler could not plan (a step whose operands mix per-sample and shared rows within
one operand, for instance) runs the interpreter's own code for that step.

Features are read from the minibatch ``X`` in place (``W @ X.T``), not copied into the store,
unless a step other than a layer reads them; the interpreter reads them the same way.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from microgradnet.compile import run
from microgradnet.compile.arrays import INTO, FloatArray, array_formula
from microgradnet.compile.tape import Step, Tape

__all__ = ["Program", "Stores"]

_NP_CALL = re.compile(r"\bnp\.([a-z_]+(?:\.[a-z_]+)?)\(")

_BINARY: dict[type[ast.operator], np.ufunc] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
}


class _Source:
    """The lines of a generated function and the objects its names refer to."""

    def __init__(self) -> None:
        self.ns: dict[str, Any] = {"np": np}
        self.lines: list[str] = []
        self._names: dict[int, str] = {}
        self._pool: dict[tuple[int, ...], list[FloatArray]] = {}
        self._taken: dict[tuple[int, ...], int] = {}
        #: the text of each function written so far
        self.text: dict[str, str] = {}

    def name(self, obj: Any, hint: str = "a") -> str:
        """A name for ``obj`` in the generated code (the same name for the same object)."""
        found = self._names.get(id(obj))
        if found is None:
            found = self._names[id(obj)] = f"_{hint}{len(self._names)}"
            self.ns[found] = obj
        return found

    def emit(self, line: str) -> None:
        self.lines.append(line)

    def _numpy(self, path: str) -> str:
        name = "_np_" + path.replace(".", "_")
        if name not in self.ns:
            obj: Any = np
            for part in path.split("."):
                obj = getattr(obj, part)
            self.ns[name] = obj
        return name

    def temp(self, shape: tuple[int, ...]) -> FloatArray:
        """A scratch array of ``shape``, free again after :meth:`free`."""
        k = self._taken.get(shape, 0)
        self._taken[shape] = k + 1
        pool = self._pool.setdefault(shape, [])
        if k == len(pool):
            pool.append(np.empty(shape))
        return pool[k]

    def free(self) -> None:
        """Every scratch array may be reused (at the end of a step or of a contribution)."""
        self._taken.clear()

    def function(self, name: str, args: str) -> Callable[..., Any]:
        body = "\n".join(f"    {line}" for line in self.lines) or "    pass"
        text = self.text[name] = f"def {name}({args}):\n{body}\n"
        # NumPy's functions bound to names of their own (no attribute lookups per call)
        fast = _NP_CALL.sub(lambda m: self._numpy(m.group(1)) + "(", text)
        exec(compile(fast, f"<tape {name}>", "exec"), self.ns)
        self.lines = []
        fn: Callable[..., Any] = self.ns[name]
        return fn


class _Operand:
    """A name a formula uses: its expression in the generated code, its value while the code is
    written (an array of the run-time shape, for planning), and the array itself when the
    expression names a fixed array (``None`` for one made per call, or a number)."""

    __slots__ = ("array", "expr", "value")

    def __init__(self, expr: str, value: Any, array: FloatArray | None) -> None:
        self.expr, self.value, self.array = expr, value, array


def _same_view(a: Any, b: Any) -> bool:
    return (
        isinstance(a, np.ndarray)
        and isinstance(b, np.ndarray)
        and a.shape == b.shape
        and a.strides == b.strides
        and a.dtype == b.dtype
        and a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
    )


class _Formula:
    """Compiles formulas of the op table into calls that write into given arrays.

    ``env`` maps the formula's names (operands, ``out``, ``n``, ``i``) to :class:`_Operand`\\s;
    ``namespace`` is what the formulas call (the tape's). Every sub-expression is evaluated once
    while compiling, which gives its shape and tells constants (folded) from arrays.
    """

    def __init__(self, src: _Source, namespace: dict[str, Any], env: dict[str, _Operand]) -> None:
        self.src = src
        self.namespace = namespace
        self.env = env
        self.arrays = {k for k, v in env.items() if isinstance(v.value, np.ndarray)}

    def value(self, node: ast.expr) -> Any:
        tree = ast.fix_missing_locations(ast.Expression(node))
        scope = dict(self.namespace)
        scope.update({k: v.value for k, v in self.env.items()})
        with np.errstate(all="ignore"):
            return eval(compile(tree, "<formula>", "eval"), scope)

    def emit(self, text: str, dest: _Operand | None) -> _Operand:
        """Lines computing ``text``; the result goes into ``dest`` when the shapes agree.

        Returns where the result is (``dest``, a scratch array, an operand, or a number).
        """
        return self._node(ast.parse(array_formula(text), mode="eval").body, dest)

    def evaluate(self, text: str) -> Any:
        """The value of ``text`` now (for planning; writes no code)."""
        return self.value(ast.parse(array_formula(text), mode="eval").body)

    def _into(self, value: Any, dest: _Operand | None) -> _Operand:
        if dest is not None and dest.array is not None and dest.array.shape == np.shape(value):
            return dest
        arr = self.src.temp(tuple(np.shape(value)))
        return _Operand(self.src.name(arr, "t"), value, arr)

    def _node(self, node: ast.expr, dest: _Operand | None) -> _Operand:
        val = self.value(node)
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        if not used & self.arrays:  # a constant of this step: computed now
            if np.ndim(val) == 0 and isinstance(val, (float, int, np.floating, np.integer, np.ndarray)):
                number = float(val)
                return _Operand(repr(number), number, None)
            return _Operand(self.src.name(val, "c"), val, None)
        if isinstance(node, ast.Name) and node.id in self.env:
            return self.env[node.id]
        if not (isinstance(val, np.ndarray) and val.dtype == np.float64):
            return self._generic(node, val, dest)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            out = self._into(val, dest)
            left = self._node(node.left, out)  # (no name of the formula refers to `out`)
            right = self._node(node.right, None)
            ufunc = _BINARY[type(node.op)]
            self.src.emit(f"np.{ufunc.__name__}({left.expr}, {right.expr}, out={out.expr})")
            return _Operand(out.expr, val, out.array)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            out = self._into(val, dest)
            inner = self._node(node.operand, out)
            self.src.emit(f"np.negative({inner.expr}, out={out.expr})")
            return _Operand(out.expr, val, out.array)
        if isinstance(node, ast.Subscript):
            base = self._node(node.value, None)
            if _same_view(base.value, val):  # "w[i]" with i standing for every index
                return base
            return self._generic(node, val, dest)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            fn = self.namespace.get(node.func.id)
            into = INTO.get(fn) if fn is not None and not isinstance(fn, np.ufunc) else None
            if isinstance(fn, np.ufunc) or into is not None:
                out = self._into(val, dest)
                args = [self._node(a, None).expr for a in node.args]
                if isinstance(fn, np.ufunc):
                    self.src.emit(f"np.{fn.__name__}({', '.join(args)}, out={out.expr})")
                else:
                    self.src.emit(f"{self.src.name(into, 'f')}({', '.join(args)}, out={out.expr})")
                return _Operand(out.expr, val, out.array)
        return self._generic(node, val, dest)

    def _generic(self, node: ast.expr, val: Any, dest: _Operand | None) -> _Operand:
        """Evaluate ``node`` as the interpreter does (a new array) and copy it."""
        names = sorted({n.id for n in ast.walk(node) if isinstance(n, ast.Name)} & set(self.env))
        lam = eval(f"lambda {', '.join(names)}: {ast.unparse(node)}", dict(self.namespace))
        out = self._into(np.asarray(val, dtype=float), dest)
        args = ", ".join(self.env[k].expr for k in names)
        self.src.emit(f"np.copyto({out.expr}, {self.src.name(lam, 'g')}({args}))")
        return _Operand(out.expr, np.asarray(val, dtype=float), out.array)


def _slice_of(rows: NDArray[np.intp]) -> slice | None:
    flat = rows.ravel()
    if len(flat) and np.array_equal(flat, np.arange(flat[0], flat[0] + len(flat))):
        return slice(int(flat[0]), int(flat[0]) + len(flat))
    return None


def _runs(marked_rows: NDArray[np.bool_]) -> list[slice]:
    """The rows marked True, as slices of consecutive rows."""
    marked = np.flatnonzero(marked_rows)
    if not len(marked):
        return []
    breaks = np.flatnonzero(np.diff(marked) != 1)
    starts = [0, *(breaks + 1).tolist()]
    ends = [*breaks.tolist(), len(marked) - 1]
    return [slice(int(marked[a]), int(marked[b]) + 1) for a, b in zip(starts, ends)]


class _Store:
    """One store (per-sample ``V`` or shared ``S``) and its gradient, as the planner sees them."""

    def __init__(self, name: str, values: FloatArray, grads: FloatArray | None) -> None:
        self.name = name
        self.values = values
        self.grads = grads
        n = values.shape[0]
        self.needed = np.zeros(n, dtype=bool)  # the row's gradient is worth computing
        self.written = np.zeros(n, dtype=bool)  # (while planning backward) the row holds some
        self.zero = np.zeros(n, dtype=bool)  # cleared at the start of backward


class Program:
    """Generated forward and backward code for one tape and one batch size (module docstring).

    The stores are given: ``S`` and ``GS`` (shared rows × 1, parameters first) and ``V`` and
    ``GV`` (per-sample rows × ``batch``); ``GV``/``GS`` may be ``None`` for a program that only
    runs forward. ``S`` must hold the parameters' values and the tape's constants before
    :attr:`forward` runs; the program never writes those rows.

    * ``forward(X, T)`` fills ``V`` and the computed rows of ``S`` for the minibatch ``X``
      (``batch`` × features) and its targets ``T`` (``batch`` × targets, or ``None``);
    * ``backward(X, rows, seed)`` seeds ``GV[rows[j], j] = seed`` for every sample ``j`` (the
      loss row each sample picks; ``seeded`` lists every such row), adds 1 to the row
      ``plus_one`` (the regularizer's root) and fills the parameters' gradients
      ``GS[:n_params]`` (and the rows they depend on).

    The caller runs both inside ``np.errstate(all="ignore")`` (IEEE results, as the engine).
    """

    def __init__(
        self,
        tape: Tape,
        batch: int,
        V: FloatArray,
        S: FloatArray,
        GV: FloatArray | None = None,
        GS: FloatArray | None = None,
        seeded: Sequence[int] = (),
        plus_one: tuple[int, bool] | None = None,
    ) -> None:
        self.tape = tape
        self.batch = batch
        #: the per-sample store the program fills (rows × ``batch``)
        self.V = V
        self._v = _Store("V", V, GV)
        self._s = _Store("S", S, GS)
        self._dummy_x = np.zeros((batch, tape.n_features))
        self._copy_features = any(
            not tape.reads_features_in_place(st) and bool((st.idx[st.in_batch] < tape.n_features).any())
            for st in tape.steps
        )
        self._buffers: dict[tuple[str, bytes, tuple[int, ...]], FloatArray] = {}
        src = self._src = _Source()
        src.ns["V"], src.ns["S"] = V, S
        self._write_forward()
        self.forward: Callable[[FloatArray, FloatArray | None], None] = src.function("forward", "X, T")
        self.backward: Callable[[FloatArray, NDArray[np.intp], float], None] | None = None
        if GV is not None and GS is not None:
            src.ns["GV"], src.ns["GS"], src.ns["_cols"] = GV, GS, np.arange(batch)
            self._write_backward(list(seeded), plus_one)
            self.backward = src.function("backward", "X, rows, seed")

    def source(self) -> str:
        """The text of the generated functions (for reading; deterministic for a tape)."""
        return "\n".join(self._src.text.values())

    # ---- operands --------------------------------------------------------------------------

    def _buffer(self, store: _Store, rows: NDArray[np.intp], shape: tuple[int, ...]) -> FloatArray:
        """A buffer holding ``store[rows]`` (shaped ``shape``), filled by ``np.take`` where it
        is first needed. A store row is written once per pass, before any step reads it, so a
        later step reading the same rows can use the same buffer."""
        key = (store.name, rows.tobytes(), shape)
        buf = self._buffers.get(key)
        if buf is None:
            buf = self._buffers[key] = np.empty(shape)
            flat = buf.reshape(len(rows.ravel()), -1)
            r = self._src.name(rows.ravel(), "r")
            self._src.emit(f"np.take({store.name}, {r}, axis=0, out={self._src.name(flat, 'b')})")
        return buf

    def _env(self, step: Step) -> dict[str, _Operand] | None:
        """The operands of ``step`` by formula name, or ``None``: run it as the interpreter."""
        op = step.op
        if not isinstance(op.forward, str) or step.kernel.elementwise:
            return None
        env: dict[str, _Operand] = {}
        if step.mode == "layer":
            per_sample, shared = self._layer_operands(step)
            env.update(
                zip(op.params, [per_sample, shared] if step.layer_group == 0 else [shared, per_sample])
            )
        elif op.variadic:
            if step.mode == "mix":
                return None
            store = self._v if step.mode == "b" else self._s
            stacked = self._stacked(store, step.idx)
            n = len(step.idx) // len(op.params)
            for g, p in enumerate(op.params):
                view = stacked[g * n : (g + 1) * n]
                env[p] = _Operand(self._src.name(view, "x"), view, view)
        else:
            for k, p in enumerate(op.params):
                in_b = step.in_batch[k]
                if bool(in_b.all()) != bool(in_b.any()):
                    return None
                env[p] = self._rows(self._v if in_b.all() else self._s, step.idx[k])
        if op.variadic:
            env["i"] = _Operand(self._src.name(slice(None), "c"), slice(None), None)
        if step.arg is not None:
            env["n"] = _Operand(repr(float(step.arg)), float(step.arg), None)
        return env

    def _rows(self, store: _Store, rows: NDArray[np.intp]) -> _Operand:
        """Rows of a store for an element-wise formula: a view, one row broadcast to every
        node, or a buffer."""
        sl = _slice_of(rows)
        if sl is not None:
            view = store.values[sl]
        elif bool((rows == rows[0]).all()):
            view = store.values[int(rows[0]) : int(rows[0]) + 1]
        else:
            view = self._buffer(store, rows, (len(rows), store.values.shape[1]))
        return _Operand(self._src.name(view, "x"), view, view)

    def _stacked(self, store: _Store, idx: NDArray[np.intp]) -> FloatArray:
        """A variadic step's operands stacked as the interpreter stacks them (the same layout,
        so reductions add in the same order): a view of contiguous rows, else a buffer."""
        width = store.values.shape[1]
        sl = _slice_of(idx)
        if sl is not None:
            view: FloatArray = store.values[sl].reshape(idx.shape + (width,))
            return view
        return self._buffer(store, idx, idx.shape + (width,))

    def _layer_operands(self, step: Step) -> tuple[_Operand, _Operand]:
        """A layer's per-sample group ``(n, 1, batch)`` and shared group ``(n, nodes, 1)``, laid
        out as :func:`microgradnet.compile.run.operands` lays them out."""
        assert step.rows_b is not None and step.rows_s is not None
        src = self._src
        if self.tape.reads_features_in_place(step):
            sl = step.rows_b.slice
            assert sl is not None
            name = f"_in{step.rows.start}"
            src.emit(f"{name} = XT[{sl.start}:{sl.stop}][:, None, :]")
            per_sample = _Operand(name, self._dummy_x.T[sl][:, None, :], None)
        else:
            rows = step.rows_b.flat
            if step.rows_b.slice is not None:
                block = self._v.values[step.rows_b.slice]
            else:
                block = self._buffer(self._v, rows, (len(rows), self.batch))
            view = block[:, None, :]
            per_sample = _Operand(src.name(view, "x"), view, view)
        n = len(step.rows_b.flat)
        if step.rows_s.slice is not None:
            grouped = self._s.values[step.rows_s.slice]
        else:
            grouped = self._buffer(self._s, step.rows_s.flat, (step.size * n, 1))
        w = grouped.reshape(step.size, n, 1).transpose(1, 0, 2)
        return per_sample, _Operand(src.name(w, "w"), w, w)

    # ---- forward ---------------------------------------------------------------------------

    def _write_forward(self) -> None:
        tape, src = self.tape, self._src
        src.emit("XT = X.T")
        if self._copy_features:
            src.emit(f"V[:{tape.n_features}] = XT")
        if tape.n_targets:
            src.emit(f"V[{tape.n_features}:{tape.n_inputs}] = T.T")
        for step in tape.steps:
            env = self._env(step)
            if env is None:
                self._generic_forward(step)
            else:
                dest = self._out(step)
                assert isinstance(step.op.forward, str)
                result = _Formula(src, tape.namespace, env).emit(step.op.forward, dest)
                if result.expr != dest.expr:
                    src.emit(f"np.copyto({dest.expr}, {result.expr})")
            src.free()

    def _out(self, step: Step, grads: bool = False) -> _Operand:
        store = self._v if step.batched else self._s
        arrays = store.grads if grads else store.values
        assert arrays is not None
        view = arrays[step.rows]
        return _Operand(self._src.name(view, "g" if grads else "o"), view, view)

    def _generic_forward(self, step: Step) -> None:
        tape, V, S = self.tape, self._v.values, self._s.values
        dest = (V if step.batched else S)[step.rows]

        def forward(X: FloatArray) -> None:
            dest[...] = step.kernel.forward(run.operands(tape, step, V, S, X), step.arg)

        self._src.emit(f"{self._src.name(forward, 'f')}(X)")

    # ---- backward --------------------------------------------------------------------------

    def _plan_needed(self) -> list[bool]:
        """Which steps' backward is worth running: the step passes gradient on and some operand's
        gradient is needed (a parameter's, or a row's that a needed step reads)."""
        self._s.needed[: self.tape.n_params] = True
        wanted = []
        for step in self.tape.steps:
            idx = step.idx
            w = step.needs_grad and bool(
                self._v.needed[idx[step.in_batch]].any() or self._s.needed[idx[~step.in_batch]].any()
            )
            if w:
                (self._v if step.batched else self._s).needed[step.rows] = True
            wanted.append(w)
        return wanted

    def _write_backward(self, seeded: list[int], plus_one: tuple[int, bool] | None) -> None:
        src = self._src
        wanted = self._plan_needed()
        self._v.zero[seeded] = self._v.written[seeded] = True
        if plus_one is not None:
            store = self._v if plus_one[1] else self._s
            store.zero[plus_one[0]] = store.written[plus_one[0]] = True
        src.emit("XT = X.T")
        for step, w in zip(reversed(self.tape.steps), reversed(wanted)):
            if w:
                self._backward_step(step)
                src.free()
        body = src.lines[1:]
        del src.lines[1:]
        for store in (self._v, self._s):
            for sl in _runs(store.zero):
                src.emit(f"G{store.name}[{sl.start}:{sl.stop}] = 0.0")
        if seeded:
            src.emit("GV[rows, _cols] = seed")
        if plus_one is not None:
            src.emit(f"G{'V' if plus_one[1] else 'S'}[{plus_one[0]}] += 1.0")
        src.lines += body

    def _read_up(self, step: Step) -> _Operand:
        """The step's upstream gradient; rows nothing wrote into are cleared first."""
        store = self._v if step.batched else self._s
        store.zero[step.rows] |= ~store.written[step.rows]
        store.written[step.rows] = True
        return self._out(step, grads=True)

    def _backward_step(self, step: Step) -> None:
        env = self._env(step)
        if env is None or (step.mode == "layer" and not self._layer_is_products(step, env)):
            self._generic_backward(step)
            return
        up = self._read_up(step)
        env["out"] = self._out(step)
        op = step.op
        if step.mode == "layer":
            self._layer_backward(step, env, up)
            return
        per = len(step.idx) // len(op.params) if op.variadic else 1
        for k, formula in enumerate(op.grads):
            rows = step.idx[k * per : (k + 1) * per] if op.variadic else step.idx[k]
            in_b = step.in_batch[k * per : (k + 1) * per] if op.variadic else step.in_batch[k]
            store = self._v if in_b.all() else self._s
            if not store.needed[rows.ravel()].any():
                continue
            local = _Formula(self._src, self.tape.namespace, env).emit(formula, None)
            self._contribute(step, store, rows, local, up)
            self._src.free()

    def _contribute(
        self, step: Step, store: _Store, rows: NDArray[np.intp], local: _Operand, up: _Operand
    ) -> None:
        """``local × up`` into the gradient rows ``rows`` of ``store``, summed over the batch
        where a per-sample step feeds a shared row (as the interpreter's ``_contributions``)."""
        src = self._src
        assert store.grads is not None
        flat = rows.ravel()
        shape = rows.shape + (up.value.shape[1],)  # (nodes, columns) or (n, nodes, columns)
        summing = step.batched and store is self._s
        sl = _slice_of(flat)
        fresh = sl is not None and not store.written[flat].any()
        if isinstance(local.value, float) and local.value == 1.0 and up.value.shape == shape:
            c = up
        else:
            if fresh and not summing:
                assert sl is not None
                arr = store.grads[sl].reshape(shape)
                store.written[flat] = True
            else:
                arr = src.temp(shape)
            c = _Operand(src.name(arr, "t"), arr, arr)
            if isinstance(local.value, float) and local.value == -1.0:
                src.emit(f"np.negative({up.expr}, out={c.expr})")
            else:
                src.emit(f"np.multiply({local.expr}, {up.expr}, out={c.expr})")
            if fresh and not summing:
                return
        assert c.array is not None
        if summing:
            if fresh:
                assert sl is not None
                total = store.grads[sl].reshape(shape[:-1] + (1,))
            else:
                total = src.temp(shape[:-1] + (1,))
            src.emit(f"np.add.reduce({c.expr}, axis=-1, keepdims=True, out={src.name(total, 't')})")
            if fresh:
                store.written[flat] = True
                return
            c = _Operand(src.name(total, "t"), total, total)
        array = c.array
        assert array is not None
        values = array.reshape(len(flat), -1)
        if (
            array.ndim == 2
            and len(flat) > 1
            and values.shape[1] > 1
            and bool((flat == flat[0]).all())
            and not store.written[flat[0]]
        ):
            # one row read by every node (the log-sum of a cross-entropy's branches): its
            # contributions summed down the nodes, in order, as np.add.at would add them; with
            # one column NumPy would sum pairwise instead, so that case keeps np.add.at
            row = store.grads[int(flat[0]) : int(flat[0]) + 1]
            src.emit(
                f"np.add.reduce({src.name(values, 't')}, axis=0, keepdims=True, out={src.name(row, 'g')})"
            )
            store.written[flat[0]] = True
            return
        self._add_rows(store, flat, src.name(values, "t"))

    def _add_rows(self, store: _Store, rows: NDArray[np.intp], values: str) -> None:
        """``G[rows] += values`` as :meth:`Rows.add` adds (repeats counted, in order); rows that
        nothing wrote into yet are written instead of cleared and added to."""
        src, G = self._src, f"G{store.name}"
        written = store.written[rows]
        sl = _slice_of(rows)
        unique = len(np.unique(rows)) == len(rows)
        if unique and not written.any():
            if sl is not None:
                src.emit(f"np.copyto({G}[{sl.start}:{sl.stop}], {values})")
            else:
                src.emit(f"{G}[{src.name(rows, 'r')}] = {values}")
        else:
            store.zero[rows[~written]] = True
            if sl is not None:
                src.emit(f"{G}[{sl.start}:{sl.stop}] += {values}")
            elif unique:
                src.emit(f"{G}[{src.name(rows, 'r')}] += {values}")
            else:
                src.emit(f"np.add.at({G}, {src.name(rows, 'r')}, {values})")
        store.written[rows] = True

    def _layer_is_products(self, step: Step, env: dict[str, _Operand]) -> bool:
        """Whether the interpreter runs this layer's backward as two matrix products: the
        derivative for the per-sample group has the shape of the weights, ``(n, nodes, 1)``,
        and the one for the weights that of the inputs, ``(n, 1, batch)`` (``w[i]``, ``x[i]``)."""
        n = len(step.idx) // 2
        formula = _Formula(self._src, self.tape.namespace, {**env, "out": self._out(step)})
        d_b = formula.evaluate(step.op.grads[step.layer_group])
        d_s = formula.evaluate(step.op.grads[1 - step.layer_group])
        return (
            isinstance(d_b, np.ndarray)
            and d_b.shape == (n, step.size, 1)
            and isinstance(d_s, np.ndarray)
            and d_s.shape == (n, 1, self.batch)
        )

    def _layer_backward(self, step: Step, env: dict[str, _Operand], up: _Operand) -> None:
        """A layer's two products (:func:`microgradnet.compile.run._layer_backward`), written
        into the gradient rows; the one into rows nobody needs (the features) is skipped."""
        assert step.rows_b is not None and step.rows_s is not None
        src, op = self._src, step.op
        n = len(step.idx) // 2
        if self._v.needed[step.rows_b.flat].any():  # the inputs' gradient: W.T @ upstream
            d_b = _Formula(src, self.tape.namespace, env).emit(op.grads[step.layer_group], None)
            assert d_b.array is not None
            self._product(
                self._v, step.rows_b.flat, src.name(d_b.array[:, :, 0], "w"), up.expr, (n, self.batch)
            )
            src.free()
        d_s = _Formula(src, self.tape.namespace, env).emit(op.grads[1 - step.layer_group], None)
        xs = src.name(d_s.array[:, 0, :].T, "x") if d_s.array is not None else f"{d_s.expr}[:, 0, :].T"
        self._product(self._s, step.rows_s.flat, up.expr, xs, (step.size, n))

    def _product(self, store: _Store, rows: NDArray[np.intp], a: str, b: str, shape: tuple[int, int]) -> None:
        """``np.matmul(a, b)`` (row-major ``shape``) into the gradient rows ``rows``."""
        src = self._src
        assert store.grads is not None
        sl = _slice_of(rows)
        if sl is not None and not store.written[rows].any():
            target = store.grads[sl].reshape(shape)
            src.emit(f"np.matmul({a}, {b}, out={src.name(target, 'g')})")
            store.written[rows] = True
            return
        tmp = src.temp(shape)
        src.emit(f"np.matmul({a}, {b}, out={src.name(tmp, 't')})")
        self._add_rows(store, rows, src.name(tmp.reshape(len(rows), -1), "t"))

    def _generic_backward(self, step: Step) -> None:
        """The interpreter's backward of one step; the rows it adds into are cleared first."""
        up_store = self._v if step.batched else self._s
        up_store.zero[step.rows] |= ~up_store.written[step.rows]
        up_store.written[step.rows] = True
        for store, mask in ((self._v, step.in_batch), (self._s, ~step.in_batch)):
            rows = step.idx[mask]
            store.zero[rows[~store.written[rows]]] = True
            store.written[rows] = True
        tape, V, S, GV, GS = self.tape, self._v.values, self._s.values, self._v.grads, self._s.grads
        assert GV is not None and GS is not None

        def backward(X: FloatArray) -> None:
            run.backward_step(tape, step, X, V, S, GV, GS, False)

        self._src.emit(f"{self._src.name(backward, 'f')}(X)")


class Stores:
    """The shared store ``S`` of one tape and its gradient ``GS``, with the programs that use
    them (per batch size). ``params`` and ``grads`` are views of their first rows: the
    parameters' values (set by the owner before a forward pass) and their gradients."""

    #: programs kept per store (an epoch needs two batch sizes, evaluation two more)
    LIMIT = 8

    def __init__(self, tape: Tape) -> None:
        self.tape = tape
        self.S: FloatArray = np.zeros((tape.n_s, 1))
        self.S[tape.const_rows, 0] = tape.const_values
        self.GS: FloatArray = np.zeros((tape.n_s, 1))
        self.params: FloatArray = self.S[: tape.n_params, 0]
        self.grads: FloatArray = self.GS[: tape.n_params, 0]
        self.programs: dict[tuple[int, bool], Program] = {}

    def program(
        self,
        batch: int,
        backward: bool,
        scratch: Callable[[int, bool], tuple[FloatArray, FloatArray | None]],
        seeded: Sequence[int],
        plus_one: tuple[int, bool] | None,
    ) -> Program:
        """The program for ``batch`` samples (with a backward pass or not), made on first use;
        ``scratch(batch, backward)`` gives the per-sample store and its gradient."""
        key = (batch, backward)
        prog = self.programs.get(key)
        if prog is None:
            if len(self.programs) >= self.LIMIT:
                del self.programs[next(iter(self.programs))]
            V, GV = scratch(batch, backward)
            prog = Program(self.tape, batch, V, self.S, GV, self.GS if backward else None, seeded, plus_one)
            self.programs[key] = prog
        return prog
