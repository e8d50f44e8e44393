"""Optimisers from the `train.optimizer` config."""

from __future__ import annotations

import keras

from seqkit.config.train import OptimizerConfig

_OPTIMIZERS = {
    "adam": keras.optimizers.Adam,
    "rmsprop": keras.optimizers.RMSprop,
    "sgd": keras.optimizers.SGD,
}


def build_optimizer(config: OptimizerConfig) -> keras.optimizers.Optimizer:
    """Make the configured Keras optimiser, with its gradient clipping."""
    options: dict = {"learning_rate": config.learning_rate}
    if config.clipnorm is not None:
        options["clipnorm"] = config.clipnorm
    if config.clipvalue is not None:
        options["clipvalue"] = config.clipvalue
    if config.type == "sgd":
        options["momentum"] = config.momentum
    return _OPTIMIZERS[config.type](**options)
