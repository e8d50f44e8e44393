"""Model factory: one code path for RNN, LSTM and GRU networks and their heads.

The names below load their module (and Keras) on first use, so code that only
needs `SequenceSpec` (the tasks, `seqkit validate`) does not import TensorFlow.
"""

from __future__ import annotations

from seqkit.exports import lazy_exports

_EXPORTS = {
    "AttentionPooling": "seqkit.models.attention",
    "KnownFuture": "seqkit.models.side_inputs",
    "MedianAbsoluteError": "seqkit.models.quantiles",
    "MonotoneQuantiles": "seqkit.models.quantiles",
    "PerformanceWarning": "seqkit.models.factory",
    "PinballLoss": "seqkit.models.quantiles",
    "SequenceSpec": "seqkit.models.spec",
    "SeriesEmbedding": "seqkit.models.side_inputs",
    "build_model": "seqkit.models.factory",
    "build_optimizer": "seqkit.models.optimizers",
    "cudnn_report": "seqkit.models.factory",
    "predict_array": "seqkit.models.predict",
    "predict_windows": "seqkit.models.predict",
    "recurrent_layer": "seqkit.models.recurrent",
    "reset_states": "seqkit.models.predict",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
