"""Hyperparameter search: the YAML search space as a KerasTuner HyperModel, searched and written up.

Loaded lazily, so that `import seqkit.tuning` does not start Keras or KerasTuner.
"""

from __future__ import annotations

from seqkit.exports import lazy_exports

_EXPORTS = {
    "ConfigHyperModel": "seqkit.tuning.hypermodel",
    "TuneResult": "seqkit.tuning.results",
    "tune": "seqkit.tuning.search",
    "write_results": "seqkit.tuning.results",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
