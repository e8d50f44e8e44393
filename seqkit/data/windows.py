"""Zero-copy windows over one contiguous series, batched into a `tf.data.Dataset`.

A `WindowSet` never stores windows. It keeps the scaled series (one C-contiguous
float32 array `(n_time, n_columns)`) and the arithmetic progression (or, for a
random split, the array) of window start rows. NumPy strided views turn a start
row into its input and target window; a batch is gathered only when asked for.
Memory is O(series length) plus O(batch): for a shuffled epoch, one int32
permutation of the window positions.

Only `WindowSet.dataset` touches TensorFlow, to hand batches to `Model.fit`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pandas as pd

from seqkit.data.transforms import Transform, apply_window_norm, window_reference
from seqkit.errors import DataError

# Windows materialised per step by `inputs()`, `targets()` and `to_original()`.
_CHUNK = 4096


class _EpochOrder:
    """The shuffled window order of one epoch, keyed by a per-epoch random key.

    Only the latest permutation is kept (int32 while it fits), so memory stays one
    index per window however many epochs run.
    """

    def __init__(self, count: int) -> None:
        self._count = count
        self._lock = threading.Lock()
        self._key: int | None = None
        self._order: np.ndarray | None = None

    def positions(self, key: int, begin: int, end: int) -> np.ndarray:
        with self._lock:
            if key != self._key:
                dtype = np.int32 if self._count < 2**31 else np.int64
                order = np.arange(self._count, dtype=dtype)
                np.random.default_rng(key).shuffle(order)
                self._key, self._order = key, order
            return self._order[begin:end]


class WindowSet:
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
        transform: Transform | None = None,
        original_targets: Callable[[], np.ndarray] | None = None,
        time_index: pd.DatetimeIndex | None = None,
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
            transform: The fitted `Transform`, for `to_original`.
            original_targets: Returns the targets in original units `(n_time, n_targets)`.
            time_index: Timestamps of the series rows, or None.
        """
        series = np.asarray(series)
        if series.ndim == 1:
            series = series[:, None]
        if series.dtype != np.float32 or not series.flags.c_contiguous:
            series = np.ascontiguousarray(series, dtype=np.float32)
        self.series = series
        self.name = name
        self.lookback, self.horizon, self.gap, self.stride = lookback, horizon, gap, stride
        n_time, n_columns = series.shape
        self.n_features = n_columns if n_features is None else n_features
        self.target_index = list(range(n_columns)) if target_index is None else list(target_index)
        self.window_norm, self.window_norm_mode = window_norm, window_norm_mode
        self._transform, self._original_targets, self.time_index = transform, original_targets, time_index
        span = lookback + gap + horizon
        last_start = n_time - span
        if starts is not None:
            self._starts: np.ndarray | None = np.asarray(starts, dtype=np.int64)
            self._first, self._count = 0, len(self._starts)
            if self._count and (self._starts.min() < 0 or self._starts.max() > last_start):
                raise DataError(f"Window starts of split {name!r} fall outside rows 0 to {last_start}.")
        else:
            self._starts = None
            self._first = first_start
            fits = 0 if last_start < first_start else (last_start - first_start) // stride + 1
            self._count = fits if count is None else count
            if self._count > fits:
                raise DataError(f"Split {name!r} asks for {self._count} windows but only {fits} fit.")
        # Read-only strided views: row s of `_inputs_view` is the input window starting at s.
        row, item = series.strides
        self._inputs_view = np.lib.stride_tricks.as_strided(
            series, shape=(max(n_time - lookback + 1, 0), lookback, n_columns), strides=(row, row, item),
            writeable=False,
        )
        self._targets_view = np.lib.stride_tricks.as_strided(
            series[lookback + gap :] if n_time > lookback + gap else series[:0],
            shape=(max(last_start + 1, 0), horizon, n_columns), strides=(row, row, item), writeable=False,
        )

    def __len__(self) -> int:
        """Number of windows."""
        return self._count

    def __repr__(self) -> str:
        return (
            f"WindowSet({self.name!r}, windows={len(self)}, lookback={self.lookback}, horizon={self.horizon}, "
            f"gap={self.gap}, stride={self.stride})"
        )

    # ------------------------------------------------------------------ indices

    def _starts_at(self, positions: np.ndarray) -> np.ndarray:
        if self._starts is not None:
            return self._starts[positions]
        return self._first + np.asarray(positions, dtype=np.int64) * self.stride

    @property
    def input_starts(self) -> np.ndarray:
        """int64 `(n_windows,)`: each window's first input row."""
        return self._starts_at(np.arange(len(self)))

    @property
    def target_starts(self) -> np.ndarray:
        """int64 `(n_windows,)`: each window's first target row in the full series."""
        return self.input_starts + self.lookback + self.gap

    @property
    def target_times(self) -> np.ndarray | None:
        """datetime64 `(n_windows, horizon)`: timestamp of each target step, or None without a time index."""
        if self.time_index is None:
            return None
        rows = self.target_starts[:, None] + np.arange(self.horizon)
        return self.time_index.to_numpy()[rows]

    # ------------------------------------------------------------------ batches

    def _batch(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gather windows at `positions` (indices into this set) in model space."""
        starts = self._starts_at(positions)
        block = self._inputs_view[starts]  # the one copy: (batch, lookback, n_columns)
        targets = self._targets_view[starts][:, :, self.target_index]
        ref = window_reference(block, self.window_norm, self.window_norm_mode)
        if ref is not None:
            targets = apply_window_norm(targets, ref[:, :, self.target_index], self.window_norm_mode)
            block = apply_window_norm(block, ref, self.window_norm_mode)
        inputs = block if self.n_features == block.shape[2] else np.ascontiguousarray(block[:, :, : self.n_features])
        return inputs, targets

    def dataset(
        self, batch_size: int, *, shuffle: bool, seed: int | None = None, drop_remainder: bool = False
    ):
        """Batches for `Model.fit` / `evaluate` / `predict`.

        Args:
            batch_size: Windows per batch.
            shuffle: Visit windows in a new random order every epoch (training);
                False keeps chronological order (validation, test).
            seed: Makes the sequence of epoch orders reproducible; None: random.
            drop_remainder: Drop the last, smaller batch (gives a static batch size,
                as stateful models need).

        Returns:
            A `tf.data.Dataset` of `(x, y)`: x float32 `(batch, lookback, n_features)`,
            y float32 `(batch, horizon, n_targets)`, in model space. Batches are
            gathered by NumPy from strided views (the fastest gather on CPU), so the
            dataset cannot be serialised into a graph or sent to another host.

        Raises:
            DataError: no complete batch (no windows, or fewer than `batch_size` with
                `drop_remainder`).
        """
        import tensorflow as tf

        if batch_size < 1:
            raise DataError(f"`batch_size` must be at least 1; received {batch_size}.")
        count = len(self)
        n_batches = count // batch_size if drop_remainder else -(-count // batch_size)
        if n_batches == 0:
            raise DataError(
                f"Split {self.name!r} has {count} window(s), not enough for one batch of {batch_size}"
                + (" with `drop_remainder`" if drop_remainder else "")
                + ". Lower `batch_size` or give more data."
            )
        order = _EpochOrder(count) if shuffle else None

        def make_batch(key: np.int64, index: np.int64) -> tuple[np.ndarray, np.ndarray]:
            begin, end = int(index) * batch_size, min((int(index) + 1) * batch_size, count)
            positions = order.positions(int(key), begin, end) if order else np.arange(begin, end)
            return self._batch(positions)

        batch_dim = batch_size if drop_remainder else None
        x_shape = (batch_dim, self.lookback, self.n_features)
        y_shape = (batch_dim, self.horizon, len(self.target_index))

        def load(key, index):
            x, y = tf.numpy_function(make_batch, [key, index], (tf.float32, tf.float32), stateful=False)
            x.set_shape(x_shape)
            y.set_shape(y_shape)
            return x, y

        if shuffle:
            # One random key per iteration (= epoch) selects that epoch's permutation.
            keys = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
            index = keys.flat_map(lambda key: tf.data.Dataset.range(n_batches).map(lambda i: (key, i)))
        else:
            index = tf.data.Dataset.range(n_batches).map(lambda i: (tf.constant(0, tf.int64), i))
        batches = index.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        batches = batches.apply(tf.data.experimental.assert_cardinality(n_batches))
        return batches.prefetch(tf.data.AUTOTUNE)

    # ------------------------------------------------------------------ arrays (evaluation)

    def _gather_all(self) -> tuple[np.ndarray, np.ndarray]:
        inputs = np.empty((len(self), self.lookback, self.n_features), np.float32)
        targets = np.empty((len(self), self.horizon, len(self.target_index)), np.float32)
        for begin in range(0, len(self), _CHUNK):
            positions = np.arange(begin, min(begin + _CHUNK, len(self)))
            inputs[positions], targets[positions] = self._batch(positions)
        return inputs, targets

    def inputs(self) -> np.ndarray:
        """float32 `(n_windows, lookback, n_features)` model-space inputs (materialised: for evaluation)."""
        return self._gather_all()[0]

    def targets(self) -> np.ndarray:
        """float32 `(n_windows, horizon, n_targets)` model-space targets (materialised: for evaluation)."""
        return self._gather_all()[1]

    def _target_reference(self, positions: np.ndarray) -> np.ndarray | None:
        if self.window_norm == "none":
            return None
        refs = []
        for begin in range(0, len(positions), _CHUNK):
            block = self._inputs_view[self._starts_at(positions[begin : begin + _CHUNK])]
            refs.append(window_reference(block, self.window_norm, self.window_norm_mode)[:, 0, self.target_index])
        return np.concatenate(refs) if refs else np.empty((0, len(self.target_index)), np.float32)

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
        positions = np.arange(len(self))
        stages = self._transform.stages_of_targets(self._original_targets())
        context = self._transform.context_at(stages, self.target_starts, self._target_reference(positions))
        return self._transform.to_original(y_model, context)

    def targets_original(self) -> np.ndarray:
        """float64 `(n_windows, horizon, n_targets)`: the true targets in original units."""
        if self._original_targets is None:
            raise DataError("This WindowSet was built without the original series.")
        rows = self.target_starts[:, None] + np.arange(self.horizon)
        return np.asarray(self._original_targets(), dtype=np.float64)[rows]
