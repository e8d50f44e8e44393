"""Read a series from CSV, Parquet, a DataFrame, a NumPy array or a shipped dataset, and check it.

The result is a `Table`: one numeric array `(n_time, n_columns)` with the feature
columns first and any target-only columns after them, plus the parsed time index.
Every check that can fail names the source, the row and the column, so nothing
malformed reaches Keras.

Row numbers in messages count data rows from 1 (a CSV's header is not a row), so
"row 1234" of a CSV is line 1235 of the file.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from seqkit.config.data import DataConfig
from seqkit.config.loading import did_you_mean
from seqkit.data.datasets.registry import DatasetInfo, dataset_info, load_dataset
from seqkit.errors import DataError

if TYPE_CHECKING:
    from seqkit.data.transforms import Transform

_CSV_SUFFIXES = (".csv", ".txt", ".tsv")
_PARQUET_SUFFIXES = (".parquet", ".pq")
# Rows checked per pass when scanning a large array for NaN/inf, to keep the boolean mask small.
_CHECK_CHUNK_ROWS = 1 << 20


class DataWarning(UserWarning):
    """The data are usable but something about them deserves attention (gaps in the time column)."""


@dataclasses.dataclass
class Table:
    """A checked numeric series.

    Attributes:
        values: `(n_time, n_columns)` float array; columns are `features` then the
            targets that are not features. Float32 input is kept as is (no copy).
        columns: Names of the columns of `values`.
        features: Input column names.
        targets: Target column names.
        time_index: Parsed timestamps, or None.
        frequency: pandas frequency string of the time steps, or None.
        origin: Where the data came from, for messages ("file 'x.csv'", "DataFrame").
        period: Seasonal period suggested by a shipped dataset, or None.
        time_column: Name of the parsed time column, or None.
        time_format: Its `strftime` format, or None.
        source_rows: Row of the source each row comes from (-1: a missing time step
            inserted by `missing: interpolate` or `ffill`), or None when the rows are
            the source's, one for one.
    """

    values: np.ndarray
    columns: list[str]
    features: list[str]
    targets: list[str]
    time_index: pd.DatetimeIndex | None
    frequency: str | None
    origin: str
    period: int | None = None
    time_column: str | None = None
    time_format: str | None = None
    source_rows: np.ndarray | None = None


def sentence(origin: str) -> str:
    """`origin` opening a sentence: only its first letter raised ("DataFrame", "File 'ETTh1.csv'").

    `str.capitalize` would lower the rest: "Dataframe", "File 'etth1.csv'".
    """
    return origin[:1].upper() + origin[1:]


def resolve_path(path: str, base_dir: Path | None) -> Path:
    """The file a config's `path` names: relative to the config file's folder, never outside it.

    Raises:
        DataError: the path is absolute, escapes `base_dir`, or the file is missing.
    """
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    resolved = (base / path).resolve()
    if Path(path).is_absolute() or not resolved.is_relative_to(base.resolve()):
        raise DataError(
            f"`data.path` must stay inside the config file's folder ({base}); received {path!r}. "
            "Move the file there, or pass a DataFrame from Python."
        )
    if not resolved.is_file():
        raise DataError(f"`data.path` {path!r} does not exist (looked for {resolved}). Check the name and folder.")
    return resolved


def input_file(path: str | Path) -> Path:
    """A file of new data a user names (from anywhere, unlike `data.path`).

    Raises:
        DataError: there is no such file.
    """
    file = Path(path)
    if not file.is_file():
        raise DataError(f"input file '{file}' does not exist. Check the name and folder.")
    return file


def read_file(file: Path) -> pd.DataFrame:
    """A CSV, TSV or Parquet file as a DataFrame; every way it can fail is a `DataError` naming the file.

    Raises:
        DataError: the file is empty, unreadable, malformed, or of another kind.
    """
    suffix = file.suffix.lower()
    try:
        if suffix in _PARQUET_SUFFIXES:
            return pd.read_parquet(file)
        if suffix in _CSV_SUFFIXES:
            return pd.read_csv(file, sep="\t" if suffix == ".tsv" else ",")
    except pd.errors.EmptyDataError as error:
        raise DataError(f"File '{file.name}' is empty. Give a file with a header row and data rows.") from error
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise DataError(f"File '{file.name}' could not be read: {error}. Check that it is valid.") from error
    raise DataError(
        f"File {file.name!r} has suffix {suffix!r}; seqkit reads .csv, .tsv, .txt (comma separated) "
        "and .parquet files. Convert the file or pass a DataFrame from Python."
    )


def read_header(config: DataConfig, base_dir: Path | None = None) -> tuple[list[str], list[str], str | None, str]:
    """Column names of the source without loading it all (used to resolve a spec cheaply).

    Returns:
        (all column names, numeric columns a default `features` would take (not the
        time or `label` column), time column, origin).
        Files are sniffed from their first 100 rows.
    """
    if config.dataset is not None:
        info = panel_checked(dataset_info(config.dataset), config)
        if config.dataset == "synthetic":
            n_series = config.synthetic.n_series if config.synthetic else 1
            names = [f"series_{k}" for k in range(n_series)]
            return names, [name for name in names if name != config.label], None, "dataset 'synthetic'"
        numeric = [name for name in info.columns if name != config.label]
        return [info.time_column, *info.columns], numeric, info.time_column, f"dataset {info.name!r}"
    if config.path is None:
        raise DataError(_NO_SOURCE)
    file = resolve_path(config.path, base_dir)
    origin = f"file '{file.name}'"
    if file.suffix.lower() in _PARQUET_SUFFIXES:
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(file)
        head = next(parquet.iter_batches(batch_size=100)).to_pandas() if parquet.metadata.num_rows else None
        names = list(parquet.schema_arrow.names)
    else:
        try:
            head = pd.read_csv(file, nrows=100, sep="\t" if file.suffix.lower() == ".tsv" else ",")
        except pd.errors.EmptyDataError as error:
            raise DataError(f"File '{file.name}' is empty. Give a file with a header row and data rows.") from error
        names = [str(name) for name in head.columns]
    if head is None or head.empty:
        raise DataError(f"{sentence(origin)} has no rows. Give a table with data rows.")
    head = head.rename(columns=str)
    return names, _numeric_columns(head, _not_features(config.time_column, config)), config.time_column, origin


def panel_checked(info: DatasetInfo, config: DataConfig) -> DatasetInfo:
    """`info`, once a shipped panel is read as one (`data.series_column` set).

    Raises:
        DataError: A panel dataset without `series_column`.
    """
    if info.series_column is not None and config.series_column is None:
        raise DataError(
            f"Dataset {info.name!r} is a panel of many series in one long table (column {info.series_column!r} "
            f"names each row's series). Set `data.series_column: {info.series_column}` to forecast every series "
            "with one model."
        )
    return info


def _not_features(time_column: str | None, config: DataConfig) -> set[str]:
    """Columns a default `features` never takes: the time column, the class column (else the answer is an
    input) and a panel's series column."""
    return {name for name in (time_column, config.label, config.series_column) if name is not None}


_NO_SOURCE = (
    "No data source: set `data.dataset` (a shipped dataset, see `seqkit datasets`) or `data.path` "
    "(a CSV or Parquet file), give a file with `seqkit train --data`, or pass `frame=` from Python."
)

_ARRAY = "the array given as data"


def _row_label(origin: str, position: int, frame: pd.DataFrame | None) -> str:
    """'row 1234 (line 1235 of the file)' for files, with the index label for DataFrames."""
    row = position + 1
    if origin.startswith("file"):
        return f"row {row} (line {row + 1} of the file, counting the header)"
    if frame is not None and not isinstance(frame.index, pd.RangeIndex):
        return f"row {row} (position {position}, index label {frame.index[position]!r})"
    return f"row {row} (position {position})"


def _numeric_columns(frame: pd.DataFrame, exclude: set[str]) -> list[str]:
    """Columns where at least half of the non-empty cells are numbers (so one typo still gets reported)."""
    names = []
    for name in frame.columns:
        if name in exclude:
            continue
        column = frame[name]
        if pd.api.types.is_bool_dtype(column):
            continue
        if pd.api.types.is_numeric_dtype(column):
            names.append(name)
            continue
        filled = column.dropna()
        if len(filled) and pd.to_numeric(filled, errors="coerce").notna().mean() >= 0.5:
            names.append(name)
    return names


def _as_numeric(frame: pd.DataFrame, name: str, origin: str) -> pd.Series:
    column = frame[name]
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column
    text = column.astype("string").str.strip()
    numbers = pd.to_numeric(text.replace("", pd.NA), errors="coerce")
    bad = numbers.isna() & text.notna() & (text != "")
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{sentence(origin)}: column {name!r} must hold numbers, but {_row_label(origin, position, frame)} "
            f"holds {column.iloc[position]!r} ({int(bad.sum())} non-numeric cell(s) in the column). "
            "Fix or remove the cell, or leave it empty and set `data.missing`."
        )
    return numbers.astype("float64")


def _parse_time(frame: pd.DataFrame, name: str, time_format: str | None, origin: str) -> pd.DatetimeIndex:
    column = frame[name]
    if pd.api.types.is_datetime64_any_dtype(column):
        return pd.DatetimeIndex(column)  # already parsed (a DataFrame from Python): nothing to read
    if time_format is None and pd.api.types.is_numeric_dtype(column):
        raise DataError(
            f"{sentence(origin)}: time column {name!r} holds numbers ({column.iloc[0]!r}, ...), which "
            "pandas would read as nanoseconds. Set `data.time_format` (e.g. '%Y' for years)."
        )
    source = column.astype(str) if time_format is not None else column
    times = pd.to_datetime(source, format=time_format, errors="coerce")
    bad = times.isna().to_numpy()
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{sentence(origin)}: time column {name!r} could not be read as a date at "
            f"{_row_label(origin, position, frame)}: {column.iloc[position]!r}"
            + (f" (format {time_format!r})" if time_format else "")
            + ". Fix the cell, or set `data.time_format`."
        )
    return pd.DatetimeIndex(times)


def _infer_freq(index: pd.DatetimeIndex) -> str | None:
    """`pd.infer_freq` as a string across pandas versions (newer ones may return an offset)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="A future version of pandas will return a BaseOffset")
        frequency = pd.infer_freq(index)
    return frequency if frequency is None or isinstance(frequency, str) else frequency.freqstr


def _check_order(index: pd.DatetimeIndex, origin: str, frame: pd.DataFrame | None) -> None:
    """Raise on a duplicate timestamp, or one earlier than the row before it."""
    if index.tz is not None:
        index = index.tz_convert(None)
    steps = np.diff(index.asi8)
    duplicates = np.flatnonzero(steps == 0)
    if duplicates.size:
        position = int(duplicates[0]) + 1
        raise DataError(
            f"{sentence(origin)}: the time column has {duplicates.size} duplicate timestamp(s); the first, "
            f"{index[position]}, is at {_row_label(origin, position, frame)} and the row before it. "
            "Aggregate or remove duplicates so each time step appears once."
        )
    backwards = np.flatnonzero(steps < 0)
    if backwards.size:
        position = int(backwards[0]) + 1
        raise DataError(
            f"{sentence(origin)}: the time column must increase, but {_row_label(origin, position, frame)} "
            f"({index[position]}) is earlier than the row before it ({index[position - 1]}). "
            "Sort the data by time."
        )


def _grid_frequency(
    index: pd.DatetimeIndex, origin: str, frame: pd.DataFrame | None, rows: np.ndarray | None, expected: str | None
) -> tuple[str | None, bool]:
    """The frequency of the regular grid increasing timestamps lie on (None: no regular grid).

    `expected` (a trained run's frequency) is the grid new data must lie on; without
    it the grid is inferred, from the first or last rows when gaps hide it.

    Returns:
        (frequency, whether every step of its grid is known to be present).

    Raises:
        DataError: a timestamp off that grid, naming its row.
    """
    if expected is None:
        if len(index) < 3:
            return None, False
        frequency = _infer_freq(index)
        if frequency is not None:
            return frequency, True  # pandas found every row one step after the last: no gap, none off the grid
        guesses = (
            _infer_freq(index[begin : begin + k])
            for k in (50, 10, 3)
            if len(index) >= k
            for begin in (0, len(index) - k)
        )
        frequency = next((guess for guess in guesses if guess is not None), None)
        if frequency is None:
            warnings.warn(
                f"{sentence(origin)}: the time column is not on a regular grid; forecast timestamps will "
                "not be available.",
                DataWarning,
                stacklevel=4,
            )
            return None, False
    else:
        frequency = expected
    off = np.flatnonzero(~index.isin(pd.date_range(index[0], index[-1], freq=frequency)))
    if off.size:
        position = int(off[0])
        grid = f"the run's {frequency!r} time grid" if expected else f"the {frequency!r} grid of the other rows"
        raise DataError(
            f"{sentence(origin)}: {_row_label(origin, _source_row(rows, position), frame)} holds {index[position]}, "
            f"which is not on {grid} (counted from {index[0]}; {off.size} such row(s)). Fix the timestamp so "
            "every row is one step of the grid."
        )
    return frequency, False


def _source_row(rows: np.ndarray | None, position: int) -> int:
    """The source row of a table row (`rows`: source rows kept, or None when every row is kept)."""
    return position if rows is None else int(rows[position])


def check_time_index(
    index: pd.DatetimeIndex, origin: str, frame: pd.DataFrame | None = None, *, frequency: str | None = None
) -> str | None:
    """Check timestamps are strictly increasing and lie on one regular grid.

    Missing steps of the grid (gaps) are not judged here: `load_table` handles them
    by the `data.missing` policy.

    Args:
        index: The parsed timestamps.
        origin: Where they came from, for messages.
        frame: The source table, for index labels in messages.
        frequency: The grid they must lie on (a trained run's); None: inferred.

    Returns:
        The pandas frequency string of the regular grid the timestamps lie on, or None.

    Raises:
        DataError: a duplicate timestamp, one earlier than the row before it, or one off the grid.
    """
    _check_order(index, origin, frame)
    naive = index.tz_convert(None) if index.tz is not None else index
    return _grid_frequency(naive, origin, frame, None, frequency)[0]


def _fill_time_gaps(
    data: pd.DataFrame,
    index: pd.DatetimeIndex,
    frequency: str,
    policy: str,
    origin: str,
    source: pd.DataFrame,
    rows: np.ndarray | None,
) -> tuple[pd.DataFrame, pd.DatetimeIndex, np.ndarray | None]:
    """Missing steps of the time grid, handled by the `missing` policy like empty cells.

    `error` names the first missing step; `interpolate` and `ffill` insert the
    missing rows (empty, filled as the policy fills empty cells); `drop` keeps the
    rows as they are, windows spanning the gaps, and warns.

    Returns:
        (data, timestamps, source row of each row (-1 for an inserted one), or None
        when the rows are the source's).
    """
    naive = index.tz_convert(None) if index.tz is not None else index
    grid = pd.date_range(naive[0], naive[-1], freq=frequency)
    missing = grid.difference(naive)
    if not len(missing):
        return data, index, rows
    if policy == "drop":
        warnings.warn(
            f"{sentence(origin)}: the time column has {len(missing)} gap(s) in its {frequency!r} grid; the first "
            f"missing timestamp is {missing[0]}. Windows span the gaps as if the rows were adjacent; fill the "
            "rows if that matters.",
            DataWarning,
            stacklevel=3,
        )
        return data, index, rows
    before = int(naive.searchsorted(missing[0])) - 1
    if policy == "error":
        raise DataError(
            f"{sentence(origin)}: the time column skips {len(missing)} step(s) of its {frequency!r} grid; the "
            f"first missing one, {missing[0]}, belongs after {_row_label(origin, _source_row(rows, before), source)} "
            f"({naive[before]}). Add the missing rows, or set `data.missing` to 'interpolate' or 'ffill' to fill "
            "them (or 'drop' to let windows span the gap)."
        )
    at = grid.get_indexer(naive)
    filled = pd.DataFrame(np.nan, index=range(len(grid)), columns=data.columns)
    filled.iloc[at] = data.to_numpy(dtype=np.float64)
    if policy == "ffill":
        filled = filled.ffill()  # the grid starts at a real row, so every inserted row has one before it
    sources = np.full(len(grid), -1)
    sources[at] = np.arange(len(naive)) if rows is None else rows
    times = grid.tz_localize("UTC").tz_convert(index.tz) if index.tz is not None else grid
    return filled, times, sources


def _check_finite_array(values: np.ndarray, columns: list[str], origin: str) -> None:
    for begin in range(0, len(values), _CHECK_CHUNK_ROWS):
        chunk = values[begin : begin + _CHECK_CHUNK_ROWS]
        finite = np.isfinite(chunk)
        if not finite.all():
            row, col = np.argwhere(~finite)[0]
            position = begin + int(row)
            value = chunk[row, col]
            kind = "NaN" if np.isnan(value) else "an infinite value"
            raise DataError(
                f"{sentence(origin)}: {_row_label(origin, position, None)}, column {columns[col]!r} holds "
                f"{kind}. Remove or fix it (or set `data.missing` for NaN)."
            )


def _apply_missing(
    data: pd.DataFrame, policy: str, origin: str, source: pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Apply the `missing` policy; returns the table and, for `drop`, the kept row positions.

    `interpolate` is only checked here (no infinite cells); its gaps stay NaN until
    `interpolate_within` fills them split by split.
    """
    values = data.to_numpy(dtype=np.float64)
    infinite = np.isinf(values)
    if infinite.any():
        row, col = np.argwhere(infinite)[0]
        raise DataError(
            f"{sentence(origin)}: {_row_label(origin, int(row), source)}, column {data.columns[col]!r} holds "
            f"{values[row, col]}. Infinite values are never filled; fix the cell."
        )
    missing = np.isnan(values)
    if not missing.any():
        return data, None
    if policy == "error":
        row, col = np.argwhere(missing)[0]
        raise DataError(
            f"{sentence(origin)}: {_row_label(origin, int(row), source)}, column {data.columns[col]!r} is "
            f"empty or NaN ({int(missing.sum())} missing cell(s) in the selected columns). Fix the data, or set "
            "`data.missing` to 'interpolate', 'ffill' or 'drop'."
        )
    if policy == "drop":
        keep = ~missing.any(axis=1)
        return data[keep], np.flatnonzero(keep)
    if policy == "ffill":
        filled = data.ffill()
        left = filled.isna().to_numpy()
        if left.any():
            row, col = np.argwhere(left)[0]
            raise DataError(
                f"{sentence(origin)}: {_row_label(origin, int(row), source)}, column {data.columns[col]!r} is "
                "missing and has no earlier value to carry forward. Use `data.missing: interpolate` or `drop`."
            )
        return filled, None
    # `interpolate` needs the split boundaries, known only once the table is read: see `interpolate_within`.
    return data, None


Segments = Callable[["Table"], Sequence[tuple[str, int, int]]]
"""Given the read table, its chronological parts `(name, first row, end row)` in order, covering every row."""


def interpolate_within(
    values: np.ndarray, columns: list[str], segments: Sequence[tuple[str, int, int]], origin: str
) -> np.ndarray:
    """Fill NaN cells linearly within each segment, so no segment is filled from a later one.

    Inside a segment a gap is filled from both its neighbours there (so within the
    test split an earlier row may take part of a later test value); a segment's
    leading gap takes its first value, a trailing gap carries its last value
    forward. A segment with no value at all in a column carries the last earlier
    value forward. Only values at or before a segment's end are ever used.

    Args:
        values: `(n_time, n_columns)` float array with NaN gaps.
        columns: Names of its columns, for messages.
        segments: `(name, first row, end row)` in order, covering rows `[0, n_time)`.
        origin: Where the data came from, for messages.

    Returns:
        The filled array, same dtype.

    Raises:
        DataError: a column has no value in a segment nor in any row before it.
    """
    if not np.isnan(values).any():
        return values
    frame = pd.DataFrame(values, columns=columns)
    parts = [frame.iloc[lo:hi].interpolate(method="linear", limit_direction="both") for _, lo, hi in segments]
    filled = pd.concat(parts).ffill()
    left = filled.isna().to_numpy()
    if left.any():
        row, col = (int(k) for k in np.argwhere(left)[0])
        name, lo, hi = next(segment for segment in segments if segment[1] <= row < segment[2])
        raise DataError(
            f"{sentence(origin)}: column {columns[col]!r} has no value in rows {lo + 1}-{hi} (the {name}) "
            "nor before them, and `missing: interpolate` never fills rows from a later split. "
            "Fill them, or start the data later."
        )
    return np.ascontiguousarray(filled.to_numpy(dtype=values.dtype))


def resolve_columns(
    available: list[str], numeric: list[str], config: DataConfig, origin: str
) -> tuple[list[str], list[str]]:
    features = list(config.features) if config.features is not None else list(numeric)
    features += [name for name in config.future if name not in features]  # known in advance: always inputs
    targets = list(config.targets) if config.targets is not None else [n for n in features if n not in config.future]
    for role, names in (("features", features), ("targets", targets)):
        unknown = [name for name in names if name not in available]
        if unknown:
            raise DataError(
                f"`data.{role}` names column(s) {unknown} that {origin} does not have"
                f"{did_you_mean(unknown[0], available)}. Available columns: {available}."
            )
    if not features:
        raise DataError(f"{sentence(origin)} has no numeric column to use as a feature. Set `data.features`.")
    return features, targets


def read_source(
    config: DataConfig, frame: pd.DataFrame | np.ndarray | None, base_dir: Path | None
) -> tuple[pd.DataFrame | np.ndarray, str, DatasetInfo | None]:
    """The raw source: a DataFrame (or the caller's array), a name for messages, and registry info.

    `frame` may also be the path of a CSV or Parquet file (new data for a trained
    run), read as `data.path` is but from anywhere.
    """
    if frame is not None:
        if isinstance(frame, (str, Path)):
            file = input_file(frame)
            return read_file(file), f"file '{file.name}'", None
        if isinstance(frame, pd.DataFrame):
            return frame, "the DataFrame given as data", None
        if isinstance(frame, (pd.Series,)):
            return frame.to_frame(), "the Series given as data", None
        array = np.asarray(frame)
        if array.ndim not in (1, 2):
            raise DataError(
                f"An array given as data must be 1-D (n_time,) or 2-D (n_time, n_columns); received shape "
                f"{array.shape}. Reshape it."
            )
        return array, _ARRAY, None
    if config.dataset is not None:
        info = panel_checked(dataset_info(config.dataset), config)
        return load_dataset(config.dataset, config.synthetic), f"dataset {info.name!r}", info
    if config.path is not None:
        file = resolve_path(config.path, base_dir)
        return read_file(file), f"file '{file.name}'", None
    raise DataError(_NO_SOURCE)


def _table_from_array(array: np.ndarray, config: DataConfig, segments: Segments | None) -> Table:
    if array.dtype.kind not in "fiu":
        raise DataError(f"The array given as data must hold numbers; received dtype {array.dtype}. Convert it first.")
    if config.calendar:
        raise DataError(
            "`data.calendar` derives features from the timestamps, but the data given is an array without them. "
            "Pass a DataFrame with the time column (or a DatetimeIndex), or remove `calendar`."
        )
    values = array.reshape(len(array), -1)
    if values.dtype not in (np.float32, np.float64):
        values = values.astype(np.float64)
    columns = [f"x{k}" for k in range(values.shape[1])]
    if config.time_column is not None:
        raise DataError(
            f"`data.time_column` is {config.time_column!r} but the data given is an array without column names. "
            "Pass a DataFrame, or unset `time_column`."
        )
    features, targets = resolve_columns(columns, columns, config, "the array (columns x0, x1, ...)")
    order = features + [name for name in targets if name not in features]
    if len(values) == 0:
        raise DataError("The array given as data is empty. Give at least one row.")
    if order != columns:
        values = values[:, [columns.index(name) for name in order]]
    if config.missing != "error" and np.isnan(values).any():
        data, _ = _apply_missing(pd.DataFrame(values, columns=order), config.missing, _ARRAY, None)
        values = data.to_numpy(dtype=values.dtype)
    table = Table(np.ascontiguousarray(values), order, features, targets, None, None, _ARRAY)
    if config.missing == "interpolate":
        table.values = interpolate_within(table.values, order, _segments_of(table, segments), _ARRAY)
    _check_finite_array(table.values, order, _ARRAY)
    return table


def _segments_of(table: Table, segments: Segments | None) -> Sequence[tuple[str, int, int]]:
    if not np.isnan(table.values).any():
        return ()
    return [("series", 0, len(table.values))] if segments is None else segments(table)


def load_table(
    config: DataConfig,
    frame: pd.DataFrame | np.ndarray | None = None,
    base_dir: Path | None = None,
    *,
    segments: Segments | None = None,
    frequency: str | None = None,
    origin: str | None = None,
) -> Table:
    """Read and check the source named by `config` (or `frame`), select features and targets.

    The checks, in order: the columns named exist, their cells are numbers, the
    time column parses and strictly increases, empty cells follow `data.missing`,
    and the timestamps lie on one regular grid whose missing steps (gaps) follow
    `data.missing` too: `error` names the first, `interpolate` and `ffill` insert
    the missing rows and fill them as they fill empty cells, `drop` lets windows
    span them (with a `DataWarning`). Training data and a trained run's new data
    (`load_new_table`) pass through these same checks.

    Args:
        config: The data section.
        frame: A DataFrame or array from Python, or a CSV/Parquet path; replaces `dataset`/`path`.
        base_dir: Folder that a relative `config.path` is resolved against.
        segments: For `missing: interpolate`: called with the read table (gaps still
            NaN), returns its chronological splits `(name, first row, end row)`;
            gaps are filled within each (see `interpolate_within`). None: the
            whole series is one segment. `prepare` passes the split plan's parts.
        frequency: The time grid the rows must lie on (a trained run's, for new
            data); None: inferred from the timestamps.
        origin: What messages call a DataFrame `frame` (the file it was read from,
            so that a part of a file is still named as the file); None: as `read_source` says.

    Returns:
        The checked `Table`.

    Raises:
        DataError: unreadable or empty source, unknown columns, non-numeric, NaN or
            infinite cells (naming the row and column), bad, unsorted, duplicate or
            off-grid timestamps, or missing time steps under `missing: error`.
    """
    source, read_as, info = read_source(config, frame, base_dir)
    if isinstance(source, np.ndarray):
        return _table_from_array(source, config, segments)
    origin = origin or read_as
    if len(source) == 0:
        raise DataError(f"{sentence(origin)} has no rows. Give a table with data rows.")
    source = source.rename(columns=str)
    time_column = config.time_column or (info.time_column if info else None)
    time_format = config.time_format or (info.time_format if info and time_column == info.time_column else None)
    available = list(source.columns)
    if time_column is not None and time_column not in available:
        raise DataError(
            f"`data.time_column` {time_column!r} is not a column of {origin}. Available columns: {available}."
        )
    features, targets = resolve_columns(
        available, _numeric_columns(source, _not_features(time_column, config)), config, origin
    )
    order = features + [name for name in targets if name not in features]
    if time_column in order:
        raise DataError(f"The time column {time_column!r} cannot also be a feature or target. Remove it there.")
    data = pd.DataFrame({name: _as_numeric(source, name, origin) for name in order}, index=source.index)
    if time_column is not None:
        time_index = _parse_time(source, time_column, time_format, origin)
    elif isinstance(source.index, pd.DatetimeIndex):
        time_index = source.index
    else:
        time_index = None
    if time_index is not None:
        _check_order(time_index, origin, source)
    data, kept = _apply_missing(data, config.missing, origin, source)
    if kept is not None:
        if len(kept) == 0:
            raise DataError(f"{sentence(origin)}: every row has a missing value, so `missing: drop` left none.")
        if time_index is not None:
            time_index = time_index[kept]
    rows = kept
    if time_index is not None:
        naive = time_index.tz_convert(None) if time_index.tz is not None else time_index
        frequency, complete = _grid_frequency(naive, origin, source, rows, frequency)
        if frequency is not None and not complete:
            data, time_index, rows = _fill_time_gaps(
                data, time_index, frequency, config.missing, origin, source, rows
            )
    else:
        frequency = None
    values = np.ascontiguousarray(data.to_numpy(dtype=np.float64))
    table = Table(
        values=values,
        columns=order,
        features=features,
        targets=targets,
        time_index=time_index,
        frequency=frequency,
        origin=origin,
        period=info.period if info else None,
        time_column=time_column,
        time_format=time_format if time_column else None,
        source_rows=rows,
    )
    if config.missing == "interpolate":
        table.values = interpolate_within(values, order, _segments_of(table, segments), origin)
    if config.calendar:
        _add_calendar(table, config)
    return table


def _add_calendar(table: Table, config: DataConfig) -> None:
    """Insert the calendar columns after the features (they are inputs), computed from the timestamps."""
    from seqkit.data.calendar import calendar_values

    if table.time_index is None:
        raise DataError(
            f"`data.calendar` derives features from the timestamps, but {table.origin} has none. Set "
            "`data.time_column` (or pass a DataFrame with a DatetimeIndex), or remove `calendar`."
        )
    names = config.calendar_columns
    n = len(table.features)
    calendar = calendar_values(table.time_index, config.calendar).astype(table.values.dtype)
    table.values = np.ascontiguousarray(np.concatenate([table.values[:, :n], calendar, table.values[:, n:]], axis=1))
    table.columns = [*table.columns[:n], *names, *table.columns[n:]]
    table.features = [*table.features, *names]


def load_new_table(
    config: DataConfig,
    fitted: Transform,
    data: pd.DataFrame | np.ndarray | str | Path | None = None,
    base_dir: Path | None = None,
    *,
    segments: Segments | None = None,
    origin: str | None = None,
) -> Table:
    """New data for a trained run, read and checked by `load_table` exactly as its training data was.

    The columns, the time column and the time grid are the run's (`fitted`); the
    `missing` policy is the config's, so cells and time steps missing from new data
    are refused or filled as training refused or filled them.

    Args:
        config: The run's data section.
        fitted: The run's fitted `Transform` (its columns, time column and frequency).
        data: A DataFrame (a DatetimeIndex serves as timestamps when it lacks the
            time column), a CSV/Parquet path, or an array `(n, len(fitted.columns))`
            in the run's column order; None: the config's own source.
        base_dir: Folder that a relative `config.path` is resolved against.
        segments, origin: As for `load_table`.

    Returns:
        The checked `Table`, its columns in `fitted.columns` order.

    Raises:
        DataError: anything `load_table` refuses in training data, naming the file, row and column.
    """
    if data is not None and not isinstance(data, (str, Path, pd.DataFrame, pd.Series)):
        array = np.asarray(data)
        array = array.reshape(len(array), -1) if array.ndim == 1 else array
        if array.ndim != 2 or array.shape[1] != len(fitted.columns):
            raise DataError(
                f"`frame` as an array must have shape (n, {len(fitted.columns)}) with columns {fitted.columns}; "
                f"received shape {array.shape}. Pass a DataFrame with named columns."
            )
        if list(fitted.columns) != [f"x{k}" for k in range(array.shape[1])]:
            data = pd.DataFrame(array, columns=list(fitted.columns))
        # else the run was trained on an array too: read it as one, its dtype kept
    time_column = fitted.time_column
    if isinstance(data, pd.DataFrame) and time_column not in data.columns and isinstance(data.index, pd.DatetimeIndex):
        time_column = None  # the timestamps are the index
    resolved = config.model_copy(
        update={
            "features": [name for name in fitted.features if name not in fitted.calendar_columns],
            "targets": list(fitted.targets),
            "time_column": time_column,
            "time_format": fitted.time_format if time_column else None,
        }
    )
    return load_table(resolved, data, base_dir, segments=segments, frequency=fitted.frequency, origin=origin)


@dataclasses.dataclass
class FutureRows:
    """Rows after the last observation of new data: the known future of its covariates.

    Attributes:
        values: float64 `(m, n_columns)` in the run's column order; the covariates
            (features that are not targets) filled, the target columns NaN.
        time_index: Their timestamps, one step of the run's grid after another from the
            last observed row, or None when the data has no timestamps.
    """

    values: np.ndarray
    time_index: pd.DatetimeIndex | None = None


def _blank(column: pd.Series) -> np.ndarray:
    """Cells that are empty: NaN, None, or text of only spaces."""
    blank = column.isna().to_numpy().copy()  # pandas returns a read-only view
    if not pd.api.types.is_numeric_dtype(column):
        blank |= column.astype("string").str.strip().eq("").fillna(True).to_numpy(dtype=bool)
    return blank


def load_new_table_with_future(
    config: DataConfig,
    fitted: Transform,
    data: pd.DataFrame | np.ndarray | str | Path,
    *,
    required: list[str] | None = None,
    origin: str | None = None,
) -> tuple[Table, FutureRows]:
    """New data as `load_new_table` reads it, and the future rows at its end.

    Future rows are the trailing rows whose target cells are all empty: they
    give the covariates' values (the features that are not targets) at the
    steps after the last observation, for forecasts past the horizon that feed
    the model its own forecasts. The rows before them are the history, read and
    checked exactly as `load_new_table` reads new data. In a future row every
    covariate must be filled, and the timestamps (if the run has a time column)
    must continue the run's grid from the last observed row, one step each.

    Args:
        config: The run's data section.
        fitted: The run's fitted `Transform`.
        data: A DataFrame, a CSV/Parquet path, or an array in the run's column order.
        required: The columns a future row must fill (default: every covariate, as
            a forecast past the horizon feeds them all back); a direct forecast
            with `data.future` needs only those.
        origin: What messages call a DataFrame `data` (a panel's series).

    Returns:
        (the history's `Table`, its `FutureRows`; `m` is 0 when the data has none).

    Raises:
        DataError: anything `load_new_table` refuses in the history, an empty
            covariate cell or a non-numeric one in a future row, or a future row's
            timestamp off the steps after the last observation, naming the row and column.
    """
    source, read_as, _ = read_source(config, data, None)
    origin = origin or read_as
    given = [name for name in fitted.columns if name not in fitted.calendar_columns]  # the data's own columns
    covariates = required if required is not None else [
        name for name in fitted.features if name not in fitted.targets and name in given
    ]
    no_future = FutureRows(np.empty((0, len(fitted.columns))))
    if isinstance(source, np.ndarray):
        array = source.reshape(len(source), -1) if source.ndim == 1 else source
        if array.ndim != 2 or array.shape[1] != len(fitted.columns) or array.dtype.kind != "f":
            return load_new_table(config, fitted, data), no_future
        blank = np.isnan(array[:, fitted.target_index]).all(axis=1)
    else:
        source = source.rename(columns=str)
        if any(name not in source.columns for name in given):
            return load_new_table(config, fitted, data, origin=origin), no_future
        blank = np.logical_and.reduce([_blank(source[name]) for name in fitted.targets])
    observed = np.flatnonzero(~blank)
    # Without an observed row there is no history: `load_new_table` names the empty cells.
    m = len(blank) - int(observed[-1]) - 1 if observed.size else 0
    if m == 0:
        return load_new_table(config, fitted, data, origin=origin), no_future
    history = source[:-m] if isinstance(source, np.ndarray) else source.iloc[:-m]
    table = load_new_table(config, fitted, history, origin=origin)
    future = np.full((m, len(fitted.columns)), np.nan)
    first = len(source) - m
    for name in covariates:
        j = fitted.columns.index(name)
        if isinstance(source, np.ndarray):
            column = np.asarray(source[first:, j], dtype=np.float64)
        else:
            column = _as_numeric(source, name, origin).to_numpy(dtype=np.float64)[first:]
        empty = np.flatnonzero(np.isnan(column))
        if empty.size:
            position = first + int(empty[0])
            frame = source if isinstance(source, pd.DataFrame) else None
            raise DataError(
                f"{sentence(origin)}: {_row_label(origin, position, frame)} is a future row (every target empty, "
                f"after the last observation at row {first}), but its covariate {name!r} is empty too. A future "
                "row gives every covariate's value at that step; fill it, or remove the row."
            )
        future[:, j] = column
    return table, FutureRows(future, _future_times(source, fitted, table, first, origin))


def _future_times(
    source: pd.DataFrame | np.ndarray, fitted: Transform, table: Table, first: int, origin: str
) -> pd.DatetimeIndex | None:
    """The future rows' timestamps, checked to continue the history's grid one step at a time."""
    if table.time_index is None or isinstance(source, np.ndarray):
        return None
    if fitted.time_column is not None and fitted.time_column in source.columns:
        times = _parse_time(source, fitted.time_column, fitted.time_format, origin)[first:]
    else:
        times = pd.DatetimeIndex(source.index[first:])
    if fitted.frequency is None:
        return times
    expected = pd.date_range(table.time_index[-1], periods=len(times) + 1, freq=fitted.frequency)[1:]
    wrong = np.flatnonzero(times != expected)
    if wrong.size:
        k = int(wrong[0])
        raise DataError(
            f"{sentence(origin)}: {_row_label(origin, first + k, source)} is a future row (every target empty), "
            f"so it must be {k + 1} step(s) of the run's {fitted.frequency!r} grid after the last observation "
            f"({table.time_index[-1]}), at {expected[k]}; it holds {times[k]}. Fix the timestamp, or remove the row."
        )
    return times
