"""Task heads: what the recurrent features are turned into, with loss and metrics.

Forecasting, classification and language modelling are tasks over the same
recurrent backbone (the backbone/task split of keras-hub).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras

from seqkit.config.model import ModelConfig
from seqkit.errors import ConfigError
from seqkit.models.spec import SequenceSpec


@dataclass(frozen=True)
class Head:
    """A head's output tensor and the compile settings that go with it."""

    outputs: object
    loss: object
    metrics: list


def per_step(config: ModelConfig) -> bool:
    """Whether the head reads every time step (rather than one vector per sequence)."""
    return config.head.type == "language_model"


def attach_head(features, config: ModelConfig, spec: SequenceSpec) -> Head:
    """Put the configured head on the backbone's features.

    Args:
        features: `(batch, units)` for forecast and classify heads, or
            `(batch, time, units)` for the language-model head.
        config: The model section.
        spec: Output sizes (horizon, targets, classes, vocabulary).

    Returns:
        The head's outputs (float32 even under mixed precision), loss and metrics.
        A forecast head with `quantiles` outputs `(batch, horizon, n_targets,
        n_quantiles)`, ascending along the last axis (`MonotoneQuantiles`),
        trains with `PinballLoss` and logs the median's MAE as `mae`.
    """
    head = config.head
    x = features
    for index, units in enumerate(getattr(head, "hidden", [])):
        x = keras.layers.Dense(units, activation="relu", name=f"hidden_{index + 1}")(x)
    if head.type == "forecast" and head.quantiles is not None:
        return _quantile_head(x, head.quantiles, spec)
    if head.type == "forecast":
        x = keras.layers.Dense(spec.horizon * spec.n_targets, dtype="float32", name="forecast_flat")(x)
        # float32 here too: under mixed precision a Reshape of the default policy would cast back to float16.
        outputs = keras.layers.Reshape((spec.horizon, spec.n_targets), dtype="float32", name="forecast")(x)
        loss = {"mse": "mean_squared_error", "mae": "mean_absolute_error", "huber": keras.losses.Huber()}[head.loss]
        return Head(outputs, loss, [keras.metrics.MeanAbsoluteError(name="mae")])
    if head.type == "classify":
        n_classes = head.n_classes or spec.n_classes
        if n_classes is None:
            raise ConfigError(
                "model.head.n_classes is not set and the data gave no class count; "
                "set model.head.n_classes, e.g. 2"
            )
        outputs = keras.layers.Dense(n_classes, activation="softmax", dtype="float32", name="classes")(x)
        accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
        return Head(outputs, "sparse_categorical_crossentropy", [accuracy])
    vocab_size = vocab_size_of(config, spec)
    if head.dropout > 0:  # on the features only: the recurrence stays cuDNN-eligible
        x = keras.layers.Dropout(head.dropout, name="head_dropout")(x)
    outputs = keras.layers.Dense(vocab_size, activation="softmax", dtype="float32", name="next_token")(x)
    return Head(outputs, "sparse_categorical_crossentropy", [keras.metrics.SparseCategoricalAccuracy(name="accuracy")])


def _quantile_head(x, quantiles: list[float], spec: SequenceSpec) -> Head:
    """`(batch, horizon, n_targets, n_quantiles)` non-crossing quantiles, the pinball loss and the median's MAE."""
    from seqkit.models.quantiles import MedianAbsoluteError, MonotoneQuantiles, PinballLoss

    n = len(quantiles)
    median = quantiles.index(0.5)
    x = keras.layers.Dense(spec.horizon * spec.n_targets * n, dtype="float32", name="forecast_flat")(x)
    x = keras.layers.Reshape((spec.horizon, spec.n_targets, n), dtype="float32", name="forecast_raw")(x)
    outputs = MonotoneQuantiles(median, dtype="float32", name="forecast")(x)
    return Head(outputs, PinballLoss(quantiles), [MedianAbsoluteError(median)])


def vocab_size_of(config: ModelConfig, spec: SequenceSpec) -> int:
    """The vocabulary size for token input: from the config, else from the data."""
    size = (config.embedding.vocab_size if config.embedding else None) or spec.vocab_size
    if size is None:
        raise ConfigError(
            "model.embedding.vocab_size is not set and the data gave no vocabulary; "
            "set model.embedding.vocab_size, e.g. 96"
        )
    return size
