"""Panels: many related series in one long table (`data.series_column`), for one global model.

A long table has one row per series and time step. Each series is read,
checked, split and transformed exactly as one series is (`load_series`,
`prepared_from`), so its windows never reach into another series and nothing
fitted sees another series' validation or test rows. The series' scaled rows
are then laid end to end in one array and the windows of every series are
batched from it together, shuffled across series, without ever being
materialised: memory is the panel's rows plus one start index per window.

Example (series `A` of rows 0..5 and `B` of rows 0..4, lookback 2, horizon 1,
no validation, the last row of each series its test target):

```
A: windows start at rows 0 1 2   (train)  3 (test)  -> panel rows 0 1 2, 3
B: windows start at rows 0 1     (train)  2 (test)  -> panel rows 6 7,   8
```

`B`'s rows begin at panel row 6, so B's first window reads panel rows 6-7:
a window that started at panel row 4 or 5 would mix A's last rows with B's
first, and no split holds one.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from seqkit.config.data import DataConfig
from seqkit.data.pipeline import PreparedData, SeriesSpec, fit_transform, load_series, prepared_from
from seqkit.data.sources import read_source, sentence
from seqkit.data.transforms import Transform
from seqkit.data.windows import Windows, WindowSet
from seqkit.errors import DataError

_JSON_VERSION = 1

#: How many series a message lists before it says "and N more".
_LISTED = 5


def _listed(names: list[str]) -> str:
    shown = ", ".join(repr(name) for name in names[:_LISTED])
    return shown + (f" and {len(names) - _LISTED} more" if len(names) > _LISTED else "")


# ----------------------------------------------------------------------------- reading


def split_panel(
    config: DataConfig, frame=None, base_dir: Path | None = None
) -> tuple[list[tuple[str, pd.DataFrame]], str, DataConfig]:
    """The long table's series, in order of first appearance, each as its own table.

    Returns:
        `([(series id, its rows)], origin of the table, the config with the
        dataset's time column and format filled in)`. Series ids are strings.

    Raises:
        DataError: An array instead of a table, no series column, or an empty
            series id.
    """
    source, origin, info = read_source(config, frame, base_dir)
    column = config.series_column
    if isinstance(source, np.ndarray):
        raise DataError(
            f"`data.series_column` is {column!r}, so the data must be a long table with that column; received "
            f"{origin}. Pass a DataFrame with one row per series and time step."
        )
    if not all(isinstance(name, str) for name in source.columns):
        source = source.rename(columns=str)
    if column not in source.columns:
        raise DataError(
            f"`data.series_column` {column!r} is not a column of {origin}. Available columns: "
            f"{list(source.columns)}."
        )
    ids = source[column]
    if ids.isna().any():
        row = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise DataError(
            f"{sentence(origin)}: row {row + 1} has no series id in column {column!r}. Every row must name its "
            "series; fill the cell or drop the row."
        )
    if info is not None and config.time_column is None and info.time_column is not None:
        config = config.model_copy(update={"time_column": info.time_column, "time_format": info.time_format})
    if info is not None and config.period is None and info.period is not None:
        config = config.model_copy(update={"period": info.period})
    ids = ids.astype(str)
    groups = ids.groupby(ids, sort=False).indices
    rest = source.drop(columns=[column])  # each series' table without the id column it no longer needs
    return [(name, rest.iloc[rows]) for name, rows in groups.items()], origin, config


def series_origin(name: str, origin: str) -> str:
    """`series 'A' of file 'x.csv'`: how messages name one series of a panel."""
    return f"series {name!r} of {origin}"


# ----------------------------------------------------------------------------- fitted state


@dataclasses.dataclass
class PanelPreprocessing:
    """A panel's fitted preprocessing: the series it was trained on and their transforms.

    Attributes:
        series_column: The column naming each row's series.
        series: The training series' ids, in panel order (a series embedding's
            row `k` belongs to `series[k]`).
        scope: `per_series` (one transform per series) or `global` (one for all).
        transforms: One `Transform` per series (`per_series`), or one (`global`).
    """

    series_column: str
    series: list[str]
    scope: str
    transforms: list[Transform]

    def __post_init__(self) -> None:
        self._index = {name: k for k, name in enumerate(self.series)}

    def index_of(self, name: str) -> int | None:
        """The series' position among the training series, or None for a series the model never saw."""
        return self._index.get(name)

    def transform_for(self, name: str) -> Transform | None:
        """The transform that scales series `name` (None: unknown to a `per_series` run)."""
        if self.scope == "global":
            return self.transforms[0]
        k = self.index_of(name)
        return None if k is None else self.transforms[k]

    @property
    def reference(self) -> Transform:
        """A transform standing for all (columns, geometry, time column: every series has the same)."""
        return self.transforms[0]

    def to_json(self) -> dict:
        """The fitted state as JSON-compatible data (no pickle)."""
        return {
            "version": _JSON_VERSION,
            "series_column": self.series_column,
            "series": list(self.series),
            "scope": self.scope,
            "transforms": [transform.to_json() for transform in self.transforms],
        }

    @classmethod
    def from_json(cls, data: dict) -> PanelPreprocessing:
        """Rebuild the state `to_json` wrote.

        Raises:
            DataError: Another format version.
        """
        if data.get("version") != _JSON_VERSION:
            raise DataError(
                f"Panel preprocessing has version {data.get('version')!r}; this seqkit reads version "
                f"{_JSON_VERSION}. Train the run again with this seqkit version."
            )
        return cls(
            series_column=data["series_column"],
            series=list(data["series"]),
            scope=data["scope"],
            transforms=[Transform.from_json(state) for state in data["transforms"]],
        )


# ----------------------------------------------------------------------------- windows


class PanelWindows(Windows):
    """One split's windows over every series of a panel, batched from one array of all their rows.

    Window `k` of series `i` is window `k` of `parts[i]` (that series' own
    `WindowSet`, in its own row numbers); in this set it starts at panel row
    `offsets[i] + parts[i].starts[k]`. Windows are ordered series by series.

    With `series_index`, every input step carries one more feature after the
    data's: the series' position among the training series (a float holding an
    integer), which a model with `series_embedding` turns into the series'
    vector. It is never normalised.

    Attributes:
        parts: Each series' windows of this split.
        ids: The series' ids, in the order of `parts`.
        series_number: Each series' position among the training series (the index
            fed with `series_index`).
    """

    def __init__(
        self,
        name: str,
        scaled: np.ndarray,
        offsets: np.ndarray,
        parts: list[WindowSet],
        ids: list[str],
        series_number: np.ndarray,
        *,
        series_index: bool = False,
    ) -> None:
        first = parts[0]
        self.name, self.parts, self.ids = name, parts, ids
        self.series_number = np.asarray(series_number, dtype=np.int64)
        self.lookback, self.horizon, self.gap = first.lookback, first.horizon, first.gap
        self.series_index = series_index
        self._ends = np.asarray(offsets[1:], dtype=np.int64)
        self._counts = np.array([len(part) for part in parts], dtype=np.int64)
        starts = np.concatenate([offsets[i] + part.starts for i, part in enumerate(parts)]).astype(np.int64)
        self._inner = first.over(scaled, starts)
        self._starts = self._inner._starts
        self._target_offset = first._target_offset

    def __repr__(self) -> str:
        return (
            f"PanelWindows({self.name!r}, series={len(self.parts)}, windows={len(self)}, lookback={self.lookback}, "
            f"horizon={self.horizon})"
        )

    @property
    def x_spec(self) -> tuple[str, tuple[int, ...]]:
        dtype, (lookback, n_features) = self._inner.x_spec
        return dtype, (lookback, n_features + int(self.series_index))

    @property
    def y_spec(self) -> tuple[str, tuple[int, ...]]:
        return self._inner.y_spec

    def _gather(self, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = self._inner._gather(starts)
        if not self.series_index:
            return x, y
        series = self.series_number[np.searchsorted(self._ends, starts, side="right")]
        index = np.broadcast_to(series.astype(np.float32)[:, None, None], (*x.shape[:2], 1))
        return np.concatenate([x, index], axis=2), y

    # ------------------------------------------------------------------ per series

    @property
    def window_series(self) -> np.ndarray:
        """int64 `(n_windows,)`: the position in `parts` of each window's series."""
        return np.repeat(np.arange(len(self.parts)), self._counts)

    def by_series(self, values: np.ndarray) -> list[np.ndarray]:
        """Split an array with one row per window of this set into one array per series."""
        return np.split(np.asarray(values), np.cumsum(self._counts)[:-1])

    def to_original(self, y_model: np.ndarray) -> np.ndarray:
        """Model-space forecasts of these windows in original units, each series inverted by its own transform."""
        y_model = np.asarray(y_model)
        if y_model.shape[0] != len(self):
            raise DataError(
                f"`y_model` must have one forecast per window of split {self.name!r} ({len(self)}); received "
                f"shape {y_model.shape}."
            )
        pairs = zip(self.parts, self.by_series(y_model), strict=True)
        return np.concatenate([part.to_original(y) for part, y in pairs])

    def targets_original(self) -> np.ndarray:
        """float64 `(n_windows, horizon, n_targets)`: the true targets in original units."""
        return np.concatenate([part.targets_original() for part in self.parts])


@dataclasses.dataclass
class PreparedPanel:
    """A panel's windows and fitted preprocessing, and each series' own prepared data.

    Attributes:
        train, val, test: `PanelWindows` of every series (val/test None when not asked for).
        spec: Shapes and column names (every series has the same columns).
        preprocessing: The fitted `PanelPreprocessing`.
        series: Each series' `PreparedData` (its windows, transform, values,
            training length), in panel order.
        ids: The series' ids, in panel order.
        period: Seasonal period (`data.period`, else the dataset's), or None.
    """

    train: PanelWindows
    val: PanelWindows | None
    test: PanelWindows | None
    spec: SeriesSpec
    preprocessing: PanelPreprocessing
    series: list[PreparedData]
    ids: list[str]
    period: int | None

    @property
    def values(self) -> np.ndarray:
        """Every series' rows in original units, end to end (what identifies the data)."""
        return np.concatenate([prepared.values for prepared in self.series])

    @property
    def frequency(self) -> str | None:
        return self.series[0].frequency

    @property
    def train_lengths(self) -> np.ndarray:
        """Training rows of each series."""
        return np.array([prepared.train_length for prepared in self.series])


def prepare_panel(
    config: DataConfig,
    *,
    frame=None,
    base_dir: Path | None = None,
    preprocessing: PanelPreprocessing | None = None,
    series_index: bool = False,
) -> PreparedPanel:
    """Load, check, split, transform and window every series of a long table.

    Args:
        config: The data section, with `series_column`.
        frame: A long DataFrame or a CSV/Parquet path instead of the config's source.
        base_dir: Folder of the config file.
        preprocessing: A trained run's fitted state, applied instead of fitting;
            every series of the data must be one the run was trained on (with
            `scope: per_series`: it has no transform for another).
        series_index: Append each window's series position to its inputs (a
            model with `series_embedding`).

    Returns:
        `PreparedPanel`.

    Raises:
        DataError: What `prepare` refuses in any one series (naming it), a series
            too short for the requested splits, or series unknown to `preprocessing`.
    """
    groups, origin, config = split_panel(config, frame, base_dir)
    ids = [name for name, _ in groups]
    if preprocessing is not None:
        unknown = [name for name in ids if preprocessing.transform_for(name) is None]
        if unknown:
            raise DataError(
                f"{sentence(origin)} holds {len(unknown)} series the run was not trained on ({_listed(unknown)}); "
                f"with `transform.scope: per_series` each series is scaled by its own fitted scaler. Give only "
                "the training series, or train with `scope: global`."
            )
    loaded = []
    for k, (name, rows) in enumerate(groups):
        groups[k] = None  # each series' raw rows go once they are read (memory: one series at a time)
        fitted = None if preprocessing is None else preprocessing.transform_for(name)
        loaded.append(load_series(config, frame=rows, transform=fitted, origin=series_origin(name, origin)))
    del rows
    if preprocessing is None:
        preprocessing = _fit(config, ids, loaded)
    transforms = [preprocessing.transform_for(name) for name in ids]
    # Every series' scaled rows end to end in one array; each series' windows are views on its part.
    pairs = zip(loaded, transforms, strict=True)
    scaled = [t.apply(table.values, origin=sentence(table.origin)) for (table, _), t in pairs]
    offsets = np.concatenate([[0], np.cumsum([len(part) for part in scaled])]).astype(np.int64)
    scaled = np.concatenate(scaled)
    series = [
        prepared_from(config, table, plan, t, scaled=scaled[offsets[k] : offsets[k + 1]])
        for k, ((table, plan), t) in enumerate(zip(loaded, transforms, strict=True))
    ]
    number = np.array([_number(preprocessing, name) for name in ids], dtype=np.int64)
    unseen = [name for name, k in zip(ids, number, strict=True) if k < 0]
    if series_index and unseen:
        raise DataError(
            f"{sentence(origin)} holds {len(unseen)} series the run was not trained on ({_listed(unseen)}); the "
            "model's series embedding has a vector only for its training series. Give only those series."
        )

    def windows(split: str) -> PanelWindows | None:
        parts = [getattr(prepared, split) for prepared in series]
        if parts[0] is None:
            return None
        return PanelWindows(split, scaled, offsets, parts, ids, number, series_index=series_index)

    first = series[0]
    return PreparedPanel(
        train=windows("train"),
        val=windows("val"),
        test=windows("test"),
        spec=first.spec,
        preprocessing=preprocessing,
        series=series,
        ids=ids,
        period=first.period,
    )


def _number(preprocessing: PanelPreprocessing, name: str) -> int:
    k = preprocessing.index_of(name)
    return -1 if k is None else k


def _fit(config: DataConfig, ids: list[str], loaded) -> PanelPreprocessing:
    """Fit one transform per series, or one on every series' training rows (`transform.scope`)."""
    per_series = config.transform.scope == "per_series"
    pooled = None
    if not per_series or config.window_norm.type == "auto":  # per series, pooled only to decide `auto`
        pieces = [(table.values, plan.fit_rows, sentence(table.origin)) for table, plan in loaded]
        table = loaded[0][0]
        pooled = Transform.fit_pooled(
            pieces, table.columns, table.features, table.targets, config,
            time_column=table.time_column, time_format=table.time_format, frequency=table.frequency,
        )
    if not per_series:
        return PanelPreprocessing(config.series_column, ids, "global", [pooled])
    # `window_norm: auto` is decided once for the panel: one global model reads windows normalised one way.
    resolved = config
    if pooled is not None:
        resolved = config.model_copy(
            update={"window_norm": config.window_norm.model_copy(update={"type": pooled.window_norm}),
                    "period": pooled.window_norm_period or config.period}
        )
    transforms = []
    for table, plan in loaded:
        transform = fit_transform(resolved, table, plan)
        if pooled is not None:
            transform.window_norm_choice = pooled.window_norm_choice
        transforms.append(transform)
    return PanelPreprocessing(config.series_column, ids, "per_series", transforms)
