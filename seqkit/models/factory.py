"""`build_model`: the one factory for every recurrent network seqkit makes."""

from __future__ import annotations

import warnings

import keras

from seqkit.config.model import ModelConfig
from seqkit.config.train import OptimizerConfig
from seqkit.errors import ConfigError
from seqkit.models.attention import AttentionPooling
from seqkit.models.heads import attach_head, per_step, vocab_size_of
from seqkit.models.optimizers import build_optimizer
from seqkit.models.recurrent import recurrent_stack
from seqkit.models.side_inputs import KnownFuture, SeriesEmbedding
from seqkit.models.spec import SequenceSpec


class PerformanceWarning(UserWarning):
    """A setting that makes training slower than it needs to be."""


def build_model(
    config: ModelConfig,
    spec: SequenceSpec,
    *,
    optimizer: OptimizerConfig | None = None,
    compile: bool = True,
    name: str | None = None,
) -> keras.Model:
    """Build (and compile) the recurrent model a config describes.

    Args:
        config: The model section: cell, layer sizes, variants and head.
        spec: Input and output shapes, usually from the data pipeline.
        optimizer: Optimiser settings; default Adam with learning rate 1e-3.
        compile: Compile with the optimiser and the head's loss and metrics.
        name: Model name; default `<cell>_<head>`.

    Returns:
        A functional `keras.Model`:
        forecast: `(batch, lookback, n_features)` -> `(batch, horizon, n_targets)`,
        or `(batch, horizon, n_targets, n_quantiles)` with `head.quantiles`; with
        `series_embedding` the input has one more feature, the series' position; with
        `spec.n_future` it has `n_future` more before that, the forecast steps' known values;
        classify: `(batch, lookback[, n_features])` -> `(batch, n_classes)` probabilities;
        language_model: `(batch, time)` int ids -> `(batch, time, vocab_size)` probabilities.

    Raises:
        ConfigError: The config and the spec do not fit together (a stateful
            model without a batch size, a classifier without a class count, ...).

    Example:
        >>> from seqkit import ModelConfig, SequenceSpec, build_model
        >>> model = build_model(
        ...     ModelConfig(cell="gru", layers=[32, 16], bidirectional=True),
        ...     SequenceSpec(lookback=24, n_features=3, horizon=12),
        ... )
    """
    if config.stateful and spec.batch_size is None:
        raise ConfigError(
            "a stateful model needs a fixed batch size (its state has one row per batch "
            "element); give SequenceSpec(batch_size=...) or set train.batch_size"
        )
    if config.unroll and spec.lookback is None:
        raise ConfigError("model.unroll needs a fixed lookback; variable-length input cannot be unrolled")
    tokens = config.embedding is not None
    known = None  # the forecast steps' known covariates, flattened (`spec.n_future`)
    batch_size = spec.batch_size if config.stateful else None
    if tokens:
        inputs = keras.Input(shape=(spec.lookback,), batch_size=batch_size, dtype="int32", name="tokens")
        x = keras.layers.Embedding(
            vocab_size_of(config, spec), config.embedding.dim, mask_zero=config.embedding.mask_zero, name="embedding"
        )(inputs)
    else:
        if config.series_embedding is not None and spec.n_series is None:
            raise ConfigError(
                "model.series_embedding needs the number of series; give SequenceSpec(n_series=...) or train "
                "on a panel (`data.series_column`)"
            )
        width = spec.n_features + (spec.n_future or 0) + (config.series_embedding is not None)
        inputs = keras.Input(shape=(spec.lookback, width), batch_size=batch_size, name="series")
        x = inputs
        if spec.n_future:
            x, known = KnownFuture(spec.n_features, spec.n_future, spec.horizon, name="known_future")(x)
        if config.series_embedding is not None:
            x = SeriesEmbedding(spec.n_series, config.series_embedding.dim, name="series_embedding")(x)
        elif config.masking:
            x = keras.layers.Masking(config.mask_value, name="masking")(x)
    x = recurrent_stack(x, config, sequences_out=per_step(config) or config.attention)
    if config.attention:
        x = AttentionPooling(config.attention_units, name="attention")(x)
    if known is not None:
        x = keras.layers.Concatenate(name="with_known_future")([x, known])
    head = attach_head(x, config, spec)
    model = keras.Model(inputs, head.outputs, name=name or f"{config.cell}_{config.head.type}")
    blockers = config.cudnn_blockers()
    if blockers and config.cell != "rnn":
        warnings.warn(
            f"the {config.cell.upper()} layers will not use the fast cuDNN kernel on GPU because of: "
            + "; ".join(blockers)
            + ". Training on GPU will be several times slower.",
            PerformanceWarning,
            stacklevel=2,
        )
    if compile:
        model.compile(optimizer=build_optimizer(optimizer or OptimizerConfig()), loss=head.loss, metrics=head.metrics)
    return model


def cudnn_report(config: ModelConfig) -> list[str]:
    """One line per recurrent layer saying whether it can run on the cuDNN kernel.

    Example:
        `['lstm_1 (64 units): cuDNN-eligible (used on GPU)', 'lstm_2 (32 units): cuDNN-eligible (used on GPU)']`
    """
    if config.cell == "rnn":
        status = "no cuDNN kernel exists for SimpleRNN"
    elif config.cell == "gru" and keras.backend.backend() == "jax":
        status = "no cuDNN kernel for GRU on the JAX backend (Keras runs it as a fused scan)"
    else:
        blockers = config.cudnn_blockers()
        # Eligible, not "on": the same line is printed on a CPU, where no cuDNN runs.
        status = "cuDNN-eligible (used on GPU)" if not blockers else "not cuDNN: " + "; ".join(blockers)
    return [f"{config.cell}_{i + 1} ({units} units): {status}" for i, units in enumerate(config.layers)]
