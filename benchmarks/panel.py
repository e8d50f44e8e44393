"""Panel benchmark: one global model over 1,000 series of 2,000 steps, in memory O(data), not O(windows).

Run: `python benchmarks/panel.py` (`--series` and `--steps` for another size, `--epochs`).

It generates a long table (one row per series and step: a series id and a value;
each series a sine of its own period and level plus noise), then, for each of two
lookbacks (24 and 96; `--lookbacks`), in a fresh process each:

- trains with `seqkit.train` (`data.series_column`: every series read, checked,
  split 80/10/10 and scaled on its own training rows; one LSTM(16) on the windows
  of every series, shuffled together, for `--epochs` epochs, batch 1024; validation
  and the per-series test scores included);
- measures the growth of the process' peak resident size over that call (`VmHWM`,
  reset before through `/proc/self/clear_refs`, after a warm-up that pays
  TensorFlow's fixed start-up cost), and prints it next to the raw data's size (the
  long table's values and ids), its training windows per second, and next to the
  tutorials' `prepare_data` loop run on each series' training rows in a process of
  its own (its time and peak memory: it copies every window into NumPy) and the
  size of every window materialised in float32 (`windows x (lookback + horizon) x 4`
  bytes).

The target (PASS/FAIL): the peak growth stays below the materialised windows at
every lookback, and from the shorter lookback to the longer it grows by less than
a quarter of the materialised windows' growth: memory follows the panel's rows
(plus one start index per window), not the windows' contents.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from windowing import PeakRSS, prepare_data  # noqa: E402  (the windowing benchmark's measurement and loop)

HORIZON, BATCH = 6, 1024


def panel(n_series: int, n_steps: int, seed: int = 0):
    """A long table: `store` (an id per series) and `sales`, series after series."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    t = np.arange(n_steps)
    levels = rng.uniform(5.0, 50.0, (n_series, 1))
    periods = rng.integers(5, 30, (n_series, 1))
    values = levels + np.sin(2 * np.pi * t / periods) + rng.normal(0.0, 0.3, (n_series, n_steps))
    ids = np.repeat([f"s{k:05d}" for k in range(n_series)], n_steps)
    return pd.DataFrame({"store": ids, "sales": values.reshape(-1)})


def config(epochs: int, lookback: int = 24):
    from seqkit.config.loading import config_from_dict

    return config_from_dict(
        {
            "data": {"series_column": "store", "lookback": lookback, "horizon": HORIZON,
                     "split": {"type": "fraction", "val": 0.1, "test": 0.1}},
            "model": {"cell": "lstm", "layers": [16]},
            "train": {"epochs": epochs, "batch_size": BATCH, "early_stopping": None},
            "evaluate": {"plots": False},
        },
        source="benchmarks/panel.py",
    )


def warm_up() -> None:
    """Pay TensorFlow's fixed start-up cost (runtime, first traces) before measuring."""
    import seqkit

    with tempfile.TemporaryDirectory() as runs:
        seqkit.train(config(1), frame=panel(3, 200), runs_dir=runs, verbose=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)  # one lookback, as JSON
    parser.add_argument("--tutorial", type=int, default=None, help=argparse.SUPPRESS)  # the loop, as JSON
    parser.add_argument("--lookbacks", type=lambda text: [int(v) for v in text.split(",")], default=[24, 96],
                        help="comma-separated lookbacks to train at (default 24,96)")
    args = parser.parse_args()

    frame = panel(args.series, args.steps)
    raw = int(frame.memory_usage(deep=True).sum())
    values = int(frame["sales"].to_numpy().nbytes)
    if args.one is None and args.tutorial is None:
        print(f"panel: {args.series} series x {args.steps} steps = {len(frame):,} rows; raw data {raw / 2**20:.1f} MiB "
              f"(values {values / 2**20:.1f} MiB, ids {(raw - values) / 2**20:.1f} MiB)")
    if args.one is not None:
        print(json.dumps(measure(frame, raw, args.one, args.epochs)))
        return 0
    if args.tutorial is not None:
        print(json.dumps(materialise(frame, args.tutorial)))
        return 0
    peaks, sizes = [], []
    for lookback in args.lookbacks:
        # Each lookback in a fresh process: memory freed by an earlier run would hide a later run's growth.
        command = [sys.executable, __file__, "--series", str(args.series), "--steps", str(args.steps),
                   "--epochs", str(args.epochs), "--one", str(lookback)]
        result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
        command[-2:] = ["--tutorial", str(lookback)]
        loop = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
        peaks.append(result["peak"])
        sizes.append(result["materialised"])
        counts = result["windows"]
        print(f"\nlookback {lookback}: {counts[0]:,} training, {counts[1]:,} validation, {counts[2]:,} test windows")
        print(f"  seqkit.train ({args.epochs} epoch(s), LSTM(16), batch {BATCH}): {result['seconds']:.1f} s; test "
              f"MASE mean {result['mase']:.3f} (naive {result['naive_mase']:.3f}), beats naive in "
              f"{result['beats']} of {args.series} series")
        print(f"  seqkit: {result['windows_per_s']:,.0f} training windows/s over the whole call (prepare, "
              f"{args.epochs} epoch(s), validation, per-series test scores); peak memory growth "
              f"{result['peak'] / 2**20:.1f} MiB = {result['peak'] / raw:.2f}x the raw data")
        print(f"  the tutorials' prepare_data loop, per series (training windows only, no model): "
              f"{loop['seconds']:.1f} s, peak memory growth {loop['peak'] / 2**20:.1f} MiB = "
              f"{loop['peak'] / raw:.2f}x the raw data ({loop['nbytes'] / 2**20:.1f} MiB of arrays); "
              f"seqkit's peak is {loop['peak'] / max(result['peak'], 1):.1f}x smaller")
        print(f"  every window materialised in float32: {result['materialised'] / 2**20:.1f} MiB = "
              f"{result['materialised'] / raw:.1f}x the raw data")
    grew, would = peaks[-1] / peaks[0], sizes[-1] / sizes[0]
    ok = all(p < m for p, m in zip(peaks, sizes, strict=True)) and grew < 1 + (would - 1) / 4
    print(f"\nfrom lookback {args.lookbacks[0]} to {args.lookbacks[-1]}: materialised windows x{would:.2f}, "
          f"seqkit's peak memory x{grew:.2f}")
    print(f"{'PASS' if ok else 'FAIL'}: seqkit's peak stays below the materialised windows at every lookback and "
          "grows by less than a quarter of their growth (memory follows the rows, not the windows)")
    return 0 if ok else 1


def materialise(frame, lookback: int) -> dict:
    """The tutorials' way: every training window of every series copied into NumPy arrays (80% of each series)."""
    values = frame["sales"].to_numpy()
    ids = frame["store"].to_numpy()
    bounds = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    with PeakRSS() as peak:
        start = time.perf_counter()
        xs, ys = [], []
        for series in np.split(values, bounds):
            train = series[: int(len(series) * 0.8)]
            x, y = prepare_data(train, lookback)  # one-step targets, as in the tutorials
            xs.append(x)
            ys.append(y)
        x, y = np.concatenate(xs), np.concatenate(ys)
        seconds = time.perf_counter() - start
    return {"peak": peak.extra, "seconds": seconds, "nbytes": x.nbytes + y.nbytes}


def measure(frame, raw: int, lookback: int, epochs: int) -> dict:
    """Train once at `lookback` (after a warm-up) and report the peak memory growth and the scores."""
    import seqkit

    warm_up()
    with tempfile.TemporaryDirectory() as runs, PeakRSS() as peak:
        start = time.perf_counter()
        run = seqkit.train(config(epochs, lookback), frame=frame, runs_dir=runs, verbose=0)
        seconds = time.perf_counter() - start
    summary = run.metrics["aggregate"]
    prepared = run.task.prepare(data=frame, preprocessing=run.preprocessing)
    counts = [len(prepared.train), len(prepared.val), len(prepared.test)]
    return {
        "peak": peak.extra, "materialised": sum(counts) * (lookback + HORIZON) * 4, "windows": counts,
        "windows_per_s": counts[0] * epochs / seconds,
        "seconds": seconds, "mase": summary["mean"]["model"]["mase"], "naive_mase": summary["mean"]["naive"]["mase"],
        "beats": summary["beats"]["naive"]["series"],
    }


if __name__ == "__main__":
    raise SystemExit(main())
