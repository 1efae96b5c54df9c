"""Backprop on the lecture's example, L = (a*b + c) * f, one edge at a time.

Walks the graph in reverse topological order and prints, for every edge, the rule from the op
table and the numbers: ``grad[operand] += local × upstream``. Then checks the result against
``L.backward()``.

Run: ``python demos/backprop_by_hand.py``
"""

from __future__ import annotations

from microgradnet import OPS, Value, topological_order


def main() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c, f = Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"

    order = topological_order(L)
    print("forward:", ", ".join(f"{v.label} = {v.data:g}" for v in order))
    grads = {v: 0.0 for v in order}
    grads[L] = 1.0
    print("seed: ∂L/∂L = 1\n")
    for node in reversed(order):
        if not node.op:  # a leaf: nothing to pass on
            continue
        op = OPS[node.op]  # the op-table row: its local-derivative formulas
        local = op.local_grads([c.data for c in node.children], node.data, node.arg)
        for k, (child, dl) in enumerate(zip(node.children, local)):
            before = grads[child]
            grads[child] += dl * grads[node]
            formula = op.explain_grad(k, [x.label for x in node.children], node.label)
            print(
                f"∂L/∂{child.label} += ∂{node.label}/∂{child.label} · ∂L/∂{node.label}"
                f" = ({formula} = {dl:g}) · {grads[node]:g} = {dl * grads[node]:g};"
                f"  {child.label}.grad {before:g} → {grads[child]:g}"
            )

    L.backward()
    assert all(grads[v] == v.grad for v in order), "hand-rolled walk disagrees with backward()"
    print("\nbackward() agrees:", ", ".join(f"{v.label}.grad = {v.grad:g}" for v in (a, b, c, f)))


if __name__ == "__main__":
    main()
