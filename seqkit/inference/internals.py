"""Looking inside a trained model: every gate and state of every step, and how far back gradients reach.

`inspect` runs a model made by `build_model` through `seqkit.reference` on the
model's own weights (the NumPy equations, so each number can be followed by
hand) and returns each recurrent layer's gate activations, outputs `h_t` and,
for an LSTM, cell states `c_t` at every step. `gradient_norms` measures how
strongly the model's output depends on the input at each step: the norm of
the gradient of the summed output with respect to `x_t`, which for a
SimpleRNN typically falls by orders of magnitude from the last step to the
first (the vanishing gradient), and for an LSTM much less.
`seqkit.evaluation.cells` draws both, and the cells themselves.

Example:
    ```python
    trace = seqkit.inspect(run)                      # the run's first test windows
    trace.layers["lstm_1"].gates["forget"].shape     # (windows, lookback, units)
    fig = seqkit.evaluation.plot_gates(trace)        # a Figure, for a notebook
    ```
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from seqkit.errors import ConfigError


@dataclasses.dataclass
class LayerTrace:
    """One recurrent layer over the inspected windows.

    Attributes:
        cell: `rnn`, `lstm` or `gru`.
        gates: Each gate's activation, `(n, time, units)`: `input`, `forget`,
            `candidate`, `output` (LSTM); `update`, `reset`, `candidate` (GRU);
            none for a SimpleRNN. NaN at masked (padded) steps.
        outputs: `h_t` after every step, `(n, time, units)`.
        cell_states: An LSTM's `c_t` after every step, `(n, time, units)`; else None.
    """

    cell: str
    gates: dict[str, np.ndarray]
    outputs: np.ndarray
    cell_states: np.ndarray | None = None


@dataclasses.dataclass
class Inspection:
    """What `inspect` saw.

    Attributes:
        inputs: The model inputs inspected, `(n, time, features)` (or token ids).
        outputs: The model's outputs from the reference (equal to Keras' to 1e-5).
        layers: Each recurrent layer's `LayerTrace`, by layer name, first to last
            (a bidirectional layer's halves as `<name>/forward` and `<name>/backward`).
        feature_names: The input columns, when known (a run's).
    """

    inputs: np.ndarray
    outputs: np.ndarray
    layers: dict[str, LayerTrace]
    feature_names: tuple[str, ...] | None = None


def _model_and_inputs(source, x, windows: int):
    """The Keras model, the inputs to inspect and their column names, from a run, a run folder or a model."""
    from seqkit.inference.run import Run, load_run

    if isinstance(source, (str, Path)):
        source = load_run(source)
    if not isinstance(source, Run):
        if x is None:
            raise ConfigError("`x` is required when inspecting a bare model: give its input `(n, time, features)`")
        return source, np.asarray(x), None
    names = None
    if x is None:
        from seqkit.errors import DataError

        try:
            prepared = source.task.prepare(preprocessing=source.preprocessing)
        except DataError as error:
            raise ConfigError(
                f"the run's own data cannot be read again ({error}); give the windows to inspect as `x` "
                "(a run trained on data passed from Python has no source to re-read)"
            ) from error
        split = prepared.test if prepared.test is not None and len(prepared.test) else prepared.val
        if split is None or not len(split):
            split = prepared.train
        x = split.arrays()[0][:windows]
    features = getattr(source.preprocessing, "features", None)  # a series transform's input columns
    if features is not None:
        names = tuple(features)
    return source.model, np.asarray(x), names


def inspect(source, x=None, *, windows: int = 8) -> Inspection:
    """Every gate and state of every step of a model's recurrent layers, on `x`.

    Args:
        source: A `Run`, a run directory, or a Keras model made by `build_model`.
        x: Model inputs `(n, time, features)`; default (a run): its first
            `windows` test windows (else validation, else training), scaled as
            the model reads them.
        windows: How many windows a run's default input takes.

    Returns:
        `Inspection`.

    Raises:
        ConfigError: A bare model without `x`.
        ValueError: A layer the NumPy reference does not implement (a series
            embedding or covariates known in advance, for now).
    """
    from seqkit.reference import run_model

    model, x, names = _model_and_inputs(source, x, windows)
    run = run_model(model, x, return_gates=True)
    kinds = {"SimpleRNN": "rnn", "LSTM": "lstm", "GRU": "gru"}
    layers = {}
    for name, cell_run in run.layers.items():
        layer = model.get_layer(name.split("/")[0])
        inner = getattr(layer, "forward_layer", layer)
        layers[name] = LayerTrace(
            kinds[type(inner).__name__], dict(cell_run.gates or {}), cell_run.outputs, cell_run.cell_states
        )
    return Inspection(x, run.outputs, layers, names)


def gradient_norms(source, x=None, *, windows: int = 32) -> np.ndarray:
    """How strongly the model's output depends on each input step: `mean_n || d sum(output) / d x_t ||`.

    Args:
        source, x, windows: As `inspect` (real-valued input only).

    Returns:
        float64 `(time,)`: per input step, the L2 norm over features of the gradient
        of the model's summed outputs, averaged over the windows.

    Raises:
        ConfigError: Token input (ids have no gradient), or a backend without autodiff support here.
    """
    import keras

    model, x, _ = _model_and_inputs(source, x, windows)
    if not np.issubdtype(x.dtype, np.floating):
        raise ConfigError("gradient_norms needs real-valued input; token ids have no gradient")
    x = x.astype("float32")
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        inputs = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            total = tf.reduce_sum(tf.cast(model(inputs, training=False), tf.float32))
        grad = tape.gradient(total, inputs).numpy()
    elif backend == "jax":
        import jax

        grad = np.asarray(jax.grad(lambda v: model(v, training=False).astype("float32").sum())(x))
    else:
        raise ConfigError(f"gradient_norms supports the tensorflow and jax backends, not {backend!r}")
    return np.linalg.norm(grad.astype(np.float64), axis=-1).mean(axis=0)
