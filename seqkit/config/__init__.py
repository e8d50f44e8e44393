"""Typed, validated configuration: the only place seqkit's defaults live."""

from seqkit.config.data import DataConfig
from seqkit.config.evaluate import EvaluateConfig
from seqkit.config.experiment import ExperimentConfig
from seqkit.config.loading import apply_overrides, config_from_dict, load_config, read_yaml
from seqkit.config.model import (
    ClassifyHeadConfig,
    EmbeddingConfig,
    ForecastHeadConfig,
    LanguageModelHeadConfig,
    ModelConfig,
)
from seqkit.config.train import (
    EarlyStoppingConfig,
    OptimizerConfig,
    ReduceLROnPlateauConfig,
    TrainConfig,
)
from seqkit.config.tune import TuneConfig

__all__ = [
    "ClassifyHeadConfig",
    "DataConfig",
    "EarlyStoppingConfig",
    "EmbeddingConfig",
    "EvaluateConfig",
    "ExperimentConfig",
    "ForecastHeadConfig",
    "LanguageModelHeadConfig",
    "ModelConfig",
    "OptimizerConfig",
    "ReduceLROnPlateauConfig",
    "TrainConfig",
    "TuneConfig",
    "apply_overrides",
    "config_from_dict",
    "load_config",
    "read_yaml",
]
