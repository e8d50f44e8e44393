"""A model's forward pass compiled once for one input shape: for many small calls in a row.

`compiled_call(model, shape)` is the one place that picks how a backend
compiles a single model call. Two callers make thousands of calls on one
window each: a streaming forecast per observation (`Run.stream`), and a
stateful model's evaluation, which warms its state on every window before
the split and then steps through the split's windows one at a time.

A direct (eager) call costs a few milliseconds for a small LSTM on a CPU,
and on JAX far more (its recurrent scan is compiled again at every eager
call); `predict_on_batch` compiles, but every call still walks the trainer's
machinery (data adapter, step function, output conversion): on a 2-core CPU
an LSTM(64) window cost 0.5-0.8 ms through it against 0.2-0.3 ms for the
compiled call alone (`benchmarks/generation.py`).

- TensorFlow: a `tf.function(jit_compile=True)` with a fixed input
  signature, called through its concrete function (no signature matching per
  call). The layers' variables are captured, so a stateful layer's state is
  read and written as by a direct call.
- JAX: `jax.jit` over the model's call in a `keras.StatelessScope` (what
  `model.stateless_call` does), the current values of the trainable and
  non-trainable variables and of the recurrent layers' state variables
  (which Keras keeps out of its variable lists) passed in on every call, so
  a change to the weights is seen, as on TensorFlow; with `carry_state`, the
  new states it returns are written back to their variables.
- Any other backend: the direct call.
"""

from __future__ import annotations

import numpy as np


def compiled_call(model, shape: tuple[int, ...], *, dtype: str = "float32", carry_state: bool = False):
    """`model(x, training=False)` for inputs of exactly `shape`, compiled at its first call, NumPy in and out.

    Args:
        model: A built `keras.Model` with one input and one output.
        shape: The input's full shape, batch included: `(1, lookback, n_features)`
            for one forecast window, `(batch_size, lookback, n_features)` for a
            stateful model's fixed batch.
        dtype: The input's dtype.
        carry_state: Whether each call leaves a stateful layer's new state in its
            variables, as a direct call does (a stateful model stepped window by
            window). Without it, JAX leaves the variables alone.

    Returns:
        A function from an array of `shape` to the model's output as a NumPy array.
        It raises `ValueError` for an input of another shape.
    """
    import keras

    shape = tuple(int(size) for size in shape)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        forward = _tensorflow_call(model, shape, dtype)
    elif backend == "jax":
        forward = _jax_call(model, carry_state)
    else:
        def forward(x):
            return keras.ops.convert_to_numpy(model(x, training=False))

    def call(x) -> np.ndarray:
        x = np.asarray(x, dtype=dtype)
        if x.shape != shape:
            raise ValueError(f"this compiled call reads inputs of shape {shape}; received {x.shape}")
        return np.asarray(forward(x))

    return call


def _tensorflow_call(model, shape, dtype):
    import tensorflow as tf

    function = tf.function(
        lambda x: model(x, training=False), input_signature=[tf.TensorSpec(shape, dtype)], jit_compile=True
    )
    concrete = function.get_concrete_function()
    return lambda x: concrete(tf.constant(x)).numpy()


def _jax_call(model, carry_state: bool):
    import jax
    import keras

    from seqkit.models.predict import state_variables

    # What `stateless_call` does, with the recurrent states too (Keras keeps them out of its variable lists).
    states = state_variables(model)
    variables = [*model.trainable_variables, *model.non_trainable_variables, *states]

    @jax.jit
    def forward(values, x):
        with keras.StatelessScope(state_mapping=list(zip(variables, values, strict=True))) as scope:
            outputs = model(x, training=False)
        return outputs, [scope.get_current_value(variable) for variable in states]

    def call(x):
        outputs, new_states = forward([variable.value for variable in variables], x)
        if carry_state:
            for variable, value in zip(states, new_states, strict=True):
                if value is not None:
                    variable.assign(value)
        return outputs

    return call
