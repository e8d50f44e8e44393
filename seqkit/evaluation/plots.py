"""PNG plots for a run directory: training curves, forecasts against actual, confusion matrices.

Each plot's data is computed by a pure function that returns plain arrays
(`loss_plot_data`, `forecast_plot_lines`, `confusion_cells`), so what a plot
shows can be tested exactly; the `plot_*` function draws it.

Matplotlib is imported inside the functions, and figures are drawn on an Agg
canvas directly (`matplotlib.figure.Figure`, not `pyplot`), so importing
seqkit never selects a backend, opens a window, or touches pyplot's global
figure list; this works the same on a headless server and in a notebook.
Files are written with `atomic_path`, so a killed run never leaves a
truncated PNG behind.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from seqkit.errors import DataError
from seqkit.evaluation.comparison import check_targets_inside
from seqkit.files import atomic_path


def figure_grid(width: float, height: float, rows: int = 1, cols: int = 1, *, sharex: bool = True):
    """A Figure (no pyplot: nothing global, safe in threads and notebooks) and its `(rows, cols)` axes."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:  # pragma: no cover - matplotlib is a dependency
        raise ImportError(
            "Plotting needs matplotlib. Install it with `pip install matplotlib`."
        ) from e
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(rows, cols, sharex=sharex, squeeze=False)


def _new_figure(width: float, height: float, rows: int = 1):
    fig, axes = figure_grid(width, height, rows)
    return fig, axes[:, 0]


def save_figure(fig: Any, path: str | os.PathLike[str], dpi: int = 100) -> Path:
    """Write a Figure to `path` as a PNG, atomically (a reader never sees half a file)."""
    return _save(fig, path, dpi)


def _save(fig: Any, path: str | os.PathLike[str], dpi: int) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    return path


@dataclasses.dataclass(frozen=True)
class LossPlot:
    """What `plot_history` draws: the data, free of matplotlib, so it can be checked exactly.

    Attributes:
        epochs: int `(n_epochs,)`: epoch numbers as the console prints them (1-based).
        panels: `{name: {key: float (n_epochs,)}}`: one panel per metric, `loss` first, each with
            its training curve and, when logged, its `val_` curve.
        best_epoch: The epoch whose weights the run kept (1-based), or None.
        best_point: `(key, epoch, value)`: where the best epoch lies on the monitored curve
            (`val_loss` when logged, else `loss`), or None.
    """

    epochs: np.ndarray
    panels: dict[str, dict[str, np.ndarray]]
    best_epoch: int | None = None
    best_point: tuple[str, int, float] | None = None


def loss_plot_data(
    history: Mapping[str, Sequence[float]], *, initial_epoch: int = 0, best_epoch: int | None = None
) -> LossPlot:
    """The curves and best-epoch marker `plot_history` draws.

    Args:
        history: `keras.callbacks.History.history`: one list per key, one value per epoch.
        initial_epoch: Epochs completed before the first value (Keras' `initial_epoch`); the
            first value is epoch `initial_epoch + 1`, as the console numbers it.
        best_epoch: The best epoch (1-based, as the console's "best epoch: N"), or None.

    Returns:
        A `LossPlot`.

    Raises:
        DataError: If `history` is empty, its lists differ in length, or `best_epoch` is not
            one of its epochs.
    """
    lengths = {key: len(values) for key, values in history.items()}
    if not lengths or max(lengths.values()) == 0 or len(set(lengths.values())) > 1:
        raise DataError(
            "`history` must hold at least one epoch and one value per epoch for "
            f"every key; received lengths {lengths}. Pass `History.history` "
            "from `Model.fit`."
        )
    groups: dict[str, list[str]] = {}
    for key in history:
        groups.setdefault(key.removeprefix("val_"), []).append(key)
    names = sorted(groups, key=lambda name: (name != "loss", list(history).index(groups[name][0])))
    panels = {
        name: {
            key: np.asarray(history[key], dtype=float)
            for key in sorted(groups[name], key=lambda k: k.startswith("val_"))
        }
        for name in names
    }
    epochs = initial_epoch + 1 + np.arange(next(iter(lengths.values())))
    if best_epoch is None:
        return LossPlot(epochs, panels)
    if best_epoch not in epochs:
        raise DataError(
            f"`best_epoch` must be one of the history's epochs, {int(epochs[0])} to {int(epochs[-1])} "
            f"(1-based, as the console prints them); received {best_epoch}."
        )
    monitored = "val_loss" if "val_loss" in history else "loss" if "loss" in history else None
    point = None
    if monitored is not None:
        point = (monitored, best_epoch, float(history[monitored][best_epoch - int(epochs[0])]))
    return LossPlot(epochs, panels, best_epoch, point)


def plot_history(
    history: Mapping[str, Sequence[float]],
    path: str | os.PathLike[str] | None = None,
    *,
    initial_epoch: int = 0,
    best_epoch: int | None = None,
    title: str = "Training history",
    dpi: int = 100,
) -> Any:  # the Path written, or the Figure
    """Plots training and validation curves to a PNG file, with the best epoch marked.

    Each metric gets one panel with its training and `val_` curves (`loss`
    with `val_loss`, `mae` with `val_mae`, ...), loss first (`loss_plot_data`).
    Epochs are numbered from 1, as the console prints them; the best epoch is a
    dotted vertical line labelled "best epoch N" on every panel, and a dot on
    the monitored curve. A panel switches to a log scale when its values span
    more than two orders of magnitude.

    Args:
        history: `keras.callbacks.History.history`: one list per key, one
            value per epoch.
        path: Destination `.png` file (its folder must exist), or None to return the
            `Figure` instead of writing it (for a notebook).
        initial_epoch: Epochs completed before the first value (Keras' `initial_epoch`).
        best_epoch: The epoch whose weights were kept (1-based), or None: no marker.
        title: Figure title.
        dpi: Resolution.

    Returns:
        `path`, as a `Path`; the `Figure` when `path` is None.

    Raises:
        DataError: See `loss_plot_data`.
    """
    data = loss_plot_data(history, initial_epoch=initial_epoch, best_epoch=best_epoch)
    fig, axes = _new_figure(8, 3 * len(data.panels), rows=len(data.panels))
    for ax, (name, curves) in zip(axes, data.panels.items(), strict=True):
        for key, values in curves.items():
            ax.plot(data.epochs, values, "--" if key.startswith("val_") else "-", label=key)
        if data.best_epoch is not None:
            ax.axvline(data.best_epoch, color="tab:red", linestyle=":", linewidth=1,
                       label=f"best epoch {data.best_epoch}")
        if data.best_point is not None and data.best_point[0] in curves:
            ax.plot(data.best_point[1], data.best_point[2], "o", color="tab:red")
        values = np.concatenate(list(curves.values()))
        positive = values[np.isfinite(values) & (values > 0)]
        if positive.size == values.size and positive.max() > 100 * positive.min():
            ax.set_yscale("log")
        ax.set_ylabel(name)
        ax.grid(True, alpha=0.3)
        ax.legend()
    from matplotlib.ticker import MaxNLocator

    axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[-1].set_xlabel("epoch")
    axes[0].set_title(title)
    return fig if path is None else _save(fig, path, dpi)


def _as_columns(name: str, value: Any, n: int) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    if array.ndim == 1:
        array = array[:, np.newaxis]
    if array.ndim != 2 or array.shape[0] != n:
        raise DataError(
            f"`{name}` must have shape ({n},) or ({n}, n_targets), one row per "
            f"entry of `times_or_steps`; received shape {array.shape}."
        )
    return array


def _is_datetime(x: np.ndarray) -> bool:
    if x.dtype.kind == "M":
        return True
    return x.dtype == object and all(isinstance(v, datetime.date) for v in x.flat)


def _label_x(ax: Any, dates: bool, label: str) -> None:
    """Concise date ticks on the bottom axis when x holds timestamps, else the axis label."""
    if dates:
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    else:
        ax.set_xlabel(label)


@dataclasses.dataclass(frozen=True)
class ForecastLines:
    """What `plot_forecast` draws, in original units: the data, free of matplotlib.

    x values are the series' timestamps, or its row numbers without them.

    Attributes:
        history_x, history_y: `(n_history,)` and `(n_history, n_targets)`: the series'
            last rows before the first forecast target.
        actual_x, actual_y: `(n_span,)` and `(n_span, n_targets)`: the series over the forecast
            span, from the first window's first target to the last window's last.
        segment_x: `(n_windows, horizon)`: the x of each window's target steps; window `w`'s
            forecasts are drawn over `segment_x[w]`, one segment per forecast origin.
        forecasts: `{label: (n_windows, horizon, n_targets)}`: each forecaster's full horizon
            from every origin, the model first.
        intervals: `{label: (lower, upper)}`, each `(n_windows, horizon, n_targets)`.
    """

    history_x: np.ndarray
    history_y: np.ndarray
    actual_x: np.ndarray
    actual_y: np.ndarray
    segment_x: np.ndarray
    forecasts: dict[str, np.ndarray]
    intervals: dict[str, tuple[np.ndarray, np.ndarray]]


def _windows_array(name: str, value: Any, n_windows: int) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    if array.ndim == 2:
        array = array[:, :, np.newaxis]
    if array.ndim != 3 or array.shape[0] != n_windows:
        raise DataError(
            f"`{name}` must have shape (n_windows, horizon, n_targets), one row per entry of "
            f"`target_starts` ({n_windows}); received shape {array.shape}."
        )
    return array


def forecast_plot_lines(
    series: np.ndarray,
    target_starts: Sequence[int] | np.ndarray,
    forecasts: Mapping[str, np.ndarray],
    *,
    times: Sequence[Any] | np.ndarray | None = None,
    history: int = 0,
    intervals: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> ForecastLines:
    """The history, actual values and every origin's whole forecast that `plot_forecast` draws.

    Window `w` forecasts rows `target_starts[w] .. target_starts[w] + horizon - 1` of `series`
    (the index contract of `seqkit.evaluation.baselines`); its forecasts keep all `horizon`
    steps, so nothing from one origin is joined to another's.

    Args:
        series: float `(n_time,)` or `(n_time, n_targets)`: the target series in original units.
        target_starts: int `(n_windows,)`: each window's first target row.
        forecasts: `{label: (n_windows, horizon, n_targets)}` (or `(n_windows, horizon)` for one
            target), all the same shape: the model's and its baselines'.
        times: `(n_time,)` timestamps of the series' rows, or None: row numbers.
        history: Rows before the first target to show (fewer when the series has fewer).
        intervals: `{label: (lower, upper)}`, each the shape of a forecast.

    Returns:
        A `ForecastLines`.

    Raises:
        DataError: If the shapes disagree, a window's targets run past `series`, or there is no
            window or no forecast.
    """
    values = np.asarray(series, dtype=float)
    if values.ndim == 1:
        values = values[:, np.newaxis]
    starts = np.asarray(target_starts)
    if values.ndim != 2 or starts.ndim != 1 or starts.size == 0 or not np.issubdtype(starts.dtype, np.integer):
        raise DataError(
            "`series` must have shape (n_time,) or (n_time, n_targets) and `target_starts` be a non-empty "
            f"1-D integer array; received shapes {values.shape} and {starts.shape}."
        )
    if not forecasts:
        raise DataError("`forecasts` is empty; pass {label: (n_windows, horizon, n_targets)}, the model first.")
    arrays = {label: _windows_array(f"forecasts[{label!r}]", f, starts.size) for label, f in forecasts.items()}
    bands = {
        label: (_windows_array(f"intervals[{label!r}]", low, starts.size),
                _windows_array(f"intervals[{label!r}]", high, starts.size))
        for label, (low, high) in (intervals or {}).items()
    }
    shape = next(iter(arrays.values())).shape
    for label, array in [*arrays.items(), *((f"interval {k!r}", b) for k, pair in bands.items() for b in pair)]:
        if array.shape != shape or shape[2] != values.shape[1]:
            raise DataError(
                f"Every forecast and interval must have shape (n_windows, horizon, {values.shape[1]}), the "
                f"series' targets; {label} has {array.shape}, the first forecast {shape}."
            )
    horizon = shape[1]
    check_targets_inside(values, starts, horizon, "forecasts")
    first, end = int(starts.min()), int(starts.max()) + horizon
    x = np.arange(values.shape[0]) if times is None else np.asarray(times)
    if x.shape != (values.shape[0],):
        raise DataError(f"`times` must hold one timestamp per row of `series` ({values.shape[0]}); received {x.shape}.")
    shown = np.arange(max(0, first - history), first)
    span = np.arange(first, end)
    return ForecastLines(
        history_x=x[shown],
        history_y=values[shown],
        actual_x=x[span],
        actual_y=values[span],
        segment_x=x[starts[:, np.newaxis] + np.arange(horizon)],
        forecasts=arrays,
        intervals=bands,
    )


def plot_forecast(
    series: np.ndarray,
    target_starts: Sequence[int] | np.ndarray,
    forecasts: Mapping[str, np.ndarray],
    path: str | os.PathLike[str] | None = None,
    *,
    times: Sequence[Any] | np.ndarray | None = None,
    history: int = 0,
    intervals: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
    title: str = "Forecast from every test origin against actual",
    target_names: Sequence[str] | None = None,
    dpi: int = 100,
) -> Any:  # the Path written, or the Figure
    """Plots every forecast origin's whole horizon over the series, in original units, to a PNG file.

    The recent history (grey) runs into the actual values over the forecast span (black); each
    forecaster draws one thin line per origin (window), over that window's own target steps,
    the model solid and the baselines dashed, more transparent the more origins there are;
    intervals are shaded per origin behind them. One panel per target. The data drawn is
    `forecast_plot_lines(series, target_starts, forecasts, ...)`.

    Args:
        series, target_starts, forecasts, times, history, intervals: As `forecast_plot_lines`;
            `forecasts` labels are the legend's (e.g. `{"model": ..., "naive": ...,
            "seasonal naive": ...}`), and `intervals` labels too (`{"80% interval": (q0.1, q0.9)}`,
            widest first).
        path: Destination `.png` file (its folder must exist), or None to return the
            `Figure` instead of writing it (for a notebook).
        title: Figure title (e.g. with the headline metric, `report.headline`).
        target_names: One name per target, used as panel labels.
        dpi: Resolution.

    Returns:
        `path`, as a `Path`; the `Figure` when `path` is None.

    Raises:
        DataError: If the shapes disagree (see `forecast_plot_lines`) or `target_names` has the
            wrong length.
    """
    lines = forecast_plot_lines(series, target_starts, forecasts, times=times, history=history, intervals=intervals)
    n_windows, horizon, n_targets = next(iter(lines.forecasts.values())).shape
    if target_names is not None and len(target_names) != n_targets:
        raise DataError(
            f"`target_names` must have one name per target ({n_targets}); "
            f"received {list(target_names)}."
        )
    from matplotlib.collections import LineCollection, PolyCollection

    dates = _is_datetime(lines.actual_x)
    if dates:
        from matplotlib.dates import date2num

        segment_x = date2num(lines.segment_x.ravel()).reshape(lines.segment_x.shape)
    else:
        segment_x = lines.segment_x.astype(float)
    # Thin lines, fainter as they overlap: every row lies under up to min(n_windows, horizon) of them.
    overlap = min(n_windows, horizon)
    line_alpha = max(0.15, min(1.0, 2.5 / overlap))
    band_alpha = max(0.03, 0.3 / overlap)
    bands_labels = {f"model {label}" for label in lines.intervals}
    fig, axes = _new_figure(12, 3.5 * n_targets + 0.4, rows=n_targets)
    for j, ax in enumerate(axes):
        if lines.history_x.size:  # drawn up to the first actual value, so the two lines join
            ax.plot(np.concatenate([lines.history_x, lines.actual_x[:1]]),
                    np.concatenate([lines.history_y[:, j], lines.actual_y[:1, j]]),
                    color="0.55", linewidth=1.2, label="history")
        ax.plot(lines.actual_x, lines.actual_y[:, j], color="black", linewidth=1.5, label="actual")
        for k, (label, (low, high)) in enumerate(lines.intervals.items()):
            if horizon == 1:  # one step per origin: a bar from the lower to the upper bound
                ax.vlines(segment_x[:, 0], low[:, 0, j], high[:, 0, j], color="C0", alpha=0.3 * (1 + k) / 2,
                          linewidth=3, label=f"model {label}")
                continue
            polygons = [
                np.column_stack([np.concatenate([segment_x[w], segment_x[w][::-1]]),
                                 np.concatenate([low[w, :, j], high[w, ::-1, j]])])
                for w in range(n_windows)
            ]
            ax.add_collection(PolyCollection(polygons, facecolor="C0", alpha=band_alpha * (1 + k),
                                             linewidth=0, label=f"model {label}"))
        for k, (label, values) in enumerate(lines.forecasts.items()):
            if k == 0:
                label = f"{label} ({horizon}-step forecast from each of {n_windows} origins)"
            if horizon == 1:  # a one-point segment draws nothing: a marker per origin instead
                ax.plot(segment_x[:, 0], values[:, 0, j], linestyle="none", marker="o" if k == 0 else "x",
                        markersize=4, color=f"C{k % 10}", alpha=line_alpha, label=label)
                continue
            segments = np.stack([segment_x, values[:, :, j]], axis=-1)
            ax.add_collection(LineCollection(
                segments, colors=f"C{k % 10}", linewidths=1.2 if k == 0 else 0.9, alpha=line_alpha,
                linestyles="solid" if k == 0 else "dashed", label=label,
            ))
        ax.autoscale_view()
        if target_names is not None:
            ax.set_ylabel(str(target_names[j]))
        ax.grid(True, alpha=0.3)
        legend = ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the lines
        for handle, text in zip(legend.legend_handles, legend.texts, strict=True):
            handle.set_alpha(0.35 if text.get_text() in bands_labels else 1.0)
    _label_x(axes[-1], dates, "row")
    axes[0].set_title(title)
    return fig if path is None else _save(fig, path, dpi)


def plot_backtest(
    times_or_steps: Sequence[Any] | np.ndarray,
    actual: np.ndarray,
    forecasts: Sequence[tuple[np.ndarray, np.ndarray]],
    path: str | os.PathLike[str] | None = None,
    *,
    origins: Sequence[int] = (),
    title: str = "Backtest: every fold's forecasts against the actual series",
    target_names: Sequence[str] | None = None,
    dpi: int = 100,
) -> Any:  # the Path written, or the Figure
    """Plots each backtest fold's forecasts over the actual series, to a PNG file.

    Every forecast window is drawn over its whole horizon, one colour per fold,
    and each fold's forecast origin is marked with a dotted line.

    Args:
        times_or_steps: `(n,)` x values of the series' rows (timestamps or row numbers).
        actual: float `(n,)` or `(n, n_targets)`: the series in original units.
        forecasts: One `(rows, values)` per fold: int `(n_windows, horizon)` rows
            of `times_or_steps` that each forecast step is for, and float
            `(n_windows, horizon, n_targets)` the forecasts.
        path: Destination `.png` file (its folder must exist), or None to return the
            `Figure` instead of writing it (for a notebook).
        origins: Each fold's origin row, marked on the plot.
        title: Figure title.
        target_names: One name per target, used as panel labels.
        dpi: Resolution.

    Returns:
        `path`, as a `Path`; the `Figure` when `path` is None.

    Raises:
        DataError: If the shapes disagree.
    """
    x = np.asarray(times_or_steps)
    if x.ndim != 1 or x.size == 0:
        raise DataError(f"`times_or_steps` must be a non-empty 1-D sequence; received shape {x.shape}.")
    actual = _as_columns("actual", actual, x.shape[0])
    for fold, (rows, values) in enumerate(forecasts):
        if np.shape(values) != (*np.shape(rows), actual.shape[1]):
            raise DataError(
                f"fold {fold}'s forecasts must have shape (n_windows, horizon, {actual.shape[1]}) matching its rows "
                f"{np.shape(rows)}; received {np.shape(values)}."
            )
    first = min([int(np.min(rows)) for rows, _ in forecasts], default=0)
    shown = slice(max(0, first - (x.shape[0] - first)), x.shape[0])  # as much history as the backtested span
    fig, axes = _new_figure(10, 3.5 * actual.shape[1], rows=actual.shape[1])
    colours = [f"C{i % 10}" for i in range(len(forecasts))]
    for j, ax in enumerate(axes):
        ax.plot(x[shown], actual[shown, j], color="black", linewidth=1.5, label="actual")
        for fold, ((rows, values), colour) in enumerate(zip(forecasts, colours, strict=True)):
            for w in range(len(rows)):
                ax.plot(x[rows[w]], values[w, :, j], color=colour, linewidth=1, alpha=0.8,
                        label=f"fold {fold + 1}" if w == 0 else None)
        for origin, colour in zip(origins, colours, strict=False):
            ax.axvline(x[origin], color=colour, linestyle=":", linewidth=1)
        if target_names is not None:
            ax.set_ylabel(str(target_names[j]))
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small", ncol=2)
    _label_x(axes[-1], _is_datetime(x), "row")
    axes[0].set_title(title)
    return fig if path is None else _save(fig, path, dpi)


def plot_search(
    objectives: Sequence[float | None],
    path: str | os.PathLike[str] | None = None,
    *,
    objective: str,
    direction: str,
    labels: Sequence[str] | None = None,
    dpi: int = 100,
) -> Any:  # the Path written, or the Figure
    """Plots a search's objective per trial, with the best value so far, to a PNG file.

    Args:
        objectives: One value per trial in the order the trials ran; None for a
            failed trial (marked with an `x` on the axis).
        path: Destination `.png` file (its folder must exist), or None to return the
            `Figure` instead of writing it (for a notebook).
        objective: The objective's name, for the axis (`val_loss`).
        direction: `min` or `max`: which way the running best moves.
        labels: Trial ids for the x axis (default 1, 2, ...).
        dpi: Resolution.

    Returns:
        `path`, as a `Path`; the `Figure` when `path` is None.

    Raises:
        DataError: If there is no trial.
    """
    if not objectives:
        raise DataError("`objectives` must hold at least one trial")
    x = np.arange(1, len(objectives) + 1)
    values = np.array([np.nan if v is None else float(v) for v in objectives])
    better = np.fmin if direction == "min" else np.fmax
    running = better.accumulate(values)
    fig, axes = _new_figure(8, 4)
    ax = axes[0]
    done = np.isfinite(values)
    ax.plot(x[done], values[done], "o", label=objective)
    ax.step(x, running, where="post", label=f"best so far ({direction})")
    if (~done).any():
        low = np.nanmin(values) if done.any() else 0.0
        ax.plot(x[~done], np.full((~done).sum(), low), "x", color="red", label="failed")
    if done.any() and values[done].min() > 0 and values[done].max() > 100 * values[done].min():
        ax.set_yscale("log")
    ax.set_xticks(x, list(labels) if labels is not None else [str(i) for i in x])
    ax.set_xlabel("trial")
    ax.set_ylabel(objective)
    ax.grid(True, alpha=0.3)
    ax.legend()
    ax.set_title("Search: objective per trial")
    return fig if path is None else _save(fig, path, dpi)


@dataclasses.dataclass(frozen=True)
class ConfusionCells:
    """What `plot_confusion_matrix` draws in each cell.

    Attributes:
        counts: int `(n_classes, n_classes)`: windows of true class `i` predicted as `j`.
        shares: float, the same shape: each count over its true class's windows (row-normalised,
            the recall on the diagonal); NaN in the row of a class with no window.
        text: The cell labels, `"count\\n(share%)"`.
    """

    counts: np.ndarray
    shares: np.ndarray
    text: list[list[str]]


def confusion_cells(confusion: Sequence[Sequence[int]] | np.ndarray) -> ConfusionCells:
    """Counts, row shares and cell labels of a confusion matrix (`classification_metrics`' `[true][predicted]`).

    Raises:
        DataError: If `confusion` is not a square matrix of whole counts.
    """
    counts = np.asarray(confusion)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.size == 0 or (
        not np.issubdtype(counts.dtype, np.integer) or counts.min() < 0
    ):
        raise DataError(
            "`confusion` must be a square matrix of counts, [true class][predicted class], as "
            f"`classification_metrics` returns; received shape {counts.shape} and dtype {counts.dtype}."
        )
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(totals > 0, counts / np.maximum(totals, 1), np.nan)
    text = [
        [f"{counts[i, j]}\n({'n/a' if np.isnan(shares[i, j]) else f'{100 * shares[i, j]:.0f}%'})"
         for j in range(counts.shape[1])]
        for i in range(counts.shape[0])
    ]
    return ConfusionCells(counts, shares, text)


def plot_confusion_matrix(
    confusion: Sequence[Sequence[int]] | np.ndarray,
    class_names: Sequence[str],
    path: str | os.PathLike[str] | None = None,
    *,
    title: str = "Confusion matrix",
    dpi: int = 100,
) -> Any:  # the Path written, or the Figure
    """Plots a confusion matrix, true classes down and predicted across, to a PNG file.

    Each cell shows its count and, in brackets, its share of the true class's windows; the
    colour is that share, so the diagonal reads as each class's recall.

    Args:
        confusion: `[true][predicted]` counts (`classification_metrics(...)["confusion_matrix"]`).
        class_names: One name per class, in the matrix's order.
        path: Destination `.png` file (its folder must exist), or None to return the
            `Figure` instead of writing it (for a notebook).
        title: Figure title.
        dpi: Resolution.

    Returns:
        `path`, as a `Path`; the `Figure` when `path` is None.

    Raises:
        DataError: If `confusion` is not a square matrix of counts, or `class_names` has the
            wrong length.
    """
    cells = confusion_cells(confusion)
    n = cells.counts.shape[0]
    if len(class_names) != n:
        raise DataError(f"`class_names` must have one name per class ({n}); received {list(class_names)}.")
    size = 2.5 + 0.7 * n
    fig, axes = _new_figure(size + 1, size)
    ax = axes[0]
    image = ax.imshow(np.nan_to_num(cells.shares), cmap="Blues", vmin=0.0, vmax=1.0)
    for i in range(n):
        for j in range(n):
            dark = np.nan_to_num(cells.shares[i, j]) > 0.5
            ax.text(j, i, cells.text[i][j], ha="center", va="center", fontsize="small",
                    color="white" if dark else "black")
    names = [str(name) for name in class_names]
    ax.set_xticks(np.arange(n), names, rotation=45 if n > 3 else 0, ha="right" if n > 3 else "center")
    ax.set_yticks(np.arange(n), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    fig.colorbar(image, ax=ax, label="share of the true class")
    ax.set_title(title)
    return fig if path is None else _save(fig, path, dpi)
