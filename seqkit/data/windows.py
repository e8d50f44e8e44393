"""Zero-copy windows over one contiguous array, batched into a `tf.data.Dataset`.

A window set never stores windows. It keeps one C-contiguous array (a scaled series
`(n_time, n_columns)`, or a text's token ids) and the arithmetic progression (or, for
a random split or a stateful order, the array) of window starts, `WindowStarts`.
Views on the array (`window_rows`) turn a start into its input and target window; a
batch is gathered only when asked for. Memory is O(array length) plus O(batch): the
shuffled order of an epoch is a keyed pseudo-random bijection computed batch by batch,
never an index array.

`Windows` is the base of every window set (`WindowSet` here, `TokenWindows` for text,
`LabelWindows` for classes): a subclass says how to gather the windows at some starts,
and inherits its length, batches, stateful order and materialised arrays. Only
`Windows.dataset` touches TensorFlow, to hand batches to `Model.fit`.
"""

from __future__ import annotations

import abc
import copy
import dataclasses
import math
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd

from seqkit.data.transforms import Transform, apply_window_norm, target_reference, window_inputs, window_reference
from seqkit.errors import DataError

# Windows materialised per step by `inputs()`, `targets()` and `to_original()`.
_CHUNK = 4096
# One call from tf.data into NumPy fills up to `_CALL_BYTES` of batches (at most
# `_MAX_BATCHES_PER_CALL`), `_GATHER_WINDOWS` windows per NumPy gather; `_GATHER_CALLS` calls run
# at once, and `_CHUNKS_IN_FLIGHT` filled chunks wait ahead of the model. Each chunk is a fresh
# array that lives until its last batch is consumed, so these bound the memory in flight
# (4 MiB chunks hold half of what 8 MiB ones did, at the same throughput on 2 cores).
_CALL_BYTES = 4 * 2**20
_MAX_BATCHES_PER_CALL = 32
_GATHER_WINDOWS = 1024
_GATHER_CALLS = 2
_CHUNKS_IN_FLIGHT = 1
# TensorFlow wraps an array returned by `tf.numpy_function` without copying it when its data
# is aligned to this many bytes (and copies it otherwise).
_ALIGN = 64


def spec_bytes(x_spec: tuple[str, tuple[int, ...]], y_spec: tuple[str, tuple[int, ...]]) -> int:
    """Bytes of one window's inputs and targets, from their `(dtype, shape)` specs."""
    return sum(np.dtype(dtype).itemsize * math.prod(shape) for dtype, shape in (x_spec, y_spec))


def _batches_per_call(batch_size: int, window_bytes: int) -> int:
    return max(1, min(_MAX_BATCHES_PER_CALL, _CALL_BYTES // (batch_size * window_bytes)))


def _batch_calls(count: int, batch_size: int, drop_remainder: bool, per_call: int) -> np.ndarray:
    """`(begin, end, n_batches)` rows: one call per `per_call` full batches, then one per batch.

    Filling several batches per call amortises the fixed cost of crossing from
    tf.data into Python and of handing a chunk over, which on CPU is larger than
    the copy of a batch itself.
    """
    chunk = per_call * batch_size
    full = count // chunk
    rows = [(c * chunk, (c + 1) * chunk, per_call) for c in range(full)]
    for begin in range(full * chunk, count, batch_size):
        end = min(begin + batch_size, count)
        if end - begin == batch_size or not drop_remainder:
            rows.append((begin, end, 1))
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def window_rows(array: np.ndarray, first_row: int, count: int, length: int) -> np.ndarray:
    """A read-only 1-D view on `array` whose item `k` is rows `[first_row + k, first_row + k + length)`.

    Each item is one opaque block of `length` rows (a NumPy void scalar), and items
    overlap in memory: no row is copied. Fancy-indexing the view with start rows
    gathers whole windows with one `memcpy` each, outside the GIL, several times
    faster than indexing a `(count, length, ...)` strided view, which NumPy copies
    element by element. `take_windows` turns the gathered items back into windows.

    Args:
        array: C-contiguous, rows on axis 0.
        first_row: Row where item 0 starts.
        count: Number of items (clipped at 0); `first_row + count - 1 + length` must not
            exceed `len(array)`.
        length: Rows per item (at least 1).
    """
    if not array.flags.c_contiguous:
        raise ValueError("window_rows needs a C-contiguous array.")
    row = array.itemsize * math.prod(array.shape[1:])
    count = max(count, 0)
    view = np.ndarray(
        (count,), dtype=np.dtype((np.void, row * length)), buffer=array, offset=row * first_row if count else 0,
        strides=(row,),
    )
    view.flags.writeable = False
    return view


def take_windows(rows: np.ndarray, starts: np.ndarray, dtype: np.dtype, window_shape: tuple[int, ...]) -> np.ndarray:
    """Copy the windows at `starts` out of a `window_rows` view: `(len(starts), *window_shape)` of `dtype`.

    `window_shape` is `(length, *array.shape[1:])` of the array the view was made on.
    """
    return rows[starts].view(dtype).reshape(len(starts), *window_shape)


def _aligned_empty(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A fresh, uninitialised array whose data starts on an `_ALIGN`-byte boundary.

    The alignment only saves TensorFlow a copy of each chunk of batches (NumPy's own
    allocations are 16-byte aligned). Correctness does not depend on it: every chunk
    gets its own new array, which nothing writes after it is returned, so whether
    TensorFlow wraps or copies it, and for however long, its batches stay as gathered.
    """
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    raw = np.empty(nbytes + _ALIGN, np.uint8)
    skip = -raw.ctypes.data % _ALIGN
    return raw[skip : skip + nbytes].view(dtype).reshape(shape)


class _EpochOrder:
    """A pseudo-random permutation of window positions `[0, count)`, chosen by a per-epoch key.

    Position `p` of an epoch maps to a window through three rounds of two bijections
    of `[0, count)`: an affine map `(a * x + c) mod count` (`a` coprime with `count`)
    that spreads neighbours across the series, then a keyed bit mix inside aligned
    blocks of up to 65,536 windows. Every window appears exactly once per epoch, yet
    nothing of size O(windows) is stored: memory and set-up time are O(batch), so the
    first batch of a 10-million-window epoch comes at once.
    """

    _ROUNDS = 3

    def __init__(self, count: int) -> None:
        if count >= 2**40:
            raise DataError(f"Shuffling supports up to 2**40 windows; this split has {count}.")
        self._count = count
        self._block_bits = min(16, max(count.bit_length() - 1, 0))
        self._block_mask = np.uint64((1 << self._block_bits) - 1)
        self._full = np.uint64((count >> self._block_bits) << self._block_bits)
        self._cached: tuple[int, list] | None = None

    def _rounds(self, key: int) -> list[tuple[np.uint64, ...]]:
        rng = np.random.default_rng(key)
        count = self._count
        limit = min(max(count, 2), 2**23)  # keeps a * x below 2**63 for count < 2**40
        rounds = []
        for _ in range(self._ROUNDS):
            a = int(rng.integers(1, limit)) if count > 1 else 1
            while math.gcd(a, count) != 1:
                a = a % (limit - 1) + 1
            c = int(rng.integers(0, count)) if count > 1 else 0
            multiplier = int(rng.integers(0, 2**30)) * 2 + 1
            offset = int(rng.integers(0, 2**31))
            shift = max(1, self._block_bits // 2)
            rounds.append(tuple(np.uint64(v) for v in (a, c, multiplier, offset, shift)))
        return rounds

    def positions(self, key: int, begin: int, end: int) -> np.ndarray:
        cached = self._cached
        if cached is None or cached[0] != key:
            cached = self._cached = (key, self._rounds(key))
        count, mask, full = np.uint64(self._count), self._block_mask, self._full
        x = np.arange(begin, end, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for a, c, multiplier, offset, shift in cached[1]:
                x = (x * a + c) % count
                low = x & mask
                mixed = (low * multiplier + offset) & mask
                mixed ^= mixed >> shift
                x = np.where(x < full, (x - low) | mixed, x)
        return x.astype(np.int64)


@dataclasses.dataclass(frozen=True, eq=False)
class WindowStarts:
    """Where the windows of a set start: `first + k * stride` for `k < count`, or `explicit[k]`.

    Attributes:
        first, count, stride: The arithmetic progression (`first` is 0 when `explicit` is given).
        explicit: int64 `(count,)` start of each window instead (a random split, a stateful order).
    """

    first: int
    count: int
    stride: int
    explicit: np.ndarray | None = None

    @classmethod
    def plan(
        cls,
        *,
        first_start: int,
        count: int | None,
        stride: int,
        starts: np.ndarray | None,
        last_start: int,
        name: str,
        unit: str,
    ) -> WindowStarts:
        """Explicit `starts`, or every `stride` from `first_start`, checked against `last_start`.

        Args:
            first_start: First start of a regular progression.
            count: Windows wanted from `first_start` (None: all that fit).
            stride: Steps between regular starts.
            starts: Explicit window starts instead, or None.
            last_start: The last position a window can start at.
            name: The split's name, for errors.
            unit: What positions count ("rows", "positions"), for errors.

        Raises:
            DataError: starts outside `[0, last_start]`, or more windows than fit.
        """
        if starts is not None:
            starts = np.asarray(starts, dtype=np.int64).reshape(-1)
            if len(starts) and (starts.min() < 0 or starts.max() > last_start):
                raise DataError(f"Window starts of split {name!r} fall outside {unit} 0 to {last_start}.")
            return cls(0, len(starts), stride, starts)
        fits = 0 if last_start < first_start else (last_start - first_start) // stride + 1
        count = fits if count is None else count
        if count > fits:
            raise DataError(f"Split {name!r} asks for {count} windows but only {fits} fit.")
        return cls(first_start, count, stride)

    def at(self, positions: np.ndarray) -> np.ndarray:
        """int64 starts of the windows at `positions` (indices `0 .. count - 1`)."""
        if self.explicit is not None:
            return self.explicit[positions]
        return self.first + np.asarray(positions, dtype=np.int64) * self.stride

    def reordered(self, positions: np.ndarray) -> WindowStarts:
        """The windows at `positions`, in that order."""
        return WindowStarts(0, len(positions), self.stride, self.at(positions))


def stream_positions(count: int, batch_size: int, *, name: str, more: str = "data") -> np.ndarray:
    """Window positions in stateful (truncated BPTT) order: row j of batch i continues row j of batch i-1.

    The `count` windows are cut into `batch_size` contiguous streams of
    `K = count // batch_size` windows (the remainder is dropped), and batch `i`
    holds window `j * K + i` of every stream `j`.

    Example: 10 windows, batch size 2 -> K = 5 -> 0 5 1 6 2 7 3 8 4 9.

    Raises:
        DataError: `batch_size` below 1, or fewer windows than `batch_size`.
    """
    if batch_size < 1:
        raise DataError(f"`batch_size` must be at least 1; received {batch_size}.")
    per_stream = count // batch_size
    if per_stream == 0:
        raise DataError(
            f"Split {name!r} has {count} window(s), fewer than `batch_size` ({batch_size}) streams: a stateful "
            f"model needs one stream per batch row. Lower `train.batch_size` or give more {more}."
        )
    return (np.arange(batch_size)[None, :] * per_stream + np.arange(per_stream)[:, None]).reshape(-1)


def window_batches(
    gather: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    count: int,
    batch_size: int,
    *,
    shuffle: bool,
    seed: int | None,
    drop_remainder: bool,
    name: str,
    x_spec: tuple[str, tuple[int, ...]],
    y_spec: tuple[str, tuple[int, ...]],
    more: str = "data",
    epochs: range | None = None,
):
    """A `tf.data.Dataset` of batches gathered by NumPy: the engine behind every `Windows.dataset`.

    Args:
        gather: Makes the `(x, y)` arrays of the windows at the given positions
            (the one copy a batch costs).
        count: Number of windows.
        batch_size: Windows per batch.
        shuffle: A new permutation every epoch (keyed by one random draw per
            iteration, so no index array is stored); False keeps the order.
        seed: Makes the sequence of epoch orders reproducible; None: random.
        drop_remainder: Drop the last, smaller batch (a static batch size).
        name: The split's name, for errors.
        x_spec, y_spec: `(dtype, shape of one window)` of the inputs and targets.
        more: What to ask for when there is too little ("data", "text").
        epochs: Epoch numbers to hold back to back in one pass (for `Model.fit` with
            `steps_per_epoch`); epoch `e`'s order is keyed by `(seed, e)` alone, so a
            resumed run's epoch 4 is shuffled as the uninterrupted run's was. None:
            one epoch per pass, a new order each pass.

    Raises:
        DataError: no complete batch.
    """
    import tensorflow as tf

    if batch_size < 1:
        raise DataError(f"`batch_size` must be at least 1; received {batch_size}.")
    n_batches = count // batch_size if drop_remainder else -(-count // batch_size)
    if n_batches == 0:
        raise DataError(
            f"Split {name!r} has {count} window(s), not enough for one batch of {batch_size}"
            + (" with `drop_remainder`" if drop_remainder else "")
            + f". Lower `batch_size` or give more {more}."
        )
    order = _EpochOrder(count) if shuffle else None
    (x_dtype, x_shape), (y_dtype, y_shape) = x_spec, y_spec
    calls = _batch_calls(count, batch_size, drop_remainder, _batches_per_call(batch_size, spec_bytes(x_spec, y_spec)))

    def make_batches(key: np.int64, begin: np.int64, end: np.int64, k: np.int64) -> tuple[np.ndarray, np.ndarray]:
        begin, end, k = int(begin), int(end), int(k)
        positions = order.positions(int(key), begin, end) if order else np.arange(begin, end)
        # A fresh pair of arrays per chunk, never reused: TensorFlow may keep them as its tensors.
        x = _aligned_empty((end - begin, *x_shape), x_dtype)
        y = _aligned_empty((end - begin, *y_shape), y_dtype)
        for at in range(0, end - begin, _GATHER_WINDOWS):  # bounds each gather's temporary copy
            x[at : at + _GATHER_WINDOWS], y[at : at + _GATHER_WINDOWS] = gather(positions[at : at + _GATHER_WINDOWS])
        return x.reshape(k, -1, *x_shape), y.reshape(k, -1, *y_shape)

    batch_dim = batch_size if drop_remainder else None

    def load(key, call):
        x, y = tf.numpy_function(
            make_batches, [key, call[0], call[1], call[2]], (tf.as_dtype(x_dtype), tf.as_dtype(y_dtype)), stateful=False
        )
        x.set_shape((None, batch_dim, *x_shape))
        y.set_shape((None, batch_dim, *y_shape))
        return x, y

    table = tf.data.Dataset.from_tensor_slices(calls)
    if epochs is not None:
        keys = epoch_keys(seed, epochs) if shuffle else np.zeros(len(epochs), np.int64)
        index = tf.data.Dataset.from_tensor_slices(keys).flat_map(lambda key: table.map(lambda call: (key, call)))
        n_batches *= len(epochs)
    elif shuffle:
        # One random key per iteration (= epoch) selects that epoch's permutation.
        keys = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
        index = keys.flat_map(lambda key: table.map(lambda call: (key, call)))
    else:
        index = table.map(lambda call: (tf.constant(0, tf.int64), call))
    # Two calls run at once on tf.data threads (NumPy's copies release the GIL), ahead of the
    # model, in order. A few chunks in flight bound the memory (at most `_CALL_BYTES` each), and
    # splitting a chunk into batches is cheap enough to stay synchronous.
    chunks = index.map(load, num_parallel_calls=_GATHER_CALLS, deterministic=True).prefetch(_CHUNKS_IN_FLIGHT)
    batches = chunks.flat_map(lambda x, y: tf.data.Dataset.from_tensor_slices((x, y)))
    # The parallelism and read-ahead above are fixed, so tf.data's autotuner has nothing to tune,
    # and its model thread, which wakes at doubling intervals, held the end of an epoch back until
    # its next wake: on 2 cores a 4-second epoch of 10M windows took 5.1 s (or 10.2 s).
    options = tf.data.Options()
    options.autotune.enabled = False
    return batches.apply(tf.data.experimental.assert_cardinality(n_batches)).with_options(options)


def epoch_keys(seed: int | None, epochs: range) -> np.ndarray:
    """int64 keys of the shuffled orders of `epochs`: each a function of `(seed, epoch)` only (None: random)."""
    if seed is None:
        return np.random.default_rng().integers(0, 2**62, len(epochs), dtype=np.int64)
    return np.array([np.random.SeedSequence([seed, e]).generate_state(1, np.uint64)[0] >> 2 for e in epochs], np.int64)


_W = TypeVar("_W", bound="Windows")


class Windows(abc.ABC):
    """The code every window set shares: count, starts, batches, stateful order, arrays.

    A subclass sets `name`, `lookback`, `_starts` (a `WindowStarts`), `_target_offset`
    (from a window's start to its first target) and `_more` (what to ask for when data is
    short), and implements `x_spec`, `y_spec` and `_gather`.
    """

    name: str
    lookback: int
    _starts: WindowStarts
    _target_offset: int
    _more: str = "data"

    @property
    @abc.abstractmethod
    def x_spec(self) -> tuple[str, tuple[int, ...]]:
        """`(dtype, shape of one window's inputs)`."""

    @property
    @abc.abstractmethod
    def y_spec(self) -> tuple[str, tuple[int, ...]]:
        """`(dtype, shape of one window's targets)`."""

    @abc.abstractmethod
    def _gather(self, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Copy the model-space `(x, y)` of the windows starting at `starts` (the one copy a batch costs)."""

    def __len__(self) -> int:
        """Number of windows."""
        return self._starts.count

    @property
    def stride(self) -> int:
        """Steps between consecutive window starts."""
        return self._starts.stride

    @property
    def starts(self) -> np.ndarray:
        """int64 `(n_windows,)`: each window's first input position."""
        return self._starts.at(np.arange(len(self)))

    @property
    def target_starts(self) -> np.ndarray:
        """int64 `(n_windows,)`: each window's first target position."""
        return self.starts + self._target_offset

    def _batch(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._gather(self._starts.at(positions))

    def gather(self, starts) -> tuple[np.ndarray, np.ndarray]:
        """Model-space `(x, y)` of the windows starting at `starts`, whether or not this set holds them.

        `starts` are positions of the same series (`starts` counts them); each window's
        inputs and targets must lie inside it. A stateful model's evaluation reads the
        windows before a split this way, to warm its state.
        """
        return self._gather(np.asarray(starts, dtype=np.int64).reshape(-1))

    def _with_starts(self: _W, starts: WindowStarts) -> _W:
        view = copy.copy(self)
        view._starts = starts
        return view

    # ------------------------------------------------------------------ batches

    def dataset(
        self,
        batch_size: int,
        *,
        shuffle: bool,
        seed: int | None = None,
        drop_remainder: bool = False,
        epochs: range | None = None,
    ):
        """Batches for `Model.fit` / `evaluate` / `predict`.

        Args:
            batch_size: Windows per batch.
            shuffle: Visit windows in a new random order every epoch (training);
                False keeps this set's order (validation, test, and stateful
                training after `stream_order`).
            seed: Makes the sequence of epoch orders reproducible; None: random.
            drop_remainder: Drop the last, smaller batch (gives a static batch size,
                as stateful models need).
            epochs: Epoch numbers to hold back to back, each shuffled by `(seed, epoch)`
                alone (see `window_batches`); feed it to `Model.fit` with
                `steps_per_epoch=len(dataset) // len(epochs)`. None: one epoch per pass.

        Returns:
            A `tf.data.Dataset` of `(x, y)` batches, `(batch, *x_spec shape)` and
            `(batch, *y_spec shape)` (the class docstring gives them). Batches are
            gathered by NumPy from views on the array (the fastest gather on CPU),
            so the dataset cannot be serialised into a graph or sent to another host.
            Memory: the array, and the batches in flight.

        Raises:
            DataError: no complete batch (no windows, or fewer than `batch_size` with
                `drop_remainder`).
        """
        return window_batches(
            self._batch,
            len(self),
            batch_size,
            shuffle=shuffle,
            seed=seed,
            drop_remainder=drop_remainder,
            name=self.name,
            x_spec=self.x_spec,
            y_spec=self.y_spec,
            more=self._more,
            epochs=epochs,
        )

    def stream_order(self: _W, batch_size: int) -> _W:
        """The same windows reordered for stateful training (truncated backpropagation through time).

        The windows are cut into `batch_size` contiguous streams of
        `K = len(self) // batch_size` windows (the last `len(self) % batch_size` are
        dropped), and batch `i` holds window `j * K + i` of stream `j` in row `j`.
        Row `j` of one batch therefore continues row `j` of the batch before, so a
        stateful layer's carried state belongs to the same stretch of the array.
        With `stride == lookback` each row is one unbroken stretch.

        Example (windows 0..9, batch_size 3, so K = 3 and window 9 is dropped):

        ```
        batch 0: windows 0 3 6
        batch 1: windows 1 4 7
        batch 2: windows 2 5 8
        ```

        Returns:
            A window set of the same class over `K * batch_size` windows; feed it with
            `dataset(batch_size, shuffle=False, drop_remainder=True)` to a model with
            `stateful=True`, and reset the states at the start of every epoch.

        Raises:
            DataError: fewer windows than `batch_size`.
        """
        positions = stream_positions(len(self), batch_size, name=self.name, more=self._more)
        return self._with_starts(self._starts.reordered(positions))

    # ------------------------------------------------------------------ arrays (evaluation)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """`(inputs, targets)` of every window, materialised (for evaluation and small validation sets)."""
        (x_dtype, x_shape), (y_dtype, y_shape) = self.x_spec, self.y_spec
        x, y = np.empty((len(self), *x_shape), x_dtype), np.empty((len(self), *y_shape), y_dtype)
        for begin in range(0, len(self), _CHUNK):
            positions = np.arange(begin, min(begin + _CHUNK, len(self)))
            x[positions], y[positions] = self._batch(positions)
        return x, y

    @property
    def nbytes(self) -> int:
        """Bytes of every window's inputs and targets, were they materialised (`arrays`)."""
        return len(self) * spec_bytes(self.x_spec, self.y_spec)

    def inputs(self) -> np.ndarray:
        """`(n_windows, *x_spec shape)` model inputs (materialised: for evaluation)."""
        return self.arrays()[0]

    def targets(self) -> np.ndarray:
        """`(n_windows, *y_spec shape)` model targets (materialised: for evaluation)."""
        return self.arrays()[1]


class WindowSet(Windows):
    """The windows of one split, as views on the scaled series.

    Window `k` has input rows `[s_k, s_k + lookback)` and target rows
    `[t_k, t_k + horizon)` with `t_k = s_k + lookback + gap`; consecutive windows
    start `stride` rows apart.

    Example (a worked index example, `series = np.arange(10)`, lookback 3, horizon 2,
    gap 1, stride 2, windows starting at row 0):

    ```
    window 0: inputs rows 0 1 2 -> (row 3 skipped: gap) -> targets rows 4 5
    window 1: inputs rows 2 3 4 -> (row 5 skipped)      -> targets rows 6 7
    window 2: inputs rows 4 5 6 -> (row 7 skipped)      -> targets rows 8 9
    ```

    so `inputs()[:, :, 0] == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]`,
    `targets()[:, :, 0] == [[4, 5], [6, 7], [8, 9]]` and `target_starts == [4, 6, 8]`.
    A fourth window would need row 10, which does not exist.

    Batches (`dataset`): x float32 `(batch, lookback, n_features)`, y float32
    `(batch, horizon, n_targets)`, in model space.

    Attributes:
        name: `train`, `val` or `test`.
        lookback, horizon, gap, stride: Window geometry.
        n_features: Input columns (the first `n_features` columns of the series).
        target_index: Columns of the series that are targets, in output order.
    """

    def __init__(
        self,
        series: np.ndarray,
        *,
        name: str,
        lookback: int,
        horizon: int,
        gap: int = 0,
        stride: int = 1,
        first_start: int = 0,
        count: int | None = None,
        starts: np.ndarray | None = None,
        n_features: int | None = None,
        target_index: list[int] | None = None,
        window_norm: str = "none",
        window_norm_mode: str = "subtract",
        window_norm_period: int | None = None,
        transform: Transform | None = None,
        original_targets: Callable[[], np.ndarray] | None = None,
        time_index: pd.DatetimeIndex | None = None,
        future_index: list[int] | None = None,
        fixed_index: list[int] | None = None,
    ) -> None:
        """Describe windows over `series` without copying it.

        Args:
            series: float32 `(n_time, n_columns)` (or `(n_time,)`) scaled series.
            first_start, stride, count: Window `k` starts at `first_start + k * stride`.
                `count` defaults to every window that fits.
            starts: Explicit start rows instead (random splits).
            n_features: Input columns; default: all columns.
            target_index: Target columns; default: all columns.
            window_norm, window_norm_mode: Per-window normalisation (see `transforms`).
            window_norm_period: Seasonal period of `window_norm="seasonal_naive"`.
            transform: The fitted `Transform`, for `to_original`.
            original_targets: Returns the targets in original units `(n_time, n_targets)`.
            time_index: Timestamps of the series rows, or None.
            future_index: Columns known in advance: their values at each window's
                forecast steps are packed beside the inputs (`window_inputs`).
            fixed_index: Columns window normalisation leaves as they are (calendar).
        """
        series = np.asarray(series)
        if series.ndim == 1:
            series = series[:, None]
        if series.dtype != np.float32 or not series.flags.c_contiguous:
            series = np.ascontiguousarray(series, dtype=np.float32)
        self.series = series
        self.name = name
        self.lookback, self.horizon, self.gap = lookback, horizon, gap
        n_time, n_columns = series.shape
        self.n_features = n_columns if n_features is None else n_features
        self.target_index = list(range(n_columns)) if target_index is None else list(target_index)
        self.window_norm, self.window_norm_mode = window_norm, window_norm_mode
        self.window_norm_period = window_norm_period
        self.future_index, self.fixed_index = list(future_index or []), list(fixed_index or [])
        self._targets_are_all_columns = self.target_index == list(range(n_columns))
        self._transform, self._original_targets, self.time_index = transform, original_targets, time_index
        self._target_offset = lookback + gap
        last_start = n_time - lookback - gap - horizon
        self._starts = WindowStarts.plan(
            first_start=first_start, count=count, stride=stride, starts=starts, last_start=last_start, name=name,
            unit="rows",
        )
        # Item s of `_input_rows` is the input window starting at row s; of `_target_rows`, its targets.
        self._input_rows = window_rows(series, 0, n_time - lookback + 1, lookback)
        self._target_rows = window_rows(series, self._target_offset, last_start + 1, horizon)

    def over(self, series: np.ndarray, starts: np.ndarray) -> WindowSet:
        """Windows of this set's geometry and normalisation over another array, starting at `starts`.

        For batching from a larger array that holds this set's rows among others (a panel's
        every series end to end); `to_original` stays with this set, which knows its series.
        """
        return WindowSet(
            series,
            name=self.name,
            lookback=self.lookback,
            horizon=self.horizon,
            gap=self.gap,
            stride=self.stride,
            starts=starts,
            n_features=self.n_features,
            target_index=self.target_index,
            window_norm=self.window_norm,
            window_norm_mode=self.window_norm_mode,
            window_norm_period=self.window_norm_period,
            future_index=self.future_index,
            fixed_index=self.fixed_index,
        )

    def __repr__(self) -> str:
        return (
            f"WindowSet({self.name!r}, windows={len(self)}, lookback={self.lookback}, horizon={self.horizon}, "
            f"gap={self.gap}, stride={self.stride})"
        )

    @property
    def x_spec(self) -> tuple[str, tuple[int, ...]]:
        return "float32", (self.lookback, self.n_features + len(self.future_index))

    @property
    def y_spec(self) -> tuple[str, tuple[int, ...]]:
        return "float32", (self.horizon, len(self.target_index))

    @property
    def target_times(self) -> np.ndarray | None:
        """datetime64 `(n_windows, horizon)`: timestamp of each target step, or None without a time index."""
        if self.time_index is None:
            return None
        rows = self.target_starts[:, None] + np.arange(self.horizon)
        return self.time_index.to_numpy()[rows]

    # ------------------------------------------------------------------ gathering

    def _block(self, starts: np.ndarray) -> np.ndarray:
        """float32 `(len(starts), lookback, n_columns)`: the input rows of every column (a copy)."""
        return take_windows(self._input_rows, starts, np.float32, (self.lookback, self.series.shape[1]))

    def _target_ref(self, block: np.ndarray, input_ref: np.ndarray | None) -> np.ndarray | None:
        """`(n, 1 or horizon, n_targets)` reference of the targets of un-normalised input windows `block`."""
        ref = target_reference(
            block, input_ref, self.window_norm, self.window_norm_mode,
            horizon=self.horizon, gap=self.gap, period=self.window_norm_period,
        )
        return None if ref is None else ref[:, :, self.target_index]

    def _gather_inputs(self, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Model-space inputs at `starts`, and the reference their targets are normalised by (or None)."""
        block = self._block(starts)
        ref = window_reference(block, self.window_norm, self.window_norm_mode)
        target_ref = self._target_ref(block, ref)
        future = None
        if self.future_index:
            future = take_windows(self._target_rows, starts, np.float32, (self.horizon, self.series.shape[1]))
        inputs = window_inputs(
            block, ref, self.window_norm_mode, n_features=self.n_features, fixed_index=self.fixed_index,
            future=future, future_index=self.future_index,
        )
        return inputs, target_ref

    def _gather(self, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        inputs, target_ref = self._gather_inputs(starts)
        targets = take_windows(self._target_rows, starts, np.float32, (self.horizon, self.series.shape[1]))
        if not self._targets_are_all_columns:
            targets = targets[:, :, self.target_index]
        if target_ref is not None:
            targets = apply_window_norm(targets, target_ref, self.window_norm_mode)
        return inputs, targets

    # ------------------------------------------------------------------ original units

    def _target_reference(self) -> np.ndarray | None:
        if self.window_norm == "none":
            return None
        refs = []
        # At least one (possibly empty) chunk, so an empty set's reference has the right shape too.
        for begin in range(0, max(len(self), 1), _CHUNK):
            block = self._block(self._starts.at(np.arange(begin, min(begin + _CHUNK, len(self)))))
            refs.append(self._target_ref(block, window_reference(block, self.window_norm, self.window_norm_mode)))
        return np.concatenate(refs)

    def to_original(self, y_model: np.ndarray) -> np.ndarray:
        """Map model-space forecasts of these windows back to original units.

        Args:
            y_model: `(n_windows, horizon, n_targets)`, one forecast per window in this
                set's order (e.g. `model.predict(ws.dataset(b, shuffle=False))`).

        Returns:
            float64 `(n_windows, horizon, n_targets)`; each window is inverted with its
            own context (window reference, differencing history).
        """
        if self._transform is None or self._original_targets is None:
            raise DataError("This WindowSet was built without a transform; nothing to invert.")
        y_model = np.asarray(y_model)
        if y_model.ndim != 3 or y_model.shape[0] != len(self):
            raise DataError(
                f"`y_model` must have shape ({len(self)}, {self.horizon}, {len(self.target_index)}), one forecast "
                f"per window of split {self.name!r}; received {y_model.shape}."
            )
        stages = self._transform.stages_of_targets(self._original_targets())
        context = self._transform.context_at(stages, self.target_starts, self._target_reference())
        return self._transform.to_original(y_model, context)

    def targets_original(self) -> np.ndarray:
        """float64 `(n_windows, horizon, n_targets)`: the true targets in original units."""
        if self._original_targets is None:
            raise DataError("This WindowSet was built without the original series.")
        rows = self.target_starts[:, None] + np.arange(self.horizon)
        return np.asarray(self._original_targets(), dtype=np.float64)[rows]
