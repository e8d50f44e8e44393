"""Model factory: one code path for RNN, LSTM and GRU networks and their heads."""

from seqkit.models.attention import AttentionPooling
from seqkit.models.factory import PerformanceWarning, build_model, cudnn_report
from seqkit.models.optimizers import build_optimizer
from seqkit.models.predict import predict_array, predict_windows, reset_states
from seqkit.models.recurrent import recurrent_layer
from seqkit.models.spec import SequenceSpec

__all__ = [
    "AttentionPooling",
    "PerformanceWarning",
    "SequenceSpec",
    "build_model",
    "build_optimizer",
    "cudnn_report",
    "predict_array",
    "predict_windows",
    "recurrent_layer",
    "reset_states",
]
