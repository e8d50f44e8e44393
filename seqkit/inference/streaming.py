"""Streaming forecasts: feed a live series one observation (or a chunk) at a time, forecast after any of them.

`Run.stream()` returns a `StreamingForecaster`. It keeps only the rows a
forecast reads (the last `lookback` plus the rows differencing needs before
them), in original units, so memory stays constant however long the stream
runs; `forecast()` scales those rows with the run's fitted transform, reads
them with the model and maps the forecast back to original units: exactly
what `Run.predict` returns for the same history (a test pins it).

A stateless model's forecast depends on its last window alone (it was
trained on windows, each from a zero state, each normalised by its own
reference), so the forecaster re-reads that window at every forecast rather
than carrying a recurrent state across the stream, which would feed the
model a context it was never trained on. The window is read by one compiled
call (XLA where the backend compiles it), about 1 ms for an LSTM(64) on a CPU
(`benchmarks/generation.py` prints it).
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from seqkit.errors import ConfigError, DataError

_ORIGIN = "The stream"


class StreamingForecaster:
    """Forecasts of a forecast run from a series that arrives one observation at a time.

    Args:
        task: The run's `ForecastTask`.
        model: The trained model.
        preprocessing: The run's fitted `Transform`.

    Raises:
        ConfigError: A run this does not stream: not a single-series forecast, a
            stateful model, or covariates known in advance.
    """

    def __init__(self, task, model, preprocessing) -> None:
        if task.name != "forecast":
            raise ConfigError(f"`stream` forecasts a series; a {task.title} run has no streaming forecast")
        if task.config.model.stateful:
            raise ConfigError(
                "streaming a stateful model is not supported yet: its forecast depends on the state carried "
                "from the start of the series; use `predict` on the whole history"
            )
        if preprocessing.future:
            raise ConfigError(
                f"streaming a run with covariates known in advance ({preprocessing.future}) is not supported yet: "
                "each forecast needs the forecast steps' values; use `predict` with future rows"
            )
        import keras

        self.task, self.transform = task, preprocessing
        self.need = preprocessing.lookback + preprocessing.first_valid
        self._step = None if preprocessing.frequency is None else pd.tseries.frequencies.to_offset(
            preprocessing.frequency)
        # A model object of its own over the same layers (so the same weights), compiled for single windows.
        self._model = keras.Model(model.inputs, model.outputs, name=f"{model.name}_stream")
        self._model.jit_compile = keras.backend.backend() in ("tensorflow", "jax")
        self.reset()

    def reset(self) -> None:
        """Forget every observation: the next forecast needs `need` new ones."""
        self._rows = np.empty((0, len(self.transform.columns)))
        self._last: pd.Timestamp | None = None  # the last observation's time (a forecast's steps follow it)
        self.seen = 0

    @property
    def ready(self) -> bool:
        """Whether enough observations have arrived for a forecast."""
        return len(self._rows) >= self.need

    def update(self, observations) -> None:
        """Append one observation or a chunk, in original units.

        Args:
            observations: A DataFrame (the run's columns, and its time column if it
                has one), a mapping of one row (`{"Date": "1961-01", "Passengers": 420}`),
                or an array `(n, n_columns)` / `(n_columns,)` in the run's column order.

        Raises:
            DataError: A missing column, a cell that is not a finite number, or a
                timestamp that does not follow the previous one on the run's grid.
        """
        if isinstance(observations, dict) and self._append_one(observations):
            return
        frame = self._frame(observations)
        values = np.empty((len(frame), len(self.transform.columns)))
        for j, name in enumerate(self.transform.columns):
            column = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)
            bad = np.flatnonzero(~np.isfinite(column))
            if bad.size:
                raise DataError(
                    f"{_ORIGIN}: observation {self.seen + int(bad[0]) + 1} has {frame[name].iloc[bad[0]]!r} in column "
                    f"{name!r}, which is not a finite number. Send complete observations."
                )
            values[:, j] = column
        times = self._times_of(frame)
        self._rows = np.concatenate([self._rows, values])[-self.need :]
        if times is not None:
            self._last = times[-1]
        self.seen += len(frame)

    def _append_one(self, observation: dict) -> bool:
        """Append one well-formed observation without pandas (the common, live case); False: take the checked path.

        Anything unusual (a missing column, a cell that is not a plain number, a timestamp off the grid)
        returns False, so `update` reads it again through the path whose messages name the problem.
        """
        try:
            values = np.array([float(observation[name]) for name in self.transform.columns])
        except (KeyError, TypeError, ValueError):
            return False
        if not np.isfinite(values).all():
            return False
        column = self.transform.time_column
        stamp = None
        if column is not None and column in observation:
            try:
                value, layout = observation[column], self.transform.time_format
                stamp = pd.Timestamp(
                    datetime.datetime.strptime(value, layout) if layout and isinstance(value, str) else value
                )
            except (ValueError, TypeError):
                return False
            if self._last is not None and self._step is not None and stamp != self._last + self._step:
                return False
        if len(self._rows) < self.need:
            self._rows = np.concatenate([self._rows, values[None, :]])
        else:  # a fixed-size window: shift it by one row in place
            self._rows[:-1] = self._rows[1:]
            self._rows[-1] = values
        if stamp is not None:
            self._last = stamp
        self.seen += 1
        return True

    def forecast(self) -> pd.DataFrame:
        """The next `horizon` steps after the last observation, in original units (as `Run.predict` returns them).

        Raises:
            DataError: Fewer observations than a forecast reads.
        """
        if not self.ready:
            raise DataError(
                f"{_ORIGIN} has {len(self._rows)} observation(s); a forecast reads the last {self.need}. "
                f"Send {self.need - len(self._rows)} more."
            )
        times = None if self._last is None else pd.DatetimeIndex([self._last])  # a forecast reads only the last
        x, context = self.transform.inputs_at_end(self._rows, times, origin=_ORIGIN)
        y_model = np.asarray(self._model.predict_on_batch(x))
        return self.task.forecast_frame(self.transform, self.task.forecast_of(self.transform, y_model, context))

    # ------------------------------------------------------------------ input

    def _frame(self, observations) -> pd.DataFrame:
        if isinstance(observations, pd.DataFrame):
            frame = observations
        elif isinstance(observations, dict):
            frame = pd.DataFrame([observations])
        else:
            array = np.atleast_2d(np.asarray(observations, dtype=np.float64))
            if array.ndim != 2 or array.shape[1] != len(self.transform.columns):
                raise DataError(
                    f"an array observation must have {len(self.transform.columns)} value(s) per row, in the run's "
                    f"column order {self.transform.columns}; received shape {np.shape(observations)}"
                )
            frame = pd.DataFrame(array, columns=list(self.transform.columns))
        missing = [name for name in self.transform.columns if name not in frame.columns]
        if missing:
            raise DataError(
                f"{_ORIGIN}: the observations lack column(s) {missing}; the run reads {self.transform.columns}."
            )
        return frame

    def _times_of(self, frame: pd.DataFrame) -> pd.DatetimeIndex | None:
        column = self.transform.time_column
        if column is None or column not in frame.columns:
            return None
        try:
            times = pd.DatetimeIndex(pd.to_datetime(frame[column], format=self.transform.time_format))
        except (ValueError, TypeError) as error:
            raise DataError(f"{_ORIGIN}: column {column!r} holds a value that is not a timestamp ({error})") from None
        if self.transform.frequency is not None:
            previous = self._last
            start = previous if previous is not None else times[0]
            expected = pd.date_range(start, periods=len(times) + (previous is not None), freq=self.transform.frequency)
            expected = expected[1:] if previous is not None else expected
            wrong = np.flatnonzero(times != expected)
            if wrong.size:
                k = int(wrong[0])
                raise DataError(
                    f"{_ORIGIN}: observation {self.seen + k + 1} is at {times[k]}, but the run's "
                    f"{self.transform.frequency!r} steps put the next one at {expected[k]}. Send the observations "
                    "in order, one per step (fill a missing one)."
                )
        return times
