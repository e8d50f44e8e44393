"""The `tune:` section: hyperparameter search with KerasTuner."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from seqkit.config.base import Section


class TuneConfig(Section):
    """Search settings; the search space itself is filled in by the tuning module.

    Attributes:
        algorithm: KerasTuner oracle: `hyperband`, `random` or `bayesian`.
        max_trials: Trials for random and Bayesian search.
        max_epochs: Epochs per model at the top Hyperband bracket.
        objective: Metric the search minimises.
    """

    algorithm: Literal["hyperband", "random", "bayesian"] = "hyperband"
    max_trials: int = Field(default=20, gt=0)
    max_epochs: int = Field(default=30, gt=0)
    objective: str = "val_loss"
