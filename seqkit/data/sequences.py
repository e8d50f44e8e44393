"""Sets of independent labelled sequences (`data.sequences`): read, split, scale, pad.

A sequence set is many recordings with one class each (a spoken vowel, a
gesture, a heartbeat), not windows of one series. Sequences may differ in
length. The pipeline:

1. read: a shipped set (UCR/UEA `.ts` files), `.ts`, wide or long CSV files, or
   `frame=(X, y)` from Python (an array `(n, length, n_features)` or a list of
   `(length_i, n_features)` arrays, and one label per sequence);
2. split: the given test file, else a stratified `test_fraction`; validation is
   a stratified `val` share of the training sequences (`stratified_split`);
3. scale: per-feature mean and standard deviation over every time step of the
   training sequences only (`SequenceScaler`);
4. pad: each split's sequences are padded at their end to the longest of the
   split with `SEQUENCE_PAD`, which the model masks (`SequenceSet`).
"""

from __future__ import annotations

import dataclasses
import gzip
import io
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from seqkit.config.data import DataConfig
from seqkit.config.recipe import SEQUENCE_PAD
from seqkit.data.datasets.registry import sequence_set_info
from seqkit.data.labels import ClassLabels
from seqkit.data.sources import resolve_path
from seqkit.data.windows import Windows, WindowStarts
from seqkit.errors import DataError


@dataclasses.dataclass(frozen=True)
class RawSequences:
    """Sequences as read: float64 `(length_i, n_features)` arrays and their labels.

    Labels are text; a file read for prediction has `""` for every label, and
    sequences given without labels (`from_python((X, None))`) have None.
    """

    sequences: list[np.ndarray]
    labels: list[str] | None
    origin: str

    def __len__(self) -> int:
        return len(self.sequences)

    def take(self, positions: np.ndarray) -> RawSequences:
        labels = None if self.labels is None else [self.labels[i] for i in positions]
        return RawSequences([self.sequences[i] for i in positions], labels, self.origin)


# ---------------------------------------------------------------------------- readers


def parse_ts(text: str, origin: str) -> RawSequences:
    """Read the UCR/UEA `.ts` format: `@` header lines, then one sequence per line.

    A data line holds each dimension's values, comma-separated, dimensions
    separated by `:`, the class label last. All dimensions of a sequence have
    the same length; sequences may differ (`@equalLength false`).

    Raises:
        DataError: a malformed line, missing values (`?`), or no sequences (naming the line).
    """
    sequences, labels, in_data, dims = [], [], False, None
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not in_data:
            in_data = line.lower() == "@data"
            continue
        *fields, label = line.split(":")
        try:
            channels = [np.array([float(v) for v in field.split(",")], dtype=np.float64) for field in fields]
        except ValueError:
            raise DataError(
                f"{origin}, line {number}: a value is not a number (missing values '?' are not read)"
            ) from None
        if not channels or len({len(c) for c in channels}) != 1 or (dims is not None and len(channels) != dims):
            raise DataError(
                f"{origin}, line {number}: expected {dims or 'one or more'} dimensions of equal length, "
                f"received {len(channels)} of lengths {[len(c) for c in channels]}"
            )
        dims = len(channels)
        sequences.append(np.stack(channels, axis=1))
        labels.append(label.strip())
    if not sequences:
        raise DataError(f"{origin} holds no sequences after its `@data` line")
    return RawSequences(sequences, labels, origin)


def read_wide_csv(path: Path, label_column: str, id_column: str | None, *, labelled: bool = True) -> RawSequences:
    """One univariate sequence per row: the label column, an optional id column, then the values.

    Empty trailing cells shorten a row's sequence; an empty cell before a value
    is an error. `labelled=False` (new data to classify): the label column may
    be absent, and its values are not read.
    """
    origin = f"file '{path.name}'"
    table = pd.read_csv(path)
    if labelled and label_column not in table.columns:
        raise DataError(
            f"{origin} has no label column {label_column!r} (set `sequences.label_column`); "
            f"columns: {list(table.columns)[:10]}"
        )
    value_columns = [c for c in table.columns if c not in (label_column, id_column)]
    values = table[value_columns].apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
    sequences = []
    for row, line in enumerate(values):
        present = np.flatnonzero(~np.isnan(line))
        length = 0 if present.size == 0 else int(present[-1]) + 1
        if length == 0 or np.isnan(line[:length]).any():
            raise DataError(
                f"{origin}, row {row + 2}: "
                + ("no values" if length == 0 else "an empty or non-numeric cell inside the sequence")
            )
        sequences.append(line[:length, None])
    return RawSequences(sequences, [str(v) for v in table[label_column]] if labelled else [""] * len(sequences), origin)


def read_long_csv(path: Path, config, labels_file: Path | None, *, labelled: bool = True) -> RawSequences:
    """One row per time step: `id_column`, optionally `time_column`, then the value columns.

    Sequences keep the order in which their ids first appear; steps are ordered
    by `time_column` (stable), else kept in file order. The label is the
    `label_column` of the table (one value per id) or of the `labels` file;
    `labelled=False` (new data to classify) reads no labels.
    """
    origin = f"file '{path.name}'"
    table = pd.read_csv(path)
    labels_table = pd.read_csv(labels_file) if labels_file is not None else table
    labels_origin = f"file '{labels_file.name}'" if labels_file is not None else origin
    needed = [(config.id_column, table, origin), (config.time_column, table, origin)]
    if labelled:
        needed += [(config.id_column, labels_table, labels_origin), (config.label_column, labels_table, labels_origin)]
    for column, where, name in needed:
        if column is not None and column not in where.columns:
            raise DataError(f"{name} has no column {column!r}; columns: {list(where.columns)[:10]}")
    label_of = None
    if labelled:
        per_id = labels_table.groupby(config.id_column, sort=False)[config.label_column].nunique(dropna=False)
        if (per_id > 1).any():
            raise DataError(f"{labels_origin}: sequence '{per_id.index[per_id > 1][0]}' has more than one label")
        label_of = labels_table.drop_duplicates(config.id_column).set_index(config.id_column)[config.label_column]
    kept_out = {config.id_column, config.time_column, config.label_column}
    value_columns = [c for c in table.columns if c not in kept_out]
    if not value_columns:
        raise DataError(f"{origin} has no value columns besides the id, time and label columns")
    sequences, labels = [], []
    for key, rows in table.groupby(config.id_column, sort=False):
        if config.time_column is not None:
            rows = rows.sort_values(config.time_column, kind="stable")
        values = rows[value_columns].apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
        if np.isnan(values).any():
            raise DataError(f"{origin}: sequence '{key}' has an empty or non-numeric value")
        sequences.append(values)
        if label_of is not None:
            if key not in label_of.index:
                raise DataError(f"{labels_origin} gives no label for sequence '{key}'")
            labels.append(str(label_of[key]))
    return RawSequences(sequences, labels if labelled else [""] * len(sequences), origin)


def read_file(path: Path, config, base_dir: Path | None = None, *, labelled: bool = True) -> RawSequences:
    """A `.ts`, wide or long CSV file of sequences (`config`: the `data.sequences` section, for a CSV's columns).

    `labelled=False`: new data to classify, whose labels are not read (a `.ts` file's are ignored).
    """
    if not path.is_file():
        raise DataError(f"sequence file '{path}' does not exist")
    if path.suffix.lower() == ".ts":
        return parse_ts(path.read_text(encoding="utf-8"), f"file '{path.name}'")
    if path.suffix.lower() == ".csv" and config.layout == "long":
        labels = resolve_path(config.labels, base_dir) if config.labels and labelled else None
        if labels is not None and not labels.is_file():
            raise DataError(f"labels file '{labels}' does not exist")
        return read_long_csv(path, config, labels, labelled=labelled)
    if path.suffix.lower() == ".csv":
        return read_wide_csv(path, config.label_column, config.id_column, labelled=labelled)
    raise DataError(f"sequence file '{path.name}' must be a `.ts` or `.csv` file")


def read_shipped(name: str) -> tuple[RawSequences, RawSequences]:
    """A shipped set's training and test sequences."""
    train_file = sequence_set_info(name).file
    parts = []
    for file in (train_file, train_file.replace("_TRAIN", "_TEST")):
        with resources.files("seqkit.data.datasets").joinpath(file).open("rb") as handle:
            text = io.TextIOWrapper(gzip.GzipFile(fileobj=handle), encoding="utf-8").read()
        parts.append(parse_ts(text, f"sequence set {name!r} ({file})"))
    return parts[0], parts[1]


def load_sequence_set(name: str) -> tuple[tuple[list[np.ndarray], list[str]], tuple[list[np.ndarray], list[str]]]:
    """A shipped sequence set as Python data: `((train sequences, labels), (test sequences, labels))`.

    Each sequence is a float64 `(length, n_features)` array; labels are text. The
    pairs are what `seqkit.train(config, frame=(X, y))` and `Run.predict(X)` take.

    Raises:
        DataError: `name` is not a shipped sequence set.
    """
    train, test = read_shipped(name)
    return (train.sequences, list(train.labels)), (test.sequences, list(test.labels))


def from_python(frame) -> RawSequences:
    """`frame=(X, y)`: X `(n, length, n_features)` (or `(n, length)`) or a list of `(length_i, n_features)` arrays.

    `y` None: sequences to classify, without labels.
    """
    origin = "the (X, y) given as data"
    if not (isinstance(frame, tuple) and len(frame) == 2):
        raise DataError(
            "a sequence set from Python is `frame=(X, y)`: X of shape (n, length, n_features) or a list of "
            f"(length_i, n_features) arrays, and y one label per sequence; received {type(frame).__name__}"
        )
    x, y = frame
    items = list(x) if isinstance(x, (list, tuple)) else list(np.asarray(x, dtype=np.float64))
    sequences = []
    for i, item in enumerate(items):
        array = np.asarray(item, dtype=np.float64)
        array = array[:, None] if array.ndim == 1 else array
        if array.ndim != 2 or len(array) == 0:
            raise DataError(f"{origin}: sequence {i} has shape {array.shape}; expected (length, n_features)")
        if not np.isfinite(array).all():
            raise DataError(f"{origin}: sequence {i} holds NaN or infinite values")
        sequences.append(array)
    if y is None:
        return RawSequences(sequences, None, origin)
    labels = [str(v) for v in np.asarray(y).reshape(-1)]
    if len(labels) != len(sequences):
        raise DataError(f"{origin}: {len(sequences)} sequences but {len(labels)} labels; give one label each")
    return RawSequences(sequences, labels, origin)


def read_sequences(config: DataConfig, frame, base_dir: Path | None) -> tuple[RawSequences, RawSequences | None]:
    """The training sequences and, when the data gives them, the test sequences."""
    options = config.sequences
    if frame is not None:
        return from_python(frame), None
    if config.dataset is not None:
        return read_shipped(config.dataset)
    if options.train is None:
        raise DataError(
            "`data.sequences` names no data: set `data.dataset` (a shipped set), `sequences.train` (a file), "
            "or pass `frame=(X, y)` from Python"
        )
    train = read_file(resolve_path(options.train, base_dir), options, base_dir)
    test = read_file(resolve_path(options.test, base_dir), options, base_dir) if options.test else None
    return train, test


def check_features(parts: Sequence[RawSequences]) -> int:
    """The feature count every sequence shares.

    Raises:
        DataError: sequences with different feature counts (naming the first).
    """
    n_features = parts[0].sequences[0].shape[1]
    for part in parts:
        for i, sequence in enumerate(part.sequences):
            if sequence.shape[1] != n_features:
                raise DataError(
                    f"{part.origin}: sequence {i} has {sequence.shape[1]} features, the first has {n_features}"
                )
    return n_features


# ---------------------------------------------------------------------------- splits


def stratified_split(labels: Sequence[str], fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions `(kept, held_out)`: `round(fraction * n_c)` of each class `c` held out, at random.

    Every class keeps at least one sequence; a class with one sequence is never
    held out. Both outputs are sorted.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    held = []
    for name in sorted(set(labels.tolist())):
        members = np.flatnonzero(labels == name)
        take = min(int(round(fraction * len(members))), len(members) - 1)
        held.extend(rng.permutation(members)[:take].tolist())
    held_out = np.sort(np.array(held, dtype=np.int64))
    kept = np.setdiff1d(np.arange(len(labels)), held_out)
    return kept, held_out


# ---------------------------------------------------------------------------- scaling and padding


@dataclasses.dataclass(frozen=True)
class SequenceScaler:
    """Per-feature standard scaling fitted on every time step of the training sequences."""

    mean: tuple[float, ...]
    std: tuple[float, ...]

    @classmethod
    def fit(cls, sequences: Sequence[np.ndarray]) -> SequenceScaler:
        steps = np.concatenate(sequences, axis=0)
        std = steps.std(axis=0)
        std = np.where(std > 0, std, 1.0)  # a constant feature is centred, not divided by zero
        return cls(tuple(float(v) for v in steps.mean(axis=0)), tuple(float(v) for v in std))

    def apply(self, sequence: np.ndarray) -> np.ndarray:
        return (sequence - np.asarray(self.mean)) / np.asarray(self.std)

    def to_json(self) -> dict:
        return {"mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_json(cls, data: dict) -> SequenceScaler:
        return cls(tuple(data["mean"]), tuple(data["std"]))


def pad(sequences: Sequence[np.ndarray]) -> np.ndarray:
    """float32 `(n, longest, n_features)`: each sequence at the start, `SEQUENCE_PAD` after its end."""
    length = max(len(s) for s in sequences)
    out = np.full((len(sequences), length, sequences[0].shape[1]), SEQUENCE_PAD, dtype=np.float32)
    for i, sequence in enumerate(sequences):
        out[i, : len(sequence)] = sequence
    return out


class SequenceSet(Windows):
    """One split of a sequence set: padded, scaled sequences and one class id each.

    Batches (`dataset`): x float32 `(batch, length, n_features)` (padded steps hold
    `SEQUENCE_PAD`), y int32 `(batch,)`.

    Attributes:
        x: float32 `(n, length, n_features)`, the padded sequences.
        lengths: int64 `(n,)` real length of each.
        label_ids: int32 `(n,)` class id of each.
    """

    def __init__(self, name: str, x: np.ndarray, lengths: np.ndarray, label_ids: np.ndarray):
        self.name = name
        self.x, self.lengths, self.label_ids = x, lengths, label_ids
        self.lookback = x.shape[1]
        self._starts = WindowStarts(0, len(x), 1)
        self._target_offset = 0

    @property
    def x_spec(self) -> tuple[str, tuple[int, ...]]:
        return "float32", tuple(self.x.shape[1:])

    @property
    def y_spec(self) -> tuple[str, tuple[int, ...]]:
        return "int32", ()

    def _gather(self, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.x[starts], self.label_ids[starts]

    def labels(self) -> np.ndarray:
        """int32 `(n,)`: each sequence's class id."""
        return self.label_ids[self._starts.at(np.arange(len(self)))]


@dataclasses.dataclass(frozen=True)
class SequencePreprocessing:
    """A sequence-set run's fitted state: the scaler, the classes, the feature count."""

    scaler: SequenceScaler
    labels: ClassLabels
    n_features: int

    def to_json(self) -> dict:
        """JSON-compatible state (no pickle)."""
        return {"scaler": self.scaler.to_json(), "labels": self.labels.to_json(), "n_features": self.n_features}

    @classmethod
    def from_json(cls, data: dict) -> SequencePreprocessing:
        return cls(SequenceScaler.from_json(data["scaler"]), ClassLabels.from_json(data["labels"]), data["n_features"])

    def transform(self, raw: RawSequences, name: str) -> SequenceSet:
        """Scale and pad sequences as training did (class ids -1 for unlabelled sequences).

        Raises:
            DataError: a sequence's feature count differs from training, or its class was never trained on.
        """
        for i, sequence in enumerate(raw.sequences):
            if sequence.shape[1] != self.n_features:
                raise DataError(
                    f"{raw.origin}: sequence {i} has {sequence.shape[1]} features; the model reads {self.n_features}"
                )
        if raw.labels is None:
            ids = np.full(len(raw), -1, dtype=np.int32)
        else:
            ids = self.labels.encode(pd.Series(raw.labels, dtype=object))
            unknown = np.flatnonzero(ids < 0)
            if unknown.size:
                raise DataError(
                    f"{raw.origin}: sequence {int(unknown[0])} has class {raw.labels[unknown[0]]!r}, which the "
                    f"training sequences never show ({list(self.labels.classes)})"
                )
        scaled = [self.scaler.apply(s) for s in raw.sequences]
        lengths = np.array([len(s) for s in raw.sequences], dtype=np.int64)
        return SequenceSet(name, pad(scaled), lengths, ids)


@dataclasses.dataclass
class PreparedSequences:
    """Prepared sequence-set data: `train`, `val`, `test` (`SequenceSet`, val/test None when empty)."""

    train: SequenceSet
    val: SequenceSet | None
    test: SequenceSet | None
    preprocessing: SequencePreprocessing

    @property
    def labels(self) -> ClassLabels:
        return self.preprocessing.labels

    @property
    def splits(self) -> dict[str, SequenceSet]:
        """The splits that hold sequences, by name (training, validation, test)."""
        named = {"training": self.train, "validation": self.val, "test": self.test}
        return {name: part for name, part in named.items() if part is not None}

    @property
    def values(self) -> np.ndarray:
        """Every split's padded values and class ids, for the data hash."""
        return np.concatenate([
            np.concatenate([p.x.reshape(-1), p.label_ids.astype(np.float32)]) for p in self.splits.values()
        ])


def prepare_sequences(
    config: DataConfig, *, frame=None, base_dir: Path | None = None,
    preprocessing: SequencePreprocessing | None = None,
) -> PreparedSequences:
    """Read, split, scale and pad a sequence set as `data.sequences` says.

    With `preprocessing` (a trained run's), the scaler and classes are reused
    and not refitted.

    Raises:
        DataError: unreadable data, fewer than two classes in training, a split
            left empty by too few sequences, or a class the training sequences lack.
    """
    options = config.sequences
    whole, test = read_sequences(config, frame, base_dir)
    check_features([whole] if test is None else [whole, test])
    if test is None and options.test_fraction > 0:
        kept, held = stratified_split(whole.labels, options.test_fraction, options.seed)
        whole, test = whole.take(kept), whole.take(held)
    train, val = whole, None
    if options.val > 0:
        kept, held = stratified_split(whole.labels, options.val, options.seed + 1)
        train, val = whole.take(kept), whole.take(held)
    if preprocessing is None:
        labels = ClassLabels.fit(options.label_column, pd.Series(train.labels, dtype=object))
        scaler = SequenceScaler.fit(train.sequences)  # training sequences only
        preprocessing = SequencePreprocessing(scaler, labels, train.sequences[0].shape[1])
    parts = [
        preprocessing.transform(raw, name) if raw is not None and len(raw) else None
        for raw, name in ((train, "train"), (val, "validation"), (test, "test"))
    ]
    return PreparedSequences(*parts, preprocessing=preprocessing)
