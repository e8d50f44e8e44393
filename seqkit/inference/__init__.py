"""Inference: finished runs (`Run`, `load_run`), prediction on new data, streaming forecasts, text generation.

Loaded lazily, so that `import seqkit.inference` does not start Keras.
"""

from __future__ import annotations

from seqkit.exports import lazy_exports

_EXPORTS = {
    "Run": "seqkit.inference.run",
    "TextGenerator": "seqkit.inference.generation",
    "load_run": "seqkit.inference.run",
    "generate_text": "seqkit.inference.generation",
    "gradient_norms": "seqkit.inference.internals",
    "inspect": "seqkit.inference.internals",
    "Inspection": "seqkit.inference.internals",
    "sample_next": "seqkit.inference.generation",
    "StreamingForecaster": "seqkit.inference.streaming",
    "stepping_model": "seqkit.inference.generation",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
