"""seqkit: recurrent sequence models for Keras 3.

The public API is importable from here; heavy modules (Keras, TensorFlow)
load on first use, so `seqkit --version` and `seqkit validate` stay fast.

Example:
    >>> import seqkit
    >>> cfg = seqkit.load_config("configs/quickstart.yaml")
    >>> model = seqkit.build_model(cfg.model, seqkit.SequenceSpec(lookback=24, horizon=12))
"""

from __future__ import annotations

from seqkit.exports import lazy_exports
from seqkit.quiet import quiet_tensorflow

quiet_tensorflow()

__version__ = "0.1.0"

_EXPORTS = {
    "BacktestResult": "seqkit.backtesting",
    "backtest": "seqkit.backtesting",
    "ConfigError": "seqkit.errors",
    "DataError": "seqkit.errors",
    "RunError": "seqkit.errors",
    "SeqkitError": "seqkit.errors",
    "DataConfig": "seqkit.config",
    "EvaluateConfig": "seqkit.config",
    "ExperimentConfig": "seqkit.config",
    "ModelConfig": "seqkit.config",
    "OptimizerConfig": "seqkit.config",
    "TrainConfig": "seqkit.config",
    "TuneConfig": "seqkit.config",
    "load_config": "seqkit.config",
    "SequenceSpec": "seqkit.models",
    "build_model": "seqkit.models",
    "model_from_config": "seqkit.tasks",
    "Run": "seqkit.inference",
    "load_run": "seqkit.inference",
    "inspect": "seqkit.inference",
    "task_for": "seqkit.tasks",
    "resume": "seqkit.training",
    "train": "seqkit.training",
    "tune": "seqkit.tuning",
    "TuneResult": "seqkit.tuning",
    "validate": "seqkit.tasks",
}

__all__ = sorted(_EXPORTS) + ["__version__"]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
