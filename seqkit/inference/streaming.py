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
model a context it was never trained on. The window is read by one call
compiled for its shape when the first forecast is asked for (`compiled_call`:
XLA on TensorFlow, `jax.jit` on JAX), about 0.2-0.3 ms for an LSTM(64) on a
2-core CPU.

Two ways to read a forecast:

- `forecast()`: a DataFrame, exactly as `Run.predict` returns it (timestamps
  of the forecast steps, a column per target, or per target and level).
- `forecast_array()`: the point forecast alone, a NumPy array
  `(horizon, n_targets)` in original units, without the timestamps and the
  DataFrame, which cost more than the model call itself (about 0.2 ms each).
  This is the path for a forecast per observation: `update` + `forecast_array`
  of an LSTM(64) costs well under the 2 ms per observation of issue #15
  (`benchmarks/generation.py --only-streaming` prints both paths).
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
        self.task, self.transform = task, preprocessing
        self.need = preprocessing.lookback + preprocessing.first_valid
        self._step = None if preprocessing.frequency is None else pd.tseries.frequencies.to_offset(
            preprocessing.frequency)
        self._model = model
        self._call = None  # compiled for one window at the first forecast (`compiled_call`)
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
        values, cell, stamps = self._parse(observations)
        bad = np.argwhere(~np.isfinite(values))
        if bad.size:
            row, j = (int(k) for k in bad[0])
            raise DataError(
                f"{_ORIGIN}: observation {self.seen + row + 1} has {cell(row, j)!r} in column "
                f"{self.transform.columns[j]!r}, which is not a finite number. Send complete observations."
            )
        if stamps is not None:
            self._check_steps(stamps)
            self._last = stamps[-1]
        if len(values) == 1 and len(self._rows) == self.need:  # the live case: shift the window by one row
            self._rows[:-1] = self._rows[1:]
            self._rows[-1] = values[0]
        else:
            self._rows = np.concatenate([self._rows, values])[-self.need :]
        self.seen += len(values)

    def _check_steps(self, stamps: list) -> None:
        """Each timestamp must be the run's next step after the one before (the first: after the last observation)."""
        if self._step is None:
            return
        previous = self._last
        for k, stamp in enumerate(stamps):
            if previous is not None and stamp != previous + self._step:
                raise DataError(
                    f"{_ORIGIN}: observation {self.seen + k + 1} is at {stamp}, but the run's "
                    f"{self.transform.frequency!r} steps put the next one at {previous + self._step}. Send the "
                    "observations in order, one per step (fill a missing one)."
                )
            previous = stamp

    def forecast(self) -> pd.DataFrame:
        """The next `horizon` steps after the last observation, in original units (as `Run.predict` returns them).

        Returns:
            A DataFrame: the steps' timestamps (or step numbers 1, 2, ...), then a
            column per target (a quantile run: per target and level).

        Raises:
            DataError: Fewer observations than a forecast reads.
        """
        times = None if self._last is None else pd.DatetimeIndex([self._last])  # a forecast reads only the last
        return self.task.forecast_frame(self.transform, self._forecast(times))

    def forecast_array(self) -> np.ndarray:
        """The next `horizon` steps' point forecast in original units, as NumPy: the fast path.

        The same numbers as `forecast()` (the median of a quantile run), without
        the steps' timestamps and the DataFrame.

        Returns:
            float64 `(horizon, n_targets)`, targets in the run's order (`transform.targets`).

        Raises:
            DataError: Fewer observations than a forecast reads.
        """
        return self._forecast(None).point

    def _forecast(self, times):
        """The `Forecast` after the kept rows (`times`: the last observation's timestamp, or None for none)."""
        if not self.ready:
            raise DataError(
                f"{_ORIGIN} has {len(self._rows)} observation(s); a forecast reads the last {self.need}. "
                f"Send {self.need - len(self._rows)} more."
            )
        x, context = self.transform.inputs_at_end(self._rows, times, origin=_ORIGIN)
        if self._call is None:
            from seqkit.models.compiled import compiled_call

            self._call = compiled_call(self._model, x.shape)
        return self.task.forecast_of(self.transform, self._call(x), context)

    # ------------------------------------------------------------------ input

    def _parse(self, observations):
        """`(values, cell, stamps)`: float64 `(n, n_columns)` (NaN where a cell is no number), `cell(row, j)` the
        cell as given (for messages), and the rows' timestamps (None without a time column)."""
        columns = self.transform.columns
        time_column, layout = self.transform.time_column, self.transform.time_format
        if isinstance(observations, dict):  # one observation, read without pandas: the live path
            self._require(observations)
            values = np.array([[_number(observations[name]) for name in columns]])
            stamps = None
            if time_column is not None and time_column in observations:
                stamps = [_timestamp(observations[time_column], layout)]
            return values, lambda _row, j: observations[columns[j]], stamps
        if not isinstance(observations, pd.DataFrame):  # an array: numbers already, read without pandas
            array = np.atleast_2d(np.asarray(observations, dtype=np.float64))
            if array.ndim != 2 or array.shape[1] != len(columns):
                raise DataError(
                    f"an array observation must have {len(columns)} value(s) per row, in the run's column order "
                    f"{columns}; received shape {np.shape(observations)}"
                )
            return array, lambda row, j: array[row, j], None
        frame = observations
        self._require(frame)
        values = np.stack(
            [pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64) for name in columns], axis=1
        )
        stamps = None
        if time_column is not None and time_column in frame.columns:
            stamps = [_timestamp(value, layout) for value in frame[time_column]]
        return values, lambda row, j: frame[columns[j]].iloc[row], stamps

    def _require(self, observations) -> None:
        missing = [name for name in self.transform.columns if name not in observations]
        if missing:
            raise DataError(
                f"{_ORIGIN}: the observations lack column(s) {missing}; the run reads {self.transform.columns}."
            )


def _number(value) -> float:
    """A cell as a float; NaN when it is no number (the caller names it)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _timestamp(value, layout: str | None) -> pd.Timestamp:
    """A time cell as a Timestamp (`strptime` with the run's format: far cheaper than pandas' parser for one value).

    Raises:
        DataError: The cell is not a timestamp.
    """
    try:
        return pd.Timestamp(datetime.datetime.strptime(value, layout) if layout and isinstance(value, str) else value)
    except (ValueError, TypeError) as error:
        raise DataError(f"{_ORIGIN}: {value!r} is not a timestamp ({error})") from None
