"""`seqkit backtest` / `seqkit.backtest`: folds as the fold arithmetic says, refits counted, aggregates, exit statuses."""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

import seqkit
from seqkit.cli import main
from seqkit.config import load_config
from seqkit.data.splits import backtest_folds
from seqkit.evaluation.report import step_table

CONFIGS = Path(__file__).parent.parent / "configs"

# 72 monthly rows: 3 folds of horizon 6 step back from the config's own split (validation 6, test 6).
CONFIG = """
data:
  path: series.csv
  time_column: month
  lookback: 12
  horizon: 6
  period: 12
  split: {type: steps, val: 6, test: 6}
  transform: {scaler: standard}
model: {cell: gru, layers: [4]}
train: {epochs: 5, batch_size: 16}
evaluate: {plots: true}
"""


@pytest.fixture
def config_file(tmp_path, write_yaml):
    months = pd.date_range("2000-01-01", periods=72, freq="MS")
    rows = np.arange(72)
    values = 100 + rows + 10 * np.sin(2 * np.pi * rows / 12) + np.random.default_rng(1).normal(0, 1, 72)
    pd.DataFrame({"month": months.strftime("%Y-%m-%d"), "value": values}).to_csv(tmp_path / "series.csv", index=False)
    return write_yaml(CONFIG)


def only_folder(runs: Path) -> Path:
    (folder,) = (runs / "config").iterdir()
    return folder


def test_backtest_writes_the_folds_the_fold_arithmetic_gives(config_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SEQKIT_MAX_EPOCHS", "1")
    assert main(["backtest", str(config_file), "--folds", "3", "--runs-dir", str(tmp_path / "runs")]) == 0
    out = capsys.readouterr().out
    folder = only_folder(tmp_path / "runs")
    assert folder.name.startswith("backtest-")
    assert {p.name for p in folder.iterdir()} == {
        "backtest.json", "backtest.csv", "backtest_steps.csv", "backtest.png", "config.yaml", "data"
    }
    saved = json.loads((folder / "backtest.json").read_text())
    want = backtest_folds(72, load_config(config_file).data, folds=3)
    assert [f.origin for f in want] == [54, 60, 66]
    assert [(r["origin"], r["rows"], r["train_rows"], r["val_rows"], r["test_rows"], r["fit_rows"])
            for r in saved["folds"]] == [
        (f.origin, [f.start, f.end], list(f.train_rows), list(f.val_rows), list(f.test_rows), list(f.fit_rows))
        for f in want
    ]
    assert [r["origin_time"] for r in saved["folds"]] == ["2004-07-01", "2005-01-01", "2005-07-01"]
    assert [r["model_fold"] for r in saved["folds"]] == [1, 2, 3] and saved["fits"] == 3
    assert [r["epochs"] for r in saved["folds"]] == [1, 1, 1]  # SEQKIT_MAX_EPOCHS caps every fold's fit
    assert "epochs: 1, capped by SEQKIT_MAX_EPOCHS (the config says 5)" in out
    for line in ["1     2004-07-01          48", "2     2005-01-01          54", "3     2005-07-01          60"]:
        assert line in out  # fold, origin, training rows (the rows the fold's scaler was fitted on)
    assert f"saved: {folder}" in out
    assert (folder / "data" / "series.csv").is_file()  # config.yaml re-runs as it is, as a run's does

    # The aggregate is the mean (and numpy's std) of the per-fold numbers; a win is a lower per-fold MASE.
    aggregate = saved["aggregate"]
    for name in ("model", "naive", "seasonal_naive"):
        for key in ("rmse", "mae", "mase"):
            per_fold = [r["results"][name]["overall"][key] for r in saved["folds"]]
            assert aggregate["mean"][name][key] == pytest.approx(np.mean(per_fold), rel=1e-12)
            assert aggregate["std"][name][key] == pytest.approx(np.std(per_fold), rel=1e-12)
    for name in ("naive", "seasonal_naive"):
        model = [r["results"]["model"]["overall"]["mase"] for r in saved["folds"]]
        base = [r["results"][name]["overall"]["mase"] for r in saved["folds"]]
        assert aggregate["wins"][name]["mase"] == sum(m < b for m, b in zip(model, base, strict=True))
    wins = aggregate["wins"]["seasonal_naive"]["mase"]
    assert f"model beats seasonal_naive on MASE in {wins} of 3 folds" in out

    # How the error grows with the step: each step's mean over the folds, printed and in backtest_steps.csv.
    for name in ("model", "naive", "seasonal_naive"):
        for key in ("mae", "rmse", "mase"):
            per_fold = [r["results"][name]["per_step"][key] for r in saved["folds"]]
            assert aggregate["per_step"][name][key] == pytest.approx(np.mean(per_fold, axis=0).tolist(), rel=1e-12)
    assert aggregate["per_step"]["naive"]["mae"][0] < aggregate["per_step"]["naive"]["mae"][-1]
    assert step_table(aggregate) in out
    with (folder / "backtest_steps.csv").open() as file:
        steps = list(csv.DictReader(file))
    assert [int(r["step"]) for r in steps] == [1, 2, 3, 4, 5, 6]
    assert [float(r["model_rmse"]) for r in steps] == aggregate["per_step"]["model"]["rmse"]
    assert [float(r["seasonal_naive_mae"]) for r in steps] == aggregate["per_step"]["seasonal_naive"]["mae"]

    with (folder / "backtest.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert [int(r["origin"]) for r in rows] == [54, 60, 66]
    assert [float(r["model_mase"]) for r in rows] == [r["results"]["model"]["overall"]["mase"] for r in saved["folds"]]

    # A point forecast has no quantile scores: none per fold, in the aggregate, printed or in backtest.csv.
    assert "quantiles" not in aggregate and all("quantiles" not in r for r in saved["folds"])
    assert "quantile" not in out and "pooled" not in out
    assert not [column for column in rows[0] if "coverage" in column or "wql" in column]


@pytest.mark.parametrize("refit,trained_on", [("once", [1, 1, 1]), (2, [1, 1, 3])])
def test_refit_once_or_every_n_folds_trains_that_many_models(config_file, tmp_path, monkeypatch, refit, trained_on):
    fits = []
    real_fit = keras.Model.fit

    def counted(self, *args, **kwargs):
        fits.append(self)
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", counted)
    result = seqkit.backtest(config_file, folds=3, refit=refit, runs_dir=tmp_path / "runs", verbose=0,
                             overrides=["train.epochs=1"])
    assert len(fits) == result.fits == len(set(trained_on))
    assert [r["model_fold"] for r in result.folds] == trained_on
    # A re-applied model still reads each fold through the fold's own preprocessing, fitted on its rows.
    assert [r["fit_rows"] for r in result.folds] == [[0, 48], [0, 54], [0, 60]]


def test_the_last_fold_is_the_run_seqkit_train_makes(config_file, tmp_path):
    # Each fold trains from a fresh session seeded with train.seed, so the last fold (the config's own split)
    # does not depend on what the folds before it drew from the random streams.
    overrides = ["train.epochs=3", "train.early_stopping=null"]
    result = seqkit.backtest(config_file, folds=2, runs_dir=tmp_path / "bt", verbose=0, overrides=overrides)
    run = seqkit.train(config_file, runs_dir=tmp_path / "runs", verbose=0, overrides=overrides)
    last = result.folds[-1]["results"]["model"]["overall"]
    trained = run.metrics["results"]["model"]["overall"]
    assert last["rmse"] == pytest.approx(trained["rmse"], rel=1e-6)
    assert last["mae"] == pytest.approx(trained["mae"], rel=1e-6)
    figure = seqkit.plots.backtest(result)  # backtest.png's figure, for a notebook
    assert len(figure.axes) == 1 and figure.axes[0].get_lines()


def test_too_many_folds_is_bad_input_saying_how_many_fit(config_file, tmp_path, capsys):
    assert main(["backtest", str(config_file), "--folds", "9", "--runs-dir", str(tmp_path / "runs")]) == 2
    assert capsys.readouterr().err == (
        "error: 9 folds 6 rows apart put the first forecast origin at row 18, leaving its training split 12 row(s) "
        "of the series' 72; a training window needs 18 (`lookback` 12 + `gap` 0 + `horizon` 6). At most 8 fold(s) "
        "fit: ask for --folds 8 (folds= in Python) or fewer, or a smaller --step.\n"
    )
    assert not (tmp_path / "runs").exists()  # a refused backtest leaves nothing


def test_a_classifier_config_cannot_be_backtested(tmp_path, capsys):
    assert main(["backtest", str(CONFIGS / "weather_type.yaml"), "--runs-dir", str(tmp_path / "runs")]) == 2
    assert capsys.readouterr().err == (
        "error: backtesting is for forecasting tasks, but this config trains a classification model "
        "(`model.head.type: classify`); backtest a config with `model.head: {type: forecast}`\n"
    )


@pytest.mark.parametrize(
    "option,message",
    [
        (["--refit", "sometimes"], "--refit (refit= in Python) is `every`, `once` or a whole number of folds of at "
                                   "least 1, got 'sometimes'"),
        (["--refit", "0"], "got 0"),
        (["--step", "0"], "the step between origins (--step, step= in Python) must be at least 1 row, got 0"),
    ],
)
def test_bad_backtest_options_are_bad_input(config_file, tmp_path, capsys, option, message):
    assert main(["backtest", str(config_file), *option, "--runs-dir", str(tmp_path / "runs")]) == 2
    assert message in capsys.readouterr().err


def test_a_folds_model_ends_with_its_best_epochs_weights():
    from seqkit.training.callbacks import KeepBestWeights

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    keep = KeepBestWeights("val_loss", min_delta=0.5)
    keep.set_model(model)
    kept = {}
    for epoch, value in enumerate([3.0, 1.0, 0.7, 2.0]):  # 0.7 is not better than 1.0 by min_delta 0.5
        model.set_weights([np.full((2, 1), float(epoch)), np.zeros(1)])
        kept[epoch] = model.get_weights()
        keep.on_epoch_end(epoch, {"val_loss": value})
    keep.on_train_end()
    assert keep.best == {"epoch": 2, "value": 1.0}
    np.testing.assert_array_equal(model.get_weights()[0], kept[1][0])


def test_a_quantile_backtest_scores_each_folds_intervals_and_pools_their_coverage(
    config_file, write_yaml, tmp_path, capsys
):
    # The fixture's 72 monthly rows, forecast as quantiles (coverage and width of the 0.1-0.9 interval, wQL).
    config = write_yaml(
        CONFIG.replace("model: {cell: gru, layers: [4]}",
                       "model: {cell: gru, layers: [4], head: {type: forecast, quantiles: [0.1, 0.5, 0.9]}}")
        .replace("test: 6}", "test: 8}").replace("epochs: 5", "epochs: 2"),
        name="quantiles.yaml",
    )
    runs = tmp_path / "runs"
    assert main(["backtest", str(config), "--folds", "3", "--step", "4", "--runs-dir", str(runs)]) == 0
    out = capsys.readouterr().out
    (folder,) = (runs / "quantiles").iterdir()
    saved = json.loads((folder / "backtest.json").read_text())
    folds, aggregate = saved["folds"], saved["aggregate"]["quantiles"]
    assert [r["test_windows"] for r in folds] == [3, 3, 3]  # test 8 rows, horizon 6: windows at 3 origins each
    assert aggregate["levels"] == [0.1, 0.5, 0.9]
    assert aggregate["intervals"] == [{"lower": 0.1, "upper": 0.9, "nominal": 0.8}]

    # The baseline interval of each fold, recomputed from the CSV: the seasonal naive (12 months back) plus
    # the 0.1 and 0.9 quantiles of its errors on the fold's training rows.
    series = pd.read_csv(tmp_path / "series.csv")["value"].to_numpy()
    for r in folds:
        train_end = r["train_rows"][1]
        errors = series[12:train_end] - series[: train_end - 12]
        low, high = np.quantile(errors, [0.1, 0.9])
        starts = np.arange(r["test_rows"][0], r["test_rows"][1] - 6 + 1)
        targets = starts[:, None] + np.arange(6)
        actual, point = series[targets], series[starts[:, None] - 12 + np.arange(6)]
        baseline = r["quantiles"]["seasonal_naive"]["intervals"][0]
        assert baseline["coverage"] == np.mean((actual >= point + low) & (actual <= point + high))
        assert baseline["width"] == pytest.approx(high - low, rel=1e-12)
        assert r["quantiles"]["model"]["n_windows"] * 6 == r["test_windows"] * 6 == actual.size

    # Mean and spread over the folds, and the coverage pooled over every forecast value of every fold: the
    # covered values of all folds over all their values, i.e. the folds' coverages weighted by their windows.
    values = [r["test_windows"] * 6 for r in folds]
    assert aggregate["values"] == sum(values) == 54
    for name in ("model", "seasonal_naive"):
        intervals = [r["quantiles"][name]["intervals"][0] for r in folds]
        coverage = [i["coverage"] for i in intervals]
        covered = [c * n for c, n in zip(coverage, values, strict=True)]
        assert covered == [round(c) for c in covered]  # a fold's coverage is a whole count over its values
        pooled = aggregate["pooled"][name]
        assert pooled["covered_80"] == sum(round(c) for c in covered)
        assert pooled["coverage_80"] == pooled["covered_80"] / 54
        assert pooled["coverage_80"] == pytest.approx(np.average(coverage, weights=values), rel=1e-12)
        assert pooled["width_80"] == pytest.approx(np.average([i["width"] for i in intervals], weights=values))
        assert aggregate["mean"][name]["coverage_80"] == pytest.approx(np.mean(coverage), rel=1e-12)
        assert aggregate["std"][name]["coverage_80"] == pytest.approx(np.std(coverage), rel=1e-12)
        wql = [r["quantiles"][name]["wql"] for r in folds]
        assert aggregate["mean"][name]["wql"] == pytest.approx(np.mean(wql), rel=1e-12)

    # Printed after the point-metric tables, each fold's coverage in percent as its own evaluation gave it.
    assert out.index("per horizon step, mean over 3 folds") < out.index("quantile forecasts per fold")
    table = out[out.index("quantile forecasts per fold"):].splitlines()[3:6]
    for line, r in zip(table, folds, strict=True):
        model, base = r["quantiles"]["model"], r["quantiles"]["seasonal_naive"]
        assert line.split()[:3] == [str(r["fold"]), r["origin_time"], "3"]
        assert line.split()[4::3] == [f"{100 * s['intervals'][0]['coverage']:.2f}" for s in (model, base)]
    pooled = aggregate["pooled"]["model"]["coverage_80"]
    assert f"model's 80% interval: covered {100 * pooled:.2f}% of the 54 test values pooled over the folds" in out
    assert "pooled: counted over all 54 forecast values of the 3 folds' test windows" in out

    # backtest.csv: a fold's quantile scores as columns, every digit.
    with (folder / "backtest.csv").open() as file:
        rows = list(csv.DictReader(file))
    for row, r in zip(rows, folds, strict=True):
        for name in ("model", "seasonal_naive"):
            scores = r["quantiles"][name]
            assert float(row[f"{name}_coverage_80"]) == scores["intervals"][0]["coverage"]
            assert float(row[f"{name}_width_80"]) == scores["intervals"][0]["width"]
            assert float(row[f"{name}_wql"]) == scores["wql"]


def test_folds_in_worker_processes_give_the_serial_backtest(config_file, tmp_path, capsys):
    # Each fold trains from a fresh session seeded with train.seed, in whichever process: the two backtests agree
    # to the last digit, fold by fold, in the same order, and write the same files.
    overrides = ["train.epochs=2"]
    serial = seqkit.backtest(config_file, folds=3, runs_dir=tmp_path / "serial", verbose=0, overrides=overrides)
    assert main(["backtest", str(config_file), "--folds", "3", "--workers", "2", "--set", "train.epochs=2",
                 "--runs-dir", str(tmp_path / "parallel")]) == 0
    out = capsys.readouterr().out
    assert "folds in 2 processes, 1 thread(s) each" in out  # 2 cores here: cores // workers, at least 1
    lines = [line for line in out.splitlines() if line.startswith("fold ") and "/3: origin" in line]
    assert [line.split(":")[0] for line in lines] == ["fold 1/3", "fold 2/3", "fold 3/3"]  # printed in fold order
    parallel = only_folder(tmp_path / "parallel")
    saved = json.loads((parallel / "backtest.json").read_text())
    assert saved["folds"] == json.loads((serial.path / "backtest.json").read_text())["folds"]
    assert saved == json.loads((serial.path / "backtest.json").read_text())
    for name in ("backtest.csv", "backtest_steps.csv"):
        assert (parallel / name).read_text() == (serial.path / name).read_text()
    assert saved["fits"] == 3 and [r["epochs"] for r in saved["folds"]] == [2, 2, 2]
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize(
    "option,message",
    [
        (["--workers", "0"], "--workers (workers= in Python) is how many processes train folds at once, a whole "
                             "number of at least 1, got 0"),
        (["--workers", "-2"], "got -2"),
        (["--workers", "2", "--refit", "once"], "--workers 2 trains the folds in parallel, which needs --refit every"),
        (["--workers", "2", "--refit", "2"], "which needs --refit every"),
    ],
)
def test_bad_workers_are_bad_input(config_file, tmp_path, capsys, option, message):
    assert main(["backtest", str(config_file), "--folds", "2", *option, "--runs-dir", str(tmp_path / "runs")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


class _CrashingFrame(pd.DataFrame):
    """A frame that a child process cannot receive: unpickling it ends the process with exit status 3."""

    def __reduce__(self):
        return os._exit, (3,)


def test_a_fold_process_that_dies_is_a_run_error_naming_the_fold(config_file, tmp_path):
    frame = _CrashingFrame(pd.read_csv(tmp_path / "series.csv"))
    with pytest.raises(seqkit.RunError, match=r"fold [12]'s process ended with exit status 3 before reporting"):
        seqkit.backtest(config_file, folds=2, workers=2, frame=frame, runs_dir=tmp_path / "runs", verbose=0,
                        overrides=["train.epochs=1"])
    assert multiprocessing.active_children() == []  # every child has exited
    assert not (tmp_path / "runs").exists()


def _fold_processes(pid: int) -> list[int]:
    """The process ids of `pid`'s spawned children (not multiprocessing's resource tracker), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
            spawned = b"spawn_main" in (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue  # it has exited meanwhile
        if int(fields[1]) == pid and spawned:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_ctrl_c_stops_the_fold_processes(config_file, tmp_path):
    # The children run in their own process group, so Ctrl-C reaches the parent alone, which stops them.
    command = [sys.executable, "-m", "seqkit", "backtest", str(config_file), "--folds", "2", "--workers", "2",
               "--set", "train.epochs=200", "--set", "train.early_stopping=null", "--runs-dir", str(tmp_path / "runs")]
    parent = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    try:
        deadline = time.monotonic() + 60
        while len(children := [c for c in _fold_processes(parent.pid) if _alive(c)]) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(children) >= 2, "the fold processes never started"
        parent.send_signal(signal.SIGINT)
        _, err = parent.communicate(timeout=60)
    finally:
        parent.kill()
    assert parent.returncode == 130
    assert "interrupted" in err and "Traceback" not in err
    assert not [c for c in children if _alive(c)]
    assert not (tmp_path / "runs").exists()  # an interrupted backtest leaves nothing
