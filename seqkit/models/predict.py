"""Running a built model over many windows: streamed batches, or fixed padded batches for stateful models.

Every task scores and predicts through these two functions, so a stateful
model is padded to its fixed batch and started from a fresh state the same way
in evaluation, in prediction on new data and (later) in backtests.
"""

from __future__ import annotations

import numpy as np


def reset_states(model) -> None:
    """Zero the state of every stateful recurrent layer (also inside `Bidirectional`)."""
    for layer in model.layers:
        for target in (layer, getattr(layer, "forward_layer", None), getattr(layer, "backward_layer", None)):
            if target is not None and getattr(target, "stateful", False) and hasattr(target, "reset_state"):
                target.reset_state()


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
        return np.asarray(model.predict(x, verbose=0))
    n = len(x)
    padded = np.concatenate([x, np.zeros((-n % stateful_batch, *x.shape[1:]), x.dtype)]) if n % stateful_batch else x
    outputs = []
    for start in range(0, len(padded), stateful_batch):
        reset_states(model)
        outputs.append(np.asarray(model.predict_on_batch(padded[start : start + stateful_batch])))
    return np.concatenate(outputs)[:n]


def predict_windows(model, windows, *, batch_size: int, stateful: bool = False) -> np.ndarray:
    """The model's outputs for every window of a split, in window order.

    Args:
        model: A built `keras.Model`.
        windows: A window set with `dataset(batch_size, shuffle=False)` and `inputs()`.
        batch_size: Windows per batch (a stateful model's fixed batch).
        stateful: Whether the model carries state (then it runs on padded fixed batches).

    Returns:
        The outputs, one per window. A non-stateful model reads the windows as a
        stream, so memory stays O(batch), not O(windows x lookback).
    """
    if stateful:
        return predict_array(model, windows.inputs(), stateful_batch=batch_size)
    return np.asarray(model.predict(windows.dataset(batch_size, shuffle=False), verbose=0))
