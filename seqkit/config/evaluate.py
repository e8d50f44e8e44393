"""The `evaluate:` section: how a trained model is judged."""

from __future__ import annotations

from seqkit.config.base import Section


class EvaluateConfig(Section):
    """Evaluation on the held-out test split, next to the naive and seasonal-naive forecasts.

    The seasonal period of the seasonal-naive baseline and of MASE is
    `data.period`, else the shipped dataset's, else inferred from the time
    column's frequency (monthly 12, daily 7, hourly 24, ...).

    Attributes:
        plots: Write PNG plots into the run directory's `plots/`: the loss curves, and the
            forecast from every test origin against the actual values (forecasts) or the
            confusion matrix (classifiers).
    """

    plots: bool = True
