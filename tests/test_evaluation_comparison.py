"""Tests for seqkit.evaluation.comparison on an np.arange series."""

from __future__ import annotations

import numpy as np
import pytest

from seqkit.errors import DataError
from seqkit.evaluation.comparison import evaluate_forecast
from seqkit.evaluation.report import comparison_table

SERIES = np.arange(20.0)[:, np.newaxis]
STARTS = np.array([12, 14])
Y_TRUE = np.array([[12.0, 13.0, 14.0], [14.0, 15.0, 16.0]])[..., np.newaxis]


def test_model_and_baselines_on_same_windows():
    results = evaluate_forecast(SERIES, Y_TRUE + 1, STARTS, train_len=12, period=4)
    assert list(results) == ["model", "naive", "seasonal_naive"]
    # Naive repeats 11 / 13: errors 1, 2, 3. Seasonal naive goes back 4: error 4.
    # On a unit-slope line the period-4 scale is 4.
    assert results["model"]["overall"]["mae"] == 1.0
    assert results["naive"]["overall"]["mae"] == 2.0
    assert results["naive"]["per_step"]["mae"] == [1.0, 2.0, 3.0]
    assert results["seasonal_naive"]["overall"]["mae"] == 4.0
    assert [results[k]["overall"]["mase"] for k in results] == [0.25, 0.5, 1.0]
    assert results["model"]["mase_season"] == 4
    assert "beats seasonal_naive on RMSE by 75.0%" in comparison_table(results)


def test_without_period_there_is_no_seasonal_baseline():
    results = evaluate_forecast(SERIES, Y_TRUE, STARTS, train_len=12, gap=1)
    assert list(results) == ["model", "naive"]
    # gap 1: naive repeats 10 / 12, errors 2, 3, 4; naive scale on the line is 1.
    assert results["naive"]["overall"]["mase"] == 3.0
    assert results["naive"]["mase_season"] == 1


def test_windows_past_the_series_end_are_rejected():
    with pytest.raises(DataError, match="from 12 to 18 with horizon 3"):
        evaluate_forecast(SERIES, np.zeros((2, 3, 1)), np.array([12, 18]), train_len=12)
