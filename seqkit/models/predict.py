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


def _stateful_layers(model) -> list:
    """The model's stateful recurrent layers (also inside `Bidirectional`)."""
    return [
        target
        for layer in model.layers
        for target in (layer, getattr(layer, "forward_layer", None), getattr(layer, "backward_layer", None))
        if target is not None and getattr(target, "stateful", False) and hasattr(target, "reset_state")
    ]


def reset_states(model) -> None:
    """Zero the state of every stateful recurrent layer (also inside `Bidirectional`)."""
    for layer in _stateful_layers(model):
        layer.reset_state()


def state_variables(model) -> list:
    """The variables holding the stateful recurrent layers' states.

    Keras creates them outside its variable tracking, so they are in neither
    `trainable_variables` nor `non_trainable_variables` (nor in `stateless_call`'s).
    """
    import keras

    return [variable for layer in _stateful_layers(model) for variable in keras.tree.flatten(layer.states or [])]


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


def output_chunks(model, windows, *, batch_size: int):
    """`(targets, outputs)` NumPy pairs, a chunk of windows at a time, in window order (a stateless model).

    For scores that need not hold every output at once (a language model's are
    `(windows, length, vocab_size)`).
    """
    for x, y in windows.dataset(max(batch_size, PREDICT_CHUNK // 8), shuffle=False):
        yield np.asarray(y), _call(model, x)


def predict_windows(model, windows, *, batch_size: int, stateful: bool = False) -> np.ndarray:
    """The model's outputs for every window of a split, in window order.

    Args:
        model: A built `keras.Model`.
        windows: A window set with `dataset(batch_size, shuffle=False)` and `inputs()`.
        batch_size: A stateful model's fixed batch (other models read `PREDICT_CHUNK` windows per call).
        stateful: Whether the model carries state: then the split is read as the model is
            used, one chronological stream (`predict_streaming`).

    Returns:
        The outputs, one per window. A model without fixed batches reads the
        windows as a stream of chunks, so memory stays O(chunk), not
        O(windows x lookback).
    """
    if stateful:
        return predict_streaming(model, windows, batch_size=batch_size)
    chunks = windows.dataset(max(batch_size, PREDICT_CHUNK), shuffle=False)
    return np.concatenate([_call(model, x) for x, _ in chunks])


def warm_up_starts(windows) -> np.ndarray:
    """The window starts before a split's first window, on its stride, from the series' start: the rows before it."""
    first, stride = int(windows.starts[0]), windows.stride
    return np.arange(first - stride, -1, -stride, dtype=np.int64)[::-1]


def _stream(model, windows, batch_size: int, step) -> list:
    """Reset, feed every window before the split (warming the state), then `step(call, x, y)` each window of it in
    order (`call`: the model's compiled call, carrying the state).

    A stateful model has a fixed batch: the one chronological stream fills every row of it
    (the rows compute the same thing; the first is read).
    """
    from seqkit.models.compiled import compiled_call

    # One window's call compiled for the fixed batch, the state carried: an eager call per window cost a few ms
    # on TensorFlow and far more on JAX, thousands of times per evaluation.
    dtype, shape = windows.x_spec
    call = compiled_call(model, (batch_size, *shape), dtype=str(dtype), carry_state=True)
    reset_states(model)
    for start in warm_up_starts(windows):
        x, _ = windows.gather([start])
        call(np.repeat(x, batch_size, axis=0))
    results = []
    for start in windows.starts:
        x, y = windows.gather([start])
        results.append(step(call, np.repeat(x, batch_size, axis=0), np.repeat(y, batch_size, axis=0)))
    reset_states(model)
    return results


def _score_and_carry(model, call, x, y) -> dict:
    """`test_on_batch` on one batch from the current state, the state then carried past it.

    TensorFlow's `test_on_batch` writes the layers' new state back; JAX's computes from
    the state but keeps its update to itself (as `predict_on_batch` does), so there the
    state is carried by the compiled call (`compiled_call` with `carry_state`).
    """
    import keras

    score = model.test_on_batch(x, y, return_dict=True)
    if keras.backend.backend() != "tensorflow":
        call(x)
    return score


def predict_streaming(model, windows, *, batch_size: int) -> np.ndarray:
    """A stateful model's outputs for every window of a split, read as the model is used.

    The state is reset, warmed on every window of the series before the split (its
    `stride` equals its `lookback`, so they tile the rows before it), and carried
    through the split's windows in order: each forecast comes from the state the
    whole history before it left, as in training (truncated backpropagation through
    time), not from a zero state at every batch.

    Args:
        model: A stateful `keras.Model` with a fixed batch of `batch_size`.
        windows: A split's window set (consecutive windows `stride == lookback` apart).
        batch_size: The model's fixed batch.

    Returns:
        The outputs, one per window, in window order.
    """
    if len(windows) == 0:
        return np.empty((0, *windows.y_spec[1]), dtype=np.float32)
    outputs = _stream(model, windows, batch_size, lambda call, x, _y: call(x)[:1])
    return np.concatenate(outputs)


def score_streaming(model, windows, *, batch_size: int) -> dict[str, float]:
    """A stateful model's compiled loss and metrics on a split read as `predict_streaming` reads it.

    Returns:
        `{"loss": ..., "<metric>": ...}`: the mean over the split's windows of
        `test_on_batch` on each (every window has the same size, so this is the mean
        over all its values).
    """
    scores = _stream(model, windows, batch_size, lambda call, x, y: _score_and_carry(model, call, x, y))
    return {name: float(np.mean([float(score[name]) for score in scores])) for name in scores[0]}

