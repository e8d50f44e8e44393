"""`prepare`: source -> checks -> split -> transforms fitted on train -> windows.

This is the one entry point the trainer, the evaluator and the CLI call.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from seqkit.config.data import DataConfig, DiffStep, SeasonalDiffStep
from seqkit.data.sources import Table, load_new_table, load_table, read_header, resolve_columns, sentence
from seqkit.data.splits import SplitPlan, SplitWindows, plan_splits
from seqkit.data.transforms import Transform
from seqkit.data.windows import WindowSet


@dataclasses.dataclass(frozen=True)
class SeriesSpec:
    """Shapes a model needs, resolved from the data section.

    Attributes:
        lookback: Input time steps.
        n_features: Input columns.
        horizon: Forecast time steps.
        n_targets: Forecast columns.
        feature_names: Input columns, in input order.
        target_names: Target columns, in output order.
        future_names: Columns known in advance whose forecast-period values the
            model reads beside its window (`data.future`, then the calendar's).
    """

    lookback: int
    n_features: int
    horizon: int
    n_targets: int
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]
    future_names: tuple[str, ...] = ()

    @property
    def input_shape(self) -> tuple[int, int]:
        """`(lookback, n_features)`, the shape of one input window."""
        return (self.lookback, self.n_features)

    @property
    def output_shape(self) -> tuple[int, int]:
        """`(horizon, n_targets)`, the shape of one target window."""
        return (self.horizon, self.n_targets)


@dataclasses.dataclass
class PreparedData:
    """Everything training and evaluation need from the data.

    Attributes:
        train: Training windows (shuffle them).
        val: Validation windows, or None when the validation split is empty.
        test: Test windows, or None when the test split is empty.
        spec: Shapes and column names.
        transform: Fitted preprocessing; `to_json()` / `Transform.from_json(...)`,
            `make_inputs(frame)` and `to_original(y, context)` for new data.
        time_index: Timestamps of every row, or None.
        frequency: pandas frequency string of the rows, or None.
        period: Seasonal period (`data.period`, else the shipped dataset's), or None.
        train_length: Rows of the training part (the rows the scaler was fitted on,
            counted from row 0; the whole series for a random split).
        values: `(n_time, n_columns)` the series in original units (columns:
            features, then target-only columns); not copied when passed as float32.
        source_rows: Row of the source each row comes from (-1: a missing time step
            that `data.missing` filled), or None when the rows are the source's.
    """

    train: WindowSet
    val: WindowSet | None
    test: WindowSet | None
    spec: SeriesSpec
    transform: Transform
    time_index: pd.DatetimeIndex | None
    frequency: str | None
    period: int | None
    train_length: int
    values: np.ndarray
    source_rows: np.ndarray | None = None
    _targets_original: np.ndarray | None = dataclasses.field(default=None, repr=False)

    @property
    def targets_original(self) -> np.ndarray:
        """float64 `(n_time, n_targets)`: the target columns of the whole series in original units."""
        if self._targets_original is None:
            self._targets_original = self.values[:, self.transform.target_index].astype(np.float64)
        return self._targets_original

    @property
    def n_time(self) -> int:
        """Rows in the series."""
        return len(self.values)


def _first_valid(config: DataConfig, columns: list[str]) -> int:
    """Rows differencing leaves undefined at the start of the series (the largest sum of lags)."""
    lags = []
    for name in columns:
        steps = config.transform.for_column(name).steps
        lags.append(
            sum(
                step.lag if isinstance(step, DiffStep) else config.seasonal_period(step)
                for step in steps
                if isinstance(step, (DiffStep, SeasonalDiffStep))
            )
        )
    return max(lags, default=0)


_SEGMENT_NAMES = {"train": "train split", "val": "validation split", "test": "test split"}


def _segments(plan: SplitPlan, n_time: int) -> list[tuple[str, int, int]]:
    """The chronological parts `missing: interpolate` fills one by one: each split's rows and any embargo."""
    if plan.train.target_rows is None:  # a random split: windows interleave, so there is one part
        return [("series", 0, n_time)]
    segments, row = [], 0
    for split in (plan.train, plan.val, plan.test):
        if split is None:
            continue
        lo, hi = split.target_rows
        if lo > row:
            segments.append(("embargo rows", row, lo))
        if hi > lo:
            segments.append((_SEGMENT_NAMES[split.name], lo, hi))
        row = max(row, hi)
    if row < n_time:
        segments.append(("embargo rows", row, n_time))
    return segments


def prepare(
    config: DataConfig,
    *,
    frame: pd.DataFrame | np.ndarray | None = None,
    base_dir: Path | None = None,
    transform: Transform | None = None,
    rows: slice | None = None,
) -> PreparedData:
    """Load, check, split, transform and window the data described by `config`.

    Args:
        config: The `data:` section.
        frame: A DataFrame (columns by name; a DatetimeIndex serves as timestamps when
            no `time_column` is set), an array `(n_time,)` / `(n_time, n_columns)`
            (columns named `x0`, `x1`, ...; with `transform`, the run's columns in
            order) or a CSV/Parquet path. Replaces `dataset` / `path`.
        base_dir: Folder of the config file; `config.path` is resolved against it
            (default: the working directory).
        transform: An already fitted `Transform` (a trained run's) to apply instead
            of fitting a new one, so new data is scaled exactly as the model was trained.
            The data is then read with the run's columns, time column and time grid
            (`load_new_table`), and checked as training data is.
        rows: Use only these rows of the loaded series (a backtest fold's
            `Fold.rows`): they are split, transformed and windowed as if they were
            the whole series, so the preprocessing is fitted on their training
            part only, `missing: interpolate` fills no gap across their split
            boundaries, and every row index of the result counts from `rows.start`.

    Returns:
        `PreparedData` with train/val/test `WindowSet`s whose `dataset(...)` feeds
        `Model.fit` directly.

    Raises:
        DataError: bad cells (naming file, row and column), a split too short for one
            window (stating the minimum length), unknown columns, unsorted timestamps.
        ConfigError: a date split without timestamps.

    Example:
        ```python
        data = prepare(DataConfig(dataset="airline", lookback=24, horizon=12,
                                  split={"type": "steps", "test": 12},
                                  transform={"steps": ["log"], "scaler": "none"},
                                  window_norm={"type": "last"}))
        model.fit(data.train.dataset(32, shuffle=True, seed=0), epochs=100)
        forecast = data.test.to_original(model.predict(data.test.dataset(32, shuffle=False)))
        ```
    """
    table, plan = load_series(config, frame=frame, base_dir=base_dir, transform=transform, rows=rows)
    if transform is None:
        transform = fit_transform(config, table, plan)
    return prepared_from(config, table, plan, transform)


def load_series(
    config: DataConfig,
    *,
    frame: pd.DataFrame | np.ndarray | None = None,
    base_dir: Path | None = None,
    transform: Transform | None = None,
    rows: slice | None = None,
    origin: str | None = None,
) -> tuple[Table, SplitPlan]:
    """`prepare`'s first step: the checked table (training data, or with `transform` new data) and its split plan.

    Args: as `prepare`; `origin` names a DataFrame `frame` in messages (a panel's
    series: "series 'A' of file 'x.csv'").
    """
    def plan_of(table: Table) -> SplitPlan:
        first_valid = _first_valid(config, table.columns)
        return plan_splits(len(table.values), config, table.time_index, first_valid, origin=table.origin)

    def segments(read: Table) -> list[tuple[str, int, int]]:
        if rows is None:
            return _segments(plan_of(read), len(read.values))
        start, end, _ = rows.indices(len(read.values))
        inside = _segments(plan_of(_row_slice(read, rows)), end - start)
        outside = [("rows before the fold", 0, start)] * (start > 0)
        after = [("rows after the fold", end, len(read.values))] * (end < len(read.values))
        return outside + [(name, start + lo, start + hi) for name, lo, hi in inside] + after

    if transform is not None:
        table = load_new_table(config, transform, frame, base_dir, segments=segments, origin=origin)
    else:
        table = load_table(config, frame, base_dir, segments=segments, origin=origin)
    if rows is not None:
        table = _row_slice(table, rows)
    return table, plan_of(table)


def fit_transform(config: DataConfig, table: Table, plan: SplitPlan) -> Transform:
    """The series transform fitted on the plan's training rows of `table` (`prepare`'s second step)."""
    return Transform.fit(
        table.values,
        table.columns,
        table.features,
        table.targets,
        config,
        plan.fit_rows,
        origin=sentence(table.origin),
        time_column=table.time_column,
        time_format=table.time_format,
        frequency=table.frequency,
    )


def prepared_from(
    config: DataConfig, table: Table, plan: SplitPlan, transform: Transform, *, scaled: np.ndarray | None = None
) -> PreparedData:
    """`prepare`'s last step: the table transformed and cut into the plan's train/validation/test windows.

    Args:
        scaled: `transform.apply(table.values)` when the caller has it already (a
            panel's view on the array of every series); None: computed here.
    """
    series = transform.apply(table.values, origin=sentence(table.origin)) if scaled is None else scaled
    prepared = PreparedData(
        train=None,  # type: ignore[arg-type]  # filled below: the sets read targets through `prepared`
        val=None,
        test=None,
        spec=SeriesSpec(
            lookback=config.lookback,
            n_features=len(table.features),
            horizon=config.horizon,
            n_targets=len(table.targets),
            feature_names=tuple(table.features),
            target_names=tuple(table.targets),
            future_names=tuple(transform.future),
        ),
        transform=transform,
        time_index=table.time_index,
        frequency=table.frequency,
        period=config.period or table.period,
        train_length=plan.fit_rows.stop,
        values=table.values,
        source_rows=table.source_rows,
    )

    def windows(split: SplitWindows | None) -> WindowSet | None:
        if split is None:
            return None
        return WindowSet(
            series,
            name=split.name,
            lookback=config.lookback,
            horizon=config.horizon,
            gap=config.gap,
            stride=config.stride,
            first_start=split.first_start,
            count=split.count if split.starts is None else None,
            starts=split.starts,
            n_features=len(table.features),
            target_index=transform.target_index,
            window_norm=transform.window_norm,
            window_norm_mode=transform.window_norm_mode,
            window_norm_period=transform.window_norm_period,
            transform=transform,
            original_targets=lambda: prepared.targets_original,
            time_index=table.time_index,
            future_index=transform.future_index,
            fixed_index=transform.fixed_index,
        )

    prepared.train = windows(plan.train)
    prepared.val = windows(plan.val)
    prepared.test = windows(plan.test)
    return prepared


def _row_slice(table: Table, rows: slice) -> Table:
    """The table's rows `rows` (views, not copies), as a table of their own."""
    return dataclasses.replace(
        table,
        values=table.values[rows],
        time_index=None if table.time_index is None else table.time_index[rows],
        source_rows=None if table.source_rows is None else table.source_rows[rows],
    )


def describe_spec(config: DataConfig, base_dir: Path | None = None) -> SeriesSpec:
    """Resolve the model's input and output shapes without loading or windowing the data.

    Column names come from the dataset registry or the file's header (default
    features: the numeric columns among the file's first 100 rows).

    Raises:
        DataError: missing file, or `features` / `targets` naming unknown columns.
    """
    names, numeric, _, origin = read_header(config, base_dir)
    features, targets = resolve_columns(names, numeric, config, origin)
    features += config.calendar_columns
    return SeriesSpec(
        lookback=config.lookback,
        n_features=len(features),
        horizon=config.horizon,
        n_targets=len(targets),
        feature_names=tuple(features),
        target_names=tuple(targets),
        future_names=tuple(config.known_in_advance),
    )
