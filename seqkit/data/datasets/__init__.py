"""Datasets shipped inside seqkit: data files, their SOURCE notes, and the registry that describes them."""

from seqkit.data.datasets.registry import (
    DATASETS,
    TEXTS,
    DatasetInfo,
    generate_synthetic,
    list_datasets,
    load_dataset,
    load_text,
)

__all__ = [
    "DATASETS",
    "TEXTS",
    "DatasetInfo",
    "generate_synthetic",
    "list_datasets",
    "load_dataset",
    "load_text",
]
