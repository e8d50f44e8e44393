"""Sequence classification: one class per window, read from a categorical column.

With `data.label: weather`, window `k` reads the features over its lookback
and its target is the class in column `weather` at its target step (`gap`
steps after the last input), e.g. tomorrow's weather type from the last two
weeks of measurements. The features are prepared exactly as for forecasting
(split, transforms, scaling fitted on the training rows, window
normalisation); the classes are the ones the training rows show.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from seqkit.config.data import DataConfig
from seqkit.data.pipeline import PreparedData, prepare
from seqkit.data.sources import capitalized, read_source
from seqkit.data.transforms import Transform
from seqkit.data.windows import Windows, WindowSet, WindowStarts
from seqkit.errors import DataError


@dataclasses.dataclass(frozen=True)
class ClassLabels:
    """The classes a classifier predicts, in output order.

    Attributes:
        column: The label column.
        classes: Class names; output unit `i` of the model is `classes[i]`.
    """

    column: str
    classes: tuple[str, ...]

    @classmethod
    def fit(cls, column: str, values: pd.Series) -> ClassLabels:
        """The sorted distinct classes of `values` (the training rows' labels)."""
        classes = tuple(sorted({str(v) for v in values.dropna()}))
        if len(classes) < 2:
            raise DataError(
                f"Column {column!r} shows {len(classes)} class(es) in the training rows ({list(classes)}); "
                "a classifier needs at least two. Choose another `label` or more data."
            )
        return cls(column, classes)

    def encode(self, values: pd.Series) -> np.ndarray:
        """int32 class ids; -1 for a missing value or a class the training rows never showed."""
        lookup = {name: i for i, name in enumerate(self.classes)}
        return np.array([lookup.get(str(v), -1) if pd.notna(v) else -1 for v in values], dtype=np.int32)

    def to_json(self) -> dict:
        """JSON-compatible state (no pickle)."""
        return {"column": self.column, "classes": list(self.classes)}

    @classmethod
    def from_json(cls, data: dict) -> ClassLabels:
        """Rebuild the labels saved by `to_json`."""
        return cls(data["column"], tuple(data["classes"]))


@dataclasses.dataclass(frozen=True)
class ClassifierPreprocessing:
    """A classification run's fitted state: the feature transform and the classes."""

    transform: Transform
    labels: ClassLabels

    def to_json(self) -> dict:
        """JSON-compatible state (no pickle)."""
        return {"transform": self.transform.to_json(), "labels": self.labels.to_json()}

    @classmethod
    def from_json(cls, data: dict) -> ClassifierPreprocessing:
        """Rebuild the state saved by `to_json`."""
        return cls(Transform.from_json(data["transform"]), ClassLabels.from_json(data["labels"]))


class LabelWindows(Windows):
    """Windows of a series whose target is one class id each.

    Batches (`dataset`): x float32 `(batch, lookback, n_features)`, y int32 `(batch,)`
    the class at each window's target row; `targets()` and `labels()` give the same
    ids, `labels()` without gathering the inputs.

    Args:
        windows: The feature windows (their own targets are ignored); they also set
            these windows' starts and order.
        label_ids: int32 `(n_time,)` class id of every row.
    """

    def __init__(self, windows: WindowSet, label_ids: np.ndarray):
        self.windows = windows
        self.label_ids = label_ids
        self.name = windows.name
        self.lookback = windows.lookback
        self._target_offset = windows._target_offset

    @property
    def _starts(self) -> WindowStarts:
        return self.windows._starts

    def _with_starts(self, starts: WindowStarts) -> LabelWindows:
        return LabelWindows(self.windows._with_starts(starts), self.label_ids)

    @property
    def x_spec(self) -> tuple[str, tuple[int, ...]]:
        return self.windows.x_spec

    @property
    def y_spec(self) -> tuple[str, tuple[int, ...]]:
        return "int32", ()

    def _gather(self, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.windows._gather_inputs(starts)[0], self.label_ids[starts + self._target_offset]

    @property
    def target_times(self):
        """Timestamps of each window's target row, `(n_windows, 1)`, or None."""
        return self.windows.target_times

    def labels(self) -> np.ndarray:
        """int32 `(n_windows,)`: each window's class id."""
        return self.label_ids[self.target_starts]


@dataclasses.dataclass
class PreparedLabels:
    """Prepared classification data: feature windows with one class each.

    Attributes:
        train, val, test: `LabelWindows` (val/test None when empty).
        series: The feature preparation (`PreparedData`) the windows come from.
        labels: The classes (from the training rows).
        train_label_ids: Class ids of the training windows' targets.
    """

    train: LabelWindows
    val: LabelWindows | None
    test: LabelWindows | None
    series: PreparedData
    labels: ClassLabels

    @property
    def spec(self):
        return self.series.spec

    @property
    def preprocessing(self) -> ClassifierPreprocessing:
        return ClassifierPreprocessing(self.series.transform, self.labels)

    @property
    def values(self) -> np.ndarray:
        return self.series.values

    @property
    def time_index(self):
        return self.series.time_index


def prepare_labels(
    config: DataConfig,
    *,
    frame: pd.DataFrame | None = None,
    base_dir: Path | None = None,
    preprocessing: ClassifierPreprocessing | None = None,
) -> PreparedLabels:
    """Prepare feature windows with the class of `config.label` at each window's target step.

    Args:
        config: The data section, with `label` set.
        frame: A DataFrame replacing the config's dataset or path.
        base_dir: Folder a relative `config.path` is resolved against.
        preprocessing: A trained run's fitted transform and classes, to reuse.

    Raises:
        DataError: the label column is missing, empty in a window's target row,
            or holds a class the training rows never show (naming the row).
    """
    series = prepare(
        config,  # with `label` kept, so the class column is left out of the default features
        frame=frame,
        base_dir=base_dir,
        transform=preprocessing.transform if preprocessing else None,
    )
    source, origin, _ = read_source(config, frame, base_dir)
    if isinstance(source, np.ndarray) or config.label not in source.columns:
        available = [] if isinstance(source, np.ndarray) else list(source.columns)
        raise DataError(f"`data.label` {config.label!r} is not a column of {origin}. Available columns: {available}.")
    raw = source[config.label].reset_index(drop=True)
    if len(raw) != series.n_time:
        raise DataError(f"{capitalized(origin)}: the label column has {len(raw)} rows but the series {series.n_time}.")
    labels = preprocessing.labels if preprocessing else ClassLabels.fit(config.label, raw.iloc[: series.train_length])
    label_ids = labels.encode(raw)

    def wrap(windows: WindowSet | None) -> LabelWindows | None:
        if windows is None:
            return None
        wrapped = LabelWindows(windows, label_ids)
        bad = np.flatnonzero(wrapped.labels() < 0)
        if bad.size:
            row = int(wrapped.target_starts[bad[0]])
            raise DataError(
                f"{capitalized(origin)}: row {row + 1} of column {config.label!r} is {raw.iloc[row]!r}, which is "
                f"missing or a class the training rows never show ({list(labels.classes)}). Fix or drop that row."
            )
        return wrapped

    return PreparedLabels(wrap(series.train), wrap(series.val), wrap(series.test), series, labels)
