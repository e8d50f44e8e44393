"""The `data:` section: where the series comes from and how it is windowed."""

from __future__ import annotations

from pydantic import Field

from seqkit.config.base import Section


class DataConfig(Section):
    """Source and windowing of the data a model is trained on.

    Attributes:
        dataset: Name of a dataset shipped inside seqkit (see `seqkit datasets`).
        path: A CSV or Parquet file, relative to the config file's folder.
        time_column: Column parsed as datetime and used for timestamps.
        features: Input columns; default: every numeric column.
        targets: Columns to forecast; default: the features.
        lookback: Time steps in each input window.
        horizon: Time steps forecast from each window.
        stride: Steps between the starts of consecutive windows.
        gap: Steps between the last input step and the first target step.
    """

    dataset: str | None = None
    path: str | None = None
    time_column: str | None = None
    features: list[str] | None = None
    targets: list[str] | None = None
    lookback: int = Field(gt=0)
    horizon: int = Field(default=1, gt=0)
    stride: int = Field(default=1, gt=0)
    gap: int = Field(default=0, ge=0)
