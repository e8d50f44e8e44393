"""Data preparation: sources, shipped datasets, leakage-safe splits, transforms and zero-copy windows.

Public API:
    prepare(config, *, frame=None, base_dir=None) -> PreparedData
    describe_spec(config, base_dir=None) -> SeriesSpec
    list_datasets() -> list[DatasetInfo]
    load_text(name) -> str
    prepare_text(config, *, text=None, base_dir=None, vocabulary=None) -> PreparedText
"""

from seqkit.data.datasets import DatasetInfo, list_datasets, load_dataset, load_text
from seqkit.data.pipeline import PreparedData, SeriesSpec, describe_spec, prepare
from seqkit.data.sources import DataWarning
from seqkit.data.text import (
    PreparedText,
    TextSpec,
    TokenWindows,
    Vocabulary,
    prepare_text,
)
from seqkit.data.transforms import ForecastContext, Transform
from seqkit.data.windows import Windows, WindowSet

__all__ = [
    "DataWarning",
    "DatasetInfo",
    "ForecastContext",
    "PreparedData",
    "PreparedText",
    "SeriesSpec",
    "TextSpec",
    "TokenWindows",
    "Transform",
    "Vocabulary",
    "WindowSet",
    "Windows",
    "describe_spec",
    "list_datasets",
    "load_dataset",
    "load_text",
    "prepare",
    "prepare_text",
]
