"""Training runs: fit, checkpoints, resume, and writing the run directory.

Loaded lazily, so that `import seqkit.training` does not start Keras. `Run`
and `load_run` live in `seqkit.inference` and are re-exported here.
"""

from __future__ import annotations

from seqkit.exports import lazy_exports

_EXPORTS = {
    "Run": "seqkit.inference.run",
    "load_run": "seqkit.inference.run",
    "resume": "seqkit.training.trainer",
    "train": "seqkit.training.trainer",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
