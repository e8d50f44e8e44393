"""The `evaluate:` section: how a trained model is judged."""

from __future__ import annotations

from pydantic import Field

from seqkit.config.base import Section


class EvaluateConfig(Section):
    """Evaluation on the held-out test split, next to naive baselines.

    Attributes:
        seasonal_period: Season length in steps for the seasonal-naive baseline
            and MASE; default: inferred from the time column's frequency
            (monthly 12, daily 7, hourly 24, ...).
        plots: Write PNG plots into the run directory.
    """

    seasonal_period: int | None = Field(default=None, gt=1)
    plots: bool = True
