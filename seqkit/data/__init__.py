"""Data preparation: sources, shipped datasets, leakage-safe splits, transforms and zero-copy windows.

Public API:
    prepare(config, *, frame=None, base_dir=None) -> PreparedData
    describe_spec(config, base_dir=None) -> SeriesSpec
    list_datasets() -> list[DatasetInfo]
    load_text(name) -> str
    prepare_text(config, *, text=None, base_dir=None, vocabulary=None) -> PreparedText
    prepare_panel(config, *, frame=None, base_dir=None, ...) -> PreparedPanel (many series)
    load_sequence_set(name) -> ((X_train, y_train), (X_test, y_test))
"""

from seqkit.data.datasets import DatasetInfo, list_datasets, load_dataset, load_text
from seqkit.data.panel import PanelPreprocessing, PanelWindows, PreparedPanel, prepare_panel
from seqkit.data.pipeline import PreparedData, SeriesSpec, describe_spec, prepare
from seqkit.data.sequences import load_sequence_set
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
    "PanelPreprocessing",
    "PanelWindows",
    "PreparedPanel",
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
    "load_sequence_set",
    "load_text",
    "prepare",
    "prepare_panel",
    "prepare_text",
]
