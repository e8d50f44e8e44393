"""Tests for seqkit.evaluation.baselines against np.arange series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqkit.config.data import DataConfig
from seqkit.data import prepare
from seqkit.data.sources import check_time_index
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


# Sub-daily steps: one day's worth of steps. Daily: a week. Weekly, monthly,
# quarterly: a year. Yearly: no cycle. A multiple divides the season when it can.
@pytest.mark.parametrize(
    ("freq", "season"),
    [
        ("s", 86400),
        ("30s", 2880),
        ("min", 1440),
        ("T", 1440),  # pre-2.2 alias
        ("1min", 1440),
        ("5min", 288),
        ("10min", 144),
        ("15min", 96),
        ("15T", 96),
        ("30min", 48),
        ("7min", None),  # 1440 / 7 is no whole number of steps
        ("h", 24),
        ("H", 24),
        ("1h", 24),
        ("2h", 12),
        ("3h", 8),
        ("6h", 4),
        ("12h", 2),
        ("24h", 7),  # a day
        ("5h", None),
        ("D", 7),
        ("B", 5),
        ("C", 5),
        ("5D", None),
        ("7D", None),
        ("W", 52),
        ("W-SUN", 52),
        ("W-MON", 52),
        ("2W", 26),
        ("SMS", 24),
        ("MS", 12),
        ("ME", 12),
        ("M", 12),  # pre-2.2 alias
        ("BMS", 12),
        ("3MS", 4),
        ("12MS", None),  # one step per year: no cycle left
        ("QS", 4),
        ("QS-JAN", 4),
        ("QE", 4),
        ("QE-DEC", 4),
        ("Q", 4),  # pre-2.2 alias
        ("2QS", 2),
        ("4QE", None),
        ("YS", None),
        ("YS-JAN", None),
        ("YE", None),
        ("YE-DEC", None),
        ("A", None),  # pre-2.2 alias
        ("bh", None),
        ("ms", None),
        (None, None),
    ],
)
def test_infer_season(freq, season):
    assert infer_season(freq) == season


# What `pd.infer_freq` names regular timestamps at each step, read through seqkit's own
# time check, and the season that gives: the table above covers what seqkit produces.
@pytest.mark.parametrize(
    ("step", "freq", "season"),
    [
        ("s", "s", 86400),
        ("min", "min", 1440),
        ("15min", "15min", 96),
        ("30min", "30min", 48),
        ("h", "h", 24),
        ("2h", "2h", 12),
        ("D", "D", 7),
        ("B", "B", 5),
        ("W-SUN", "W-SUN", 52),
        ("W-MON", "W-MON", 52),
        ("MS", "MS", 12),
        ("ME", "ME", 12),
        ("QS-JAN", "QS-JAN", 4),
        ("QS-APR", "QS-JAN", 4),
        ("QE-DEC", "QE-DEC", 4),
        ("YS-JAN", "YS-JAN", None),
        ("YE-DEC", "YE-DEC", None),
    ],
)
def test_infer_season_of_what_the_time_check_infers(step, freq, season):
    index = pd.date_range("2021-01-04", periods=60, freq=step)
    assert check_time_index(index, "test") == freq
    assert infer_season(freq) == season


def test_prepared_data_carries_the_frequency_a_30_minute_series_needs():
    frame = pd.DataFrame({"t": pd.date_range("2021-01-04", periods=300, freq="30min"), "v": np.arange(300.0)})
    data = prepare(DataConfig(lookback=4, time_column="t"), frame=frame)
    assert data.frequency == "30min" and data.period is None
    assert infer_season(data.frequency) == 48


def test_infer_season_rejects_nonsense():
    with pytest.raises(
        DataError, match="`freq` 'fortnightly' is not a pandas frequency"
    ):
        infer_season("fortnightly")
