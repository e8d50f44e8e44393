"""Covariates known in advance (`data.calendar`, `data.future`): what the model reads for its forecast steps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import seqkit
from seqkit.config.data import DataConfig
from seqkit.config.loading import config_from_dict
from seqkit.data import prepare
from seqkit.data.calendar import calendar_values
from seqkit.errors import ConfigError, DataError


def _hourly(n: int = 40, start: str = "2024-01-06 00:00") -> pd.DataFrame:
    times = pd.date_range(start, periods=n, freq="h")
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "time": times.strftime("%Y-%m-%d %H:%M"),
        "load": 10 + np.sin(np.arange(n) / 3) + rng.normal(0, 0.1, n),
        "price": np.arange(n, dtype=float),
    })


def test_calendar_values_follow_the_clock_across_a_day_and_a_week_boundary():
    # Sunday 2024-01-07 22:00 to Monday 2024-01-08 01:00.
    times = pd.date_range("2024-01-07 22:00", periods=4, freq="h")
    values = calendar_values(times, ["hour", "day_of_week"])
    hours, days = np.array([22, 23, 0, 1]), np.array([6, 6, 0, 0])
    expected = np.stack([np.sin(2 * np.pi * hours / 24), np.cos(2 * np.pi * hours / 24),
                         np.sin(2 * np.pi * days / 7), np.cos(2 * np.pi * days / 7)], axis=1)
    np.testing.assert_allclose(values, expected, atol=1e-12)
    assert values[2, 1] == pytest.approx(1.0) and values[2, 3] == pytest.approx(1.0)  # midnight, Monday
    month = calendar_values(pd.DatetimeIndex(["2023-12-01", "2024-01-01"]), ["month", "day_of_year"])
    np.testing.assert_allclose(month[:, :2], [[np.sin(2 * np.pi * 11 / 12), np.cos(2 * np.pi * 11 / 12)], [0, 1]],
                               atol=1e-12)


def _config(**data) -> DataConfig:
    base = {"time_column": "time", "targets": ["load"], "lookback": 4, "horizon": 3,
            "split": {"type": "steps", "val": 0, "test": 3}, "transform": {"scaler": "none"}}
    return DataConfig(**{**base, **data})


def test_the_forecast_steps_calendar_comes_from_their_own_timestamps():
    frame = _hourly()
    prepared = prepare(_config(features=["load"], calendar=["hour", "day_of_week"]), frame=frame)
    assert prepared.spec.feature_names == ("load", "hour_sin", "hour_cos", "day_of_week_sin", "day_of_week_cos")
    x, _ = prepared.test.arrays()
    assert x.shape == (len(prepared.test), 4, 5 + 4)  # 5 inputs per step, then the 4 known columns
    times = pd.to_datetime(frame["time"])
    for k, start in enumerate(prepared.test.target_starts):
        targets = times[start : start + 3]
        np.testing.assert_allclose(x[k, :3, 5:], calendar_values(targets, ["hour", "day_of_week"]), atol=1e-6)
        np.testing.assert_array_equal(x[k, 3:, 5:], 0.0)  # rows past the horizon are empty
        inputs = times[start - 4 : start]
        np.testing.assert_allclose(x[k, :, 1:5], calendar_values(inputs, ["hour", "day_of_week"]), atol=1e-6)
    # At prediction, the steps after the data's last row (Sunday 22:00 here) are 23:00, Monday 00:00 and 01:00.
    history = _hourly(47)  # Saturday 00:00 to Sunday 2024-01-07 22:00
    x, context = prepared.transform.make_inputs(history.drop(columns="price"), _config(calendar=["hour", "day_of_week"]))
    expected = calendar_values(pd.date_range("2024-01-07 23:00", periods=3, freq="h"), ["hour", "day_of_week"])
    np.testing.assert_allclose(x[0, :3, 5:], expected, atol=1e-6)
    assert [str(t) for t in context.times] == ["2024-01-07 23:00:00", "2024-01-08 00:00:00", "2024-01-08 01:00:00"]


def test_a_future_columns_later_values_reach_the_model_only_through_the_future_branch():
    import keras

    frame = _hourly()
    config = _config(future=["price"], window_norm={"type": "last"})
    prepared = prepare(config, frame=frame)
    assert prepared.spec.target_names == ("load",) and prepared.spec.future_names == ("price",)
    changed = frame.copy()
    starts = prepared.test.target_starts
    changed.loc[starts[0] : starts[0] + 2, "price"] += 1000.0  # the first test window's forecast steps only
    x, _ = prepared.test.arrays()
    x2, _ = prepare(config, frame=changed).test.arrays()
    n_features = 2  # load, price (its past values are ordinary inputs)
    np.testing.assert_array_equal(x[0, :, :n_features], x2[0, :, :n_features])  # the window itself: unchanged
    np.testing.assert_allclose(x2[0, :3, n_features] - x[0, :3, n_features], 1000.0)  # only the known block
    # Normalised as its own inputs are: relative to the window's last price.
    np.testing.assert_allclose(x[0, :3, n_features], frame.price[starts[0] : starts[0] + 3] - frame.price[starts[0] - 1])
    # In the model, the recurrent layers read the window without the known block.
    task_config = config_from_dict({"data": {**config.model_dump(mode="json"), "path": "unused.csv"},
                                    "model": {"layers": [4]}}, source="t")
    from seqkit.tasks import task_for

    task = task_for(task_config)
    model = task.build_model(task.spec(prepared))
    recurrent_input = keras.Model(model.input, model.get_layer("known_future").output[0])
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(recurrent_input(x[:1])), keras.ops.convert_to_numpy(recurrent_input(x2[:1]))
    )
    assert not np.allclose(keras.ops.convert_to_numpy(model(x[:1])), keras.ops.convert_to_numpy(model(x2[:1])))


def _train(tmp_path, frame, **data):
    config = {
        "data": {"time_column": "time", "targets": ["load"], "lookback": 6, "horizon": 2,
                 "split": {"type": "steps", "val": 2, "test": 4}, **data},
        "model": {"layers": [4]}, "train": {"epochs": 1, "batch_size": 8}, "evaluate": {"plots": False},
    }
    return seqkit.train(config_from_dict(config, source="tiny"), frame=frame, runs_dir=tmp_path, verbose=0)


def test_predict_reads_the_known_future_rows_and_says_which_are_missing(tmp_path):
    frame = _hourly(60)
    run = _train(tmp_path, frame, future=["price"], calendar=["hour"])
    with pytest.raises(DataError, match=r"add 2 more row\(s\) after the last observation.*\['price'\]"):
        run.predict(frame)
    ahead = pd.DataFrame({"time": ["2024-01-08 12:00", "2024-01-08 13:00"], "load": [None, None],
                          "price": [60.0, 61.0]})
    forecast = run.predict(pd.concat([frame, ahead], ignore_index=True))
    assert forecast["time"].astype(str).tolist() == ["2024-01-08 12:00:00", "2024-01-08 13:00:00"]
    assert list(forecast.columns) == ["time", "load"]
    dearer = run.predict(pd.concat([frame, ahead.assign(price=[600.0, 610.0])], ignore_index=True))
    assert not np.allclose(dearer["load"], forecast["load"])  # the known prices matter
    pd.testing.assert_frame_equal(
        seqkit.load_run(run.path).predict(pd.concat([frame, ahead], ignore_index=True)), forecast
    )
    with pytest.raises(ConfigError, match="covariates known in advance"):
        run.predict(pd.concat([frame, ahead], ignore_index=True), steps=4)


def test_a_calendar_only_run_forecasts_from_the_history_alone(tmp_path):
    frame = _hourly(60).drop(columns="price")
    run = _train(tmp_path, frame, calendar=["hour", "day_of_week"])
    forecast = run.predict(frame)
    assert forecast["time"].astype(str).tolist() == ["2024-01-08 12:00:00", "2024-01-08 13:00:00"]


def test_covariate_options_are_checked():
    with pytest.raises(ValueError, match="never forecast"):  # pydantic's ValidationError
        DataConfig(lookback=4, future=["price"], targets=["price"])
    with pytest.raises(ValueError, match="at least 6"):
        DataConfig(lookback=4, horizon=6, calendar=["hour"])
    with pytest.raises(DataError, match="has none"):
        prepare(DataConfig(lookback=4, calendar=["hour"], split={"type": "steps", "test": 1}),
                frame=pd.DataFrame({"y": np.arange(20.0)}))
    with pytest.raises(DataError, match="array without them"):
        prepare(DataConfig(lookback=4, calendar=["hour"]), frame=np.arange(20.0))


def test_a_panel_reads_each_series_calendar_and_forecasts_every_series(tmp_path):
    frame = pd.concat([_hourly(50).assign(meter="a"), _hourly(50, "2024-01-06 05:00").assign(meter="b")],
                      ignore_index=True).drop(columns="price")
    config = {
        "data": {"time_column": "time", "targets": ["load"], "lookback": 6, "horizon": 2, "series_column": "meter",
                 "split": {"type": "steps", "val": 2, "test": 4}, "calendar": ["hour"]},
        "model": {"layers": [4], "series_embedding": {"dim": 2}}, "train": {"epochs": 1, "batch_size": 8},
        "evaluate": {"plots": False},
    }
    run = seqkit.train(config_from_dict(config, source="tiny"), frame=frame, runs_dir=tmp_path, verbose=0)
    forecast = run.predict(frame)
    assert forecast.groupby("meter")["time"].first().astype(str).to_dict() == {
        "a": "2024-01-08 02:00:00", "b": "2024-01-08 07:00:00"}
    # A fresh process loads the model's own layers (KnownFuture, SeriesEmbedding) in safe mode.
    import subprocess
    import sys

    frame.to_csv(tmp_path / "panel.csv", index=False)
    code = f"import seqkit; print(seqkit.load_run({str(run.path)!r}).predict({str(tmp_path / 'panel.csv')!r}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "2024-01-08 07:00:00" in done.stdout
