"""A model's forward pass compiled once for one input shape: the fast path of a forecast per observation.

`compiled_call(model, shape)` is the one place that picks how a backend
compiles a single model call. Keras' `predict_on_batch` already compiles,
but each call still walks the trainer's machinery (data adapter, step
function, output conversion): on a 2-core CPU an LSTM(64) window cost
0.5-0.8 ms through it against 0.2-0.3 ms for the compiled call alone, which
is most of a streaming forecast's budget (`benchmarks/generation.py`).

- TensorFlow: a `tf.function(jit_compile=True)` with a fixed input
  signature, called through its concrete function (no signature matching per
  call). Where XLA cannot compile the model (TensorFlow with op determinism
  on, for one), the same function without XLA.
- JAX: `jax.jit` over `model.stateless_call`, the trainable and
  non-trainable variables' current values passed in on every call, so a
  change to the weights is seen as it is by the TensorFlow function.
- Any other backend: `model.predict_on_batch`.
"""

from __future__ import annotations

import numpy as np


def compiled_call(model, shape: tuple[int, ...], dtype: str = "float32"):
    """`model(x, training=False)` for inputs of exactly `shape`, compiled once, NumPy in and out.

    The compilation happens here (one call on zeros), not at the first real
    input.

    Args:
        model: A built `keras.Model` with one input and one output.
        shape: The input's full shape, batch included: `(1, lookback, n_features)`
            for one forecast window.
        dtype: The input's dtype.

    Returns:
        A function from an array of `shape` to the model's output as a NumPy array.

    Raises:
        ValueError: (from the returned function) an input of another shape.
    """
    import keras

    shape = tuple(int(size) for size in shape)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        forward = _tensorflow_call(model, shape, dtype)
    elif backend == "jax":
        forward = _jax_call(model)
    else:
        def forward(x):
            return model.predict_on_batch(x)

    def call(x) -> np.ndarray:
        x = np.asarray(x, dtype=dtype)
        if x.shape != shape:
            raise ValueError(f"this compiled call reads inputs of shape {shape}; received {x.shape}")
        return np.asarray(forward(x))

    call(np.zeros(shape, dtype))  # compiles
    return call


def _tensorflow_call(model, shape, dtype):
    import tensorflow as tf

    def build(jit_compile: bool):
        function = tf.function(
            lambda x: model(x, training=False), input_signature=[tf.TensorSpec(shape, dtype)], jit_compile=jit_compile
        )
        concrete = function.get_concrete_function()
        return lambda x: concrete(tf.constant(x)).numpy()

    forward = build(True)
    try:
        forward(np.zeros(shape, dtype))
    except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError):  # XLA refused the model
        forward = build(False)
    return forward


def _jax_call(model):
    import jax

    @jax.jit
    def forward(trainable, non_trainable, x):
        outputs, _ = model.stateless_call(trainable, non_trainable, x, training=False)
        return outputs

    trainable, non_trainable = model.trainable_variables, model.non_trainable_variables
    return lambda x: forward([v.value for v in trainable], [v.value for v in non_trainable], x)
