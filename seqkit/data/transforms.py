"""Per-column transforms, scalers fitted on the training rows, per-window normalisation, and their exact inverses.

Model space is reached in three stages, each undone in reverse by `Transform.to_original`:

1. column steps, in the configured order: `log`, `log1p`, `diff` (lag `k`:
   `z[t] - z[t-k]`) and `seasonal_diff` (lag = period);
2. a scaler per column, fitted on the training rows only: `standard`
   (`(z - mean) / std`), `minmax` (`(z - min) / (max - min)`), `robust`
   (`(z - median) / IQR`) or `none`;
3. per-window normalisation (done while batching): each window's inputs and
   targets minus (or divided by) the window's last input value or input mean
   (`last`, `mean`); or the inputs by their last value and each target step by
   the naive or seasonal-naive forecast of that step from the window (`naive`,
   `seasonal_naive`), so the model forecasts its correction to that baseline;
   or minus the window's input median and divided by its median absolute
   deviation (`robust`), or by its input mean and standard deviation (`standard`).

Stages 1 and 2 are global and stored as JSON (`to_json` / `from_json`). Stage 3 and
the differencing steps make the inverse depend on the window: undoing them needs the
window's reference value and the last `lag` values before its first target. That
per-window information is a `ForecastContext`; `WindowSet.to_original` builds it
from the series, `Transform.make_inputs` from a new frame.

Differencing leaves the first `sum(lags)` rows undefined; no window starts there
(`Transform.first_valid`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from seqkit.config import data as data_config
from seqkit.data.sources import FutureRows, load_new_table, load_new_table_with_future, sentence
from seqkit.errors import DataError

_JSON_VERSION = 1
# A window reference smaller than this is replaced by 1 in `divide` mode, identically in the
# forward and inverse direction, so the transform stays exactly invertible.
_DIVIDE_EPS = 1e-6
#: The window norms that subtract a location and divide by a spread; their mode is `scale`.
SCALING_WINDOW_NORMS = data_config.SCALING_WINDOW_NORMS
#: `window_norm: auto` corrects last season's value when every target's seasonal strength reaches this.
SEASONAL_STRENGTH_THRESHOLD = 0.7
# Median absolute deviation of a normal distribution in standard deviations: a flat window's
# spread falls back to this many standard deviations, as NeuralForecast's robust scaler does.
_MAD_PER_STD = 0.6744897501960817


@dataclasses.dataclass
class ColumnState:
    """Fitted transform of one column.

    Attributes:
        name: Column name.
        steps: `{"type": "log"}`, `{"type": "log1p"}`, `{"type": "diff", "lag": k}`,
            `{"type": "seasonal_diff", "lag": period}` in application order.
        scaler: `standard`, `minmax`, `robust` or `none`.
        loc: Subtracted after the steps (training mean, minimum or median; 0 for `none`).
        scale: Divisor after subtracting `loc` (training std, range or interquartile
            range; 1 for `none`).
    """

    name: str
    steps: list[dict]
    scaler: str
    loc: float = 0.0
    scale: float = 1.0

    @property
    def total_lag(self) -> int:
        return sum(step.get("lag", 0) for step in self.steps)


@dataclasses.dataclass
class ForecastContext:
    """What one batch of windows needs to be mapped back to original units.

    Attributes:
        ref: `(n, 1, n_targets)` window-normalisation reference of the target columns in
            scaled space (`(n, horizon, n_targets)` for `seasonal_naive`: one per target
            step; `(n, 2, n_targets)` for `robust` and `standard`: the location, then the
            spread), or None without window normalisation.
        histories: Per target column, per differencing step (in step order), the
            `(n, lag)` values before that step at the `lag` time steps ending just
            before the first target.
        times: Timestamps of the forecast steps (`make_inputs` only), or None.
    """

    ref: np.ndarray | None
    histories: list[list[np.ndarray]]
    times: pd.DatetimeIndex | None = None


def window_reference(block: np.ndarray, kind: str, mode: str) -> np.ndarray | None:
    """Per-window normalisation reference of input windows.

    `naive` and `seasonal_naive` normalise inputs as `last` does: the model reads
    each window relative to its last value, whatever baseline its targets are
    measured from (`target_reference`).

    Args:
        block: float32 `(n, lookback, n_columns)` input windows in scaled space.
        kind: `last`, `mean`, `naive`, `seasonal_naive`, `robust`, `standard` or `none`.
        mode: `subtract`, `divide`, or `scale` (`robust` and `standard`).

    Returns:
        float32 `(n, 1, n_columns)`, or None for `none`. In `divide` mode, values
        within 1e-6 of zero are replaced by 1. For `robust` and `standard`,
        `(n, 2, n_columns)`: `window_scale`'s location and spread.
    """
    if kind == "none":
        return None
    if kind in SCALING_WINDOW_NORMS:
        return window_scale(block, kind)
    ref = block.mean(axis=1, keepdims=True, dtype=np.float32) if kind == "mean" else block[:, -1:, :].copy()
    if mode == "divide":
        ref[np.abs(ref) < _DIVIDE_EPS] = 1.0
    return ref


def window_scale(block: np.ndarray, kind: str) -> np.ndarray:
    """Location and spread of each input window, per column (`robust` or `standard`).

    `robust`: the median and the median absolute deviation `median(|x - median|)`;
    `standard`: the mean and the standard deviation. A spread of zero (a flat
    window) is replaced by 0.674 standard deviations (the MAD of a normal
    distribution), and where that is zero too, by 1; NeuralForecast's robust
    scaler does the same.

    Example: one window `[1, 2, 4, 10]`, `robust` -> location 3 (the median),
    spread 1.5 (the median of `[2, 1, 1, 7]`).

    Args:
        block: float32 `(n, lookback, n_columns)` input windows in scaled space.
        kind: `robust` or `standard`.

    Returns:
        float32 `(n, 2, n_columns)`: `[:, 0]` the location, `[:, 1]` the spread (positive).
    """
    if kind == "robust":
        loc = np.median(block, axis=1, keepdims=True)
        spread = np.median(np.abs(block - loc), axis=1, keepdims=True)
        flat = spread <= 0
        if flat.any():  # rare: only then is the standard deviation needed
            spread[flat] = (block.std(axis=1, keepdims=True) * _MAD_PER_STD)[flat]
    else:
        loc, spread = block.mean(axis=1, keepdims=True), block.std(axis=1, keepdims=True)
    spread[spread <= 0] = 1.0
    return np.concatenate([loc, spread], axis=1).astype(np.float32, copy=False)


def seasonal_strength(values: np.ndarray, period: int) -> float:
    """How much of a series' detrended variation its seasonal pattern explains, in [0, 1].

    Classical decomposition: the trend is the centred moving average over one
    period (a 2 x period average for an even period), the seasonal pattern the
    mean detrended value at each phase of the period, and the strength
    `max(0, 1 - var(remainder) / var(detrended))` (Wang, Smith and Hyndman's
    measure, 2006). A stable seasonal pattern scores near 1 (the airline series:
    0.83 to 0.94 on its backtest folds' training rows), noise or a cycle whose
    length and height drift scores low (sunspots with an 11-year period: 0.22 to 0.54).

    Example: `seasonal_strength(np.tile([0.0, 1.0], 10), 2)` -> 1.0.

    Args:
        values: `(n,)` the series (no NaN).
        period: The seasonal period, at least 2.

    Returns:
        The strength; 0.0 when fewer than two periods remain after the moving average.
    """
    values = np.asarray(values, dtype=np.float64)
    kernel = np.ones(period) / period if period % 2 else np.r_[0.5, np.ones(period - 1), 0.5] / period
    if len(values) < len(kernel) + 2 * period:
        return 0.0
    trend = np.convolve(values, kernel, mode="valid")
    offset = (len(kernel) - 1) // 2
    detrended = values[offset : offset + len(trend)] - trend
    phases = (np.arange(len(detrended)) + offset) % period
    means = np.array([detrended[phases == phase].mean() for phase in range(period)])
    remainder = detrended - means[phases]
    spread = detrended.var()
    return 0.0 if spread <= 0 else float(max(0.0, 1.0 - remainder.var() / spread))


def seasonal_naive_positions(lookback: int, horizon: int, gap: int, period: int) -> np.ndarray:
    """Input-window position of the seasonal-naive forecast of each target step.

    Target step `j` (0-based) lies `gap + 1 + j` steps after the window's last
    input and takes the input value the fewest whole periods before it, exactly
    as `seqkit.evaluation.seasonal_naive_forecast` does; with `gap` 0 that is
    position `lookback - period + j % period`. Every position lies in the window
    when `period <= lookback`.

    Example: lookback 4, horizon 3, gap 0, period 2 -> `[2, 3, 2]`.

    Returns:
        int `(horizon,)` positions in `[lookback - period, lookback)`.
    """
    steps = np.arange(horizon)
    periods_back = -(-(gap + 1 + steps) // period)  # ceil division
    return lookback + gap + steps - periods_back * period


def target_reference(
    block: np.ndarray,
    input_ref: np.ndarray | None,
    kind: str,
    mode: str,
    *,
    horizon: int,
    gap: int,
    period: int | None,
) -> np.ndarray | None:
    """The reference each target step is normalised by.

    Args:
        block: float32 `(n, lookback, n_columns)` input windows in scaled space (not normalised).
        input_ref: `window_reference(block, kind, mode)`.
        kind, mode: As `window_reference`.
        horizon, gap: Window geometry.
        period: Seasonal period (`seasonal_naive` only).

    Returns:
        `input_ref` (`(n, 1, n_columns)`, broadcast over the target steps), except for
        `seasonal_naive`: float32 `(n, horizon, n_columns)`, the seasonal-naive forecast
        of each target step from the window (values within 1e-6 of zero replaced by 1
        in `divide` mode).
    """
    if kind != "seasonal_naive":
        return input_ref
    if period is None or period > block.shape[1]:
        raise DataError(
            f"`window_norm: seasonal_naive` needs a `period` no longer than the lookback ({block.shape[1]}); "
            f"received {period}. Set `data.period`."
        )
    ref = block[:, seasonal_naive_positions(block.shape[1], horizon, gap, period), :]
    if mode == "divide":
        ref[np.abs(ref) < _DIVIDE_EPS] = 1.0
    return ref


def apply_window_norm(values: np.ndarray, ref: np.ndarray | None, mode: str) -> np.ndarray:
    """`values - ref`, `values / ref` or (`scale`) `(values - loc) / spread`, in place on a fresh array.

    `ref` broadcasts over time; in `scale` mode it is `(n, 2, n_columns)`, as `window_scale` returns.
    """
    if ref is None:
        return values
    if mode == "subtract":
        values -= ref
    elif mode == "scale":
        values -= ref[:, :1]
        values /= ref[:, 1:2]
    else:
        values /= ref
    return values


def window_inputs(
    block: np.ndarray,
    ref: np.ndarray | None,
    mode: str,
    *,
    n_features: int,
    fixed_index: Sequence[int] = (),
    future: np.ndarray | None = None,
    future_index: Sequence[int] = (),
) -> np.ndarray:
    """The model's inputs from scaled input windows: normalised, then the forecast steps' known values packed beside.

    Args:
        block: float32 `(n, lookback, n_columns)` input windows in scaled space (changed in place).
        ref: Their `window_reference`, or None.
        mode: The window normalisation mode.
        n_features: The inputs are the first `n_features` columns.
        fixed_index: Columns normalisation leaves as they are (calendar features).
        future: float32 `(n, horizon, n_columns)`: the scaled rows of each window's forecast
            steps (only `future_index` columns are read), or None without covariates known
            in advance.
        future_index: The columns known in advance.

    Returns:
        float32 `(n, lookback, n_features + len(future_index))`. With `future_index`, the
        last columns hold the known values of the `horizon` forecast steps in rows
        `0 .. horizon - 1` (normalised by their column's input reference, as the
        inputs are) and zeros after: one tensor, which the model splits into its
        recurrent input and its future branch (`seqkit.models.KnownFuture`).
    """
    fixed, future_index = list(fixed_index), list(future_index)
    kept = block[:, :, fixed].copy() if ref is not None and fixed else None
    block = apply_window_norm(block, ref, mode)
    if kept is not None:
        block[:, :, fixed] = kept
    inputs = block if n_features == block.shape[2] else block[:, :, :n_features]
    if not future_index:
        return np.ascontiguousarray(inputs)
    known = np.ascontiguousarray(future[:, :, future_index], dtype=np.float32)
    moving = [k for k, j in enumerate(future_index) if j not in fixed]
    if ref is not None and moving:
        columns = [future_index[k] for k in moving]
        known[:, :, moving] = apply_window_norm(known[:, :, moving], ref[:, :, columns], mode)
    packed = np.zeros((*block.shape[:2], len(future_index)), dtype=np.float32)
    packed[:, : known.shape[1]] = known
    return np.concatenate([inputs, packed], axis=2)


def _stages(column: np.ndarray, state: ColumnState, origin: str, row_offset: int = 0) -> list[np.ndarray]:
    """`[z_0, z_1, ..., z_k]`: the column before and after each step (float64, same length)."""
    stages = [np.asarray(column, dtype=np.float64)]
    for step in state.steps:
        z = stages[-1]
        kind = step["type"]
        if kind in ("log", "log1p"):
            bound = 0.0 if kind == "log" else -1.0
            valid = z[~np.isnan(z)]
            if valid.size and valid.min() <= bound:
                position = int(np.flatnonzero(z <= bound)[0])
                raise DataError(
                    f"{origin}: transform `{kind}` of column {state.name!r} needs values above {bound:g}, but "
                    f"row {position + row_offset + 1} holds {z[position]:g}. Use `log1p`, shift the data, or "
                    "drop the step for this column (`transform.columns`)."
                )
            with np.errstate(invalid="ignore"):
                stages.append(np.log(z) if kind == "log" else np.log1p(z))
        else:
            lag = step["lag"]
            out = np.full_like(z, np.nan)
            out[lag:] = z[lag:] - z[:-lag]
            stages.append(out)
    return stages


def _training_rows(values: np.ndarray, j: int, state: ColumnState, start: int, stop: int, origin: str) -> np.ndarray:
    """Column `j` over the training rows `[start, stop)` after its steps (float64).

    Differences at the first training rows need the `total_lag` rows before them, which are read too.
    """
    lead = start - state.total_lag
    return _stages(values[lead:stop, j], state, origin, lead)[-1][state.total_lag :]


def _invert_steps(y: np.ndarray, state: ColumnState, histories: Sequence[np.ndarray]) -> np.ndarray:
    """Undo the steps of one column. `y` is `(n, horizon)` after the last step; float64."""
    diff_histories = list(histories)
    for step in reversed(state.steps):
        kind = step["type"]
        if kind == "log":
            y = np.exp(y)
        elif kind == "log1p":
            y = np.expm1(y)
        else:
            lag = step["lag"]
            history = diff_histories.pop()
            levels = np.concatenate([history, np.empty_like(y)], axis=1)
            # Later targets build on earlier *reconstructed* ones, never on true values.
            for k in range(y.shape[1]):
                levels[:, lag + k] = y[:, k] + levels[:, k]
            y = levels[:, lag:]
    return y


@dataclasses.dataclass
class Transform:
    """Fitted preprocessing: column steps, scalers, window normalisation, window geometry.

    Attributes:
        columns: Columns of the model-space array (features first, then target-only columns).
        features: Input columns, in model input order.
        targets: Target columns, in model output order.
        lookback, horizon, gap: Window geometry the model was built for.
        window_norm: `none`, `last`, `mean`, `naive`, `seasonal_naive`, `robust` or `standard`.
        window_norm_mode: `subtract` or `divide`; `scale` for `robust` and `standard`.
        window_norm_period: Seasonal period of `seasonal_naive` (`data.period`), else None.
        states: One `ColumnState` per entry of `columns`.
        window_norm_choice: For `window_norm: auto`, what it chose and why (the
            resolved type is in `window_norm`); None otherwise.
        time_column: Column of new frames holding timestamps, or None.
        time_format: Its `strftime` format, or None.
        frequency: pandas frequency of the time steps, or None.
        calendar: The `data.calendar` features the columns include (as
            `<name>_sin`, `<name>_cos`: neither scaled nor window-normalised).
        future: Columns whose forecast-period values the model reads beside its
            window (`data.future`, then the calendar columns), in input order.
    """

    columns: list[str]
    features: list[str]
    targets: list[str]
    lookback: int
    horizon: int
    gap: int
    window_norm: str
    window_norm_mode: str
    states: list[ColumnState]
    window_norm_period: int | None = None
    window_norm_choice: str | None = None
    time_column: str | None = None
    time_format: str | None = None
    frequency: str | None = None
    calendar: list[str] = dataclasses.field(default_factory=list)
    future: list[str] = dataclasses.field(default_factory=list)

    # ------------------------------------------------------------------ fitting

    @classmethod
    def fit(
        cls,
        values: np.ndarray,
        columns: list[str],
        features: list[str],
        targets: list[str],
        config: data_config.DataConfig,
        fit_rows: slice,
        *,
        origin: str = "data",
        time_column: str | None = None,
        time_format: str | None = None,
        frequency: str | None = None,
    ) -> Transform:
        """Fit the scalers on `values[fit_rows]` only (after the column steps).

        Args:
            values: `(n_time, n_columns)` series in original units.
            fit_rows: The training rows. Rows before `first_valid` are skipped.

        Raises:
            DataError: a `log` of a non-positive value, or no training rows left to fit on.
        """
        return cls.fit_pooled(
            [(values, fit_rows, origin)], columns, features, targets, config,
            time_column=time_column, time_format=time_format, frequency=frequency,
        )

    @classmethod
    def fit_pooled(
        cls,
        pieces: Sequence[tuple[np.ndarray, slice, str]],
        columns: list[str],
        features: list[str],
        targets: list[str],
        config: data_config.DataConfig,
        *,
        time_column: str | None = None,
        time_format: str | None = None,
        frequency: str | None = None,
    ) -> Transform:
        """One transform fitted on the training rows of several series together (a panel's `scope: global`).

        Each piece is `(values, fit_rows, origin)`, one series as `fit` takes it. The
        column steps run within each series (a difference never spans two series);
        each column's scaler is fitted on the pooled training rows of every series;
        `window_norm: auto` compares the median of the series' seasonal strengths
        with the threshold.

        Raises:
            DataError: as `fit`, naming the series' origin.
        """
        states = []
        for name in columns:
            column_config = config.transform.for_column(name)
            if name in config.calendar_columns:  # a sine or cosine: already in [-1, 1], one scale in every window
                states.append(ColumnState(name=name, steps=[], scaler="none"))
                continue
            steps = []
            for step in column_config.steps:
                if isinstance(step, (data_config.LogStep, data_config.Log1pStep)):
                    steps.append({"type": step.type})
                elif isinstance(step, data_config.DiffStep):
                    steps.append({"type": "diff", "lag": step.lag})
                elif isinstance(step, data_config.SeasonalDiffStep):
                    steps.append({"type": "seasonal_diff", "lag": config.seasonal_period(step)})
            states.append(ColumnState(name=name, steps=steps, scaler=column_config.scaler))
        transform = cls(
            columns=list(columns),
            features=list(features),
            targets=list(targets),
            lookback=config.lookback,
            horizon=config.horizon,
            gap=config.gap,
            window_norm=config.window_norm.type,
            window_norm_mode=(
                "scale" if config.window_norm.type in SCALING_WINDOW_NORMS else config.window_norm.mode
            ),
            window_norm_period=config.period if config.window_norm.type == "seasonal_naive" else None,
            states=states,
            time_column=time_column,
            time_format=time_format,
            frequency=frequency,
            calendar=list(config.calendar),
            future=config.known_in_advance,
        )
        rows = []
        for values, fit_rows, origin in pieces:
            start = max(fit_rows.start or 0, transform.first_valid)
            stop = fit_rows.stop if fit_rows.stop is not None else len(values)
            if stop - start < 1:
                raise DataError(
                    f"{origin}: no training rows left to fit the scaler on (rows {start} to {stop}); differencing "
                    f"uses the first {transform.first_valid} row(s). Give more data or a smaller validation/test "
                    "split."
                )
            rows.append((values, start, stop, origin))

        def training_rows(j: int) -> list[np.ndarray]:
            return [_training_rows(values, j, states[j], start, stop, origin) for values, start, stop, origin in rows]

        if transform.window_norm == "auto":
            transform._choose_window_norm(config, training_rows, len(rows))
        for j, state in enumerate(states):
            if state.scaler == "none":
                continue
            fitted = np.concatenate(training_rows(j))
            if state.scaler == "standard":
                loc, scale = float(fitted.mean()), float(fitted.std())
            elif state.scaler == "robust":
                low, loc, high = np.percentile(fitted, [25, 50, 75])
                loc, scale = float(loc), float(high - low)
            else:
                loc, scale = float(fitted.min()), float(fitted.max() - fitted.min())
            state.loc, state.scale = loc, (scale if scale > 0 else 1.0)
        return transform

    def _choose_window_norm(self, config, training_rows: Callable[[int], list[np.ndarray]], pieces: int) -> None:
        """Resolve `window_norm: auto` from each series' training rows of the targets (after the column steps)."""
        period = config.period
        self.window_norm, self.window_norm_mode = "robust", "scale"
        if config.label is not None:
            self.window_norm_choice = "robust (the targets are classes)"
            return
        if period is None or period > self.lookback:
            reason = "no `data.period`" if period is None else f"period {period} is longer than the lookback"
            self.window_norm_choice = f"robust ({reason})"
            return
        weakest = min(
            float(np.median([seasonal_strength(rows, period) for rows in training_rows(j)]))
            for j in self.target_index
        )
        several = f"median over {pieces} series of the " if pieces > 1 else ""
        if weakest >= SEASONAL_STRENGTH_THRESHOLD:
            self.window_norm, self.window_norm_mode, self.window_norm_period = "seasonal_naive", "subtract", period
            self.window_norm_choice = (
                f"seasonal_naive ({several}seasonal strength {weakest:.2f} on the training rows, at least "
                f"{SEASONAL_STRENGTH_THRESHOLD})"
            )
        else:
            self.window_norm_choice = (
                f"robust ({several}seasonal strength {weakest:.2f} on the training rows, below "
                f"{SEASONAL_STRENGTH_THRESHOLD})"
            )

    # ------------------------------------------------------------------ properties

    @property
    def first_valid(self) -> int:
        """First row where every column is defined after differencing."""
        return max((state.total_lag for state in self.states), default=0)

    @property
    def feature_index(self) -> list[int]:
        return [self.columns.index(name) for name in self.features]

    @property
    def target_index(self) -> list[int]:
        return [self.columns.index(name) for name in self.targets]

    @property
    def calendar_columns(self) -> list[str]:
        """The columns `calendar` adds: `<name>_sin`, `<name>_cos` per feature."""
        return [f"{name}_{part}" for name in self.calendar for part in ("sin", "cos")]

    @property
    def future_index(self) -> list[int]:
        """Columns of the model-space array whose forecast-period values the model reads."""
        return [self.columns.index(name) for name in self.future]

    @property
    def fixed_index(self) -> list[int]:
        """Columns window normalisation leaves as they are (the calendar's)."""
        return [self.columns.index(name) for name in self.calendar_columns]

    @property
    def is_identity(self) -> bool:
        """True when stages 1 and 2 leave values unchanged (the series can be used without a copy)."""
        return all(not state.steps and state.scaler == "none" for state in self.states)

    # ------------------------------------------------------------------ forward

    def apply(self, values: np.ndarray, *, origin: str = "data", row_offset: int = 0) -> np.ndarray:
        """Column steps and scalers: original units to scaled space.

        Args:
            values: `(n_time, n_columns)` in original units, columns as `self.columns`.

        Returns:
            float32 C-contiguous `(n_time, n_columns)`; rows before `first_valid` are 0.
            When the transform is the identity and `values` is float32, `values` itself.
        """
        if self.is_identity:
            return np.ascontiguousarray(values, dtype=np.float32)
        out = np.empty(values.shape, dtype=np.float32)
        for j, state in enumerate(self.states):
            z = _stages(values[:, j], state, origin, row_offset)[-1]
            out[:, j] = (z - state.loc) / state.scale
        out[: self.first_valid] = 0.0
        return out

    def stages_of_targets(self, values: np.ndarray) -> list[list[np.ndarray]]:
        """Per target column, the full-length values before each differencing step (for contexts)."""
        result = []
        for j, name in enumerate(self.targets):
            state = self.states[self.columns.index(name)]
            stages = _stages(values[:, j], state, "data")
            result.append([stages[i] for i, step in enumerate(state.steps) if "lag" in step])
        return result

    def context_at(
        self, stages: list[list[np.ndarray]], target_starts: np.ndarray, ref: np.ndarray | None
    ) -> ForecastContext:
        """The `ForecastContext` of windows whose first targets are at `target_starts`.

        Args:
            stages: `stages_of_targets(targets_original)`.
            target_starts: int `(n,)` row of each window's first target.
            ref: `(n, 1 or horizon, n_targets)` scaled-space window references of the target
                columns, or None.
        """
        histories = []
        for j, name in enumerate(self.targets):
            state = self.states[self.columns.index(name)]
            lags = [step["lag"] for step in state.steps if "lag" in step]
            per_step = []
            for stage, lag in zip(stages[j], lags, strict=True):
                rows = target_starts[:, None] - lag + np.arange(lag)
                per_step.append(stage[rows])
            histories.append(per_step)
        return ForecastContext(ref=ref, histories=histories)

    # ------------------------------------------------------------------ inverse

    def to_original(self, y_model: np.ndarray, context: ForecastContext) -> np.ndarray:
        """Exact inverse of all three stages for targets.

        Args:
            y_model: `(n, horizon, n_targets)` in model space.
            context: The windows' `ForecastContext` (from `WindowSet` or `make_inputs`).

        Returns:
            float64 `(n, horizon, n_targets)` in original units.
        """
        y = np.asarray(y_model, dtype=np.float64)
        if y.ndim != 3 or y.shape[2] != len(self.targets):
            raise DataError(
                f"`y_model` must have shape (n, horizon, {len(self.targets)}) for targets {self.targets}; "
                f"received {y.shape}. Reshape the predictions."
            )
        if context.ref is not None:
            ref = np.asarray(context.ref, dtype=np.float64)
            if self.window_norm_mode == "scale":
                y = y * ref[:, 1:2] + ref[:, :1]
            else:
                y = y + ref if self.window_norm_mode == "subtract" else y * ref
        out = np.empty_like(y)
        for j, name in enumerate(self.targets):
            state = self.states[self.columns.index(name)]
            level = y[:, :, j] * state.scale + state.loc
            out[:, :, j] = _invert_steps(level, state, context.histories[j])
        return out

    # ------------------------------------------------------------------ inference on new data

    def make_inputs(
        self, frame, config: data_config.DataConfig | None = None
    ) -> tuple[np.ndarray, ForecastContext]:
        """Model input for forecasting the `horizon` steps after the end of `frame`.

        `frame` is read and checked exactly as training data is (`load_new_table`):
        the run's columns present, numbers only, the time column parsed, increasing,
        without duplicates and on the run's time grid, empty cells and missing time
        steps handled by `config.missing` (`error` when no config is given).

        Args:
            frame: A DataFrame with (at least) the columns `self.columns` (and the time
                column, if the model was trained with one), a CSV/Parquet path, or an
                array `(n, len(columns))` in that column order. Only the last
                `lookback + first_valid` rows feed the model.
            config: The run's data section (for its `missing` policy).

        Returns:
            (x float32 `(1, lookback, n_features)`, context for `to_original`). When
            timestamps are known, `context.times` holds the `horizon` forecast timestamps
            (starting `gap + 1` steps after the last row).

        Raises:
            DataError: missing columns, too few rows, non-numeric or missing cells, or
                timestamps out of order, duplicated or missing, naming the file, row and column.
        """
        if config is None:
            config = data_config.DataConfig(lookback=self.lookback, horizon=self.horizon, gap=self.gap)
        table, future = self.load_new(config, frame)
        return self.inputs_at_end(table.values, table.time_index, origin=sentence(table.origin), future=future)

    def load_new(self, config, frame, *, origin: str | None = None):
        """`(table, future rows or None)`: new data read as the run reads it, with the known future if it needs one.

        A run with `data.future` takes the trailing rows whose targets are all empty
        as the forecast period's known values (only the `future` columns need filling).
        """
        if not self.future:
            return load_new_table(config, self, frame, origin=origin), None
        given = [name for name in self.future if name not in self.calendar_columns]
        return load_new_table_with_future(config, self, frame, required=given, origin=origin)

    def inputs_at_end(
        self,
        series: np.ndarray,
        time_index: pd.DatetimeIndex | None = None,
        *,
        origin: str = "The data",
        future: FutureRows | None = None,
    ) -> tuple[np.ndarray, ForecastContext]:
        """Model input for forecasting the `horizon` steps after the last row of a checked series.

        What `make_inputs` does once its frame is read and checked; a forecast past
        the horizon calls it again on the series extended by its own forecasts.

        Args:
            series: `(n_time, len(columns))` in original units, columns as `self.columns`,
                already checked (`load_new_table`). Only the last `lookback + first_valid`
                rows are used.
            time_index: The rows' timestamps, or None.
            origin: The series' name opening a sentence, for messages.
            future: The rows after the last observation (`load_new_table_with_future`):
                a run with `data.future` reads their values at the `gap + horizon`
                steps that follow; calendar features come from the steps' timestamps.

        Returns:
            As `make_inputs`.

        Raises:
            DataError: fewer than `lookback + first_valid` rows; with `data.future`,
                fewer future rows than the forecast steps; with `data.calendar`, no
                timestamps to continue.
        """
        need = self.lookback + self.first_valid
        if len(series) < need:
            extra = f" plus {self.first_valid} for differencing" if self.first_valid else ""
            raise DataError(
                f"{origin} has {len(series)} row(s); forecasting needs at least {need} "
                f"(`lookback` {self.lookback}{extra}). Give a longer history."
            )
        values = series[-need:]
        known = None
        if self.future:
            ahead = self._known_rows(time_index, future, origin)
            scaled = self.apply(np.concatenate([values, ahead]), origin=origin, row_offset=len(series) - need)
            model, known = scaled[:need], scaled[None, need + self.gap :]
        else:
            model = self.apply(values, origin=origin, row_offset=len(series) - need)
        block = model[None, -self.lookback :, :].copy()
        ref = window_reference(block, self.window_norm, self.window_norm_mode)
        target_ref = target_reference(
            block, ref, self.window_norm, self.window_norm_mode,
            horizon=self.horizon, gap=self.gap, period=self.window_norm_period,
        )
        target_ref = None if target_ref is None else target_ref[:, :, self.target_index]
        x = window_inputs(
            block, ref, self.window_norm_mode, n_features=len(self.features), fixed_index=self.fixed_index,
            future=known, future_index=self.future_index,
        )
        stages = self.stages_of_targets(values[:, self.target_index])
        context = self.context_at(stages, np.array([len(values)]), target_ref)
        if self.frequency is not None and time_index is not None:
            steps = pd.date_range(time_index[-1], periods=self.gap + self.horizon + 1, freq=self.frequency)
            context.times = steps[self.gap + 1 :]
        return np.ascontiguousarray(x, dtype=np.float32), context

    def _known_rows(self, time_index, future: FutureRows | None, origin: str) -> np.ndarray:
        """float64 `(gap + horizon, n_columns)` in original units: the steps after the data, their known columns
        filled (`data.future` from the future rows, the calendar from the steps' timestamps), the rest NaN."""
        steps = self.gap + self.horizon
        rows = np.full((steps, len(self.columns)), np.nan)
        given = [name for name in self.future if name not in self.calendar_columns]
        have = 0 if future is None else len(future.values)
        if given and have < steps:
            raise DataError(
                f"{origin} must end with the known values of the {steps} step(s) it forecasts: the run reads "
                f"{given} (`data.future`) at every forecast step, so add {steps - have} more row(s) after the last "
                f"observation, each with every target ({self.targets}) empty and {given} filled ({have} given)."
            )
        if given:
            index = [self.columns.index(name) for name in given]
            rows[:, index] = future.values[:steps, index]
        if self.calendar:
            from seqkit.data.calendar import calendar_values

            if future is not None and future.time_index is not None and len(future.time_index) >= steps:
                times = future.time_index[:steps]
            elif time_index is not None and self.frequency is not None:
                times = pd.date_range(time_index[-1], periods=steps + 1, freq=self.frequency)[1:]
            else:
                raise DataError(
                    f"{origin}: the run reads calendar features ({self.calendar}) of the steps it forecasts, which "
                    "come from their timestamps, but the data has no regular time steps to continue. Give the "
                    f"time column `{self.time_column}` on the run's {self.frequency!r} grid."
                )
            rows[:, [self.columns.index(name) for name in self.calendar_columns]] = calendar_values(
                times, self.calendar
            )
        return rows

    # ------------------------------------------------------------------ JSON state

    def to_json(self) -> dict:
        """The fitted state as JSON-compatible data (no pickle)."""
        data = dataclasses.asdict(self)
        data["version"] = _JSON_VERSION
        return data

    @classmethod
    def from_json(cls, data: dict) -> Transform:
        """Rebuild a `Transform` saved by `to_json`.

        Raises:
            DataError: the data come from an unknown format version.
        """
        data = dict(data)
        version = data.pop("version", None)
        if version != _JSON_VERSION:
            raise DataError(
                f"Transform state has version {version!r}; this seqkit reads version {_JSON_VERSION}. "
                "Re-run the data preparation with this seqkit version."
            )
        data["states"] = [ColumnState(**state) for state in data["states"]]
        return cls(**data)
