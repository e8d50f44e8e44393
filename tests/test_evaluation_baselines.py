"""Tests for seqkit.evaluation.baselines against np.arange series."""

from __future__ import annotations

import numpy as np
import pytest

from seqkit.errors import DataError
from seqkit.evaluation.baselines import (
    infer_season,
    naive_forecast,
    seasonal_naive_forecast,
)

SERIES = np.arange(20.0)


def test_naive_gap_zero_and_gap_two():
    out = naive_forecast(SERIES, np.array([8, 9]), 3)
    assert out.shape == (2, 3, 1)
    np.testing.assert_array_equal(out[..., 0], [[7, 7, 7], [8, 8, 8]])
    out = naive_forecast(SERIES, np.array([10]), 3, gap=2)
    np.testing.assert_array_equal(out[..., 0], [[7, 7, 7]])


def test_naive_keeps_targets_apart():
    series = np.stack([SERIES, 100 + SERIES], axis=1)
    out = naive_forecast(series, np.array([5]), 2)
    np.testing.assert_array_equal(out, [[[4, 104], [4, 104]]])


def test_seasonal_naive_horizon_longer_than_period_gap_zero():
    out = seasonal_naive_forecast(SERIES, np.array([8, 9]), 6, period=4)
    assert out.shape == (2, 6, 1)
    np.testing.assert_array_equal(out[..., 0], [[4, 5, 6, 7, 4, 5], [5, 6, 7, 8, 5, 6]])


def test_seasonal_naive_gap_two():
    # Last input index 7; targets t = 10..15 go back 4 while t - 4 <= 7, else 8.
    out = seasonal_naive_forecast(SERIES, np.array([10]), 6, period=4, gap=2)
    np.testing.assert_array_equal(out[..., 0], [[6, 7, 4, 5, 6, 7]])


def test_seasonal_naive_with_period_one_is_naive():
    starts = np.array([3, 7, 11])
    np.testing.assert_array_equal(
        seasonal_naive_forecast(SERIES, starts, 5, period=1, gap=1),
        naive_forecast(SERIES, starts, 5, gap=1),
    )


def test_seasonal_naive_needs_one_period_of_history():
    # Window 1 starts at 3: three observed steps (0, 1, 2), period 4 needs 4.
    with pytest.raises(
        DataError,
        match=r"Window 0 \(target_starts\[0\]=3, gap=0\) has 3 observed steps.*"
        r"`period` 4 needs at least 4\. Drop the first 1 windows",
    ):
        seasonal_naive_forecast(SERIES, np.array([3, 4]), 2, period=4)
    # Exactly one period of history is enough.
    out = seasonal_naive_forecast(SERIES, np.array([4]), 2, period=4)
    np.testing.assert_array_equal(out[..., 0], [[0, 1]])


def test_window_without_history_is_rejected():
    with pytest.raises(DataError, match=r"Window 1 \(target_starts\[1\]=2, gap=2\)"):
        naive_forecast(SERIES, np.array([5, 2]), 1, gap=2)


def test_bad_arguments():
    with pytest.raises(DataError, match="`period` must be a positive int; received 0"):
        seasonal_naive_forecast(SERIES, np.array([8]), 1, period=0)
    with pytest.raises(DataError, match="`horizon` must be an int >= 1; received 0"):
        naive_forecast(SERIES, np.array([8]), 0)
    with pytest.raises(DataError, match="`target_starts` must be a 1-D integer"):
        naive_forecast(SERIES, np.array([8.0]), 1)


@pytest.mark.parametrize(
    ("freq", "season"),
    [
        ("MS", 12),
        ("ME", 12),
        ("M", 12),  # pre-2.2 alias
        ("QS-JAN", 4),
        ("QE", 4),
        ("W-SUN", 52),
        ("D", 7),
        ("B", 5),
        ("h", 24),
        ("H", 24),
        ("2h", 12),
        ("min", 60),
        ("15min", 4),
        ("s", 60),
        ("YS-JAN", None),
        ("YE", None),
        ("5D", None),
        (None, None),
    ],
)
def test_infer_season(freq, season):
    assert infer_season(freq) == season


def test_infer_season_rejects_nonsense():
    with pytest.raises(
        DataError, match="`freq` 'fortnightly' is not a pandas frequency"
    ):
        infer_season("fortnightly")
