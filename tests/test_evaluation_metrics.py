"""Tests for seqkit.evaluation.metrics, against hand-computed values."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from seqkit.errors import DataError
from seqkit.evaluation.metrics import (
    FORECAST_METRICS,
    classification_metrics,
    forecast_metrics,
    mase_scale,
)

# Two windows, horizon 2, one target. Errors (pred - true): [[1, 0], [0, 2]].
Y_TRUE = [[1.0, 2.0], [3.0, 4.0]]
Y_PRED = [[2.0, 2.0], [3.0, 6.0]]


def test_forecast_metrics_overall_and_per_step_exact():
    m = forecast_metrics(Y_TRUE, Y_PRED, scale=0.5)
    assert m["n_windows"] == 2 and m["horizon"] == 2 and m["n_targets"] == 1
    assert m["overall"] == pytest.approx(
        {
            "mae": 0.75,
            "rmse": math.sqrt(1.25),
            "mape": 100 * (1 / 1 + 2 / 4) / 4,  # 37.5
            "smape": 100 * (2 / 3 + 4 / 10) / 4,
            "mase": 0.75 / 0.5,
        }
    )
    step = m["per_step"]
    assert step["mae"] == pytest.approx([0.5, 1.0])
    assert step["rmse"] == pytest.approx([math.sqrt(0.5), math.sqrt(2.0)])
    assert step["mape"] == pytest.approx([50.0, 25.0])
    assert step["smape"] == pytest.approx([100 / 3, 20.0])
    assert step["mase"] == pytest.approx([1.0, 2.0])
    assert list(m["overall"]) == list(FORECAST_METRICS)


def test_forecast_metrics_is_plain_json():
    m = forecast_metrics(Y_TRUE, Y_PRED, scale=np.array([0.5]))
    assert json.loads(json.dumps(m)) == m
    assert type(m["overall"]["mae"]) is float
    assert type(m["per_step"]["mae"]) is list


def test_mase_is_averaged_over_targets_after_scaling():
    y_true = np.zeros((1, 2, 2))
    y_pred = np.array([[[1.0, 10.0], [3.0, 30.0]]])  # target MAEs 2 and 20
    m = forecast_metrics(y_true, y_pred, scale=np.array([1.0, 10.0]))
    assert m["per_target"]["mase"] == [2.0, 2.0]
    assert m["overall"]["mase"] == 2.0
    assert m["per_step"]["mase"] == [1.0, 3.0]
    assert m["overall"]["mae"] == 11.0


def test_mape_skips_zero_actuals_and_is_nan_when_all_zero():
    m = forecast_metrics([[0.0, 2.0]], [[1.0, 3.0]], scale=1.0)
    assert m["overall"]["mape"] == 50.0  # only the actual 2 counts
    assert math.isnan(m["per_step"]["mape"][0])
    assert m["per_step"]["mape"][1] == 50.0
    zeros = forecast_metrics([[0.0, 0.0]], [[0.0, 1.0]], scale=1.0)
    assert math.isnan(zeros["overall"]["mape"])
    # sMAPE: both zero is a perfect 0; zero actual with a forecast of 1 is 200.
    assert zeros["per_step"]["smape"] == [0.0, 200.0]


def test_zero_scale_gives_nan_mase():
    m = forecast_metrics(np.zeros((1, 1, 2)), np.ones((1, 1, 2)), scale=[0.0, 1.0])
    assert math.isnan(m["per_target"]["mase"][0])
    assert m["per_target"]["mase"][1] == 1.0
    assert math.isnan(m["overall"]["mase"])


def test_forecast_metrics_errors():
    with pytest.raises(
        DataError, match=r"same shape; received \(2, 2, 1\) and \(1, 2, 1\)"
    ):
        forecast_metrics(Y_TRUE, [[1.0, 2.0]], scale=1.0)
    with pytest.raises(DataError, match="`y_pred` must be finite; received 1 NaN"):
        forecast_metrics(Y_TRUE, [[1.0, np.nan], [1.0, 1.0]], scale=1.0)
    with pytest.raises(
        DataError, match=r"`scale` must hold 1 non-negative.*\[1.0, 2.0\]"
    ):
        forecast_metrics(Y_TRUE, Y_PRED, scale=[1.0, 2.0])
    with pytest.raises(DataError, match=r"shape \(n_windows, horizon, n_targets\)"):
        forecast_metrics([1.0, 2.0], [1.0, 2.0], scale=1.0)


def test_mase_scale_naive_and_seasonal():
    series = np.array([[1.0, 0.0], [2.0, 0.0], [4.0, 0.0], [7.0, 0.0]])
    np.testing.assert_array_equal(mase_scale(series), [2.0, 0.0])  # |1|,|2|,|3|
    np.testing.assert_array_equal(mase_scale(series[:, 0], season=2), [4.0])  # 3, 5
    with pytest.raises(DataError, match="has 4 steps.*`season` 4 needs at least 5"):
        mase_scale(series, season=4)
    with pytest.raises(DataError, match="`season` must be a positive int; received 0"):
        mase_scale(series, season=0)


def test_classification_metrics_multiclass():
    labels = [0, 1, 2, 2, 1]
    proba = [
        [0.8, 0.1, 0.1],  # 0 right
        [0.2, 0.7, 0.1],  # 1 right
        [0.1, 0.2, 0.7],  # 2 right
        [0.1, 0.6, 0.3],  # 2 -> 1
        [0.5, 0.4, 0.1],  # 1 -> 0
    ]
    m = classification_metrics(labels, proba, class_names=["a", "b", "c"])
    assert m["accuracy"] == 0.6
    assert m["n_samples"] == 5
    assert m["class_names"] == ["a", "b", "c"]
    assert m["confusion_matrix"] == [[1, 0, 0], [1, 1, 0], [0, 1, 1]]
    assert m["per_class"]["precision"] == [0.5, 0.5, 1.0]
    assert m["per_class"]["recall"] == [1.0, 0.5, 0.5]
    assert m["per_class"]["support"] == [1, 2, 2]
    # F1 = 2pr / (p + r), by hand: a 2/3, b 1/2, c 2/3.
    assert m["per_class"]["f1"] == pytest.approx([2 / 3, 0.5, 2 / 3])
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.5 + 2 / 3) / 3)
    one_hot = np.eye(3)[labels]
    assert (
        classification_metrics(one_hot, proba)["confusion_matrix"]
        == (m["confusion_matrix"])
    )


def test_classification_metrics_binary_sigmoid():
    m = classification_metrics([[0], [1], [1], [0]], [[0.2], [0.5], [0.4], [0.9]])
    assert m["accuracy"] == 0.5
    assert m["confusion_matrix"] == [[1, 1], [1, 1]]
    assert m["class_names"] == ["0", "1"]


def test_classification_metrics_nan_precision_for_unpredicted_class():
    m = classification_metrics([0, 1], [[0.9, 0.1], [0.9, 0.1]])
    assert m["per_class"]["precision"][0] == 0.5
    assert math.isnan(m["per_class"]["precision"][1])


def test_classification_metrics_errors():
    with pytest.raises(DataError, match=r"class indices 0..1; received \[2\]"):
        classification_metrics([0, 2], [[0.9, 0.1], [0.9, 0.1]])
    with pytest.raises(DataError, match=r"one name per class \(2\); received 3"):
        classification_metrics([0, 1], [[0.9, 0.1], [0.9, 0.1]], ["a", "b", "c"])
    with pytest.raises(DataError, match="same, non-empty set of samples"):
        classification_metrics([0, 1, 1], [[0.9, 0.1], [0.9, 0.1]])
