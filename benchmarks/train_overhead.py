"""Does seqkit's training path cost throughput against a hand-written Keras script?

Both sides train the same 2-layer LSTM(128) forecaster on the same 8,192
windows of length 64 with the same batch size:

- hand-written Keras: the windows materialised as NumPy arrays (the tutorials'
  way), `model.fit(x, y, shuffle=True)`, no callbacks, TensorFlow's default threads;
- seqkit: `seqkit.train(...)` with its zero-copy tf.data windows, scaling,
  per-epoch atomic checkpoints, early stopping, TensorBoard and the history file.

Each side runs in its own process (thread pools are fixed at start-up), the
order alternates, and the first epoch (tracing) is left out. Target: seqkit
reaches at least 0.95x the hand-written script's samples/second.

Usage:
    python benchmarks/train_overhead.py [--epochs 3] [--repeats 2] [--windows 8192]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

LOOKBACK, HORIZON, UNITS, BATCH = 64, 1, 128, 64

COMMON = rf"""
import json, os, sys, tempfile, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
windows, epochs = int(sys.argv[1]), int(sys.argv[2])
LOOKBACK, HORIZON, UNITS, BATCH = {LOOKBACK}, {HORIZON}, {UNITS}, {BATCH}
rng = np.random.default_rng(0)
n = windows + LOOKBACK + HORIZON - 1
t = np.arange(n)
series = (np.sin(t / 20) + 0.1 * rng.normal(size=n)).astype("float32")
import keras

class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times = []
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.start)
timer = EpochTimer()
"""

HAND_WRITTEN = COMMON + r"""
keras.utils.set_random_seed(0)
x = np.stack([series[i : i + LOOKBACK] for i in range(windows)])[..., None]
y = np.stack([series[i + LOOKBACK : i + LOOKBACK + HORIZON] for i in range(windows)])[..., None]
model = keras.Sequential([
    keras.Input((LOOKBACK, 1)),
    keras.layers.LSTM(UNITS, return_sequences=True),
    keras.layers.LSTM(UNITS),
    keras.layers.Dense(HORIZON),
    keras.layers.Reshape((HORIZON, 1)),
])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=True, callbacks=[timer], verbose=0)
print(json.dumps({"epoch_s": timer.times[1:], "windows": len(x)}))
"""

SEQKIT = COMMON + r"""
import seqkit
from seqkit.config import DataConfig, ExperimentConfig, ModelConfig, TrainConfig
config = ExperimentConfig(
    name="overhead",
    data=DataConfig(lookback=LOOKBACK, horizon=HORIZON, split={"type": "fraction", "val": 0.0, "test": 0.0}),
    model=ModelConfig(cell="lstm", layers=[UNITS, UNITS]),
    train=TrainConfig(epochs=epochs, batch_size=BATCH),
    evaluate={"plots": False},
)
with tempfile.TemporaryDirectory() as runs:
    run = seqkit.train(config, frame=series, runs_dir=runs, verbose=0, callbacks=[timer])
print(json.dumps({"epoch_s": timer.times[1:], "windows": windows}))
"""


def measure(script: str, windows: int, epochs: int) -> tuple[float, int]:
    out = subprocess.run(
        [sys.executable, "-c", script, str(windows), str(epochs)], capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(out.stderr[-3000:])
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return min(result["epoch_s"]), result["windows"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=8192)
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run; the first is not timed")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the first epoch is not timed)")
    best = {"hand-written Keras": float("inf"), "seqkit": float("inf")}
    counts = {}
    for repeat in range(args.repeats):
        order = [("hand-written Keras", HAND_WRITTEN), ("seqkit", SEQKIT)]
        for name, script in order if repeat % 2 == 0 else order[::-1]:
            seconds, count = measure(script, args.windows, args.epochs)
            best[name] = min(best[name], seconds)
            counts[name] = count
    print(f"2-layer LSTM({UNITS}), {args.windows} windows of length {LOOKBACK}, batch {BATCH}; "
          f"best steady-state epoch of {args.repeats} runs each")
    rates = {name: counts[name] / seconds for name, seconds in best.items()}
    for name, rate in rates.items():
        print(f"  {name:<20} {best[name]:7.2f} s/epoch  {rate:8.1f} samples/s")
    ratio = rates["seqkit"] / rates["hand-written Keras"]
    verdict = "PASS" if ratio >= 0.95 else "FAIL"
    print(f"seqkit / hand-written = {ratio:.3f}x samples/s (target >= 0.95x): {verdict}")


if __name__ == "__main__":
    main()
