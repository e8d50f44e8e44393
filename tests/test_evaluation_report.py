"""Light tests for seqkit.evaluation.report's plain-text tables."""

from __future__ import annotations

import pytest

from seqkit.errors import ConfigError
from seqkit.evaluation.metrics import classification_metrics, forecast_metrics
from seqkit.evaluation.report import (
    classification_table,
    comparison_table,
    horizon_table,
    step_table,
    verdict,
)

Y_TRUE = [[10.0, 20.0], [30.0, 40.0]]


def _results(model_pred):
    forecasts = {
        "model": model_pred,
        "naive": [[5.0, 5.0], [25.0, 25.0]],
        "seasonal_naive": [[12.0, 16.0], [34.0, 34.0]],
    }
    return {
        name: forecast_metrics(Y_TRUE, pred, scale=10.0)
        for name, pred in forecasts.items()
    }


def test_comparison_table_exact_layout():
    # Errors: model [1, 2, 0, 2], naive [5, 15, 5, 15], seasonal [2, 4, 4, 6];
    # e.g. naive MAPE = 100 * (5/10 + 15/20 + 5/30 + 15/40) / 4 = 44.79.
    text = comparison_table(_results([[11.0, 18.0], [30.0, 42.0]]))
    # Rows are printed with 4 significant digits on their largest value.
    assert text == (
        "Test metrics, original units (2 windows x 2 steps)\n"
        "metric   model  naive  seasonal_naive\n"
        "MAE       1.25  10.00            4.00\n"
        "RMSE      1.50  11.18            4.24\n"
        "MAPE %    6.25  44.79           17.08\n"
        "sMAPE %   6.23  62.75           17.28\n"
        "MASE     0.125  1.000           0.400\n"
        "model beats seasonal_naive on RMSE by 64.6% (1.500 vs 4.243); MASE 0.125"
    )


def test_verdict_when_model_loses_and_other_baseline():
    results = _results([[0.0, 0.0], [0.0, 0.0]])
    assert verdict(results) == (
        "model does not beat seasonal_naive on RMSE: 27.39 vs 4.24 (545.5% worse); "
        "MASE 2.500"
    )
    assert verdict(results, baseline="naive", metric="mae").startswith(
        "model does not beat naive on MAE: 25.00 vs 10.00 (150.0% worse)"
    )


def test_horizon_table_rows_per_step():
    text = horizon_table(_results([[11.0, 18.0], [30.0, 42.0]]), metric="mae")
    assert text.splitlines() == [
        "MAE by horizon step",
        "step  model  naive  seasonal_naive",
        "1      0.50   5.00            3.00",
        "2      2.00  15.00            5.00",
    ]


def test_step_table_shows_each_forecasters_error_per_step_over_the_folds():
    aggregate = {
        "folds": 2,
        "per_step": {
            "model": {"mae": [1.5, 2.25, None], "rmse": [2.0, 3.5, 4.0]},
            "naive": {"mae": [10.0, 20.0, 30.0], "rmse": [12.0, 21.0, 33.0]},
        },
    }
    # Four significant digits on each metric's largest value over every forecaster: 30 and 33, two decimals.
    assert step_table(aggregate).splitlines() == [
        "per horizon step, mean over 2 folds",
        "        model        naive",
        "step   MAE  RMSE    MAE   RMSE",
        "1     1.50  2.00  10.00  12.00",
        "2     2.25  3.50  20.00  21.00",
        "3      n/a  4.00  30.00  33.00",
    ]


def test_nan_shows_as_na():
    results = {
        "model": forecast_metrics([[0.0]], [[1.0]], scale=0.0),
        "naive": forecast_metrics([[0.0]], [[2.0]], scale=0.0),
    }
    text = comparison_table(results)
    assert "MAPE %     n/a    n/a" in text
    assert text.endswith(
        "model beats naive on RMSE by 50.0% (1.000 vs 2.000); MASE n/a"
    )


def test_report_errors():
    results = _results([[11.0, 18.0], [30.0, 42.0]])
    with pytest.raises(ConfigError, match=r"`baseline` 'drift' is not in `results`"):
        comparison_table(results, baseline="drift")
    with pytest.raises(ConfigError, match=r"`metric` must be one of .*received 'r2'"):
        horizon_table(results, metric="r2")
    with pytest.raises(ConfigError, match="No baseline to compare with"):
        verdict({"model": results["model"]})


def test_classification_table():
    m = classification_metrics(
        [0, 0, 1], [[0.9, 0.1], [0.2, 0.8], [0.3, 0.7]], ["cat", "dog"]
    )
    assert classification_table(m).splitlines() == [
        "accuracy 0.6667, macro F1 0.6667, balanced accuracy 0.7500 (3 samples)",
        "true \\ predicted  cat  dog  precision  recall      f1",
        "cat                 1    1     1.0000  0.5000  0.6667",
        "dog                 0    1     0.5000  1.0000  0.6667",
    ]
