"""Accuracy against the peers: seqkit, Darts and NeuralForecast on the same rolling-origin folds.

Run (the peers are an optional extra; they bring PyTorch):

    pip install -e ".[peers]"
    python benchmarks/peers.py                      # every series, 6 folds, 3 seeds
    python benchmarks/peers.py --series airline --seeds 1 --toolkits seqkit,neuralforecast

For each shipped series (airline, sunspots, the Seattle maximum temperature) the
folds are seqkit's own (`seqkit.data.splits.backtest_folds`: the last `--folds`
origins, `step` rows apart, expanding window). Every toolkit sees, per fold, only
the rows before the fold's first test target:

- **seqkit**: `seqkit.backtest` of a config with a data section only (the
  default recipe: no transform, model or train settings), plus any `--seqkit-set`
  variants and, with `--shipped`, the series' shipped config (quickstart.yaml,
  sunspots.yaml: the same data section). It trains on the fold's training rows, stops early on its validation
  rows, and fits its preprocessing on the training rows.
- **Darts** `BlockRNNModel(model="LSTM")`, its series scaled by Darts' `Scaler`
  fitted on the fold's rows before the origin (as Darts' examples do), at
  `defaults` (everything but the chunk lengths left to Darts: 100 epochs,
  `hidden_dim` 25) and `reasonable` (1,000 epochs, as Darts' air-passengers
  examples train, capped at 3,000 optimiser steps on long series).
- **NeuralForecast** `LSTM`, which scales each window itself (`scaler_type:
  robust`), at `defaults` (`LSTM(h=horizon)`: input 3 x horizon, 1,000 steps,
  MAE) and `reasonable` (`input_size` = seqkit's lookback, as NeuralForecast's
  tutorials set it).

Both peers train on every row before the origin (seqkit's validation rows
included: they use no validation split by default). Every forecast is scored in
original units by `seqkit.evaluation.evaluate_forecast` against the fold's test
windows, with MASE scaled on the fold's training rows, next to seasonal naive.

It prints, per series: the mean and spread (over seeds, of each seed's mean
over folds) of RMSE and MASE per toolkit and setting, the (seed, fold) pairs in
which it beat seasonal naive, seconds per fold (fit + predict, the whole
backtest for seqkit), then a one-line verdict; and the seconds each toolkit
took to import. `--cache FILE` keeps every (series, toolkit, setting, seed)
result in a JSON file and reuses it on the next run (a long comparison can be
resumed; delete the file to measure afresh). CI does not run it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import math
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

#: The shipped series and their folds: the data section seqkit reads, and the origins' step.
SERIES = {
    "airline": {
        "data": {"dataset": "airline", "lookback": 24, "horizon": 12, "period": 12,
                 "split": {"type": "steps", "val": 12, "test": 24}},
        "step": 12,
        "shipped": "quickstart.yaml",
    },
    "sunspots": {
        "data": {"dataset": "sunspots", "lookback": 33, "horizon": 3, "period": 11,
                 "split": {"type": "steps", "val": 40, "test": 40}},
        "step": 3,
        "shipped": "sunspots.yaml",
    },
    "weather": {
        "data": {"dataset": "seattle_weather", "features": ["temp_max"], "targets": ["temp_max"],
                 "lookback": 28, "horizon": 7, "period": 365,
                 "split": {"type": "steps", "val": 56, "test": 56}},
        "step": 28,
    },
}
TOOLKITS = ("seqkit", "darts", "neuralforecast")
SETTINGS = ("defaults", "reasonable")
INSTALL = 'pip install -e ".[peers]"   (or: pip install darts neuralforecast)'
#: Darts' `reasonable` setting trains 1,000 epochs, or fewer where that passes this many optimiser steps.
DARTS_STEP_CAP = 3000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", default=",".join(SERIES), help="comma-separated: " + ", ".join(SERIES))
    parser.add_argument("--toolkits", default=",".join(TOOLKITS), help="comma-separated: " + ", ".join(TOOLKITS))
    parser.add_argument("--settings", default=",".join(SETTINGS), help="the peers' settings: defaults, reasonable")
    parser.add_argument("--folds", type=int, default=6)
    parser.add_argument("--seeds", type=int, default=3, help="seeds 1..N for every toolkit")
    parser.add_argument("--seqkit-set", action="append", default=[], metavar="[LABEL:]KEY=VALUE[;KEY=VALUE]",
                        help="also run seqkit with these overrides (a variant of the recipe); repeatable")
    parser.add_argument("--no-recipe", action="store_true", help="leave out seqkit's default recipe (variants only)")
    parser.add_argument("--shipped", action="store_true",
                        help="also run the series' shipped config (configs/quickstart.yaml, sunspots.yaml)")
    parser.add_argument("--cache", type=Path, help="JSON file of results to reuse and extend")
    parser.add_argument("--cached-only", action="store_true",
                        help="print the table from --cache alone, skipping (seed) runs it does not hold")
    parser.add_argument("--threads", type=int, help="threads per toolkit (seqkit's train.threads, torch's); "
                        "default: every core")
    args = parser.parse_args(argv)
    if args.threads:
        _THREADS["n"] = args.threads
    series = _names(args.series, SERIES, "--series")
    toolkits = _names(args.toolkits, TOOLKITS, "--toolkits")
    settings = _names(args.settings, SETTINGS, "--settings")
    missing = [name for name in ("darts", "neuralforecast") if name in toolkits and not _importable(name)]
    if missing:
        print(f"{' and '.join(missing)} not installed; install the peers with:\n    {INSTALL}", file=sys.stderr)
        return 2
    cache = _Cache(args.cache)
    imports = {}
    for name in series:
        jobs = []
        if "seqkit" in toolkits:
            jobs += [] if args.no_recipe else [("seqkit", "recipe")]
            jobs += [("seqkit", variant) for variant in args.seqkit_set]
            if args.shipped and "shipped" in SERIES[name]:
                jobs.append(("seqkit", "configs/" + SERIES[name]["shipped"]))
        jobs += [(toolkit, setting) for toolkit in ("darts", "neuralforecast") if toolkit in toolkits
                 for setting in settings]
        rows = {}
        for toolkit, setting in jobs:
            runs = []
            for seed in range(1, args.seeds + 1):
                key = f"{name}/{toolkit}/{setting}/{args.folds}/{seed}/{args.threads or 'all'}"
                result = cache.get(key)
                if result is None and args.cached_only:
                    continue
                if result is None:
                    started = time.perf_counter()
                    result = RUNNERS[toolkit](name, setting, seed, args.folds, imports)
                    result["seconds"] = time.perf_counter() - started
                    cache.put(key, result)
                print(f"  {name} {toolkit} {setting} seed {seed}: mean MASE {np.mean(result['mase']):.3f}, "
                      f"{result['seconds'] / args.folds:.1f} s/fold", flush=True)
                runs.append(result)
            if runs:
                rows[(toolkit, setting)] = runs
        if not rows:
            print(f"\n{name}: nothing cached")
            continue
        print(_table(name, rows, args.folds))
    if imports:
        print("import seconds (paid once per process, not per fold): "
              + ", ".join(f"{name} {seconds:.1f}" for name, seconds in imports.items()))
    return 0


# ---------------------------------------------------------------------------- folds and scoring


def _folds(name: str, n_folds: int):
    """The series in original units `(n,)`, its folds, and each fold's test target starts (fold rows)."""
    from seqkit.config.data import DataConfig
    from seqkit.data import load_dataset
    from seqkit.data.splits import backtest_folds

    spec = SERIES[name]
    data = DataConfig(**spec["data"])
    values = load_dataset(data.dataset)[data.targets[0] if data.targets else _target_column(data.dataset)]
    values = values.to_numpy(dtype=np.float64)
    folds = backtest_folds(len(values), data, folds=n_folds, step=spec["step"], min_train=(data.period or 0) + 1)
    return values, data, folds


def _target_column(dataset: str) -> str:
    return {"airline": "Passengers", "sunspots": "SUNACTIVITY"}[dataset]


def _score(values, data, fold, forecasts: np.ndarray) -> dict:
    """`evaluate_forecast` of a fold's test forecasts `(n_windows, horizon)`: the model's and seasonal naive's."""
    from seqkit.evaluation import evaluate_forecast

    series = values[fold.start : fold.end]
    starts = _test_starts(data, fold)
    train_len = fold.fit_rows[1] - fold.fit_rows[0]
    results = evaluate_forecast(series, forecasts[:, :, None], starts, train_len=train_len, period=data.period)
    return _summary(results)


def _summary(results: dict) -> dict:
    return {
        "rmse": results["model"]["overall"]["rmse"],
        "mase": results["model"]["overall"]["mase"],
        "snaive_mase": results["seasonal_naive"]["overall"]["mase"],
        "snaive_rmse": results["seasonal_naive"]["overall"]["rmse"],
    }


def _test_starts(data, fold) -> np.ndarray:
    """Fold-relative first target row of each test window: every origin from the fold's origin on."""
    first = fold.origin - fold.start
    return np.arange(first, fold.end - fold.start - data.horizon + 1)


def _collect(per_fold: list[dict]) -> dict:
    return {key: [fold[key] for fold in per_fold] for key in per_fold[0]}


# ---------------------------------------------------------------------------- seqkit


def _run_seqkit(name: str, setting: str, seed: int, n_folds: int, imports: dict) -> dict:
    started = time.perf_counter()
    import keras  # noqa: F401  (TensorFlow starts here)

    import seqkit
    from seqkit.config.loading import apply_overrides, config_from_dict

    imports.setdefault("seqkit (TensorFlow)", time.perf_counter() - started)
    train = {"seed": seed, **({"threads": _THREADS["n"]} if _THREADS["n"] else {})}
    if setting.startswith("configs/"):  # a shipped config, on the same data section and folds
        from seqkit.config.loading import read_yaml

        raw = read_yaml(ROOT / setting)
        assert all(raw["data"][key] == value for key, value in SERIES[name]["data"].items()), setting
        raw["train"] = {**raw.get("train", {}), **train}
    else:
        overrides = [] if setting == "recipe" else [item for item in _variant(setting)[1].split(";") if item]
        raw = apply_overrides({"data": dict(SERIES[name]["data"]), "train": train}, overrides)
    config = config_from_dict(raw, source=f"{name} {setting}")
    values, data, folds = _folds(name, n_folds)
    with tempfile.TemporaryDirectory() as runs:
        result = seqkit.backtest(config, folds=n_folds, step=SERIES[name]["step"], runs_dir=runs, verbose=0)
    per_fold = []
    for fold, record in zip(folds, result.folds, strict=True):
        assert record["origin"] == fold.origin and record["test_windows"] == len(_test_starts(data, fold))
        per_fold.append(_summary(record["results"]))
    out = _collect(per_fold)
    out["epochs"] = [record["best_epoch"] for record in result.folds]
    return out


# ---------------------------------------------------------------------------- Darts


def _run_darts(name: str, setting: str, seed: int, n_folds: int, imports: dict) -> dict:
    started = time.perf_counter()
    with _quiet():
        from darts import TimeSeries
        from darts.dataprocessing.transformers import Scaler
        from darts.models import BlockRNNModel
    imports.setdefault("darts (PyTorch)", time.perf_counter() - started)

    def forecast(data, series: np.ndarray, origin: int, starts: np.ndarray) -> np.ndarray:
        series = series.astype(np.float32)
        scaler = Scaler()
        scaled = scaler.fit_transform(TimeSeries.from_values(series[:origin]))
        options = {}
        if setting == "reasonable":
            windows = origin - data.lookback - data.horizon + 1
            batches = max(1, math.ceil(windows / 32))
            options["n_epochs"] = min(1000, math.ceil(DARTS_STEP_CAP / batches))
        model = BlockRNNModel(
            input_chunk_length=data.lookback, output_chunk_length=data.horizon, model="LSTM",
            random_state=seed, pl_trainer_kwargs=_lightning_quiet(), **options,
        )
        with _quiet():
            model.fit(scaled, verbose=False)
            histories = [scaler.transform(TimeSeries.from_values(series[:start])) for start in starts]
            predictions = model.predict(n=data.horizon, series=histories, verbose=False)
        return np.stack([scaler.inverse_transform(p).values()[:, 0] for p in predictions])

    return _run_peer(name, n_folds, forecast)


# ---------------------------------------------------------------------------- NeuralForecast


def _run_neuralforecast(name: str, setting: str, seed: int, n_folds: int, imports: dict) -> dict:
    import pandas as pd

    started = time.perf_counter()
    with _quiet():
        from neuralforecast import NeuralForecast
        from neuralforecast.models import LSTM
    imports.setdefault("neuralforecast (PyTorch)", time.perf_counter() - started)

    def forecast(data, series: np.ndarray, origin: int, starts: np.ndarray) -> np.ndarray:
        options = {"input_size": data.lookback} if setting == "reasonable" else {}
        with _quiet():  # `LSTM(h)` warns that it sets its input size to 3 x horizon
            model = LSTM(h=data.horizon, random_seed=seed, **options, **_lightning_quiet())
        forecaster = NeuralForecast(models=[model], freq=1)
        train = pd.DataFrame({"unique_id": "series", "ds": np.arange(origin), "y": series[:origin]})
        histories = pd.concat(
            pd.DataFrame({"unique_id": f"w{k:05d}", "ds": np.arange(start), "y": series[:start]})
            for k, start in enumerate(starts)
        )
        with _quiet():
            forecaster.fit(train)
            predicted = forecaster.predict(df=histories)
        predicted = predicted.sort_values(["unique_id", "ds"])
        return predicted["LSTM"].to_numpy().reshape(len(starts), data.horizon)

    return _run_peer(name, n_folds, forecast)


def _run_peer(name: str, n_folds: int, forecast) -> dict:
    """Every fold of a peer: `forecast(data, fold_series, origin, test_starts)` fits on the rows before
    `origin` and returns `(n_windows, horizon)` forecasts in original units; each fold is scored."""
    _torch_threads()
    values, data, folds = _folds(name, n_folds)
    per_fold = []
    for fold in folds:
        forecasts = forecast(data, values[fold.start : fold.end], fold.origin - fold.start, _test_starts(data, fold))
        per_fold.append(_score(values, data, fold, forecasts))
    return _collect(per_fold)


_THREADS = {"n": None}


def _torch_threads() -> None:
    if _THREADS["n"]:
        import torch

        torch.set_num_threads(_THREADS["n"])


RUNNERS = {"seqkit": _run_seqkit, "darts": _run_darts, "neuralforecast": _run_neuralforecast}


def _lightning_quiet() -> dict:
    """PyTorch Lightning trainer options: the CPU, no progress bar, logger, summary or checkpoints."""
    return {"accelerator": "cpu", "enable_progress_bar": False, "logger": False,
            "enable_model_summary": False, "enable_checkpointing": False}


@contextlib.contextmanager
def _quiet():
    """Silence the peers' warnings and Lightning's banner lines, which would bury the table."""
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    logging.getLogger("lightning_fabric").setLevel(logging.ERROR)
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


# ---------------------------------------------------------------------------- report


def _table(name: str, rows: dict, n_folds: int) -> str:
    """The per-series comparison and its verdict."""
    lines = [f"\n{name}: {n_folds} folds; mean over folds, then mean +- spread over seeds",
             f"  {'toolkit':<16} {'setting':<26} {'seeds':>5} {'RMSE':>16} {'MASE':>16} {'wins vs snaive':>15} "
             f"{'s/fold':>7}"]
    summary = {}
    for (toolkit, setting), runs in rows.items():
        rmse = [float(np.mean(run["rmse"])) for run in runs]
        mase = [float(np.mean(run["mase"])) for run in runs]
        wins = sum(m < s for run in runs for m, s in zip(run["mase"], run["snaive_mase"], strict=True))
        pairs = sum(len(run["mase"]) for run in runs)
        seconds = float(np.mean([run["seconds"] for run in runs])) / n_folds
        summary[(toolkit, setting)] = (float(np.mean(mase)), float(np.std(mase)), wins, pairs)
        label = _variant(setting)[0][:26]
        lines.append(f"  {toolkit:<16} {label:<26} {len(runs):>5} {_spread(rmse):>16} {_spread(mase):>16} "
                     f"{f'{wins}/{pairs}':>15} {seconds:>7.1f}")
    first = next(iter(rows.values()))[0]
    lines.append(f"  {'seasonal naive':<16} {'':<26} {'':>5} {_spread([float(np.mean(first['snaive_rmse']))]):>16} "
                 f"{_spread([float(np.mean(first['snaive_mase']))]):>16}")
    lines.append("  verdict: " + _verdict(summary, float(np.mean(first["snaive_mase"]))))
    return "\n".join(lines)


def _variant(setting: str) -> tuple[str, str]:
    """`(label, overrides)` of a `--seqkit-set` value: `LABEL:KEY=VALUE;...`, or the overrides alone."""
    label, colon, rest = setting.partition(":")
    if colon and "=" not in label:
        return label, rest
    return setting, setting


def _spread(values: list[float]) -> str:
    return f"{np.mean(values):.3f} +- {np.std(values):.3f}" if len(values) > 1 else f"{values[0]:.3f}"


def _verdict(summary: dict, snaive: float) -> str:
    ours = summary.get(("seqkit", "recipe"))
    peers = {key: value for key, value in summary.items() if key[0] != "seqkit"}
    if ours is None or not peers:
        return "(needs seqkit's recipe and at least one peer)"
    best_key = min(peers, key=lambda key: peers[key][0])
    best = peers[best_key]
    tie = max(ours[1], best[1])
    if ours[0] <= best[0]:
        outcome = "met: at or below"
    elif ours[0] <= best[0] + tie:
        outcome = "met (a tie within one seed-spread):"
    else:
        outcome = "NOT met: above"
    beats = "beats" if ours[0] < snaive else "does NOT beat"
    return (f"seqkit's recipe MASE {ours[0]:.3f} {outcome} the best peer, {best_key[0]} {best_key[1]} "
            f"{best[0]:.3f}; it {beats} seasonal naive ({snaive:.3f}), winning {ours[2]}/{ours[3]} folds")


# ---------------------------------------------------------------------------- plumbing


class _Cache:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.data = json.loads(path.read_text()) if path is not None and path.exists() else {}

    def get(self, key: str) -> dict | None:
        return self.data.get(key)

    def put(self, key: str, value: dict) -> None:
        if self.path is None:
            return
        self.data[key] = value
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps(self.data, indent=1))
        partial.replace(self.path)


def _names(text: str, known, flag: str) -> list[str]:
    names = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SystemExit(f"{flag}: unknown {unknown}; choose from {', '.join(known)}")
    return names


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


if __name__ == "__main__":
    sys.exit(main())
