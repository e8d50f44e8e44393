"""Transforms: exact values, train-only fitting, round trips, JSON state, inference inputs."""

import json

import numpy as np
import pandas as pd
import pytest

from seqkit.config.data import DataConfig
from seqkit.data import Transform, prepare
from seqkit.errors import DataError


def test_scaler_never_sees_validation_or_test_values():
    rng = np.random.default_rng(0)
    train = rng.normal(5.0, 2.0, size=80)
    series = np.concatenate([train, np.full(10, 1e9), np.full(10, -1e9)])  # huge values in val and test
    q25, median, q75 = np.percentile(train, [25, 50, 75])
    for scaler, want in [("standard", (train.mean(), train.std())), ("minmax", (train.min(), train.max() - train.min())),
                         ("robust", (median, q75 - q25))]:
        cfg = DataConfig(lookback=5, horizon=2, split={"type": "steps", "val": 10, "test": 10},
                         transform={"scaler": scaler})
        data = prepare(cfg, frame=series)
        state = data.transform.states[0]
        assert (state.loc, state.scale) == pytest.approx(want, rel=1e-12)
        train_part = data.train.inputs()
        assert np.abs(train_part).max() < 10  # training windows look like training data only


def test_scaler_fit_respects_embargo():
    series = np.concatenate([np.arange(50.0), np.full(50, 1e6)])
    cfg = DataConfig(lookback=3, horizon=1, split={"type": "steps", "test": 50, "embargo": 10})
    state = prepare(cfg, frame=series).transform.states[0]
    assert state.loc == pytest.approx(np.arange(40.0).mean())


def test_seasonal_strength_by_hand():
    from seqkit.data.transforms import seasonal_strength

    assert seasonal_strength(np.tile([0.0, 1.0], 10), 2) == pytest.approx(1.0)
    assert seasonal_strength(np.tile([0.0, 1.0, 5.0], 6) + np.arange(18), 3) == pytest.approx(1.0)  # trend removed
    noise = np.random.default_rng(0).normal(size=600)
    assert seasonal_strength(noise, 12) < 0.1
    assert seasonal_strength(np.arange(5.0), 12) == 0.0  # too short to decompose


def test_auto_window_norm_looks_at_the_training_rows_only():
    t = np.arange(200)
    seasonal = 10 + np.sin(2 * np.pi * t / 12)
    noise = 10 + np.random.default_rng(1).normal(size=200)
    split = {"type": "steps", "val": 40, "test": 40}
    # Seasonal in training, noise afterwards: seasonal_naive; noise in training, seasonal afterwards: robust.
    for train, later, want in [(seasonal, noise, "seasonal_naive"), (noise, seasonal, "robust")]:
        series = np.concatenate([train[:120], later[120:]])
        cfg = DataConfig(lookback=24, horizon=6, period=12, split=split, window_norm={"type": "auto"})
        data = prepare(cfg, frame=series)
        assert data.transform.window_norm == want
        np.testing.assert_allclose(data.test.to_original(data.test.targets()), data.test.targets_original(), rtol=1e-5)
        again = Transform.from_json(json.loads(json.dumps(data.transform.to_json())))
        assert again == data.transform


def test_robust_scaling_exact_values():
    cfg = DataConfig(lookback=2, horizon=1, split={"type": "steps", "test": 2}, transform={"scaler": "robust"})
    data = prepare(cfg, frame=np.array([1.0, 2, 3, 4, 5, 100, 1e6, 1e7]))  # one outlier in training
    # median of [1, 2, 3, 4, 5, 100] is 3.5; quartiles (linear) 2.25 and 4.75: IQR 2.5
    state = data.transform.states[0]
    assert (state.loc, state.scale) == pytest.approx((3.5, 2.5))
    np.testing.assert_allclose(data.train.inputs()[0, :, 0], [(1 - 3.5) / 2.5, (2 - 3.5) / 2.5], rtol=1e-6)


def test_standard_scaling_exact_values():
    cfg = DataConfig(lookback=2, horizon=1, split={"type": "steps", "test": 2})
    data = prepare(cfg, frame=np.array([1.0, 2, 3, 4, 5, 6, 100, 200]))
    mean, std = 3.5, np.std([1, 2, 3, 4, 5, 6])
    np.testing.assert_allclose(data.train.inputs()[0, :, 0], [(1 - mean) / std, (2 - mean) / std], rtol=1e-6)


@pytest.mark.parametrize(
    "transform,window_norm",
    [
        ({"steps": [], "scaler": "standard"}, {"type": "none"}),
        ({"steps": ["log"], "scaler": "none"}, {"type": "last"}),
        ({"steps": ["log"], "scaler": "standard"}, {"type": "mean"}),
        ({"steps": ["log1p"], "scaler": "minmax"}, {"type": "last", "mode": "divide"}),
        ({"steps": ["diff"], "scaler": "standard"}, {"type": "none"}),
        ({"steps": ["log", "seasonal_diff"], "scaler": "standard"}, {"type": "last"}),
        ({"steps": ["log", "diff", {"type": "seasonal_diff", "period": 4}]}, {"type": "mean"}),
        ({"steps": ["log"], "scaler": "standard"}, {"type": "seasonal_naive"}),
        ({"steps": ["diff"], "scaler": "minmax"}, {"type": "seasonal_naive"}),
        ({"steps": [], "scaler": "standard"}, {"type": "naive"}),
        ({"steps": [], "scaler": "robust"}, {"type": "robust"}),
        ({"steps": ["log"], "scaler": "none"}, {"type": "standard"}),
        ({"steps": ["diff"], "scaler": "robust"}, {"type": "robust"}),
    ],
)
def test_round_trip_to_original_units(transform, window_norm):
    t = np.arange(120)
    series = np.stack([100 + t + 20 * np.sin(t * 2 * np.pi / 12), 50 + 10 * np.cos(t / 3.0)], axis=1)
    frame = pd.DataFrame(series, columns=["a", "b"])
    cfg = DataConfig(lookback=15, horizon=13, period=12, transform=transform, window_norm=window_norm,
                     split={"type": "steps", "val": 20, "test": 20})
    data = prepare(cfg, frame=frame)
    for windows in (data.train, data.val, data.test):
        back = windows.to_original(windows.targets())
        np.testing.assert_allclose(back, windows.targets_original(), rtol=1e-5)
        rows = windows.target_starts[:, None] + np.arange(13)
        np.testing.assert_array_equal(windows.targets_original(), series[rows])
    # The inverse uses predicted levels, never the true future: a shifted forecast stays shifted.
    y = data.test.targets()
    moved = data.test.to_original(y + 0.01)
    assert not np.allclose(moved, data.test.targets_original())


@pytest.mark.parametrize("kind,gap", [("seasonal_naive", 0), ("seasonal_naive", 2), ("naive", 1)])
def test_a_zero_correction_is_the_baseline_forecast(kind, gap):
    from seqkit.data import load_dataset
    from seqkit.evaluation import naive_forecast, seasonal_naive_forecast

    cfg = DataConfig(dataset="airline", lookback=14, horizon=15, gap=gap, period=12,
                     split={"type": "steps", "val": 20, "test": 20},
                     transform={"steps": ["log"], "scaler": "standard"}, window_norm={"type": kind})
    data = prepare(cfg)

    def baseline(starts):
        if kind == "naive":
            return naive_forecast(data.targets_original, starts, 15, gap=gap)
        return seasonal_naive_forecast(data.targets_original, starts, 15, period=12, gap=gap)

    for windows in (data.train, data.test):
        zeros = np.zeros((len(windows), 15, 1))
        np.testing.assert_allclose(windows.to_original(zeros), baseline(windows.target_starts), rtol=1e-6)
        np.testing.assert_allclose(windows.to_original(windows.targets()), windows.targets_original(), rtol=1e-6)
    # The same from a new frame, as `predict` does: the forecast after row 120 is the baseline's.
    _, context = data.transform.make_inputs(load_dataset("airline").iloc[:120])
    want = baseline(np.array([120 + gap]))
    np.testing.assert_allclose(data.transform.to_original(np.zeros((1, 15, 1)), context), want, rtol=1e-6)
    saved = Transform.from_json(json.loads(json.dumps(data.transform.to_json())))
    assert saved == data.transform and saved.window_norm_period == (12 if kind == "seasonal_naive" else None)


def test_json_state_round_trip_is_exact():
    cfg = DataConfig(dataset="airline", lookback=24, horizon=12, period=12,
                     transform={"steps": ["log", "seasonal_diff"], "scaler": "standard"}, window_norm={"type": "last"})
    transform = prepare(cfg).transform
    text = json.dumps(transform.to_json())
    again = Transform.from_json(json.loads(text))
    assert again == transform
    assert "pickle" not in text


def test_json_from_unknown_version_is_refused():
    with pytest.raises(DataError, match="version 99"):
        Transform.from_json({"version": 99})


def test_make_inputs_forecasts_after_the_frame_end():
    from seqkit.data import load_dataset

    cfg = DataConfig(dataset="airline", lookback=24, horizon=12, split={"type": "steps", "test": 12},
                     transform={"steps": ["log"], "scaler": "none"}, window_norm={"type": "last"})
    data = prepare(cfg)
    frame = load_dataset("airline")
    x, context = data.transform.make_inputs(frame.iloc[:132])
    np.testing.assert_allclose(x, data.test.inputs(), atol=1e-6)
    y = data.test.targets()
    np.testing.assert_allclose(data.transform.to_original(y, context), data.test.targets_original(), rtol=1e-6)
    assert context.times[0] == pd.Timestamp("1960-01-01") and len(context.times) == 12
    _, after_end = data.transform.make_inputs(frame)
    assert after_end.times[0] == pd.Timestamp("1961-01-01")


def test_make_inputs_rejects_wrong_columns_and_short_frames():
    cfg = DataConfig(dataset="airline", lookback=24, horizon=12, transform={"steps": ["diff"]})
    transform = prepare(cfg).transform
    months = pd.date_range("1949-01", periods=30, freq="MS").strftime("%Y-%m")
    with pytest.raises(DataError, match=r"`data.features` names column\(s\) \['Passengers'\] that the DataFrame given as data does not"):
        transform.make_inputs(pd.DataFrame({"Date": months, "x": np.arange(30.0)}))
    with pytest.raises(DataError, match=r"has 20 row\(s\); forecasting needs at least 25 \(`lookback` 24 plus 1"):
        transform.make_inputs(pd.DataFrame({"Date": months[:20], "Passengers": np.arange(20.0) + 1}))
    with pytest.raises(DataError, match=r"shape \(n, 1\)"):
        transform.make_inputs(np.ones((30, 3)))


def test_log_of_non_positive_value_names_row_and_column():
    frame = pd.DataFrame({"v": [3.0, 2.0, 0.0, 4.0] * 10})
    with pytest.raises(DataError, match=r"`log` of column 'v' needs values above 0, but row 3 holds 0"):
        prepare(DataConfig(lookback=3, transform={"steps": ["log"]}), frame=frame)


def test_diff_leaves_first_rows_out_of_windows():
    cfg = DataConfig(lookback=3, horizon=1, split={"type": "steps"}, transform={"steps": ["diff"], "scaler": "none"})
    data = prepare(cfg, frame=np.arange(10.0) ** 2)
    assert data.train.starts[0] == 1
    np.testing.assert_array_equal(data.train.inputs()[0, :, 0], [1, 3, 5])
    np.testing.assert_array_equal(data.train.targets()[0, :, 0], [7])
