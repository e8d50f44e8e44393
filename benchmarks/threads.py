"""Which TensorFlow thread settings train small recurrent models fastest on this CPU?

Each setting runs in its own process (TensorFlow fixes its thread pools at
start-up) and trains the same small LSTM forecaster through seqkit's windowed
tf.data pipeline for a fixed number of steps. Prints samples/second per
setting and the ratio to TensorFlow's default (0 = let TensorFlow choose).
`train.threads: auto` in seqkit uses the setting this script shows fastest.

Usage:
    python benchmarks/threads.py [--units 64] [--steps 150]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CHILD = r"""
import json, os, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import tensorflow as tf
intra, inter, units, steps = (int(v) for v in sys.argv[1:5])
tf.config.threading.set_intra_op_parallelism_threads(intra)
tf.config.threading.set_inter_op_parallelism_threads(inter)
import keras, numpy as np
from seqkit.config import DataConfig
from seqkit.data import prepare
keras.utils.set_random_seed(0)
series = np.sin(np.arange(32 * steps + 59) / 10).astype("float32")
data = prepare(DataConfig(lookback=48, horizon=12, split={"type": "fraction", "val": 0.0, "test": 0.0}), frame=series)
train = data.train.dataset(32, shuffle=True, seed=0)
model = keras.Sequential([keras.Input((48, 1)), keras.layers.LSTM(units, return_sequences=True),
                          keras.layers.LSTM(units), keras.layers.Dense(12), keras.layers.Reshape((12, 1))])
model.compile("adam", "mse")
model.fit(train.take(2), epochs=1, verbose=0)  # trace and warm up
start = time.perf_counter()
model.fit(train, epochs=1, verbose=0)
print(json.dumps({"samples_per_s": len(data.train) / (time.perf_counter() - start)}))
"""


def measure(intra: int, inter: int, units: int, steps: int) -> float:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(intra), str(inter), str(units), str(steps)],
        capture_output=True, text=True, check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])["samples_per_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    cores = os.cpu_count()
    settings = [(0, 0), (1, 1), (1, 2), (2, 1), (2, 2), (cores, 1), (cores, cores)]
    settings = list(dict.fromkeys(settings))
    print(f"2-layer LSTM({args.units}) through seqkit's tf.data windows, lookback 48, batch 32, "
          f"{args.steps} steps; {cores} CPU cores")
    results = {}
    for intra, inter in settings:
        results[(intra, inter)] = max(measure(intra, inter, args.units, args.steps) for _ in range(args.repeats))
    default = results[(0, 0)]
    for (intra, inter), rate in results.items():
        label = "TensorFlow default" if intra == 0 else f"intra={intra} inter={inter}"
        print(f"  {label:<22} {rate:9.1f} samples/s   {rate / default:5.2f}x default")
    best = max(results, key=results.get)
    print(f"fastest: intra={best[0]} inter={best[1]}")


if __name__ == "__main__":
    main()
