"""Every plot seqkit draws, as a function that returns a matplotlib Figure: for notebooks, nothing is written.

A run's plots (`plots/` of its directory) come from the run's task, exactly
as training drew them (`Task.figures`): the loss curves, a forecast run's
forecasts next to its baselines (with its central intervals for a quantile
run), a panel's worst, median and best series, a classifier's confusion
matrix. A search's leaderboard plot comes from its tuning directory, a
backtest's folds from the result `seqkit.backtest` returns. The
cell figures (`draw_cell`, `plot_gates`, `plot_gradient_norms`) are here too.

Example:
    ```python
    import seqkit.plots

    seqkit.plots.loss_curves(run)        # a Run or a run directory
    seqkit.plots.forecast(run)           # the test forecasts, re-scored from the saved model
    seqkit.plots.draw_cell("gru")
    ```
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seqkit.errors import RunError
from seqkit.evaluation.cells import draw_cell, plot_gates, plot_gradient_norms

__all__ = [
    "backtest", "confusion_matrix", "draw_cell", "forecast", "loss_curves", "plot_gates", "plot_gradient_norms",
    "run_figures", "search",
]


def _run(source):
    from seqkit.inference.run import Run, load_run

    return source if isinstance(source, Run) else load_run(source)


def _history(run) -> tuple[dict, int | None]:
    """The run's logged epochs and the epoch it kept (the lowest monitored value, as the checkpoint chose)."""
    import numpy as np

    from seqkit.files import read_history_csv
    from seqkit.inference.run import HISTORY

    history, initial = read_history_csv(run.path / HISTORY)
    monitored = history.get("val_loss") or history.get("loss")
    best = None if not monitored else initial + int(np.nanargmin(np.asarray(monitored, dtype=float))) + 1
    return history, best


def run_figures(source) -> dict[str, Any]:
    """Every plot the run's `plots/` holds, by file name, drawn again from its files.

    The test split is scored again by the saved model on the run's own data (as
    `Run.evaluate` does), so this needs the data the run was trained on.

    Args:
        source: A `Run` or a run directory.

    Returns:
        `{file name: Figure}`.
    """
    run = _run(source)
    history, best = _history(run)
    prepared = run.task.prepare(preprocessing=run.preprocessing)
    evaluation = run.task.evaluate(run.model, prepared)
    return run.task.figures(history, evaluation, run.preprocessing, best_epoch=best)


def loss_curves(source):
    """The run's loss (and metric) curves per epoch, training and validation, the kept epoch marked."""
    from seqkit.evaluation import plot_history

    run = _run(source)
    history, best = _history(run)
    if not history.get("loss"):
        raise RunError(f"{run.path} has no logged epochs (history.csv is empty); nothing to draw")
    return plot_history(history, best_epoch=best)


def _one(source, name: str, what: str):
    run = _run(source)
    figures = run_figures(run)
    if name not in figures:
        raise RunError(f"a {run.task.title} run draws no {what}; its plots are {sorted(figures)}")
    return figures[name]


def forecast(source):
    """A forecast run's test forecasts from every origin next to its baselines (and its intervals, for quantiles).

    For a panel, the worst series by MASE (`run_figures` has the median and best too).
    """
    run = _run(source)
    return _one(run, "forecast_worst.png" if run.task.name == "forecast_panel" else "forecast.png", "forecast plot")


def confusion_matrix(source):
    """A classifier's confusion matrix on its scored split."""
    return _one(source, "confusion_matrix.png", "confusion matrix")


def backtest(result):
    """A backtest's `backtest.png`: every fold's forecasts against the actual series (`seqkit.backtest`'s result)."""
    return result.figure()


def search(tuning_dir: str | Path):
    """A search's objective per trial, in trial order, with the best so far (what `seqkit tune` draws)."""
    from seqkit.config.loading import load_config
    from seqkit.evaluation import plot_search
    from seqkit.tuning.results import CONFIG, read_trials

    folder = Path(tuning_dir)
    config = load_config(folder / CONFIG)
    trials = read_trials(folder, config)
    if not trials:
        raise RunError(f"the search in '{folder}' has no trials yet; nothing to draw")
    objective = config.tune.objective
    return plot_search([t.objective for t in trials], objective=objective.name, direction=objective.direction,
                       labels=[t.trial_id for t in trials])
