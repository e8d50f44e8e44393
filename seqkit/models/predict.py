"""Running a built model over many windows: streamed chunks, or fixed padded batches for stateful models.

Every task scores and predicts through these two functions, so a stateful
model is padded to its fixed batch and started from a fresh state the same way
in evaluation, in prediction on new data and (later) in backtests.

The model is called directly (`model(x, training=False)`), not through
`Model.predict`. `predict` compiles a `tf.function` for each model it sees, and
TensorFlow counts those traces per line of Keras code, not per model: a
notebook or script that loads, trains or scores five models in one process
traced five times in a row, and TensorFlow warned "5 out of the last 5 calls to
<function TensorFlowTrainer.make_predict_function...> triggered tf.function
retracing". A direct call traces nothing, so that cost and warning are gone,
and a single window (`Run.predict`) skips `predict`'s set-up too. The fixed
cost of each direct call (on CPU it grows with the window length) is spread
over `PREDICT_CHUNK` windows per call, which keeps a whole split as fast as
`predict` (benchmarked at 5,000 windows: 1.2 s against 1.1 s).
"""

from __future__ import annotations

import numpy as np

PREDICT_CHUNK = 1024
"""Windows per model call when scoring a split of a model without fixed batches."""


def reset_states(model) -> None:
    """Zero the state of every stateful recurrent layer (also inside `Bidirectional`)."""
    for layer in model.layers:
        for target in (layer, getattr(layer, "forward_layer", None), getattr(layer, "backward_layer", None)):
            if target is not None and getattr(target, "stateful", False) and hasattr(target, "reset_state"):
                target.reset_state()


def _call(model, x) -> np.ndarray:
    """The model's outputs for one batch `x`, as NumPy, with dropout off."""
    import keras

    return keras.ops.convert_to_numpy(model(x, training=False))


def predict_array(model, x: np.ndarray, *, stateful_batch: int | None = None) -> np.ndarray:
    """The model's outputs for the inputs `x`, one row per input.

    Args:
        model: A built `keras.Model`.
        x: Inputs, `(n, ...)` as the model reads them.
        stateful_batch: The fixed batch of a stateful model (None otherwise). The
            inputs are padded to whole batches, and every batch starts from a
            fresh state, so each window is forecast as in evaluation.

    Returns:
        The outputs for the `n` inputs, as a NumPy array.
    """
    if stateful_batch is None:
        starts = range(0, len(x), PREDICT_CHUNK)
        return np.concatenate([_call(model, x[start : start + PREDICT_CHUNK]) for start in starts])
    n = len(x)
    padded = np.concatenate([x, np.zeros((-n % stateful_batch, *x.shape[1:]), x.dtype)]) if n % stateful_batch else x
    outputs = []
    for start in range(0, len(padded), stateful_batch):
        reset_states(model)
        outputs.append(_call(model, padded[start : start + stateful_batch]))
    return np.concatenate(outputs)[:n]


def predict_windows(model, windows, *, batch_size: int, stateful: bool = False) -> np.ndarray:
    """The model's outputs for every window of a split, in window order.

    Args:
        model: A built `keras.Model`.
        windows: A window set with `dataset(batch_size, shuffle=False)` and `inputs()`.
        batch_size: A stateful model's fixed batch (other models read `PREDICT_CHUNK` windows per call).
        stateful: Whether the model carries state (then it runs on padded fixed batches).

    Returns:
        The outputs, one per window. A model without fixed batches reads the
        windows as a stream of chunks, so memory stays O(chunk), not
        O(windows x lookback).
    """
    if stateful:
        return predict_array(model, windows.inputs(), stateful_batch=batch_size)
    chunks = windows.dataset(max(batch_size, PREDICT_CHUNK), shuffle=False)
    return np.concatenate([_call(model, x) for x, _ in chunks])
