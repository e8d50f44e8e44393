"""Stateful benchmark: truncated BPTT against windowed training on a series whose best forecast outlasts the window.

Run: `python benchmarks/stateful.py` (a few minutes on a 2-core CPU; `--seeds 1 2 3`, `--lookback 12`).

The series is a local level seen through noise, generated here and passed to
`seqkit.train(config, frame=...)`:

    y_t = mu_t + eps_t,   mu_t = phi * mu_{t-1} + eta_t,
    eps_t ~ N(0, 1),  eta_t ~ N(0, 0.03^2),  phi = 0.9998,

30,000 steps, split 60/10/30 chronologically. The level moves slowly (its
steps are 3% of the noise; `phi` just under 1 keeps it from wandering off
the training range), so the best one-step forecast averages many past
observations: the Kalman filter's, which settles to exponential smoothing
with a gain of about 0.034, a memory of about 30 steps. A window of 8 noisy
observations estimates the level with four times that filter's error; a
state carried across windows can keep averaging.

Both models are one LSTM(16) (`--units`) forecasting the next step from
windows of `--lookback` (default 8) steps, with the same optimiser, learning
rate, epochs (`--epochs`, default 20) and early stopping (patience 5):

- windowed: every window from a zero state, shuffled, `stride: 1`;
- stateful: `stateful: true`, `stride` = lookback, batch 8 (eight streams
  through the training rows), the state carried from window to window (the
  gradient truncated at each window: truncated BPTT), and its validation and
  test splits read as it is used (warmed on the rows before them).

The stateful model gets a target per window, an eighth of the windowed
model's, so it is the one short of data: with 32 units on 20,000 steps it
came only a sixth of the way from the windowed model's error to the Kalman
filter's (test RMSE 1.031x the filter's, windowed 1.037x); with 16 units on
30,000 steps, within 1% of the filter.

References, fitted or known, scored on the same targets:

- the Kalman filter with the generating parameters (the best forecast there
  is), and its steady-state one-step RMSE in closed form;
- simple exponential smoothing, its gain fitted on the training split;
- the best linear forecast from the last `lookback` values (least squares on
  the training split): the best a window of that length allows, up to the
  nonlinearity an LSTM could add (none helps on a Gaussian series).

The script prints, per seed and in the mean, each model's test RMSE and MASE
on its own windows (every step for the windowed model, every `lookback`-th
for the stateful one, whose windows tile the series), the naive forecast's,
and the wall time of `seqkit.train`; then every forecast scored on the
targets both models forecast (the stateful model's), where the noise they
share cancels from the comparison; and the verdict: whether the stateful
model's mean test MASE is below the windowed one's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LENGTH, TRAIN, VAL, TEST = 30_000, 0.6, 0.1, 0.3
SIGMA_EPS, SIGMA_ETA, PHI = 1.0, 0.03, 0.9998


def local_level(seed: int = 0) -> np.ndarray:
    """`LENGTH` steps of the series, the level started from its stationary distribution."""
    rng = np.random.default_rng(seed)
    level = np.empty(LENGTH)
    mu = rng.normal(0.0, SIGMA_ETA / np.sqrt(1 - PHI**2))
    eta = rng.normal(0.0, SIGMA_ETA, LENGTH)
    for t in range(LENGTH):
        mu = PHI * mu + eta[t]
        level[t] = mu
    return level + rng.normal(0.0, SIGMA_EPS, LENGTH)


def kalman_forecasts(y: np.ndarray) -> tuple[np.ndarray, float]:
    """`(forecast of y[t] from y[:t] for every t, steady-state one-step RMSE)` with the generating parameters."""
    mean, var = 0.0, SIGMA_ETA**2 / (1 - PHI**2)
    forecasts = np.empty(len(y))
    for t, value in enumerate(y):
        forecasts[t] = mean
        gain = var / (var + SIGMA_EPS**2)
        mean, var = PHI * (mean + gain * (value - mean)), PHI**2 * (1 - gain) * var + SIGMA_ETA**2
    # Steady state: the prediction variance P solves P = phi^2 * P * eps^2 / (P + eps^2) + eta^2.
    a, b, c = 1.0, SIGMA_EPS**2 * (1 - PHI**2) - SIGMA_ETA**2, -SIGMA_ETA**2 * SIGMA_EPS**2
    steady = (-b + np.sqrt(b * b - 4 * a * c)) / (2 * a)
    return forecasts, float(np.sqrt(steady + SIGMA_EPS**2))


def smoothing_forecasts(y: np.ndarray, n_train: int) -> tuple[np.ndarray, float]:
    """`(forecasts, gain)`: simple exponential smoothing, the gain with the least squared error on the training rows."""

    def run(gain: float, values: np.ndarray) -> np.ndarray:
        forecasts, level = np.empty(len(values)), values[0]
        for t, value in enumerate(values):
            forecasts[t] = level
            level += gain * (value - level)
        return forecasts

    gains = np.linspace(0.005, 0.3, 60)
    errors = [np.mean((run(g, y[:n_train])[1:] - y[1:n_train]) ** 2) for g in gains]
    gain = float(gains[int(np.argmin(errors))])
    return run(gain, y), gain


def window_forecasts(y: np.ndarray, lookback: int, n_train: int) -> np.ndarray:
    """The least-squares linear forecast of y[t] from y[t - lookback : t], fitted on the training rows (NaN before)."""
    inputs = np.lib.stride_tricks.sliding_window_view(y, lookback)[:-1]
    design = np.column_stack([inputs, np.ones(len(inputs))])
    fit = n_train - lookback
    weights = np.linalg.lstsq(design[:fit], y[lookback:n_train], rcond=None)[0]
    forecasts = np.full(len(y), np.nan)
    forecasts[lookback:] = design @ weights
    return forecasts


def config(kind: str, seed: int, lookback: int, epochs: int, units: int):
    from seqkit import ExperimentConfig

    data = {"lookback": lookback, "horizon": 1, "split": {"type": "fraction", "val": VAL, "test": TEST},
            "transform": {"scaler": "standard"}, "window_norm": {"type": "none"}}
    train = {"epochs": epochs, "seed": seed, "optimizer": {"learning_rate": 3e-3},
             "early_stopping": {"patience": 5}, "batch_size": 8 if kind == "stateful" else 32}
    model = {"cell": "lstm", "layers": [units], "head": {"type": "forecast", "loss": "mse"}}
    if kind == "stateful":
        data["stride"] = lookback
        model["stateful"] = True
        train["shuffle"] = False
    return ExperimentConfig.model_validate({"name": f"{kind}_{seed}", "data": data, "model": model,
                                            "train": train, "evaluate": {"plots": False}})


def test_forecasts(run, frame) -> tuple[np.ndarray, np.ndarray]:
    """`(target rows, forecasts)` of the run's test windows, as its metrics scored them (one step ahead)."""
    prepared = run.task.prepare(data=frame, preprocessing=run.preprocessing)
    plot = run.task.evaluate(run.model, prepared).plot
    return np.asarray(plot["windows"].target_starts), plot["y_pred"][:, 0, 0]


def load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--lookback", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--units", type=int, default=16)
    args = parser.parse_args()

    import pandas as pd

    import seqkit
    from seqkit.evaluation.metrics import mase_scale

    y = local_level()
    frame = pd.DataFrame({"y": y})
    n_train = int(round(LENGTH * TRAIN))
    scale = float(mase_scale(y[:n_train])[0])
    kalman, steady = kalman_forecasts(y)
    smoothing, gain = smoothing_forecasts(y, n_train)
    window = window_forecasts(y, args.lookback, n_train)
    naive = np.concatenate([[np.nan], y[:-1]])
    print(f"local level: {LENGTH:,} steps, noise sd {SIGMA_EPS}, level steps sd {SIGMA_ETA}, phi {PHI}; split "
          f"{TRAIN:.0%}/{VAL:.0%}/{TEST:.0%}; lookback {args.lookback}; one LSTM({args.units}) each; "
          f"{os.cpu_count()} cores")
    print(f"best possible one-step RMSE (steady-state Kalman filter): {steady:.4f}; simple exponential smoothing "
          f"gain fitted on train: {gain:.3f} (memory about {1 / gain:.0f} steps)\n", flush=True)

    def score(forecasts: np.ndarray, rows: np.ndarray) -> tuple[float, float]:
        error = forecasts - y[rows]
        return float(np.sqrt(np.mean(error**2))), float(np.mean(np.abs(error)) / scale)

    results: dict[str, list[dict]] = {"windowed": [], "stateful": []}
    with tempfile.TemporaryDirectory() as runs:
        for seed in args.seeds:
            for kind in results:
                start = time.perf_counter()
                experiment = config(kind, seed, args.lookback, args.epochs, args.units)
                run = seqkit.train(experiment, frame=frame, runs_dir=runs, verbose=0)
                seconds = time.perf_counter() - start
                rows, forecasts = test_forecasts(run, frame)
                overall = run.metrics["results"]["model"]["overall"]
                baseline = run.metrics["results"]["naive"]["overall"]
                rmse, mase = score(forecasts, rows)
                assert np.isclose(rmse, overall["rmse"]) and np.isclose(mase, overall["mase"]), (overall, rmse, mase)
                results[kind].append({"rmse": rmse, "mase": mase, "naive": baseline["rmse"], "seconds": seconds,
                                      "rows": rows, "forecasts": forecasts})
                print(f"seed {seed} {kind:<9} test RMSE {rmse:.4f}  MASE {mase:.4f}  ({len(rows):,} targets; naive "
                      f"RMSE {baseline['rmse']:.4f}; trained in {seconds:.0f} s, load {load()})", flush=True)

    print(f"\nmean over seeds {args.seeds}, each model on its own test targets:")
    print(f"{'':<12}{'RMSE':>9}{'MASE':>9}{'naive RMSE':>12}{'s/run':>8}")
    for kind, rows in results.items():
        print(f"{kind:<12}{statistics.mean(r['rmse'] for r in rows):>9.4f}"
              f"{statistics.mean(r['mase'] for r in rows):>9.4f}{statistics.mean(r['naive'] for r in rows):>12.4f}"
              f"{statistics.mean(r['seconds'] for r in rows):>8.0f}")

    # The same targets for everyone: the stateful model's (every lookback-th test row). The noise of each target
    # is common to every forecast of it, so differences here are the forecasts' own.
    common = results["stateful"][0]["rows"]
    print(f"\nevery forecast on the same {len(common):,} test targets (the stateful model's), mean over seeds:")
    print(f"{'':<58}{'RMSE':>9}{'MASE':>9}{'/ Kalman':>10}")
    best = score(kalman[common], common)[0]
    lines = [("Kalman filter, generating parameters (best possible)", [kalman[common]]),
             (f"simple exponential smoothing (gain {gain:.3f}, fitted on train)", [smoothing[common]]),
             (f"best linear forecast from the last {args.lookback} values", [window[common]]),
             ("naive (last value)", [naive[common]])]
    for kind in results:
        per_seed = []
        for r in results[kind]:
            at = {int(row): k for k, row in enumerate(r["rows"])}
            per_seed.append(np.array([r["forecasts"][at[int(row)]] for row in common]))
        lines.insert(len(lines) - 1, (f"LSTM({args.units}) {kind}", per_seed))
    means = {}
    for label, forecasts in lines:
        rmse = statistics.mean(score(f, common)[0] for f in forecasts)
        mase = statistics.mean(score(f, common)[1] for f in forecasts)
        means[label] = rmse
        print(f"{label:<58}{rmse:>9.4f}{mase:>9.4f}{rmse / best:>10.4f}")

    windowed = statistics.mean(r["mase"] for r in results["windowed"])
    stateful = statistics.mean(r["mase"] for r in results["stateful"])
    win = stateful < windowed
    print(f"\n{'PASS' if win else 'FAIL'}: the stateful model's mean test MASE ({stateful:.4f}) is "
          f"{'below' if win else 'not below'} the windowed model's ({windowed:.4f}); on the same targets its RMSE is "
          f"{means[f'LSTM({args.units}) stateful'] / means[f'LSTM({args.units}) windowed']:.4f}x the windowed model's "
          f"(Kalman {best / means[f'LSTM({args.units}) windowed']:.4f}x)")
    return 0 if win else 1


if __name__ == "__main__":
    raise SystemExit(main())
