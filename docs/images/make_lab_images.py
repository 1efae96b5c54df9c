"""Re-make the pictures of docs/howto/mnist-lab.md at full size (all 1,437 training digits).

The page runs the same experiment on a small subset so the docs tests stay fast; this script
runs it on the whole shipped digits set and writes the PNGs next to itself, plus a JSON summary.

Run: ``python docs/images/make_lab_images.py`` (several minutes with the eager engine).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from microgradnet import data, nn, plots, train

EPOCHS = int(sys.argv[1]) if len(sys.argv) > 1 else 15
OUT = Path(__file__).resolve().parent

X, y = data.load_digits()
Xtr, Xte, ytr, yte = data.train_test_split(X / 16.0, y, seed=0)

MODELS = {
    "1 layer (64-10)": ([], "tanh"),
    "2 layers tanh (64-32-10)": ([32], "tanh"),
    "3 layers tanh (64-32-32-10)": ([32, 32], "tanh"),
    "2 layers relu": ([32], "relu"),
    "2 layers sigmoid": ([32], "sigmoid"),
    "3 layers sigmoid": ([32, 32], "sigmoid"),
}
histories = {}
summary = {}
for name, (hidden, activation) in MODELS.items():
    model = nn.MLP(64, [*hidden, 10], activation=activation, init="xavier", seed=0)
    start = time.perf_counter()
    history = train.fit(model, Xtr, ytr, X_val=Xte, y_val=yte, optimizer="sgd", lr=0.1,
                        epochs=EPOCHS, batch_size=16, progress=False)
    seconds = time.perf_counter() - start
    histories[name] = history
    summary[name] = {"history": history.to_dict(), "seconds": seconds}
    print(f"{name:30s} test {history.val_accuracy[-1]:.3f} train {history.train_accuracy[-1]:.3f} "
          f"{seconds:.0f} s", flush=True)

(OUT / "lab_summary.json").write_text(json.dumps(summary, indent=1))
