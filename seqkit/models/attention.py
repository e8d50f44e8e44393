"""Additive (Bahdanau-style) attention pooling over time."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="seqkit")
class AttentionPooling(keras.layers.Layer):
    """Pool a sequence into one vector with learned additive attention weights.

    For each step `t`: `score_t = v . tanh(W h_t + b)`, `a = softmax(score)`
    over time (masked steps get weight 0), output `sum_t a_t h_t`.

    Args:
        units: Size of the hidden scoring layer (`W` maps features to `units`).

    Input shape:
        `(batch, time, features)`, with an optional boolean mask `(batch, time)`.

    Output shape:
        `(batch, features)`.
    """

    def __init__(self, units: int = 32, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.supports_masking = True

    def build(self, input_shape):
        features = input_shape[-1]
        self.w = self.add_weight(name="w", shape=(features, self.units), initializer="glorot_uniform")
        self.b = self.add_weight(name="b", shape=(self.units,), initializer="zeros")
        self.v = self.add_weight(name="v", shape=(self.units, 1), initializer="glorot_uniform")

    def call(self, inputs, mask=None):
        scores = ops.squeeze(ops.matmul(ops.tanh(ops.matmul(inputs, self.w) + self.b), self.v), -1)
        # Softmax in float32 so mixed precision neither overflows nor underflows.
        scores = ops.cast(scores, "float32")
        if mask is not None:
            # A large negative (not -inf) keeps fully masked rows finite.
            scores = ops.where(ops.cast(mask, "bool"), scores, ops.full_like(scores, -1e9))
        weights = ops.cast(ops.softmax(scores, axis=-1), inputs.dtype)
        return ops.sum(inputs * ops.expand_dims(weights, -1), axis=1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "units": self.units}
