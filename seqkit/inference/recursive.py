"""Forecasts past the horizon: the model applied to its own forecasts, one horizon at a time.

A model trained to forecast `horizon` steps forecasts `steps > horizon` by
recursion: forecast `horizon` steps, append them to the series in original
units, forecast the next `horizon` from the extended series, and so on; the
last chunk is cut to length. Each chunk's inputs are prepared from the
extended series exactly as a direct forecast prepares new data (column steps
and differencing, the fitted scalers, window normalisation), so chunk k is the
forecast a direct `predict` would make if the earlier forecasts had been
observed. Errors compound over the chunks: the later steps are less reliable
than the model's direct multi-step output.

Covariates (features that are not targets) are inputs the model does not
forecast, so their values after the last observation must be given: as future
rows at the end of the input, every target empty and every covariate filled
(`seqkit.data.sources.load_new_table_with_future`). A quantile run feeds back
its median; its intervals for later chunks do not include the uncertainty of
the medians fed back, so they are too narrow.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd

from seqkit.errors import ConfigError, DataError


def check_steps(steps) -> int:
    """`steps` as an int.

    Raises:
        ConfigError: `steps` is not a whole number of at least 1.
    """
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ConfigError(f"`steps` (--steps) is a whole number of forecast steps of at least 1; received {steps!r}")
    return int(steps)


def forecast_steps(task, model, preprocessing, data, steps: int):
    """The next `steps` steps after the end of `data`, in original units; past the horizon, by recursion.

    Args:
        task: The run's `ForecastTask`.
        model: The trained model.
        preprocessing: The run's fitted `Transform`.
        data: A DataFrame, CSV/Parquet path or array, as for `Run.predict`; its
            trailing rows with every target empty are future rows giving the
            covariates' values after the last observation.
        steps: Forecast steps, at least 1. Up to the horizon: the direct forecast, cut.

    Returns:
        The DataFrame `Run.predict` returns, with `steps` rows.

    Raises:
        ConfigError: `steps` below 1 or not a whole number, or past the horizon for a
            run trained with a `gap` (the steps inside the gap are never forecast).
        DataError: The data is refused as `predict` refuses it, a future row is bad,
            or the run has covariates and fewer future rows than the recursion needs.
    """
    from seqkit.data.sources import load_new_table_with_future, sentence
    from seqkit.tasks.forecast import Forecast

    steps = check_steps(steps)
    horizon = preprocessing.horizon
    if preprocessing.future:
        raise ConfigError(
            f"`steps` (--steps) is not supported yet for a run with covariates known in advance "
            f"({preprocessing.future}): it forecasts its `data.horizon` ({horizon}) steps from their known values; "
            "leave `steps` out"
        )
    chunks = math.ceil(steps / horizon)
    if chunks > 1 and preprocessing.gap:
        raise ConfigError(
            f"`steps` (--steps) {steps} is past the horizon ({horizon}), but the run forecasts {preprocessing.gap} "
            f"step(s) after a `gap` (`data.gap` {preprocessing.gap}), which it never forecasts and so cannot feed "
            f"back. Ask for at most {horizon} steps, or train with `data.gap: 0` to forecast further."
        )
    table, future = load_new_table_with_future(task.config.data, preprocessing, task.read_data(data))
    origin = sentence(table.origin)
    needed = (chunks - 1) * horizon  # the last chunk's inputs end where it starts
    covariates = [name for name in preprocessing.features if name not in preprocessing.targets]
    if covariates and len(future.values) < needed:
        raise DataError(_covariates_message(origin, covariates, preprocessing, steps, needed, len(future.values)))
    # One array for the history and every chunk fed back, so each chunk reads a view of it (no copy per chunk).
    n = len(table.values)
    series = np.full((n + needed, len(preprocessing.columns)), np.nan)
    series[:n] = table.values
    given = future.values[:needed]
    series[n : n + len(given)] = given
    times = table.time_index if preprocessing.frequency is not None else None
    if times is not None and needed:
        times = times.append(pd.date_range(times[-1], periods=needed + 1, freq=preprocessing.frequency)[1:])
    parts = []
    for chunk in range(chunks):
        end = n + chunk * horizon
        forecast = task.forecast_at_end(
            model, preprocessing, series[:end], None if times is None else times[:end], origin=origin
        )
        parts.append(forecast)
        if chunk < chunks - 1:
            series[end : end + horizon, preprocessing.target_index] = forecast.point
    quantiles = None if parts[0].quantiles is None else np.concatenate([p.quantiles for p in parts])[:steps]
    result = Forecast(
        np.concatenate([p.point for p in parts])[:steps],
        quantiles,
        None if parts[0].times is None else parts[0].times.append([p.times for p in parts[1:]])[:steps],
    )
    return task.forecast_frame(preprocessing, result)


def _covariates_message(origin: str, covariates: list[str], preprocessing, steps: int, needed: int, given: int) -> str:
    where = (
        f" with `{preprocessing.time_column}` continuing the series' {preprocessing.frequency!r} steps"
        if preprocessing.time_column and preprocessing.frequency
        else ""
    )
    return (
        f"{origin}: forecasting {steps} steps, past the horizon ({preprocessing.horizon}), feeds the model its own "
        f"forecasts, but its inputs {covariates} are covariates it does not forecast, and their values after the "
        f"last observation are not given ({given} future row(s); {needed} needed). Add {needed} future row(s) at "
        f"the end of the input{where}, each with every target ({preprocessing.targets}) empty and {covariates} "
        f"filled, or ask for at most {preprocessing.horizon} steps."
    )
