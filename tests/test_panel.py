"""Panels (`data.series_column`): windows within each series, per-series splits and scalers, one global model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import seqkit
from seqkit.config.data import DataConfig
from seqkit.config.loading import config_from_dict
from seqkit.data.panel import prepare_panel
from seqkit.errors import ConfigError, DataError
from seqkit.evaluation import panel_summary, panel_table
from seqkit.tasks import task_for


def _long(series: dict[str, np.ndarray], start: str | dict[str, str] = "2020-01-01", freq: str = "D") -> pd.DataFrame:
    parts = []
    for name, values in series.items():
        first = start[name] if isinstance(start, dict) else start
        parts.append(pd.DataFrame({
            "day": pd.date_range(first, periods=len(values), freq=freq).strftime("%Y-%m-%d"),
            "store": name,
            "sales": np.asarray(values, dtype=float),
        }))
    return pd.concat(parts, ignore_index=True)


def _config(**data) -> DataConfig:
    base = {"series_column": "store", "time_column": "day", "lookback": 2, "horizon": 1,
            "split": {"type": "steps", "val": 0, "test": 1}, "transform": {"scaler": "none"}}
    return DataConfig(**{**base, **data})


def test_windows_stay_inside_their_series_exactly_as_the_module_example_says():
    frame = _long({"A": np.arange(6), "B": 100 + np.arange(5)})
    prepared = prepare_panel(_config(), frame=frame)
    x, y = prepared.train.arrays()
    np.testing.assert_array_equal(x[:, :, 0], [[0, 1], [1, 2], [2, 3], [100, 101], [101, 102]])
    np.testing.assert_array_equal(y[:, 0, 0], [2, 3, 4, 102, 103])
    np.testing.assert_array_equal(prepared.train.starts, [0, 1, 2, 6, 7])  # B's rows begin at panel row 6
    x, y = prepared.test.arrays()
    np.testing.assert_array_equal(x[:, :, 0], [[3, 4], [102, 103]])
    np.testing.assert_array_equal(y[:, 0, 0], [5, 104])
    assert prepared.ids == ["A", "B"] and prepared.test.window_series.tolist() == [0, 1]
    # Each series keeps its own row numbers for scoring against its own history.
    assert [part.target_starts.tolist() for part in prepared.test.parts] == [[5], [4]]
    np.testing.assert_array_equal(prepared.test.targets_original()[:, 0, 0], [5, 104])


def test_shuffled_training_batches_visit_every_window_of_every_series_once():
    frame = _long({"A": np.arange(30), "B": 1000 + np.arange(25), "C": 2000 + np.arange(20)})
    prepared = prepare_panel(_config(), frame=frame)
    firsts = np.concatenate([x[:, 0, 0].numpy() for x, _ in prepared.train.dataset(7, shuffle=True, seed=1)])
    expected = prepared.train.arrays()[0][:, 0, 0]
    assert sorted(firsts.tolist()) == sorted(expected.tolist()) and len(firsts) == len(expected) == 27 + 22 + 17
    assert firsts.tolist() != expected.tolist()  # shuffled across series, not series by series


def test_each_series_is_scaled_on_its_own_training_rows_and_global_on_all_of_them():
    a, b = np.array([1.0, 2, 3, 4, 5, 6, 70]), np.array([10.0, 20, 30, 40, 50, 900])
    frame = _long({"A": a, "B": b})
    config = _config(transform={"scaler": "standard"}, split={"type": "steps", "val": 1, "test": 1})
    prepared = prepare_panel(config, frame=frame)
    (ta, tb) = prepared.preprocessing.transforms
    assert prepared.preprocessing.scope == "per_series"
    # Training rows: all but the last two (one validation, one test target) of each series.
    assert (ta.states[0].loc, ta.states[0].scale) == pytest.approx((a[:5].mean(), a[:5].std()))
    assert (tb.states[0].loc, tb.states[0].scale) == pytest.approx((b[:4].mean(), b[:4].std()))
    pooled = np.concatenate([a[:5], b[:4]])
    glob = prepare_panel(config.model_copy(update={"transform": config.transform.model_copy(
        update={"scope": "global"})}), frame=frame)
    (t,) = glob.preprocessing.transforms
    assert (t.states[0].loc, t.states[0].scale) == pytest.approx((pooled.mean(), pooled.std()))
    # Forecasts map back to each series' own units.
    y = glob.test.to_original(np.zeros((2, 1, 1)))
    np.testing.assert_allclose(y[:, 0, 0], [pooled.mean()] * 2)
    np.testing.assert_allclose(prepared.test.to_original(np.zeros((2, 1, 1)))[:, 0, 0], [a[:5].mean(), b[:4].mean()])


def test_a_date_split_cuts_every_series_at_the_same_date():
    frame = _long({"A": np.arange(20.0), "B": np.arange(12.0)}, start={"A": "2020-01-01", "B": "2020-01-09"})
    prepared = prepare_panel(_config(split={"type": "date", "test_start": "2020-01-17"}), frame=frame)
    times = [part.target_times[:, 0] for part in prepared.test.parts]
    assert [str(t[0])[:10] for t in times] == ["2020-01-17", "2020-01-17"]
    assert [len(t) for t in times] == [4, 4]
    assert [part.target_times[:, 0].max() < np.datetime64("2020-01-17") for part in prepared.train.parts] == [
        True, True]


def test_bad_panels_are_refused_naming_the_series():
    frame = _long({"A": np.arange(10.0), "B": np.arange(10.0)})
    shuffled = frame.iloc[[*range(10), 15, 11, 12, 13, 14, 10, 16, 17, 18, 19]].reset_index(drop=True)
    with pytest.raises(DataError, match="[Ss]eries 'B'"):
        prepare_panel(_config(), frame=shuffled)
    with pytest.raises(DataError, match="`data.series_column` 'shop' is not a column"):
        prepare_panel(_config(series_column="shop"), frame=frame)
    short = _long({"A": np.arange(10.0), "tiny": np.arange(3.0)})
    with pytest.raises(DataError, match="[Ss]eries 'tiny'"):
        prepare_panel(_config(split={"type": "steps", "val": 1, "test": 1}), frame=short)
    with pytest.raises(DataError, match="series_column: sector"):
        seqkit.validate(config_from_dict({"data": {"dataset": "us_employment", "lookback": 12}}, source="t"))


def test_panel_options_are_checked_with_the_config():
    with pytest.raises(ConfigError, match="model.stateful"):
        config_from_dict({"data": {"path": "p.csv", "series_column": "s", "lookback": 4},
                          "model": {"stateful": True}, "train": {"batch_size": 4, "shuffle": False}}, source="t")
    with pytest.raises(ConfigError, match="series_embedding"):
        config_from_dict({"data": {"path": "p.csv", "lookback": 4}, "model": {"series_embedding": {"dim": 4}}},
                         source="t")
    with pytest.raises(ConfigError, match="scope"):
        config_from_dict({"data": {"path": "p.csv", "lookback": 4, "transform": {"scope": "global"}}}, source="t")
    with pytest.raises(ConfigError, match="series column"):
        config_from_dict({"data": {"path": "p.csv", "lookback": 4, "series_column": "s", "features": ["s"]}},
                         source="t")


def test_the_summary_averages_each_series_score_and_counts_wins():
    def scores(model, naive):
        return {name: {"overall": {"mae": m, "rmse": m, "mape": m, "smape": m, "mase": m}}
                for name, m in (("model", model), ("naive", naive))}

    per_series = {"a": scores(0.5, 1.0), "b": scores(2.0, 1.0), "c": scores(1.0, 1.5)}
    summary = panel_summary(per_series)
    assert summary["mean"]["model"]["mase"] == pytest.approx(3.5 / 3)
    assert summary["median"]["model"]["mase"] == 1.0 and summary["median"]["naive"]["mase"] == 1.0
    assert summary["beats"]["naive"] == {"series": 2, "share": pytest.approx(2 / 3)}
    assert [record["series"] for record in summary["worst"]] == ["b", "c", "a"]
    assert "model beats naive on MASE in 2 of 3 series (67%)" in panel_table(summary)


def _panel_run(tmp_path, frame, **model):
    config = {
        "data": {"series_column": "store", "time_column": "day", "lookback": 8, "horizon": 2,
                 "split": {"type": "steps", "val": 2, "test": 4}},
        "model": {"layers": [8], **model},
        "train": {"epochs": 2, "batch_size": 16},
        "evaluate": {"plots": False},
    }
    return seqkit.train(config_from_dict(config, source="tiny"), frame=frame, runs_dir=tmp_path, verbose=0)


def _sines(n_series: int, length: int = 60) -> pd.DataFrame:
    t = np.arange(length)
    return _long({f"s{k}": 10 * (k + 1) + np.sin(2 * np.pi * t / (7 + k)) for k in range(n_series)})


def test_a_global_model_with_series_embedding_is_scored_per_series_and_forecasts_every_series(tmp_path):
    frame = _sines(3)
    run = _panel_run(tmp_path, frame, series_embedding={"dim": 3})
    metrics = run.metrics
    assert set(metrics["per_series"]) == {"s0", "s1", "s2"}
    assert metrics["aggregate"]["n_series"] == 3 and "naive" in metrics["aggregate"]["beats"]
    assert "worst 3 series by model MASE" in metrics["report"]
    assert run.model.get_layer("series_embedding").table.input_dim == 3
    forecast = run.predict(frame)
    assert list(forecast.columns) == ["store", "day", "sales"] and len(forecast) == 3 * 2
    assert forecast["day"].astype(str).tolist()[:2] == ["2020-03-01", "2020-03-02"]
    loaded = seqkit.load_run(run.path)  # SeriesEmbedding loads in safe mode
    pd.testing.assert_frame_equal(loaded.predict(frame), forecast)
    # The series' vector matters: the same history forecast as another series differs.
    as_other = frame[frame.store == "s0"].assign(store="s1")
    assert not np.allclose(run.predict(as_other)["sales"], forecast[forecast.store == "s0"]["sales"])
    with pytest.raises(DataError, match="[Ss]eries 'new' .*not a series the run was trained on"):
        run.predict(frame.assign(store="new"))


def test_the_series_embedding_puts_each_series_vector_in_place_of_its_index():
    import keras

    from seqkit.models import SeriesEmbedding

    layer = SeriesEmbedding(3, 2)
    x = np.zeros((2, 4, 2), dtype="float32")
    x[0, :, 0], x[1, :, 0], x[:, :, 1] = 5.0, 7.0, [[2], [0]]
    out = keras.ops.convert_to_numpy(layer(x))
    table = keras.ops.convert_to_numpy(layer.table.embeddings)
    np.testing.assert_allclose(out[0], np.concatenate([np.full((4, 1), 5.0), np.tile(table[2], (4, 1))], 1))
    np.testing.assert_allclose(out[1], np.concatenate([np.full((4, 1), 7.0), np.tile(table[0], (4, 1))], 1))


def test_the_shipped_panel_reads_as_22_monthly_series():
    task = task_for(config_from_dict(
        {"data": {"dataset": "us_employment", "series_column": "sector", "lookback": 24, "horizon": 6,
                  "split": {"type": "steps", "val": 6, "test": 12}}}, source="t"))
    prepared = task.prepare()
    assert len(prepared.ids) == 22 and {series.n_time for series in prepared.series} == {120}
    assert len(prepared.test) == 22 * 7 and prepared.frequency == "MS"


def test_a_globally_scaled_run_forecasts_a_new_series_and_the_cli_writes_every_series(tmp_path, capsys):
    import io

    from seqkit.cli import main

    frame = _sines(2)
    config = {
        "data": {"series_column": "store", "time_column": "day", "lookback": 8, "horizon": 2,
                 "split": {"type": "steps", "val": 2, "test": 4}, "transform": {"scope": "global"}},
        "model": {"layers": [4]}, "train": {"epochs": 1, "batch_size": 16},
    }
    run = seqkit.train(config_from_dict(config, source="tiny"), frame=frame, runs_dir=tmp_path / "runs", verbose=0)
    assert {path.name for path in (run.path / "plots").iterdir()} >= {
        "loss.png", "forecast_worst.png", "forecast_median.png", "forecast_best.png"}
    new = frame[frame.store == "s1"].assign(store="unseen")
    assert run.predict(new)["store"].unique().tolist() == ["unseen"]  # one scaler for all: any series
    assert run.evaluate(data=frame)["aggregate"]["n_series"] == 2
    with pytest.raises(ConfigError, match="panel run"):
        run.predict(frame, steps=4)
    csv = tmp_path / "panel.csv"
    frame.to_csv(csv, index=False)
    assert main(["predict", str(run.path), "--input", str(csv)]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(table.columns) == ["store", "day", "sales"] and table.store.tolist() == ["s0", "s0", "s1", "s1"]


def test_three_series_split_at_their_own_boundaries_and_no_scaler_sees_a_sentinel():
    # Each series: training rows 1..n, then one validation and two test rows holding sentinels.
    sentinel = 1e6
    lengths = {"A": 9, "B": 7, "C": 8}
    series = {name: np.concatenate([np.arange(1.0, n - 2), [sentinel, sentinel, sentinel]])
              for name, n in lengths.items()}
    config = _config(split={"type": "steps", "val": 1, "test": 2}, transform={"scaler": "minmax"})
    prepared = prepare_panel(config, frame=_long(series))
    for k, n in enumerate(lengths.values()):
        train = np.arange(1.0, n - 2)
        state = prepared.preprocessing.transforms[k].states[0]
        assert (state.loc, state.scale) == (train.min(), train.max() - train.min())  # the sentinels are not seen
        part = {split: getattr(prepared, split).parts[k] for split in ("train", "val", "test")}
        assert part["train"].target_starts.tolist() == list(range(2, n - 3))  # targets inside the training rows
        assert part["val"].target_starts.tolist() == [n - 3]
        assert part["test"].target_starts.tolist() == [n - 2, n - 1]
    # Panel rows: A 0-8, B 9-15, C 16-23; every window's inputs and target lie inside one series.
    for split in (prepared.train, prepared.val, prepared.test):
        starts = split.starts
        series_of_first = np.searchsorted([9, 16], starts, side="right")
        series_of_target = np.searchsorted([9, 16], starts + 2, side="right")
        assert (series_of_first == series_of_target).all() and (series_of_first == split.window_series).all()


def test_a_panel_is_not_backtested_and_says_so(tmp_path):
    config = config_from_dict({"data": {"dataset": "us_employment", "series_column": "sector", "lookback": 12}},
                              source="t")
    with pytest.raises(ConfigError, match="backtesting a panel"):
        seqkit.backtest(config, folds=2, runs_dir=tmp_path, verbose=0)
