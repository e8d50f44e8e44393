"""A learned vector per series of a panel, concatenated to every input step's features."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="seqkit")
class SeriesEmbedding(keras.layers.Layer):
    """Replace the last input feature, a series' position, by that series' learned vector.

    A panel's windows carry the series' position among the training series as
    one more feature on every step (`seqkit.data.panel.PanelWindows` with
    `series_index`); this layer looks its vector up and puts it in that
    feature's place, so the recurrent layers read `(features..., vector)` at
    every step. DeepAR and NeuralForecast's static covariates feed a series'
    identity the same way.

    Args:
        n_series: Series the model is trained on (rows of the table).
        dim: Size of each series' vector.

    Input shape:
        `(batch, time, n_features + 1)`, the last feature an integer in `[0, n_series)`.

    Output shape:
        `(batch, time, n_features + dim)`.
    """

    def __init__(self, n_series: int, dim: int = 8, **kwargs):
        super().__init__(**kwargs)
        self.n_series, self.dim = n_series, dim
        self.table = keras.layers.Embedding(n_series, dim, name="table")

    def build(self, input_shape):
        self.table.build((None,))

    def call(self, inputs):
        ids = ops.cast(ops.round(inputs[:, :, -1]), "int32")
        vectors = ops.cast(self.table(ids), inputs.dtype)
        return ops.concatenate([inputs[:, :, :-1], vectors], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] - 1 + self.dim)

    def get_config(self):
        return {**super().get_config(), "n_series": self.n_series, "dim": self.dim}
