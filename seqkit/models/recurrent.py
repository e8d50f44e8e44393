"""The recurrent backbone: one code path for every cell kind and variant.

The cell kind (`rnn`, `lstm`, `gru`) is chosen in `recurrent_layer` and
nowhere else; stacking, bidirectionality and statefulness are arguments to
that same path, as Keras itself does with `RNN(cell)` and `Bidirectional`.
"""

from __future__ import annotations

import keras

from seqkit.config.model import ModelConfig

_CELL_LAYERS = {
    "rnn": keras.layers.SimpleRNN,
    "lstm": keras.layers.LSTM,
    "gru": keras.layers.GRU,
}


def recurrent_layer(config: ModelConfig, units: int, *, return_sequences: bool, name: str) -> keras.layers.Layer:
    """Make one recurrent layer as the model config describes it.

    Args:
        config: The model section (cell kind, dropout, statefulness, ...).
        units: Size of this layer's state.
        return_sequences: Emit every step (for the next layer, attention or a
            per-step head) rather than only the last.
        name: Layer name.

    Returns:
        A `SimpleRNN`, `LSTM` or `GRU`, wrapped in `Bidirectional` when asked.
    """
    options = dict(
        units=units,
        activation=config.activation,
        dropout=config.dropout,
        recurrent_dropout=config.recurrent_dropout,
        return_sequences=return_sequences,
        stateful=config.stateful,
        unroll=config.unroll,
    )
    if config.cell in ("lstm", "gru"):
        options["use_cudnn"] = config.use_cudnn
    if config.cell == "gru":
        options["reset_after"] = config.reset_after
    layer_class = _CELL_LAYERS[config.cell]
    if config.bidirectional:
        return keras.layers.Bidirectional(
            layer_class(**options, name=f"{name}_cell"), merge_mode=config.merge_mode, name=name
        )
    return layer_class(**options, name=name)


def recurrent_stack(x, config: ModelConfig, *, sequences_out: bool):
    """Apply the configured stack of recurrent layers.

    Args:
        x: Symbolic tensor `(batch, time, features)`.
        config: The model section; `config.layers` lists the units of each layer.
        sequences_out: Whether the last layer must emit every time step.

    Returns:
        `(batch, time, units)` when `sequences_out`, else `(batch, units)`
        (units doubled by a bidirectional `concat`).
    """
    last = len(config.layers) - 1
    for index, units in enumerate(config.layers):
        keep_time = index < last or sequences_out
        x = recurrent_layer(config, units, return_sequences=keep_time, name=f"{config.cell}_{index + 1}")(x)
    return x
