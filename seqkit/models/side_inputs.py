"""Inputs beside the series: a learned vector per series of a panel, and the forecast steps' known covariates."""

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


@keras.saving.register_keras_serializable(package="seqkit")
class KnownFuture(keras.layers.Layer):
    """Split a window's input into the recurrent input and the forecast steps' known values, flattened.

    A model whose data has covariates known in advance (`data.future`,
    `data.calendar`) reads one tensor per window (`seqkit.data.transforms.window_inputs`):
    the `n_features` input columns, then `n_future` columns whose rows
    `0 .. horizon - 1` hold the known values at the `horizon` forecast steps
    (zeros after), then, with a series embedding, the series' position. This
    layer returns the recurrent input (the features, and the position if any)
    and the `(batch, horizon * n_future)` known values, which the model joins to
    the recurrent encoding before its head: the forecast steps' covariates
    never pass through the recurrence, so a model cannot read a later step's
    value as if it were an earlier one.

    Args:
        n_features: Input columns read by the recurrent layers.
        n_future: Columns known in advance.
        horizon: Forecast steps.

    Input shape:
        `(batch, lookback, n_features + n_future [+ 1])`.

    Output shapes:
        `[(batch, lookback, n_features [+ 1]), (batch, horizon * n_future)]`.
    """

    def __init__(self, n_features: int, n_future: int, horizon: int, **kwargs):
        super().__init__(**kwargs)
        self.n_features, self.n_future, self.horizon = n_features, n_future, horizon

    def call(self, inputs):
        cut = self.n_features + self.n_future
        past = ops.concatenate([inputs[:, :, : self.n_features], inputs[:, :, cut:]], axis=-1)
        known = inputs[:, : self.horizon, self.n_features : cut]
        return [past, ops.reshape(known, (-1, self.horizon * self.n_future))]

    def compute_output_shape(self, input_shape):
        extra = input_shape[-1] - self.n_features - self.n_future
        return [(*input_shape[:-1], self.n_features + extra), (input_shape[0], self.horizon * self.n_future)]

    def get_config(self):
        return {
            **super().get_config(), "n_features": self.n_features, "n_future": self.n_future, "horizon": self.horizon,
        }
