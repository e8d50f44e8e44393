"""Calendar features from timestamps (`data.calendar`): each a position in its cycle, as a sine and a cosine.

A feature with value `v` in a cycle of `P` values becomes `sin(2 pi v / P)` and
`cos(2 pi v / P)`: both are needed to tell every position apart, and the last
position of a cycle sits next to the first (23:00 next to 00:00, December next
to January), which a plain number 0..P-1 would put furthest apart. Darts'
`add_encoders={"cyclic": ...}` encodes the same way.

| feature | v | P |
| --- | --- | --- |
| `minute` | minute of the hour | 60 |
| `hour` | hour of the day | 24 |
| `day_of_week` | Monday 0 ... Sunday 6 | 7 |
| `day_of_month` | day - 1 | days in that month |
| `day_of_year` | day of year - 1 | days in that year |
| `week_of_year` | ISO week - 1 | 52 (ISO week 53 is one step past a full turn) |
| `month` | month - 1 | 12 |
| `quarter` | quarter - 1 | 4 |
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _position(times: pd.DatetimeIndex, name: str) -> tuple[np.ndarray, np.ndarray | float]:
    if name == "minute":
        return times.minute.to_numpy(), 60.0
    if name == "hour":
        return times.hour.to_numpy(), 24.0
    if name == "day_of_week":
        return times.day_of_week.to_numpy(), 7.0
    if name == "day_of_month":
        return times.day.to_numpy() - 1, times.days_in_month.to_numpy().astype(np.float64)
    if name == "day_of_year":
        return times.day_of_year.to_numpy() - 1, np.where(times.is_leap_year, 366.0, 365.0)
    if name == "week_of_year":
        return times.isocalendar().week.to_numpy(dtype=np.int64) - 1, 52.0
    if name == "month":
        return times.month.to_numpy() - 1, 12.0
    if name == "quarter":
        return times.quarter.to_numpy() - 1, 4.0
    raise ValueError(f"unknown calendar feature {name!r}")


def calendar_values(times, names: list[str]) -> np.ndarray:
    """float64 `(len(times), 2 * len(names))`: `<name>_sin`, `<name>_cos` for each feature, in order.

    Example: `calendar_values(pd.DatetimeIndex(["2024-01-07 23:00"]), ["hour"])` is
    `[[sin(2 pi 23/24), cos(2 pi 23/24)]]`.
    """
    times = pd.DatetimeIndex(times)
    columns = []
    for name in names:
        value, period = _position(times, name)
        angle = 2.0 * np.pi * np.asarray(value, dtype=np.float64) / period
        columns += [np.sin(angle), np.cos(angle)]
    return np.stack(columns, axis=1) if columns else np.empty((len(times), 0))
