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


# ----------------------------------------------------------------------------- backtest folds

WINDOWS = ("expanding", "sliding")


@dataclasses.dataclass(frozen=True)
class Fold:
    """One fold of a rolling-origin backtest: a chronological plan on rows `[start, end)` of the series.

    Rows are counted in the full series; `plan` counts them from `start` (the fold's first row).

    Attributes:
        index: The fold's number, 0 for the earliest origin.
        start, end: The rows of the series the fold reads (its data is prepared from these only).
        origin: The fold's forecast origin: the row of its first test target. Every row the fold
            trains on, validates on or fits its preprocessing on lies before it.
        config: The fold's data section: the config's own, with a steps split of the config's
            validation and test sizes (so each fold's test split ends at `end`).
        plan: The fold's `SplitPlan`, rows counted from `start`.
    """

    index: int
    start: int
    end: int
    origin: int
    config: data_config.DataConfig
    plan: SplitPlan

    def _absolute(self, windows: SplitWindows | None) -> tuple[int, int] | None:
        if windows is None:
            return None
        lo, hi = windows.target_rows
        return (self.start + lo, self.start + hi)

    @property
    def rows(self) -> slice:
        """`slice(start, end)`: the rows of the series the fold reads."""
        return slice(self.start, self.end)

    @property
    def train_rows(self) -> tuple[int, int]:
        """`(lo, hi)`: the rows its training targets may occupy."""
        return self._absolute(self.plan.train)

    @property
    def val_rows(self) -> tuple[int, int] | None:
        """`(lo, hi)`: the rows its validation targets may occupy (None: no validation split)."""
        return self._absolute(self.plan.val)

    @property
    def test_rows(self) -> tuple[int, int]:
        """`(lo, hi)`: the rows its test targets occupy, from `origin`."""
        return self._absolute(self.plan.test)

    @property
    def fit_rows(self) -> tuple[int, int]:
        """`(lo, hi)`: the rows its scaler and transforms are fitted on (its training rows, never later ones)."""
        return (self.start + self.plan.fit_rows.start, self.start + self.plan.fit_rows.stop)


def backtest_folds(
    n: int,
    config: data_config.DataConfig,
    *,
    folds: int,
    step: int | None = None,
    window: str = "expanding",
    time_index: pd.DatetimeIndex | None = None,
    first_valid: int = 0,
    min_train: int = 0,
) -> list[Fold]:
    """The last `folds` forecast origins of a series, `step` rows apart, each with its own chronological split.

    The validation and test sizes are the config's own, measured on the whole series (a
    fraction or date split becomes the row counts it gives there). The last fold is the
    config's own split; each earlier one moves the origin back by `step`. An `expanding`
    fold reads the series up to the end of its test split, so it trains on every row
    before its validation split; a `sliding` fold reads as many rows as the first
    (earliest) fold, so every fold trains on the same number of rows.

    Example: 100 rows, `split: {type: steps, val: 10, test: 10}`, lookback 4, horizon 5,
    3 folds (step: the horizon, 5):

    | fold | rows (expanding) | rows (sliding) | train targets | val | test = origin.. |
    | --- | --- | --- | --- | --- | --- |
    | 0 | 0-89 | 0-89 | 0-69 | 70-79 | 80-89 |
    | 1 | 0-94 | 5-94 | 0-74 / 5-74 | 75-84 | 85-94 |
    | 2 | 0-99 | 10-99 | 0-79 / 10-79 | 80-89 | 90-99 |

    Args:
        n: Rows in the series.
        config: The data section (`split`, `lookback`, `horizon`, `gap`, `stride`).
        folds: How many origins (folds), at least 1.
        step: Rows between consecutive origins (default: `horizon`), at least 1.
        window: `expanding` or `sliding`.
        time_index: Timestamps, needed by `split.type: date`.
        first_valid: Rows differencing leaves undefined at the start of each fold's rows.
        min_train: Fewest training rows a fold may have (a seasonal period plus one, for MASE's scale).

    Returns:
        The folds, earliest origin first.

    Raises:
        ConfigError: `folds`, `step` or `window` out of range, a random split, or no test split.
        DataError: The earliest fold leaves too few training rows; the message says how many folds fit.
    """
    if folds < 1:
        raise ConfigError(f"the number of folds (--folds, folds= in Python) must be at least 1, got {folds}")
    step = config.horizon if step is None else step
    if step < 1:
        raise ConfigError(f"the step between origins (--step, step= in Python) must be at least 1 row, got {step}")
    if window not in WINDOWS:
        raise ConfigError(
            f"the backtest window (--window, window= in Python) is `expanding` or `sliding`, got {window!r}"
        )
    if isinstance(config.split, data_config.RandomSplit):
        raise ConfigError(
            "a backtest needs a chronological split, but `data.split.type` is random (test windows drawn from "
            "the whole series); use a `steps`, `fraction` or `date` split"
        )
    a, b = (max(boundary, 0) for boundary in _boundaries(n, config, time_index))
    val_rows, test_rows = b - a, n - b
    if test_rows == 0:
        raise ConfigError(
            "a backtest scores each fold on its test split, but `data.split` leaves no test rows; give it a "
            f"test size (e.g. `data.split: {{type: steps, val: {val_rows}, test: {config.horizon}}}`)"
        )
    split = data_config.StepsSplit(
        val=val_rows, test=test_rows, embargo=config.split.embargo, context=config.split.context
    )
    fold_config = config.model_copy(update={"split": split})

    def make(count: int) -> list[Fold]:
        first_end = n - (count - 1) * step
        made = []
        for index in range(count):
            end = first_end + index * step
            start = 0 if window == "expanding" else end - first_end
            plan = chronological_plan(end - start, fold_config, first_valid=first_valid)
            made.append(Fold(index, start, end, end - test_rows, fold_config, plan))
        return made

    def fits(fold: Fold) -> bool:
        return (
            fold.origin > fold.start
            and not missing_splits(fold.plan, fold_config)
            and fold.plan.fit_rows.stop >= min_train
        )

    def first(count: int) -> Fold | None:
        return make(count)[0] if n - (count - 1) * step > test_rows else None  # else the origin is before row 1

    # The earliest fold has the fewest training rows (sliding: as many as every fold), so it decides.
    earliest = first(folds)
    if earliest is not None and fits(earliest):
        return make(folds)
    fitting = next((count for count in range(folds - 1, 0, -1) if first(count) and fits(first(count))), 0)
    first_origin = n - test_rows - (folds - 1) * step
    train_rows = 0 if earliest is None else earliest.plan.fit_rows.stop
    need = config.lookback + config.gap + config.horizon + first_valid
    needs = f"a training window needs {need} (`lookback` {config.lookback} + `gap` {config.gap} + `horizon` " + (
        f"{config.horizon} + {first_valid} rows used up by differencing)" if first_valid else f"{config.horizon})"
    )
    if min_train > need:
        needs += f", and MASE's seasonal scale needs {min_train}"
    where = "before the series starts" if first_origin < 0 else f"at row {first_origin}"
    told = f"{folds} folds {step} rows apart put the first forecast origin {where}"
    if fitting:
        advice = (
            f"At most {fitting} fold(s) fit: ask for --folds {fitting} (folds= in Python) or fewer, "
            "or a smaller --step."
        )
    else:
        advice = "Not even one fold fits: give more data, or shorten `lookback`/`horizon` or the validation split."
    raise DataError(
        f"{told}, leaving its training split {train_rows} row(s) of the series' {n}; {needs}. {advice}"
    )
