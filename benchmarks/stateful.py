"""Stateful benchmark: truncated BPTT against windowed training where the dependency outlasts the window.

Run: `python benchmarks/stateful.py` (a few minutes on a 2-core CPU; `--seeds 1 2 3`).

The series (`data.dataset: synthetic`) is a sine of period 240 steps plus noise
(`--noise`, default 1.0), 6,000 steps, split 70/15/15 chronologically. Both
models are one LSTM(32) forecasting the next step from 24-step windows, a tenth
of the period, with the same optimiser, epochs and early stopping:

- windowed: every window from a zero state, shuffled, `stride: 1`;
- stateful: `stateful: true`, `stride: 24`, batch 8 (eight streams through the
  training rows), the state carried from window to window, and its validation
  and test splits read as it is used (warmed on the rows before them).

A 24-step arc of a noisy sine says little about where in its 240-step cycle the
series is; a state carried across windows can keep track. The script prints,
per seed and in the mean, each model's test RMSE and MASE, the naive forecast's,
and the wall time of `seqkit.train`, then the verdict: whether the stateful
model's mean test MASE is below the windowed one's (MASE, since the two score
different windows: every step for the windowed model, every 24th for the
stateful one, whose windows tile the series).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def config(kind: str, seed: int, noise: float, epochs: int):
    from seqkit import ExperimentConfig

    data = {"dataset": "synthetic", "synthetic": {"length": 6000, "period": 240.0, "noise": noise, "seed": 0},
            "lookback": 24, "horizon": 1, "split": {"type": "fraction", "val": 0.15, "test": 0.15},
            "transform": {"scaler": "standard"}, "window_norm": {"type": "none"}}
    train = {"epochs": epochs, "seed": seed, "optimizer": {"learning_rate": 3e-3},
             "early_stopping": {"patience": 8}, "batch_size": 8 if kind == "stateful" else 32}
    model = {"cell": "lstm", "layers": [32], "head": {"type": "forecast", "loss": "mse"}}
    if kind == "stateful":
        data["stride"] = 24
        model["stateful"] = True
        train["shuffle"] = False
    return ExperimentConfig.model_validate({"name": f"{kind}_{seed}", "data": data, "model": model,
                                            "train": train, "evaluate": {"plots": False}})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--noise", type=float, default=1.0)
    parser.add_argument("--epochs", type=int, default=40)
    args = parser.parse_args()

    import seqkit

    scores: dict[str, list[tuple[float, float, float]]] = {"windowed": [], "stateful": []}
    naive: dict[str, list[float]] = {"windowed": [], "stateful": []}
    with tempfile.TemporaryDirectory() as runs:
        for seed in args.seeds:
            for kind in scores:
                start = time.perf_counter()
                run = seqkit.train(config(kind, seed, args.noise, args.epochs), runs_dir=runs, verbose=0)
                seconds = time.perf_counter() - start
                overall = run.metrics["results"]["model"]["overall"]
                baseline = run.metrics["results"]["naive"]["overall"]
                scores[kind].append((overall["rmse"], overall["mase"], seconds))
                naive[kind].append(baseline["rmse"])
                print(f"seed {seed} {kind:<9} test RMSE {overall['rmse']:.4f}  MASE {overall['mase']:.3f}  "
                      f"({seconds:.0f} s; naive on the same windows: RMSE {baseline['rmse']:.4f})", flush=True)
    print()
    print(f"{'':<10}{'RMSE':>10}{'MASE':>8}{'naive RMSE':>12}{'s/run':>8}   (mean over seeds {args.seeds}; each "
          "model's test windows: stride 1 windowed, 24 stateful)")
    for kind, rows in scores.items():
        print(f"{kind:<10}{statistics.mean(r[0] for r in rows):>10.4f}{statistics.mean(r[1] for r in rows):>8.3f}"
              f"{statistics.mean(naive[kind]):>12.4f}{statistics.mean(r[2] for r in rows):>8.0f}")
    # MASE: each model's error over its own windows' naive scale, so the two compare though their windows differ.
    win = statistics.mean(r[1] for r in scores["stateful"]) < statistics.mean(r[1] for r in scores["windowed"])
    print(f"{'PASS' if win else 'FAIL'}: the stateful model's mean test MASE is "
          f"{'below' if win else 'not below'} the windowed model's")
    return 0 if win else 1


if __name__ == "__main__":
    raise SystemExit(main())
