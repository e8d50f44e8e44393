"""Chronological (or, if asked for, random) train/validation/test splits of windows.

One implementation serves series, class-labelled series and text: a text window
(`lookback` token ids and their next tokens) is a `context: split` window with
horizon 1, whose one target row is the token after its inputs.

A chronological split cuts the rows at two boundaries `a <= b`:

```
rows:     0 ............ a-embargo | embargo | a ........ b-embargo | embargo | b ........ n
targets:  train                    | (none)  | validation           | (none)  | test
```

A window belongs to the split that holds *all* its target rows, so no window's targets
straddle a boundary. With `context: history` (default) a validation or test window may
take its inputs from earlier rows (the past is known when forecasting), so the split
needs only `horizon` rows; with `context: split` its inputs must lie inside the split
too, so it needs `lookback + gap + horizon` rows. The scaler is fitted on the train
rows `[0, a - embargo)` only.

Window starts step by `stride` from the earliest window a split's rows allow: the one
whose first input is the split's first (usable) row (training windows, and `context:
split`), or whose first target is (`context: history`). So with `context: split` every
window lies inside its split, e.g. 60 rows, `split: {type: steps, test: 12, context:
split}`, lookback 4, horizon 1, stride 4: test windows start at rows 48 and 52.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from seqkit.config import data as data_config
from seqkit.data.sources import sentence
from seqkit.errors import ConfigError, DataError


@dataclasses.dataclass(frozen=True)
class SplitWindows:
    """Window starts of one split: an arithmetic progression or an explicit array.

    Attributes:
        name: `train`, `val` or `test`.
        target_rows: `(lo, hi)` rows its targets may occupy (None for random splits).
        first_start, count: Window `k` starts at `first_start + k * stride`.
        starts: Explicit start rows instead (random splits).
    """

    name: str
    target_rows: tuple[int, int] | None
    first_start: int = 0
    count: int = 0
    starts: np.ndarray | None = None


    @property
    def n_rows(self) -> int:
        """Rows its targets may occupy (0 for random splits)."""
        return 0 if self.target_rows is None else self.target_rows[1] - self.target_rows[0]


@dataclasses.dataclass(frozen=True)
class SplitPlan:
    """Where each split's windows are, and which rows the scaler may be fitted on."""

    train: SplitWindows
    val: SplitWindows | None
    test: SplitWindows | None
    fit_rows: slice

    def rows(self, name: str) -> int:
        """Target rows of split `name` (0 when it is empty)."""
        windows = getattr(self, name)
        return 0 if windows is None else windows.n_rows


def _boundaries(n: int, config: data_config.DataConfig, time_index: pd.DatetimeIndex | None) -> tuple[int, int]:
    split = config.split
    if isinstance(split, data_config.FractionSplit):
        n_test, n_val = round(n * split.test), round(n * split.val)
        return n - n_test - n_val, n - n_test
    if isinstance(split, data_config.StepsSplit):
        return n - split.test - split.val, n - split.test
    assert isinstance(split, data_config.DateSplit)
    if time_index is None:
        raise ConfigError("`split.type: date` needs timestamps. Set `data.time_column` (or pass a DatetimeIndex).")
    times = time_index.tz_convert(None) if time_index.tz is not None else time_index
    b = n if split.test_start is None else int(times.searchsorted(pd.Timestamp(split.test_start)))
    a = b if split.val_start is None else int(times.searchsorted(pd.Timestamp(split.val_start)))
    return a, b


def _windows(
    name: str, lo: int, hi: int, config: data_config.DataConfig, first_valid: int, inputs_inside: bool
) -> SplitWindows:
    """Windows whose targets (and, if `inputs_inside`, inputs) lie in rows `[lo, hi)`.

    With `inputs_inside` the first window starts at the first usable row, `lo` or, after
    differencing, `first_valid`; otherwise the stride grid is anchored on the window whose
    first target is row `lo`, and starts at the first grid point differencing leaves usable.
    """
    lead = config.lookback + config.gap
    anchor = max(lo, first_valid) if inputs_inside else lo - lead
    first = anchor + max(0, -(-(first_valid - anchor) // config.stride)) * config.stride
    last = hi - config.horizon - lead
    count = 0 if last < first else (last - first) // config.stride + 1
    return SplitWindows(name=name, target_rows=(lo, hi), first_start=first, count=count)


def chronological_plan(
    n: int,
    config: data_config.DataConfig,
    *,
    time_index: pd.DatetimeIndex | None = None,
    first_valid: int = 0,
    context: str | None = None,
) -> SplitPlan:
    """The chronological split of `n` rows (or tokens), whether or not every split holds a window.

    Args:
        n: Rows in the series.
        config: The data section (`split`, `lookback`, `horizon`, `gap`, `stride`).
        time_index: Timestamps, needed by `split.type: date`.
        first_valid: First row a window may start at (differencing leaves earlier rows undefined).
        context: `history` or `split`, overriding `config.split.context` (text windows
            always lie inside their block).

    Returns:
        A `SplitPlan`; `val` / `test` are None when they have no rows. `missing_splits`
        lists the requested splits that have no window.

    Raises:
        ConfigError: a date split without timestamps.
    """
    split = config.split
    a, b = (max(boundary, 0) for boundary in _boundaries(n, config, time_index))
    inside = (context or split.context) == "split"
    train_hi = max(a - (split.embargo if a < n else 0), 0)
    train = _windows("train", 0, train_hi, config, first_valid, True)
    val = None
    if b > a:
        val_hi = max(b - (split.embargo if b < n else 0), a)
        val = _windows("val", a, val_hi, config, first_valid, inside)
    test = _windows("test", b, n, config, first_valid, inside) if n > b else None
    return SplitPlan(train, val, test, slice(0, train_hi))


def _wanted(split: data_config.SplitConfig) -> tuple[str, ...]:
    """`train`, then `val` and `test` when the config gives them a size or a start date."""
    if isinstance(split, data_config.DateSplit):
        sizes = {"val": split.val_start, "test": split.test_start}
    else:
        sizes = {"val": split.val, "test": split.test}
    return ("train", *(name for name, size in sizes.items() if size))


def missing_splits(plan: SplitPlan, config: data_config.DataConfig) -> list[str]:
    """The requested splits (in `train`, `val`, `test` order) that hold no window."""
    missing = []
    for name in _wanted(config.split):
        windows = getattr(plan, name)
        if windows is None or windows.count == 0:
            missing.append(name)
    return missing


def minimum_length(
    config: data_config.DataConfig, n: int, *, first_valid: int = 0, context: str | None = None
) -> int | None:
    """Smallest length for which every requested split has a window (fraction/steps splits; else None).

    `n` (the length at hand) is where the search starts. None also when no length is enough
    (a steps split shorter than one window).
    """
    if not isinstance(config.split, (data_config.FractionSplit, data_config.StepsSplit)):
        return None

    def fits(length: int) -> bool:
        return not missing_splits(chronological_plan(length, config, first_valid=first_valid, context=context), config)

    span = config.lookback + config.gap + config.horizon + first_valid
    high = max(n, span)
    while not fits(high):
        high *= 2
        if high > 2**40:
            return None
    low = span - 1
    while high - low > 1:  # the rows rounded to each split grow with the length, so bisection applies
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle
    return high


def plan_splits(
    n: int,
    config: data_config.DataConfig,
    time_index: pd.DatetimeIndex | None = None,
    first_valid: int = 0,
    *,
    origin: str | None = None,
) -> SplitPlan:
    """Window starts of train/validation/test for a series of `n` rows.

    Args:
        n: Rows in the series.
        config: The data section (`split`, `lookback`, `horizon`, `gap`, `stride`).
        time_index: Timestamps, needed by `split.type: date`.
        first_valid: First row a window may start at (differencing leaves earlier rows undefined).
        origin: Where the rows came from ("file 'x.csv'"), to name it in messages.

    Returns:
        A `SplitPlan`. `val` / `test` are None when their size is 0.

    Raises:
        DataError: a requested split has no complete window; the message gives the
            split's rows and the minimum series length that would work.
        ConfigError: a random split without `allow_random_split`, or a date split without timestamps.
    """
    if isinstance(config.split, data_config.RandomSplit):
        if not config.allow_random_split:
            raise ConfigError("`split.type: random` leaks test data into training; set `allow_random_split: true`.")
        return _random(n, config, first_valid, origin)
    plan = chronological_plan(n, config, time_index=time_index, first_valid=first_valid)
    missing = missing_splits(plan, config)
    if not missing:
        return plan
    name = missing[0]
    span = config.lookback + config.gap + config.horizon
    need = span + first_valid if name == "train" or config.split.context == "split" else config.horizon
    minimum = minimum_length(config, n, first_valid=first_valid)
    total = f" {_series(origin)} has {n} rows" + (f"; with this split it needs at least {minimum}." if minimum else ".")
    diff_note = f" + {first_valid} rows used up by differencing" if first_valid and need > config.horizon else ""
    raise DataError(
        f"The {name} split has {plan.rows(name)} target row(s) but one window needs {need}"
        + (
            f" (`lookback` {config.lookback} + `gap` {config.gap} + `horizon` {config.horizon}{diff_note})"
            if need > config.horizon
            else f" (`horizon` {config.horizon}; inputs may come from earlier rows)"
        )
        + f".{total} Give more data, shorten `lookback`/`horizon`, or change `split`."
    )


def _series(origin: str | None) -> str:
    """What messages call the rows: the source when it is known."""
    return "The series" if origin is None else sentence(origin)


def _random(n: int, config: data_config.DataConfig, first_valid: int, origin: str | None) -> SplitPlan:
    split = config.split
    last = n - config.lookback - config.gap - config.horizon
    if last < first_valid:
        need = config.lookback + config.gap + config.horizon + first_valid
        raise DataError(
            f"{_series(origin)} has {n} rows but one window needs {need} (`lookback` {config.lookback} + `gap` "
            f"{config.gap} + `horizon` {config.horizon}); it needs at least {need} rows. Give more data."
        )
    starts = np.arange(first_valid, last + 1, config.stride, dtype=np.int64)
    order = np.random.default_rng(split.seed).permutation(len(starts))
    n_test, n_val = round(len(starts) * split.test), round(len(starts) * split.val)
    if len(starts) - n_test - n_val < 1:
        raise DataError(f"The random split leaves no training window out of {len(starts)}. Give more data.")
    parts = {
        "test": np.sort(starts[order[:n_test]]),
        "val": np.sort(starts[order[n_test : n_test + n_val]]),
        "train": np.sort(starts[order[n_test + n_val :]]),
    }
    made = {
        name: SplitWindows(name=name, target_rows=None, count=len(part), starts=part) if len(part) else None
        for name, part in parts.items()
    }
    # No chronological training part exists, so the scaler sees the whole series.
    return SplitPlan(made["train"], made["val"], made["test"], slice(0, n))
