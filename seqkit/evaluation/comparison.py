"""Scores a model's forecasts and its baselines on the same windows.

The one place that decides how a forecast run is judged: actuals are read
from the series at the windows' own indices, the naive and seasonal-naive
forecasts are built for exactly those windows, and every forecaster is scored
with the same MASE scale, so the numbers in `metrics.json` and in the
comparison table compare like for like.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqkit.errors import DataError
from seqkit.evaluation.baselines import naive_forecast, seasonal_naive_forecast, seasonal_naive_quantiles
from seqkit.evaluation.metrics import forecast_metrics, mase_scale, quantile_metrics


def check_season(train_len: int, season: int) -> None:
    """Check the training split is longer than one seasonal period, as MASE's scale needs.

    Said in the config's terms (`mase_scale` would name its own argument).

    Raises:
        DataError: `train_len` is not above `season`.
    """
    if train_len <= season:
        raise DataError(
            f"The seasonal period is {season} (`data.period`, or the dataset's), but the training split has "
            f"{train_len} rows; MASE compares each training value with the one a period earlier, so it needs "
            f"at least {season + 1}. Set a shorter `data.period`, or give more data."
        )


def check_targets_inside(values: np.ndarray, starts: np.ndarray, horizon: int, name: str) -> None:
    """Every window's `horizon` targets from its start must be rows of `values` (`name`: what they belong to).

    Raises:
        DataError: A window's targets start before the series or run past its end.
    """
    if starts.size and (starts.min() < 0 or starts.max() + horizon > values.shape[0]):
        raise DataError(
            f"Every window's targets must lie inside the series of {values.shape[0]} rows; received "
            f"target_starts from {int(starts.min())} to {int(starts.max())} with horizon {horizon}. "
            f"Pass the target_starts of the windows that produced `{name}`."
        )


def baseline_forecasts(
    series: np.ndarray, target_starts: np.ndarray, horizon: int, *, gap: int = 0, period: int | None = None
) -> dict[str, np.ndarray]:
    """The baselines a forecast run is judged against, on the windows at `target_starts`.

    Args:
        series: float `(n_time, n_targets)` (or `(n_time,)`): the full target series in original units.
        target_starts: int `(n_windows,)`: each window's first target step.
        horizon: Steps forecast per window.
        gap: Steps between each window's last input step and its first target.
        period: Seasonal period, or None (no seasonal-naive baseline).

    Returns:
        `{"naive": ..., "seasonal_naive": ...}` (the last only when `period` is given), each
        `(n_windows, horizon, n_targets)`.

    Raises:
        DataError: A window lacks the history a baseline needs (see `baselines`).
    """
    forecasts = {"naive": naive_forecast(series, target_starts, horizon, gap=gap)}
    if period is not None:
        forecasts["seasonal_naive"] = seasonal_naive_forecast(series, target_starts, horizon, period=period, gap=gap)
    return forecasts


def evaluate_forecast(
    series: np.ndarray,
    y_pred: np.ndarray,
    target_starts: np.ndarray,
    *,
    train_len: int,
    gap: int = 0,
    period: int | None = None,
) -> dict[str, dict[str, Any]]:
    """Scores model forecasts next to the naive and seasonal-naive baselines.

    Args:
        series: float `(n_time, n_targets)` (or `(n_time,)`): the full target
            series in original units.
        y_pred: float `(n_windows, horizon, n_targets)`: the model's forecasts
            in original units, one row per window.
        target_starts: int `(n_windows,)`: index of each window's first target
            step in `series`.
        train_len: Length of the training split, `series[:train_len]`; the
            MASE scale is computed on it.
        gap: Steps between each window's last input step and its first target.
        period: Seasonal period (from the config or `infer_season`). None
            means no seasonal baseline, and MASE is scaled by the plain naive.

    Returns:
        `{"model": ..., "naive": ..., "seasonal_naive": ...}` (the last only
        when `period` is given), each a `forecast_metrics` dict plus
        `"mase_season"`: the season the MASE scale used. Ready for
        `comparison_table` and `atomic_write_json`.

    Raises:
        DataError: If a window's targets run past the end of `series`, shapes
            disagree, or the baselines lack history (see `baselines`).
    """
    values = np.asarray(series, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, np.newaxis]
    y_pred = np.asarray(y_pred, dtype=np.float64)
    starts = np.asarray(target_starts)
    if y_pred.ndim != 3 or y_pred.shape[0] != starts.shape[0]:
        raise DataError(
            "`y_pred` must have shape (n_windows, horizon, n_targets) with one "
            f"row per entry of `target_starts` ({starts.shape[0]}); received "
            f"shape {y_pred.shape}."
        )
    horizon = y_pred.shape[1]
    check_targets_inside(values, starts, horizon, "y_pred")
    y_true = values[starts[:, np.newaxis] + np.arange(horizon)]
    season = 1 if period is None else period
    check_season(train_len, season)
    scale = mase_scale(values[:train_len], season)

    forecasts = {"model": y_pred, **baseline_forecasts(values, starts, horizon, gap=gap, period=period)}
    results = {}
    for name, forecast in forecasts.items():
        results[name] = forecast_metrics(y_true, forecast, scale=scale)
        results[name]["mase_season"] = season
    return results


def evaluate_quantiles(
    series: np.ndarray,
    y_quantiles: np.ndarray,
    target_starts: np.ndarray,
    quantiles,
    *,
    train_len: int,
    gap: int = 0,
    period: int | None = None,
) -> dict[str, Any]:
    """Scores quantile forecasts next to the baseline interval on the same windows.

    The baseline is the seasonal-naive forecast (the naive one when `period`
    is None) plus quantiles of its own training residuals
    (`seasonal_naive_quantiles`).

    Args:
        series: float `(n_time, n_targets)` (or `(n_time,)`): the full target
            series in original units.
        y_quantiles: float `(n_windows, horizon, n_targets, n_quantiles)`: the
            model's quantile forecasts in original units.
        target_starts: int `(n_windows,)`: each window's first target step.
        quantiles: The levels, ascending.
        train_len: Rows of the training split (the baseline's residuals).
        gap: Steps between each window's last input step and its first target.
        period: Seasonal period, or None.

    Returns:
        `{"model": quantile_metrics(...), "seasonal_naive" or "naive": ...}`,
        ready for `quantile_table` and `atomic_write_json`.

    Raises:
        DataError: If the shapes disagree, a window's targets run past the
            series, or the training rows are too few for the baseline.
    """
    values = np.asarray(series, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, np.newaxis]
    y_q = np.asarray(y_quantiles, dtype=np.float64)
    starts = np.asarray(target_starts)
    if y_q.ndim != 4 or y_q.shape[0] != starts.shape[0]:
        raise DataError(
            "`y_quantiles` must have shape (n_windows, horizon, n_targets, n_quantiles) with one row per "
            f"entry of `target_starts` ({starts.shape[0]}); received shape {y_q.shape}."
        )
    horizon = y_q.shape[1]
    check_targets_inside(values, starts, horizon, "y_quantiles")
    y_true = values[starts[:, np.newaxis] + np.arange(horizon)]
    baseline = "naive" if period is None else "seasonal_naive"
    interval = seasonal_naive_quantiles(
        values, starts, horizon, quantiles=quantiles, train_len=train_len, period=period or 1, gap=gap
    )
    return {
        "model": quantile_metrics(y_true, y_q, quantiles),
        baseline: quantile_metrics(y_true, interval, quantiles),
    }
