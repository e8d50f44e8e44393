"""Tests for seqkit.evaluation.plots: the data each plot draws, exactly, and the PNG files a run writes."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import TINY_RUN  # the tiny run the shared fixtures train

import seqkit.evaluation.plots as plots
from seqkit.errors import DataError
from seqkit.evaluation import classification_metrics
from seqkit.evaluation.comparison import baseline_forecasts
from seqkit.evaluation.plots import (
    confusion_cells,
    forecast_plot_lines,
    loss_plot_data,
    plot_confusion_matrix,
    plot_forecast,
    plot_history,
)
from seqkit.evaluation.report import headline
from seqkit.training import train

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _assert_png(path):
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 1000


def test_plot_history_writes_png(tmp_path):
    history = {
        "loss": [1.0, 0.5, 0.3],
        "val_loss": [1.1, 0.7, 0.6],
        "mae": [0.9, 0.6, 0.4],
    }
    path = plot_history(history, tmp_path / "loss.png", initial_epoch=2, best_epoch=4)
    assert path == tmp_path / "loss.png"
    _assert_png(path)
    assert [p.name for p in tmp_path.iterdir()] == ["loss.png"]


def test_plot_history_rejects_ragged_history(tmp_path):
    with pytest.raises(
        DataError, match=r"received lengths \{'loss': 2, 'val_loss': 1\}"
    ):
        plot_history({"loss": [1.0, 0.5], "val_loss": [1.0]}, tmp_path / "loss.png")
    assert list(tmp_path.iterdir()) == []


def test_forecast_lines_are_each_origins_full_horizon_over_its_own_timestamps():
    # 10 daily rows 0, 10, ..., 90; two origins, horizon 3: targets rows 5-7 and 7-9.
    times = pd.date_range("2024-01-01", periods=10, freq="D")
    series = np.arange(10.0) * 10
    starts = np.array([5, 7])
    model = np.array([[51.0, 52.0, 53.0], [71.0, 72.0, 73.0]])
    baselines = baseline_forecasts(series, starts, 3, period=2)
    lines = forecast_plot_lines(
        series, starts, {"model": model, **baselines}, times=times, history=3,
        intervals={"80% interval": (model - 1, model + 1)},
    )
    np.testing.assert_array_equal(lines.history_x, times[[2, 3, 4]].to_numpy())
    np.testing.assert_array_equal(lines.history_y[:, 0], [20.0, 30.0, 40.0])
    np.testing.assert_array_equal(lines.actual_x, times[5:].to_numpy())
    np.testing.assert_array_equal(lines.actual_y[:, 0], [50.0, 60.0, 70.0, 80.0, 90.0])
    # One segment per origin, starting at its own first target: not each window's first step joined up.
    np.testing.assert_array_equal(lines.segment_x, times.to_numpy()[[[5, 6, 7], [7, 8, 9]]])
    assert list(lines.forecasts) == ["model", "naive", "seasonal_naive"]
    np.testing.assert_array_equal(lines.forecasts["model"][:, :, 0], model)
    np.testing.assert_array_equal(lines.forecasts["naive"][:, :, 0], [[40, 40, 40], [60, 60, 60]])
    # Period 2 from the last input row (4, then 6): rows 3 4 3, then 5 6 5.
    np.testing.assert_array_equal(lines.forecasts["seasonal_naive"][:, :, 0], [[30, 40, 30], [50, 60, 50]])
    low, high = lines.intervals["80% interval"]
    np.testing.assert_array_equal(low[:, :, 0], model - 1)
    np.testing.assert_array_equal(high[:, :, 0], model + 1)


def test_forecast_lines_without_timestamps_use_row_numbers_and_stop_at_the_series_start():
    series = np.arange(16.0).reshape(8, 2)
    lines = forecast_plot_lines(series, np.array([4, 3]), {"model": np.zeros((2, 2, 2))}, history=100)
    np.testing.assert_array_equal(lines.history_x, [0, 1, 2])
    np.testing.assert_array_equal(lines.actual_x, [3, 4, 5])
    np.testing.assert_array_equal(lines.actual_y, series[3:6])
    np.testing.assert_array_equal(lines.segment_x, [[4, 5], [3, 4]])  # window order is kept


def test_plot_forecast_with_timestamps_baselines_and_intervals(tmp_path):
    times = pd.date_range("1958-01-01", periods=24, freq="MS")
    series = np.linspace(300, 400, 24)
    starts = np.arange(12, 22)
    model = series[starts[:, None] + np.arange(3)] + 5
    path = plot_forecast(
        series, starts, {"model": model, "naive": model - 10}, tmp_path / "forecast.png", times=times, history=12,
        intervals={"80% interval": (model - 3, model + 3)}, title="airline",
    )
    _assert_png(path)


def test_plot_forecast_one_step_multi_target(tmp_path):
    series = np.arange(20.0).reshape(10, 2)
    starts = np.arange(5, 10)
    path = plot_forecast(
        series, starts, {"model": series[starts][:, None, :]}, tmp_path / "f.png", target_names=["a", "b"],
        intervals={"50% interval": (series[starts][:, None, :] - 1, series[starts][:, None, :] + 1)},
    )
    _assert_png(path)


def test_plot_forecast_shape_errors(tmp_path):
    with pytest.raises(DataError, match=r"`forecasts\['model'\]` must have shape \(n_windows, horizon, n_targets\)"):
        plot_forecast(np.arange(6.0), np.array([2, 3]), {"model": np.zeros(3)}, tmp_path / "f.png")
    with pytest.raises(DataError, match=r"naive has \(2, 3, 2\), the first forecast \(2, 3, 1\)"):
        plot_forecast(
            np.arange(6.0), np.array([1, 2]), {"model": np.zeros((2, 3)), "naive": np.zeros((2, 3, 2))},
            tmp_path / "f.png",
        )
    with pytest.raises(DataError, match="targets must lie inside the series of 6 rows"):
        plot_forecast(np.arange(6.0), np.array([2, 4]), {"model": np.zeros((2, 3))}, tmp_path / "f.png")
    with pytest.raises(DataError, match="one name per target"):
        plot_forecast(np.arange(6.0), np.array([2]), {"model": np.zeros((1, 3))}, tmp_path / "f.png",
                      target_names=["a", "b"])
    assert list(tmp_path.iterdir()) == []


def test_loss_plot_numbers_epochs_as_the_console_and_marks_the_best():
    history = {"loss": [1.0, 0.5, 0.3], "mae": [0.9, 0.6, 0.4], "val_loss": [1.1, 0.6, 0.7], "val_mae": [1, 1, 1]}
    data = loss_plot_data(history, best_epoch=2)
    np.testing.assert_array_equal(data.epochs, [1, 2, 3])
    assert list(data.panels) == ["loss", "mae"]
    assert list(data.panels["loss"]) == ["loss", "val_loss"]
    assert data.best_epoch == 2 and data.best_point == ("val_loss", 2, 0.6)
    resumed = loss_plot_data({"loss": [0.4, 0.2]}, initial_epoch=3, best_epoch=5)
    np.testing.assert_array_equal(resumed.epochs, [4, 5])
    assert resumed.best_point == ("loss", 5, 0.2)
    assert loss_plot_data(history).best_point is None
    with pytest.raises(DataError, match=r"one of the history's epochs, 1 to 3 .*received 0"):
        loss_plot_data(history, best_epoch=0)


def test_confusion_cells_are_a_hand_count():
    # true 0 0 1 2 2 2, predicted 0 1 1 2 0 2; class 3 never occurs.
    truth = [0, 0, 1, 2, 2, 2]
    probabilities = np.eye(4)[[0, 1, 1, 2, 0, 2]]
    cells = confusion_cells(classification_metrics(truth, probabilities)["confusion_matrix"])
    np.testing.assert_array_equal(cells.counts, [[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 2, 0], [0, 0, 0, 0]])
    np.testing.assert_allclose(cells.shares[:3], [[0.5, 0.5, 0, 0], [0, 1, 0, 0], [1 / 3, 0, 2 / 3, 0]])
    assert np.isnan(cells.shares[3]).all()
    assert cells.text[2][2] == "2\n(67%)" and cells.text[3][0] == "0\n(n/a)"
    with pytest.raises(DataError, match="square matrix of counts"):
        confusion_cells([[1, 2]])


def test_plot_confusion_matrix_writes_png(tmp_path):
    _assert_png(plot_confusion_matrix([[3, 1], [0, 2]], ["down", "up"], tmp_path / "c.png"))
    with pytest.raises(DataError, match=r"one name per class \(2\)"):
        plot_confusion_matrix([[3, 1], [0, 2]], ["down"], tmp_path / "d.png")


def test_headline_names_the_split_metric_and_baselines():
    def scores(rmse, mase):
        return {"overall": {"rmse": rmse, "mase": mase}, "per_step": {}}

    results = {"model": scores(27.8, 0.41), "seasonal_naive": scores(50.7, 0.75), "naive": scores(61.2, 0.9)}
    assert headline(results) == "test RMSE 27.80 (seasonal naive 50.70, naive 61.20); MASE 0.410"
    assert headline(results, split="validation", metric="mase") == (
        "validation MASE 0.4100 (seasonal naive 0.7500, naive 0.9000)"  # four significant digits, as the table
    )


def test_importing_evaluation_does_not_import_matplotlib():
    code = (
        "import sys, seqkit.evaluation, "
        "seqkit.evaluation.metrics, seqkit.evaluation.baselines, "
        "seqkit.files; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _spy(monkeypatch, name):
    """Record what `seqkit.evaluation.plots.<name>` returns while a run draws its plots."""
    calls = []
    real = getattr(plots, name)

    def spy(*args, **kwargs):
        calls.append(real(*args, **kwargs))
        return calls[-1]

    monkeypatch.setattr(plots, name, spy)
    return calls


def test_a_forecast_run_draws_the_scored_forecasts_and_marks_the_kept_epoch(write_yaml, tmp_path, monkeypatch, capsys):
    lines, losses = _spy(monkeypatch, "forecast_plot_lines"), _spy(monkeypatch, "loss_plot_data")
    config = write_yaml(TINY_RUN.replace("plots: false", "plots: true").replace("epochs: 1", "epochs: 3"))
    run = train(config, runs_dir=tmp_path / "runs", verbose=2)
    console = capsys.readouterr().out
    for name in ("loss.png", "forecast.png"):
        _assert_png(run.path / "plots" / name)

    (drawn,) = losses
    np.testing.assert_array_equal(drawn.epochs, [1, 2, 3])
    assert "Epoch 1/3" in console
    kept = int(re.search(r"best epoch: (\d+)", console).group(1))
    history = pd.read_csv(run.path / "history.csv")
    assert drawn.best_epoch == kept == int(history["val_loss"].idxmin()) + 1
    assert drawn.best_point == ("val_loss", kept, pytest.approx(history["val_loss"].min()))

    (forecast,) = lines
    test = run._prepared.test
    series = run._prepared.targets_original
    rows = test.target_starts[:, None] + np.arange(3)
    np.testing.assert_array_equal(forecast.segment_x, test.time_index.to_numpy()[rows] if test.time_index is not None
                                  else rows)
    np.testing.assert_array_equal(forecast.actual_y, series[test.target_starts.min(): rows.max() + 1])
    assert forecast.history_y.shape == (50, 2)  # the span (36 rows) is shorter than the period, 50
    # Each line drawn is a full horizon the report scored: its RMSE is metrics.json's, for the model and baselines.
    metrics = json.loads((run.path / "metrics.json").read_text())
    assert list(forecast.forecasts) == ["model", "naive", "seasonal naive"]
    for label, values in forecast.forecasts.items():
        assert values.shape == (len(test), 3, 2)
        rmse = np.sqrt(np.mean((values - series[rows]) ** 2))
        assert rmse == pytest.approx(metrics["results"][label.replace(" ", "_")]["overall"]["rmse"], rel=1e-9)
    assert forecast.intervals == {}


def test_a_run_with_plots_off_writes_none(finished_run):
    from seqkit import load_config

    assert load_config(finished_run / "config.yaml").evaluate.plots is False
    assert not (finished_run / "plots").exists()


def test_a_classifier_run_writes_its_confusion_matrix(tmp_path, monkeypatch):
    from seqkit.config import DataConfig, ExperimentConfig, ModelConfig, TrainConfig

    cells = _spy(monkeypatch, "confusion_cells")
    rng = np.random.default_rng(0)
    x = rng.normal(size=120)
    frame = pd.DataFrame({"x": x, "kind": np.where(np.roll(x, 1) > 0, "up", "down")})
    config = ExperimentConfig(
        name="updown",
        data=DataConfig(label="kind", lookback=4, split={"type": "fraction", "val": 0.2, "test": 0.2}),
        model=ModelConfig(cell="gru", layers=[4], head={"type": "classify"}),
        train=TrainConfig(epochs=2, batch_size=16),
    )
    run = train(config, frame=frame, runs_dir=tmp_path, verbose=0)
    for name in ("loss.png", "confusion_matrix.png"):
        _assert_png(run.path / "plots" / name)
    (drawn,) = cells
    test = run._prepared.test
    predicted = run.model.predict(test.dataset(16, shuffle=False), verbose=0).argmax(axis=1)
    hand = np.zeros((2, 2), dtype=int)
    for true, guess in zip(test.labels(), predicted, strict=True):
        hand[true, guess] += 1
    np.testing.assert_array_equal(drawn.counts, hand)
    assert drawn.counts.sum() == len(test)
