"""Naive and seasonal-naive forecasts on exactly the windows the model saw.

A model is only worth its training if it beats these. Both baselines read the
full target series in original units and, for each window, use only values at
or before the window's last input step, so they compete on equal terms with
the model (including any `gap`).

Index contract (shared with `seqkit.data`): window `i` forecasts
`series[target_starts[i] : target_starts[i] + horizon]`; its last input step
is `target_starts[i] - gap - 1`.

Worked example, `series = np.arange(20)`, `period=4`, `horizon=6`:

```
gap=0, target_starts=[8]:   last input index 7
  naive           -> [7, 7, 7, 7, 7, 7]
  seasonal naive  -> [4, 5, 6, 7, 4, 5]   (t=8..13 minus 4 or 8)
gap=2, target_starts=[10]:  last input index 7
  naive           -> [7, 7, 7, 7, 7, 7]
  seasonal naive  -> [6, 7, 4, 5, 6, 7]   (t=10..15 minus 4 or 8)
```
"""

from __future__ import annotations

import re

import numpy as np

from seqkit.config.recipe import SEQUENCE_PAD
from seqkit.errors import DataError
from seqkit.evaluation.metrics import require_positive_int


def _prepare(
    series: np.ndarray, target_starts: np.ndarray, horizon: int, gap: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    for name, value, low in (("horizon", horizon, 1), ("gap", gap, 0)):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, np.integer))
            or value < low
        ):
            raise DataError(
                f"`{name}` must be an int >= {low}; received {value!r}. Use the "
                "same value as the data config."
            )
    values = np.asarray(series)
    if values.ndim == 1:
        values = values[:, np.newaxis]
    if values.ndim != 2:
        raise DataError(
            "`series` must have shape (n_time,) or (n_time, n_targets); "
            f"received shape {values.shape}."
        )
    starts = np.asarray(target_starts)
    if starts.ndim != 1 or not np.issubdtype(starts.dtype, np.integer):
        raise DataError(
            "`target_starts` must be a 1-D integer array, one start per window; "
            f"received shape {starts.shape} and dtype {starts.dtype}."
        )
    last = starts - gap - 1
    bad = np.flatnonzero((last < 0) | (last >= values.shape[0]))
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"Window {i} (target_starts[{i}]={int(starts[i])}, gap={gap}) has its "
            f"last input step at index {int(last[i])}, outside the series of "
            f"{values.shape[0]} steps. Every window needs at least one observed "
            "step before its gap; drop the earliest windows."
        )
    return values, starts, last


def naive_forecast(
    series: np.ndarray, target_starts: np.ndarray, horizon: int, *, gap: int = 0
) -> np.ndarray:
    """Repeats each window's last observed value over the horizon.

    Args:
        series: `(n_time,)` or `(n_time, n_targets)`: the full target series in
            original units.
        target_starts: int `(n_windows,)`: index of each window's first target
            step.
        horizon: Steps forecast per window.
        gap: Steps between the last input step and the first target step.

    Returns:
        `(n_windows, horizon, n_targets)`, the dtype of `series`:
        `out[i, j] = series[target_starts[i] - gap - 1]`.

    Raises:
        DataError: If a window has no observed step before its gap.
    """
    values, _, last = _prepare(series, target_starts, horizon, gap)
    return np.repeat(values[last][:, np.newaxis, :], horizon, axis=1)


def seasonal_naive_forecast(
    series: np.ndarray,
    target_starts: np.ndarray,
    horizon: int,
    *,
    period: int,
    gap: int = 0,
) -> np.ndarray:
    """Forecasts each step with the value one or more whole periods earlier.

    Target step at index `t` takes `series[t - k * period]` for the smallest
    `k` that puts the index at or before the window's last input step, so a
    horizon longer than the period repeats the last observed season.

    Args:
        series: `(n_time,)` or `(n_time, n_targets)`: the full target series in
            original units.
        target_starts: int `(n_windows,)`: index of each window's first target
            step.
        horizon: Steps forecast per window.
        period: Season length in steps (12 for monthly data with a yearly
            cycle); see `infer_season`.
        gap: Steps between the last input step and the first target step.

    Returns:
        `(n_windows, horizon, n_targets)`, the dtype of `series`.

    Raises:
        DataError: If `period` is not a positive int, or a window has less
            observed history than the last season it needs.
    """
    require_positive_int("period", period, "Set the season length in the config, e.g. 12 for monthly data.")
    values, starts, last = _prepare(series, target_starts, horizon, gap)
    # Distance from the last input step is gap + 1 + j for every window.
    distance = gap + 1 + np.arange(horizon)
    seasons_back = -(-distance // period)  # ceil division
    index = starts[:, np.newaxis] + np.arange(horizon) - seasons_back * period
    lowest = index.min(axis=1)
    bad = np.flatnonzero(lowest < 0)
    if bad.size:
        i = int(bad[0])
        observed = int(last[i]) + 1
        needed = observed - int(lowest[i])
        raise DataError(
            f"Window {i} (target_starts[{i}]={int(starts[i])}, gap={gap}) has "
            f"{observed} observed steps, but the seasonal naive forecast with "
            f"`period` {period} needs at least {needed}. Drop the first "
            f"{int(bad[-1]) + 1} windows, give more history, or use a shorter "
            "period."
        )
    return values[index]


# Season length for each calendar frequency: the cycle most data at that
# frequency shows (a year of months or quarters, a year of weeks, a week of days).
# Steps shorter than a day are handled apart: their season is a day.
_SEASONS: tuple[tuple[str, int], ...] = (
    ("SemiMonthBegin", 24),
    ("SemiMonthEnd", 24),
    ("MonthBegin", 12),
    ("MonthEnd", 12),
    ("BusinessMonthBegin", 12),
    ("BusinessMonthEnd", 12),
    ("CustomBusinessMonthBegin", 12),
    ("CustomBusinessMonthEnd", 12),
    ("QuarterBegin", 4),
    ("QuarterEnd", 4),
    ("BQuarterBegin", 4),
    ("BQuarterEnd", 4),
    ("Week", 52),
    ("BusinessDay", 5),
)

# Fixed steps of a day or less (pandas 3 no longer counts `Day` as a `Tick`).
_CLOCK_STEPS = ("Day", "Hour", "Minute", "Second")
_DAY_NS = 86_400 * 10**9

# Aliases pandas 3 no longer parses but older files and pandas 1.x still write.
_LEGACY_ALIASES = {
    "M": "ME",
    "BM": "BME",
    "SM": "SME",
    "Q": "QE",
    "BQ": "BQE",
    "A": "YE",
    "Y": "YE",
    "BA": "BYE",
    "BY": "BYE",
    "AS": "YS",
    "BAS": "BYS",
    "H": "h",
    "BH": "bh",
    "T": "min",
    "S": "s",
    "L": "ms",
    "U": "us",
    "N": "ns",
}


def _to_offset(freq: str):
    from pandas.tseries.frequencies import to_offset

    try:
        return to_offset(freq)
    except ValueError as first_error:
        match = re.fullmatch(r"\s*(\d*)([A-Za-z]+)(-\w+)?\s*", freq)
        if match and match.group(2) in _LEGACY_ALIASES:
            count, alias, anchor = match.groups()
            return to_offset(f"{count}{_LEGACY_ALIASES[alias]}{anchor or ''}")
        raise DataError(
            f"`freq` {freq!r} is not a pandas frequency string ({first_error}). "
            "Use an alias such as 'MS', 'D' or 'h', or set the seasonal period "
            "in the config."
        ) from first_error


def infer_season(freq: str | None) -> int | None:
    """Guesses the seasonal period from a pandas frequency string.

    | frequency                           | season                 |
    | ----------------------------------- | ---------------------- |
    | yearly (`YS`, `YE`)                 | None                   |
    | quarterly (`QS`, `QE`)              | 4 (a year)             |
    | monthly (`MS`, `ME`, ...)           | 12 (a year)            |
    | semi-monthly (`SMS`, `SME`)         | 24 (a year)            |
    | weekly (`W`, `W-MON`)               | 52 (a year)            |
    | daily (`D`)                         | 7 (a week)             |
    | business daily (`B`)                | 5 (a week)             |
    | hourly (`h`)                        | 24 (a day)             |
    | 30-minute (`30min`)                 | 48 (a day)             |
    | 15-minute (`15min`)                 | 96 (a day)             |
    | minutely (`min`)                    | 1440 (a day)           |
    | secondly (`s`)                      | 86400 (a day)          |

    A step shorter than a day has a day's worth of steps as its season
    (`"2h"` -> 12, `"10min"` -> 144), or None when the step does not divide
    a day (`"7min"`, `"5h"`); `"24h"` is daily. A multiple of a calendar
    frequency divides the season when it can (`"3MS"` -> 4, `"2W"` -> 26)
    and gives None when it cannot (`"5D"`) or when less than two steps
    would remain (`"12MS"`, `"7D"`). Weekly data uses 52 although a year is
    52.18 weeks. Yearly, business-hour, sub-second and other frequencies
    have no natural cycle here, so they give None: such data needs an
    explicit period in the config, e.g. 11 for the yearly sunspot numbers.

    Args:
        freq: A pandas frequency string as returned by `pd.infer_freq`
            (pre-2.2 aliases such as `"M"`, `"H"` and `"T"` are accepted
            too), or None when the frequency is unknown.

    Returns:
        The season length in steps, or None if it cannot be inferred.

    Raises:
        DataError: If `freq` is not a frequency string pandas understands.

    Example:
        >>> infer_season("MS"), infer_season("30min"), infer_season("YS")
        (12, 48, None)
    """
    if freq is None:
        return None
    offset = _to_offset(freq)
    names = {cls.__name__ for cls in type(offset).__mro__}
    if names.intersection(_CLOCK_STEPS):
        step = abs(int(offset.nanos))
        if step == _DAY_NS:
            return 7
        return _DAY_NS // step if step and step < _DAY_NS and _DAY_NS % step == 0 else None
    for name, season in _SEASONS:
        if name in names:
            n = abs(int(offset.n))
            return season // n if n and season % n == 0 and season // n > 1 else None
    return None


def seasonal_naive_quantiles(
    series: np.ndarray,
    target_starts: np.ndarray,
    horizon: int,
    *,
    quantiles,
    train_len: int,
    period: int = 1,
    gap: int = 0,
) -> np.ndarray:
    """The seasonal-naive forecast with quantiles of its own training residuals added.

    A baseline interval for a quantile model. Target step `j` of a window is
    forecast with the value `lag_j = k_j * period` steps earlier (as
    `seasonal_naive_forecast` does; `k_j` whole periods back to the last input
    step). Its quantile `q` adds the `q`-quantile (`np.quantile`, linear) of the
    same forecast's errors inside the training rows,
    `series[t] - series[t - lag_j]` for `lag_j <= t < train_len`, per target.
    So the intervals are as wide as that forecast's in-sample errors were,
    without using any value at or after `train_len`. `period=1` gives the
    naive forecast with its residual quantiles.

    Args:
        series: `(n_time,)` or `(n_time, n_targets)`: the full target series in
            original units.
        target_starts: int `(n_windows,)`: index of each window's first target step.
        horizon: Steps forecast per window.
        quantiles: The levels, ascending.
        train_len: Rows of the training split; residuals are taken from `series[:train_len]`.
        period: Season length in steps; 1 for the naive forecast.
        gap: Steps between the last input step and the first target step.

    Returns:
        float64 `(n_windows, horizon, n_targets, n_quantiles)`, ascending along
        the last axis.

    Raises:
        DataError: If a window lacks history, or the training rows are not
            longer than the longest lag.

    Example:
        `series = [0, 1, 3, 4, 6]`, `period=1`, `train_len=4`, quantiles
        `[0.0, 1.0]`: the training residuals are `1, 2, 1`, so a window whose
        last input is 4 gets `[5, 6]` at every step of horizon 1.
    """
    point = seasonal_naive_forecast(series, target_starts, horizon, period=period, gap=gap).astype(np.float64)
    values = np.asarray(series, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, np.newaxis]
    train = values[:train_len]
    levels = np.asarray(quantiles, dtype=np.float64)
    distance = gap + 1 + np.arange(horizon)
    lags = -(-distance // period) * period
    if train.shape[0] <= lags.max():
        raise DataError(
            f"The training split has {train.shape[0]} rows, but the baseline interval needs the errors of the "
            f"forecast made {int(lags.max())} steps back (period {period}, horizon {horizon}, gap {gap}) inside "
            "it; give more training rows or a shorter horizon."
        )
    # (horizon, n_targets, n_quantiles): each step's residual quantiles.
    offsets = np.stack(
        [np.moveaxis(np.quantile(train[lag:] - train[:-lag], levels, axis=0), 0, -1) for lag in lags]
    )
    return point[..., np.newaxis] + offsets[np.newaxis]


def nearest_neighbour_labels(references, query, *, pad_value: float = SEQUENCE_PAD, chunk: int = 256) -> np.ndarray:
    """1-nearest-neighbour class by Euclidean distance: the UCR/UEA archive's standard yardstick.

    Args:
        references: The labelled sequence sets to search (every training sequence).
        query: The sequence set to classify. Each set has `x` float `(n, length,
            n_features)` (padded steps hold `pad_value`) and `labels()`; lengths may differ.
        pad_value: What padded steps hold. They count as zeros (the training mean of
            scaled data), and both sets are compared over the longer length.
        chunk: Query sequences per distance block (memory O(chunk x n_train)).

    Returns:
        int `(n_query,)`: the class id of each query's nearest training sequence
        (the first one on a tie, in the order given).
    """
    length = max(part.x.shape[1] for part in [*references, query])

    def flat(x: np.ndarray) -> np.ndarray:
        x = np.where(x == pad_value, 0.0, x).astype(np.float64)
        x = np.pad(x, ((0, 0), (0, length - x.shape[1]), (0, 0)))
        return x.reshape(len(x), -1)

    reference = np.concatenate([flat(part.x) for part in references])
    labels = np.concatenate([part.labels() for part in references])
    squared = (reference**2).sum(axis=1)
    out = np.empty(len(query.x), dtype=np.int64)
    queries = flat(query.x)
    for begin in range(0, len(queries), chunk):
        block = queries[begin : begin + chunk]
        distances = squared[None, :] - 2.0 * block @ reference.T  # + |q|^2, the same for every candidate
        out[begin : begin + chunk] = labels[np.argmin(distances, axis=1)]
    return out
