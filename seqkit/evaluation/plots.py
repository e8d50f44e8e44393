"""PNG plots for a run directory: training curves and forecast against actual.

Matplotlib is imported inside the functions, and figures are drawn on an Agg
canvas directly (`matplotlib.figure.Figure`, not `pyplot`), so importing
seqkit never selects a backend, opens a window, or touches pyplot's global
figure list; this works the same on a headless server and in a notebook.
Files are written with `atomic_path`, so a killed run never leaves a
truncated PNG behind.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from seqkit.errors import DataError
from seqkit.files import atomic_path


def _new_figure(width: float, height: float, rows: int = 1):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:  # pragma: no cover - matplotlib is a dependency
        raise ImportError(
            "Plotting needs matplotlib. Install it with `pip install matplotlib`."
        ) from e
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    return fig, axes


def _save(fig: Any, path: str | os.PathLike[str], dpi: int) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    return path


def plot_history(
    history: Mapping[str, Sequence[float]],
    path: str | os.PathLike[str],
    *,
    initial_epoch: int = 0,
    title: str = "Training history",
    dpi: int = 100,
) -> Path:
    """Plots training and validation curves to a PNG file.

    Each metric gets one panel with its training and `val_` curves (`loss`
    with `val_loss`, `mae` with `val_mae`, ...), loss first. A panel switches
    to a log scale when its values span more than two orders of magnitude.

    Args:
        history: `keras.callbacks.History.history`: one list per key, one
            value per epoch.
        path: Destination `.png` file. Its folder must exist.
        initial_epoch: Epoch number of the first value (as in `history.csv`).
        title: Figure title.
        dpi: Resolution.

    Returns:
        `path`, as a `Path`.

    Raises:
        DataError: If `history` is empty or its lists differ in length.
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
    names = sorted(
        groups, key=lambda name: (name != "loss", list(history).index(groups[name][0]))
    )

    fig, axes = _new_figure(8, 3 * len(names), rows=len(names))
    epochs = initial_epoch + np.arange(next(iter(lengths.values())))
    for ax, name in zip(axes, names, strict=True):
        for key in sorted(groups[name], key=lambda k: k.startswith("val_")):
            style = "--" if key.startswith("val_") else "-"
            ax.plot(epochs, np.asarray(history[key], dtype=float), style, label=key)
        values = np.concatenate(
            [np.asarray(history[k], dtype=float) for k in groups[name]]
        )
        positive = values[np.isfinite(values) & (values > 0)]
        if positive.size == values.size and positive.max() > 100 * positive.min():
            ax.set_yscale("log")
        ax.set_ylabel(name)
        ax.grid(True, alpha=0.3)
        ax.legend()
    axes[-1].set_xlabel("epoch")
    axes[0].set_title(title)
    return _save(fig, path, dpi)


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


def plot_forecast(
    times_or_steps: Sequence[Any] | np.ndarray,
    actual: np.ndarray,
    predicted: np.ndarray,
    path: str | os.PathLike[str],
    *,
    baseline: np.ndarray | Mapping[str, np.ndarray] | None = None,
    title: str = "Forecast against actual, test period",
    target_names: Sequence[str] | None = None,
    dpi: int = 100,
) -> Path:
    """Plots forecasts against actual values, in original units, to a PNG file.

    All series share the x values. To show one-step-ahead forecasts over the
    test period, pass `times[target_starts]`, `series[target_starts]` and
    `y_pred[:, 0, :]`; to show one window's whole horizon, pass its slice.
    NaN leaves a gap (e.g. steps a forecast does not cover).

    Args:
        times_or_steps: `(n,)` x values: timestamps (`np.datetime64`, a
            pandas `DatetimeIndex`, `datetime` objects), shown as dates, or
            step numbers.
        actual: float `(n,)` or `(n, n_targets)`.
        predicted: Same shape as `actual`: the model's forecast.
        path: Destination `.png` file. Its folder must exist.
        baseline: Optional forecasts to draw too, same shape as `actual`: one
            array (labelled "baseline") or `{label: array}`.
        title: Figure title.
        target_names: One name per target, used as panel labels.
        dpi: Resolution.

    Returns:
        `path`, as a `Path`.

    Raises:
        DataError: If the shapes disagree or `target_names` has the wrong
            length.
    """
    x = np.asarray(times_or_steps)
    if x.ndim != 1 or x.size == 0:
        raise DataError(
            "`times_or_steps` must be a non-empty 1-D sequence; received shape "
            f"{x.shape}."
        )
    n = x.shape[0]
    actual = _as_columns("actual", actual, n)
    predicted = _as_columns("predicted", predicted, n)
    if predicted.shape != actual.shape:
        raise DataError(
            "`predicted` must have the same shape as `actual`; received "
            f"{predicted.shape} and {actual.shape}."
        )
    if baseline is None:
        baselines: dict[str, np.ndarray] = {}
    elif isinstance(baseline, Mapping):
        baselines = {
            label: _as_columns(f"baseline[{label!r}]", b, n)
            for label, b in baseline.items()
        }
    else:
        baselines = {"baseline": _as_columns("baseline", baseline, n)}
    for label, b in baselines.items():
        if b.shape != actual.shape:
            raise DataError(
                f"Baseline {label!r} must have the same shape as `actual`; "
                f"received {b.shape} and {actual.shape}."
            )
    n_targets = actual.shape[1]
    if target_names is not None and len(target_names) != n_targets:
        raise DataError(
            f"`target_names` must have one name per target ({n_targets}); "
            f"received {list(target_names)}."
        )

    fig, axes = _new_figure(10, 3.5 * n_targets, rows=n_targets)
    dates = _is_datetime(x)
    for j, ax in enumerate(axes):
        ax.plot(x, actual[:, j], color="black", linewidth=1.5, label="actual")
        ax.plot(x, predicted[:, j], color="tab:blue", label="model")
        for label, b in baselines.items():
            ax.plot(x, b[:, j], linestyle="--", linewidth=1, label=label)
        if target_names is not None:
            ax.set_ylabel(str(target_names[j]))
        ax.grid(True, alpha=0.3)
        ax.legend()
    if dates:
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

        locator = AutoDateLocator()
        axes[-1].xaxis.set_major_locator(locator)
        axes[-1].xaxis.set_major_formatter(ConciseDateFormatter(locator))
    else:
        axes[-1].set_xlabel("step")
    axes[0].set_title(title)
    return _save(fig, path, dpi)


def plot_search(
    objectives: Sequence[float | None],
    path: str | os.PathLike[str],
    *,
    objective: str,
    direction: str,
    labels: Sequence[str] | None = None,
    dpi: int = 100,
) -> Path:
    """Plots a search's objective per trial, with the best value so far, to a PNG file.

    Args:
        objectives: One value per trial in the order the trials ran; None for a
            failed trial (marked with an `x` on the axis).
        path: Destination `.png` file. Its folder must exist.
        objective: The objective's name, for the axis (`val_loss`).
        direction: `min` or `max`: which way the running best moves.
        labels: Trial ids for the x axis (default 1, 2, ...).
        dpi: Resolution.

    Returns:
        `path`, as a `Path`.

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
    return _save(fig, path, dpi)
