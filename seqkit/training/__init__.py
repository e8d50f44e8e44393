"""Training runs: fit, checkpoints, resume, and writing the run directory.

Loaded lazily, so that `import seqkit.training` does not start Keras. `Run`
and `load_run` live in `seqkit.inference` and are re-exported here.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Run": "seqkit.inference.run",
    "load_run": "seqkit.inference.run",
    "resume": "seqkit.training.trainer",
    "train": "seqkit.training.trainer",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'seqkit.training' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)
