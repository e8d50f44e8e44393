"""`seqkit.plots`: every plot a run writes, as a Figure for a notebook, drawn by the same code as the files."""

from __future__ import annotations

import pytest

import seqkit
from seqkit.errors import RunError


def test_a_runs_figures_are_the_plots_its_task_writes(finished_run, tmp_path):
    from matplotlib.figure import Figure

    figures = seqkit.plots.run_figures(finished_run)
    assert set(figures) == {"loss.png", "forecast.png"} and all(isinstance(f, Figure) for f in figures.values())
    forecast = seqkit.plots.forecast(finished_run)
    assert "Test forecasts" in forecast.axes[0].get_title()
    loss = seqkit.plots.loss_curves(seqkit.load_run(finished_run))
    assert {line.get_label() for line in loss.axes[0].get_lines()} >= {"loss", "val_loss"}
    with pytest.raises(RunError, match="draws no confusion matrix"):
        seqkit.plots.confusion_matrix(finished_run)
    # What training writes is these figures saved: the same task code draws both.
    run = seqkit.load_run(finished_run)
    run.task.write_plots(tmp_path, {"loss": [1.0, 0.5]}, run.task.evaluate(run.model, run.task.prepare(
        preprocessing=run.preprocessing)), run.preprocessing, best_epoch=2)
    assert {path.name for path in tmp_path.glob("*.png")} == {"loss.png", "forecast.png"}


def test_the_plot_functions_return_a_figure_without_a_path():
    from matplotlib.figure import Figure

    from seqkit.evaluation import plot_confusion_matrix, plot_history

    assert isinstance(plot_history({"loss": [3.0, 2.0, 1.5]}), Figure)
    assert isinstance(plot_confusion_matrix([[3, 1], [0, 4]], ["a", "b"]), Figure)
    assert isinstance(seqkit.plots.draw_cell("gru"), Figure)
