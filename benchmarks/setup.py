"""First-step setup of a compiled plain MLP: two source trees side by side.

Setup is what the first fused step costs beyond a later one: ``for_fit(model, "cross_entropy")
.trainer(opt)`` plus the first ``run`` (tracing the loss and writing the layers' tape), minus
the median of the next five steps. The optimizer is built before the clock starts. Each
measurement runs in a fresh process (one BLAS thread); the two trees alternate and each side
keeps its best of ``--repeat``, so a busy machine slows both alike.

Usage (compare the working tree with an earlier commit)::

    git archive <commit> src | tar -x -C /tmp/old
    python benchmarks/setup.py /tmp/old/src src
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CHILD = r"""
import gc, json, sys, time
import numpy as np
from microgradnet import nn, optim
from microgradnet.compile import for_fit

sizes = json.loads(sys.argv[1])
rng = np.random.default_rng(0)
X, y = rng.random((32, 784)), rng.integers(0, 10, 32)
model = nn.MLP(784, sizes, activation="tanh", seed=0)
opt = optim.SGD(model.parameters(), lr=0.1)
gc.collect()
start = time.perf_counter()
trainer = for_fit(model, "cross_entropy").trainer(opt)
trainer.run([(X, y)])
first = time.perf_counter() - start
later = []
for _ in range(5):
    start = time.perf_counter()
    trainer.run([(X, y)])
    later.append(time.perf_counter() - start)
print(json.dumps(first - sorted(later)[2]))
"""

SHAPES = ([64, 10], [512, 512, 10])


def measure(src: str, sizes: list[int]) -> float:
    """Seconds of setup in a fresh process importing microgradnet from ``src``."""
    env = dict(os.environ, PYTHONPATH=os.path.abspath(src), OPENBLAS_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(sizes)], env=env, capture_output=True, text=True, check=True
    )
    return float(json.loads(done.stdout))


def main(argv: list[str] | None = None) -> None:
    """Print the setup of each shape for both trees and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="the src directory to compare against")
    parser.add_argument("after", help="the src directory measured")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    for sizes in SHAPES:
        before, after = [], []
        for _ in range(args.repeat):
            before.append(measure(args.before, sizes))
            after.append(measure(args.after, sizes))
        name = "784-" + "-".join(map(str, sizes))
        print(f"{name}: setup before {min(before):.3f} s, after {min(after):.3f} s, "
              f"after/before {min(after) / min(before):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
