"""Forecasts past the horizon (`predict --steps N`, `Run.predict(data, steps=N)`): the model fed its own forecasts.

The recursion is checked exactly: each chunk of `horizon` steps must equal the
direct forecast on the input extended by the earlier chunks (appended here by
hand, in original units), through differencing, scaling and window
normalisation. Tiny runs, trained once per module (the synthetic one once per
session, in conftest).
"""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pandas as pd
import pytest

import seqkit
from seqkit.cli import main
from seqkit.data import load_dataset
from seqkit.errors import ConfigError, DataError
from seqkit.inference import load_run
from seqkit.inference.recursive import forecast_steps
from seqkit.training import train

HORIZON = 3

MONTHLY = """
data:
  path: series.csv
  time_column: Date
  time_format: "%Y-%m"
  features: [load, temp]
  targets: [load]
  lookback: 12
  horizon: 3
  window_norm: {type: last, mode: subtract}
  split: {type: fraction, val: 0.15, test: 0.15}
model:
  cell: gru
  layers: [4]
  head: {type: forecast, quantiles: [0.1, 0.5, 0.9]}
train:
  epochs: 1
  batch_size: 16
evaluate: {plots: false}
"""


def monthly(n: int = 96) -> pd.DataFrame:
    """A monthly series from 2000-01: `load` (the target) and `temp` (a covariate), Date as 'YYYY-MM'."""
    t = np.arange(n, dtype=np.float64)
    return pd.DataFrame({
        "Date": pd.date_range("2000-01-01", periods=n, freq="MS").strftime("%Y-%m"),
        "load": 50 + 10 * np.sin(t / 3) + 0.1 * t,
        "temp": np.cos(t / 5),
    })


@pytest.fixture(scope="module")
def covariate_run(tmp_path_factory):
    """`load`'s quantiles 0.1, 0.5, 0.9 forecast from `load` and the covariate `temp`; windows normalised on the last value.

    Returns:
        (the run directory, its series.csv).
    """
    folder = tmp_path_factory.mktemp("covariate")
    monthly().to_csv(folder / "series.csv", index=False)
    (folder / "run.yaml").write_text(MONTHLY, encoding="utf-8")
    return train(folder / "run.yaml", runs_dir=folder / "runs", verbose=0).path, folder / "series.csv"


@pytest.fixture(scope="module")
def synthetic(finished_run):
    """conftest's run (two series, both targets, no covariates, no time column) and its series."""
    config = seqkit.load_config(finished_run / "config.yaml")
    return load_run(finished_run), load_dataset("synthetic", config.data.synthetic)


def cli(capsys, *argv) -> tuple[int, str, str]:
    status = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def extended(frame: pd.DataFrame, forecast: pd.DataFrame, **columns) -> pd.DataFrame:
    """`frame` with the forecast's rows appended as if observed (time column as 'YYYY-MM', extra columns given)."""
    rows = forecast.copy()
    if "step" in rows:
        rows = rows.drop(columns="step")
    if "Date" in rows:
        rows["Date"] = rows["Date"].dt.strftime("%Y-%m")
    for name, values in columns.items():
        rows[name] = values
    return pd.concat([frame, rows[list(frame.columns)]], ignore_index=True)


def values(forecast: pd.DataFrame) -> np.ndarray:
    """The forecast's numbers, without its step or time column."""
    return forecast.drop(columns=[c for c in ("step", "Date") if c in forecast]).to_numpy()


# ----------------------------------------------------------------- recursion, no covariates


def test_steps_past_the_horizon_are_the_direct_forecast_of_the_series_extended_by_the_earlier_chunks(synthetic):
    run, frame = synthetic
    direct = run.predict(frame)
    long = run.predict(frame, steps=8)  # chunks of 3, 3 and 2
    assert len(long) == 8
    assert long["step"].tolist() == list(range(1, 9))
    assert list(long.columns) == ["step", "series_0", "series_1"]
    pd.testing.assert_frame_equal(long.iloc[:HORIZON], direct, check_exact=True)

    once = extended(frame, direct)
    np.testing.assert_array_equal(values(long.iloc[3:6]), values(run.predict(once)))
    twice = extended(once, long.iloc[3:6])
    np.testing.assert_array_equal(values(long.iloc[6:8]), values(run.predict(twice))[:2])
    assert not np.allclose(values(long.iloc[3:6]), values(direct))  # the recursion moved on


@pytest.mark.parametrize("steps", [1, 2, HORIZON])
def test_steps_up_to_the_horizon_cut_the_direct_forecast(synthetic, steps):
    run, frame = synthetic
    pd.testing.assert_frame_equal(run.predict(frame, steps=steps), run.predict(frame).iloc[:steps], check_exact=True)


@pytest.mark.parametrize("steps", [0, -2, 2.5, "4", True])
def test_steps_that_are_not_a_whole_number_of_at_least_one_are_refused(synthetic, steps):
    run, frame = synthetic
    with pytest.raises(ConfigError, match=r"`steps` \(--steps\) is a whole number of forecast steps of at least 1; "
                                          r"received"):
        run.predict(frame, steps=steps)


def test_a_run_trained_with_a_gap_forecasts_past_the_horizon_no_further_than_it(synthetic):
    run, frame = synthetic
    gapped = dataclasses.replace(run.preprocessing, gap=2)
    with pytest.raises(ConfigError, match=r"`steps` \(--steps\) 4 is past the horizon \(3\), but the run forecasts "
                                          r"2 step\(s\) after a `gap`.*train with `data.gap: 0`"):
        forecast_steps(run.task, run.model, gapped, frame, 4)


# ----------------------------------------------------------------- the command line


def test_cli_predict_steps_writes_n_rows_whose_first_horizon_are_the_plain_forecast(finished_run, tmp_path, capsys):
    run = load_run(finished_run)
    config = seqkit.load_config(finished_run / "config.yaml")
    frame = load_dataset("synthetic", config.data.synthetic)
    frame.to_csv(tmp_path / "series.csv", index=False)
    status, out, err = cli(capsys, "predict", finished_run, "--input", tmp_path / "series.csv", "--steps", 7,
                           "--output", tmp_path / "long.csv")
    assert (status, err) == (0, "")
    assert out == f"wrote 7 forecast steps to {tmp_path / 'long.csv'}\n"
    status, plain, _ = cli(capsys, "predict", finished_run, "--input", tmp_path / "series.csv")
    assert status == 0
    lines = (tmp_path / "long.csv").read_text().splitlines()
    assert len(lines) == 1 + 7
    assert lines[: 1 + HORIZON] == plain.splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == [str(k) for k in range(1, 8)]
    np.testing.assert_array_equal(pd.read_csv(tmp_path / "long.csv").to_numpy(), run.predict(frame, steps=7).to_numpy())


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ("0", "error: `steps` (--steps) is a whole number of forecast steps of at least 1; received 0\n"),
        ("-3", "error: `steps` (--steps) is a whole number of forecast steps of at least 1; received -3\n"),
        ("2.5", "error: --steps is a whole number of forecast steps of at least 1; received '2.5'\n"),
        ("six", "error: --steps is a whole number of forecast steps of at least 1; received 'six'\n"),
    ],
)
def test_cli_refuses_bad_steps_with_status_2(finished_run, tmp_path, capsys, steps, message):
    config = seqkit.load_config(finished_run / "config.yaml")
    load_dataset("synthetic", config.data.synthetic).to_csv(tmp_path / "series.csv", index=False)
    status, out, err = cli(capsys, "predict", finished_run, "--input", tmp_path / "series.csv", "--steps", steps)
    assert (status, out, err) == (2, "", message)


# ----------------------------------------------------------------- covariates and future rows


def future_rows(n: int, start: int = 96) -> pd.DataFrame:
    """`n` future rows after `monthly()`'s end: Date and `temp` filled, `load` empty."""
    rows = monthly(start + n).iloc[start:].copy()
    rows["load"] = np.nan
    return rows


def test_covariates_without_future_values_are_refused_past_the_horizon(covariate_run, capsys):
    path, series = covariate_run
    status, out, err = cli(capsys, "predict", path, "--input", series, "--steps", 7)
    assert (status, out) == (2, "")
    assert err == (
        "error: File 'series.csv': forecasting 7 steps, past the horizon (3), feeds the model its own forecasts, but "
        "its inputs ['temp'] are covariates it does not forecast, and their values after the last observation are "
        "not given (0 future row(s); 6 needed). Add 6 future row(s) at the end of the input with `Date` continuing "
        "the series' 'MS' steps, each with every target (['load']) empty and ['temp'] filled, or ask for at most 3 "
        "steps.\n"
    )
    run = load_run(path)
    with pytest.raises(DataError, match=r"\(3 future row\(s\); 6 needed\)"):
        run.predict(pd.concat([monthly(), future_rows(3)], ignore_index=True), steps=7)
    assert len(run.predict(series, steps=HORIZON)) == HORIZON  # the direct forecast needs no future rows


def test_future_covariate_rows_feed_the_recursion(covariate_run, tmp_path, capsys):
    path, _ = covariate_run
    run = load_run(path)
    history = monthly()
    given = pd.concat([history, future_rows(6)], ignore_index=True)
    given.to_csv(tmp_path / "with_future.csv", index=False)
    status, out, err = cli(capsys, "predict", path, "--input", tmp_path / "with_future.csv", "--steps", 7)
    assert (status, err) == (0, "")
    long = pd.read_csv(io.StringIO(out), parse_dates=["Date"])
    assert long["Date"].dt.strftime("%Y-%m").tolist() == [f"2008-{m:02d}" for m in range(1, 8)]  # after 2007-12
    # A quantile run writes every level for every step, and feeds back its median (`load`).
    assert list(long.columns) == ["Date", "load_q0.1", "load", "load_q0.9"]
    levels = values(long)
    assert (levels[:, 0] <= levels[:, 1]).all() and (levels[:, 1] <= levels[:, 2]).all()

    long = run.predict(tmp_path / "with_future.csv", steps=7)
    direct = run.predict(history)
    pd.testing.assert_frame_equal(long.iloc[:HORIZON], direct, check_exact=True)
    temp = future_rows(6)["temp"].to_numpy()
    once = extended(history, direct, temp=temp[:3])
    np.testing.assert_array_equal(values(long.iloc[3:6]), values(run.predict(once)))
    twice = extended(once, long.iloc[3:6], temp=temp[3:6])
    np.testing.assert_array_equal(values(long.iloc[6:7]), values(run.predict(twice))[:1])
    # Future rows past what the recursion needs are read and not used; up to the horizon they are not needed at all.
    more = pd.concat([history, future_rows(9)], ignore_index=True)
    pd.testing.assert_frame_equal(run.predict(more, steps=7), long, check_exact=True)
    pd.testing.assert_frame_equal(run.predict(more, steps=2), direct.iloc[:2], check_exact=True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda rows: rows.assign(temp=[0.5, np.nan, 0.5]),
         r"File 'bad.csv': row 98 \(line 99 of the file, counting the header\) is a future row \(every target empty, "
         r"after the last observation at row 96\), but its covariate 'temp' is empty too"),
        (lambda rows: rows.assign(Date=["2008-01", "2008-03", "2008-04"]),
         r"File 'bad.csv': row 98 \(line 99 of the file, counting the header\) is a future row \(every target empty\), "
         r"so it must be 2 step\(s\) of the run's 'MS' grid after the last observation \(2007-12-01 00:00:00\), at "
         r"2008-02-01 00:00:00; it holds 2008-03-01 00:00:00"),
    ],
)
def test_bad_future_rows_are_refused_naming_the_row(covariate_run, tmp_path, change, message):
    path, _ = covariate_run
    pd.concat([monthly(), change(future_rows(3))], ignore_index=True).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataError, match=message):
        load_run(path).predict(tmp_path / "bad.csv", steps=6)
