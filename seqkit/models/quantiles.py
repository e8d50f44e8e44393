"""Quantile forecasts: a non-crossing output layer, the pinball loss, and the median's MAE.

A quantile head ends in `MonotoneQuantiles`, trains with `PinballLoss` and
logs `MedianAbsoluteError` as `mae`, so `val_mae` means the same (the point
forecast's error) for point and quantile heads. All three are registered for
safe-mode loading and use `keras.ops` only, so they run on every Keras backend.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="seqkit")
class MonotoneQuantiles(keras.layers.Layer):
    """Turn unconstrained values into quantiles that never cross.

    The median is the raw value at `median_index`; each quantile above it adds
    a softplus (non-negative) increment to the one below it, and each quantile
    below subtracts one from the one above:

    ```
    out[m]     = x[m]
    out[m + k] = x[m] + sum(softplus(x[m + 1 .. m + k]))
    out[m - k] = x[m] - sum(softplus(x[m - k .. m - 1]))
    ```

    so `out` is non-decreasing along the last axis for any weights and inputs
    (a monotone parameterisation, not a sort: the gradient reaches every
    quantile, and the median is a plain linear output as in a point head).
    Anchoring at the median rather than the lowest quantile keeps the point
    forecast one Dense unit away from the features.

    Args:
        median_index: Position of the 0.5 level in the quantile levels.

    Input shape:
        `(..., n_quantiles)`.

    Output shape:
        The same; ascending along the last axis.
    """

    def __init__(self, median_index: int, **kwargs):
        super().__init__(**kwargs)
        self.median_index = median_index

    def call(self, x):
        m = self.median_index
        median = x[..., m : m + 1]
        parts = [median]
        if m > 0:
            below = ops.flip(ops.cumsum(ops.flip(ops.softplus(x[..., :m]), axis=-1), axis=-1), axis=-1)
            parts.insert(0, median - below)
        if m + 1 < x.shape[-1]:
            parts.append(median + ops.cumsum(ops.softplus(x[..., m + 1 :]), axis=-1))
        return ops.concatenate(parts, axis=-1) if len(parts) > 1 else median

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "median_index": self.median_index}


@keras.saving.register_keras_serializable(package="seqkit")
class PinballLoss(keras.losses.Loss):
    """The pinball (quantile) loss, averaged over the quantile levels.

    For level `q` and error `e = y_true - y_pred_q`:
    `pinball_q = max(q * e, (q - 1) * e)`, i.e. `q * e` when the actual is
    above the quantile and `(1 - q) * |e|` when it is below. Its expectation is
    smallest at the true `q`-quantile, and at `q = 0.5` it is half the absolute
    error. The loss of one target step is the mean over the levels; Keras then
    averages over the batch, steps and targets.

    Args:
        quantiles: The levels, in the order of `y_pred`'s last axis.

    Call arguments:
        y_true: `(batch, horizon, n_targets)`.
        y_pred: `(batch, horizon, n_targets, n_quantiles)`.

    Example:
        `y_true = [3]`, quantiles `[0.1, 0.5, 0.9]` at `[1, 2, 4]`: errors
        `2, 1, -1` give `0.2, 0.5, 0.1`, mean `0.2667`.
    """

    def __init__(self, quantiles, name: str = "pinball", **kwargs):
        super().__init__(name=name, **kwargs)
        self.quantiles = [float(q) for q in quantiles]

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        levels = ops.convert_to_tensor(self.quantiles, dtype=y_pred.dtype)
        error = ops.expand_dims(ops.cast(y_true, y_pred.dtype), -1) - y_pred
        return ops.mean(ops.maximum(levels * error, (levels - 1.0) * error), axis=-1)

    def get_config(self):
        return {**super().get_config(), "quantiles": self.quantiles}


@keras.saving.register_keras_serializable(package="seqkit")
class MedianAbsoluteError(keras.metrics.MeanAbsoluteError):
    """MAE of the median quantile: `mean(|y_true - y_pred[..., median_index]|)`.

    Logged as `mae`, so a quantile head's `val_mae` is its point forecast's
    error, as for a point head.
    """

    def __init__(self, median_index: int, name: str = "mae", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.median_index = median_index

    def update_state(self, y_true, y_pred, sample_weight=None):
        return super().update_state(y_true, y_pred[..., self.median_index], sample_weight=sample_weight)

    def get_config(self):
        return {**super().get_config(), "median_index": self.median_index}
