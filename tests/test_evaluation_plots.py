"""Tests for seqkit.evaluation.plots: real PNG files, written atomically."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from seqkit.errors import DataError
from seqkit.evaluation.plots import plot_forecast, plot_history

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
    path = plot_history(history, tmp_path / "loss.png", initial_epoch=2)
    assert path == tmp_path / "loss.png"
    _assert_png(path)
    assert [p.name for p in tmp_path.iterdir()] == ["loss.png"]


def test_plot_history_rejects_ragged_history(tmp_path):
    with pytest.raises(
        DataError, match=r"received lengths \{'loss': 2, 'val_loss': 1\}"
    ):
        plot_history({"loss": [1.0, 0.5], "val_loss": [1.0]}, tmp_path / "loss.png")
    assert list(tmp_path.iterdir()) == []


def test_plot_forecast_with_timestamps_and_baselines(tmp_path):
    times = pd.date_range("1958-01-01", periods=12, freq="MS")
    actual = np.linspace(300, 400, 12)
    path = plot_forecast(
        times,
        actual,
        actual + 5,
        tmp_path / "forecast.png",
        baseline={"naive": np.full(12, 300.0), "seasonal_naive": actual - 10},
        title="airline",
    )
    _assert_png(path)


def test_plot_forecast_steps_multi_target(tmp_path):
    actual = np.arange(20.0).reshape(10, 2)
    predicted = actual.copy()
    predicted[0] = np.nan  # a gap is allowed
    path = plot_forecast(
        np.arange(10), actual, predicted, tmp_path / "f.png", target_names=["a", "b"]
    )
    _assert_png(path)


def test_plot_forecast_shape_errors(tmp_path):
    with pytest.raises(
        DataError, match=r"`predicted` must have shape \(3,\) or \(3, n_targets\)"
    ):
        plot_forecast(np.arange(3), np.zeros(3), np.zeros(4), tmp_path / "f.png")
    with pytest.raises(DataError, match="Baseline 'baseline' must have the same shape"):
        plot_forecast(
            np.arange(3),
            np.zeros(3),
            np.zeros(3),
            tmp_path / "f.png",
            baseline=np.zeros((3, 2)),
        )
    assert list(tmp_path.iterdir()) == []


def test_importing_evaluation_does_not_import_matplotlib():
    code = (
        "import sys, seqkit.evaluation, "
        "seqkit.evaluation.metrics, seqkit.evaluation.baselines, "
        "seqkit.files; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
