"""Inference: finished runs (`Run`, `load_run`), prediction on new data, and text generation with carried state.

Loaded lazily, so that `import seqkit.inference` does not start Keras.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Run": "seqkit.inference.run",
    "load_run": "seqkit.inference.run",
    "generate_text": "seqkit.inference.generation",
    "sample_next": "seqkit.inference.generation",
    "stepping_model": "seqkit.inference.generation",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'seqkit.inference' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)
