"""Training runs: fit, checkpoints, resume, and the run directory.

Loaded lazily: `seqkit.training.run_files` (used by the plots) must not pull
in Keras and TensorFlow.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Run": "seqkit.training.run",
    "load_run": "seqkit.training.run",
    "resume": "seqkit.training.trainer",
    "train": "seqkit.training.trainer",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'seqkit.training' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)
