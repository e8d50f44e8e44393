"""NumPy references of the recurrent cells and of whole seqkit models, in Keras' weight layout.

The equations, one step at time `t` (input `x`, previous output `h`, for the
LSTM previous cell state `c`; `σ` the logistic sigmoid, `⊙` the elementwise
product; `W` the `kernel`, `U` the `recurrent_kernel`, `b` the `bias`, each
split into the gates' blocks in Keras' order):

SimpleRNN:
    h_t = tanh(x W + h U + b)

LSTM (gate blocks i, f, g, o):
    i = σ(x W_i + h U_i + b_i)          input gate
    f = σ(x W_f + h U_f + b_f)          forget gate
    g = tanh(x W_g + h U_g + b_g)       candidate cell state
    o = σ(x W_o + h U_o + b_o)          output gate
    c_t = f ⊙ c + i ⊙ g
    h_t = o ⊙ tanh(c_t)

GRU (gate blocks z, r, h̃), with Keras' default `reset_after=True` (bias of
shape `(2, 3 units)`: an input and a recurrent row):
    z = σ(x W_z + b_z + h U_z + b'_z)   update gate
    r = σ(x W_r + b_r + h U_r + b'_r)   reset gate
    h̃ = tanh(x W_h + b_h + r ⊙ (h U_h + b'_h))
    h_t = z ⊙ h + (1 − z) ⊙ h̃
and with `reset_after=False` (one bias row; the reset gate acts before the product):
    h̃ = tanh(x W_h + (r ⊙ h) U_h + b_h)

`tanh` above is the layer's `activation` (seqkit's `model.activation`), σ its
`recurrent_activation`. A masked step (a padded one) leaves the state as it
was and repeats the previous output (zeros with `zero_output_for_mask`, as a
`Bidirectional` layer returning sequences asks), exactly as Keras does.

`run_model` runs a whole model made by `seqkit.models.build_model` (masking or
embedding, the recurrent stack, attention pooling, the head) from its own
weights, so a notebook can check Keras against these equations and read every
gate of every step (`return_gates=True`). Everything is float64 NumPy; nothing
here imports Keras.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

CELLS = ("rnn", "lstm", "gru")
_LAYER_CELLS = {"SimpleRNN": "rnn", "LSTM": "lstm", "GRU": "gru"}


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function `1 / (1 + exp(-x))`, without overflow for large `|x|`."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "relu": lambda x: np.maximum(x, 0.0),
    "linear": lambda x: x,
    "softmax": lambda x: _softmax(x),
}


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _activation(name) -> Callable[[np.ndarray], np.ndarray]:
    if name is None:
        return ACTIVATIONS["linear"]
    if name not in ACTIVATIONS:
        raise ValueError(f"the reference knows the activations {sorted(ACTIVATIONS)}; received {name!r}")
    return ACTIVATIONS[name]


def _blocks(z: np.ndarray, n: int) -> list[np.ndarray]:
    units = z.shape[-1] // n
    return [z[..., k * units : (k + 1) * units] for k in range(n)]


# ---------------------------------------------------------------------------- one step


def simple_rnn_step(x, h, kernel, recurrent_kernel, bias, *, activation: str = "tanh") -> np.ndarray:
    """One SimpleRNN step: `h_t = tanh(x W + h U + b)`. Shapes: x `(n, features)`, h `(n, units)`."""
    return _activation(activation)(x @ kernel + h @ recurrent_kernel + bias)


def lstm_step(
    x, h, c, kernel, recurrent_kernel, bias, *, activation: str = "tanh", recurrent_activation: str = "sigmoid"
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """One LSTM step (the module docstring's equations).

    Args:
        x: `(n, features)`; h, c: `(n, units)`; kernel `(features, 4 units)`,
            recurrent_kernel `(units, 4 units)`, bias `(4 units,)`, blocks i, f, g, o.

    Returns:
        `(h_t, c_t, gates)`, gates `{"input", "forget", "candidate", "output"}`, each `(n, units)`.
    """
    act, gate = _activation(activation), _activation(recurrent_activation)
    zi, zf, zg, zo = _blocks(x @ kernel + h @ recurrent_kernel + bias, 4)
    i, f, g, o = gate(zi), gate(zf), act(zg), gate(zo)
    c_next = f * c + i * g
    h_next = o * act(c_next)
    return h_next, c_next, {"input": i, "forget": f, "candidate": g, "output": o}


def gru_step(
    x, h, kernel, recurrent_kernel, bias, *, reset_after: bool = True, activation: str = "tanh",
    recurrent_activation: str = "sigmoid",
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One GRU step (the module docstring's equations, with or without `reset_after`).

    Args:
        x: `(n, features)`; h: `(n, units)`; kernel `(features, 3 units)`,
            recurrent_kernel `(units, 3 units)`; bias `(2, 3 units)` with
            `reset_after` (input row, recurrent row), else `(3 units,)`; blocks z, r, h̃.

    Returns:
        `(h_t, gates)`, gates `{"update", "reset", "candidate"}`, each `(n, units)`.
    """
    act, gate = _activation(activation), _activation(recurrent_activation)
    bias = np.asarray(bias)
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, np.zeros_like(bias))
    xz, xr, xh = _blocks(x @ kernel + input_bias, 3)
    u_z, u_r, u_h = _blocks(recurrent_kernel, 3)
    b_z, b_r, b_h = _blocks(recurrent_bias, 3)
    z = gate(xz + h @ u_z + b_z)
    r = gate(xr + h @ u_r + b_r)
    candidate = act(xh + r * (h @ u_h + b_h)) if reset_after else act(xh + (r * h) @ u_h)
    return z * h + (1.0 - z) * candidate, {"update": z, "reset": r, "candidate": candidate}


# ---------------------------------------------------------------------------- a sequence


@dataclasses.dataclass
class CellRun:
    """One recurrent layer over a sequence.

    Attributes:
        outputs: `(n, time, units)`, aligned with the input's time steps (also
            for a layer run backwards).
        last: `(n, units)`: what a layer without `return_sequences` returns (the
            output after the last step it processed).
        states: The final state: `(h,)`, or `(h, c)` for the LSTM.
        gates: With `return_gates`: each gate's activation `(n, time, units)`
            (NaN at masked steps, which compute no gate); else None.
        cell_states: With `return_gates`, an LSTM's cell state `c_t` after every
            step `(n, time, units)` (a masked step keeps the one before); else None.
    """

    outputs: np.ndarray
    last: np.ndarray
    states: tuple[np.ndarray, ...]
    gates: dict[str, np.ndarray] | None = None
    cell_states: np.ndarray | None = None


def run_cell(
    cell: str,
    x: np.ndarray,
    weights,
    *,
    initial_state=None,
    mask: np.ndarray | None = None,
    go_backwards: bool = False,
    zero_output_for_mask: bool = False,
    reset_after: bool = True,
    activation: str = "tanh",
    recurrent_activation: str = "sigmoid",
    return_gates: bool = False,
) -> CellRun:
    """Run a SimpleRNN (`rnn`), LSTM or GRU over `x` `(n, time, features)` with Keras' weights.

    Args:
        cell: `rnn`, `lstm` or `gru`.
        weights: `[kernel, recurrent_kernel, bias]` as `layer.get_weights()` gives them.
        initial_state: `h0`, or `(h0, c0)` for the LSTM; default zeros.
        mask: bool `(n, time)`: False steps keep the state and repeat the previous output.
        go_backwards: Process the steps last to first (the backward half of a `Bidirectional`).
        zero_output_for_mask: Output zeros at masked steps instead of repeating.
        reset_after, activation, recurrent_activation: As the Keras layer's arguments.
        return_gates: Also return every gate at every step.
    """
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {CELLS}; received {cell!r}")
    x = np.asarray(x, dtype=np.float64)
    kernel, recurrent_kernel, bias = (np.asarray(w, dtype=np.float64) for w in weights)
    n, steps = x.shape[:2]
    units = recurrent_kernel.shape[0]
    if initial_state is None:
        state = tuple(np.zeros((n, units)) for _ in range(2 if cell == "lstm" else 1))
    elif cell == "lstm":
        state = tuple(np.asarray(s, dtype=np.float64) for s in initial_state)
    else:
        state = (np.asarray(initial_state, dtype=np.float64),)
    mask = np.ones((n, steps), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    outputs = np.zeros((n, steps, units))
    cell_states = np.zeros((n, steps, units)) if return_gates and cell == "lstm" else None
    gates: dict[str, np.ndarray] = {}
    output = np.zeros((n, units))
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    for t in order:
        step_gates = {}
        if cell == "rnn":
            new = (simple_rnn_step(x[:, t], state[0], kernel, recurrent_kernel, bias, activation=activation),)
        elif cell == "lstm":
            h, c, step_gates = lstm_step(
                x[:, t], *state, kernel, recurrent_kernel, bias,
                activation=activation, recurrent_activation=recurrent_activation,
            )
            new = (h, c)
        else:
            h, step_gates = gru_step(
                x[:, t], state[0], kernel, recurrent_kernel, bias, reset_after=reset_after,
                activation=activation, recurrent_activation=recurrent_activation,
            )
            new = (h,)
        keep = mask[:, t][:, None]
        state = tuple(np.where(keep, s_new, s_old) for s_new, s_old in zip(new, state, strict=True))
        output = np.where(keep, new[0], 0.0 if zero_output_for_mask else output)
        outputs[:, t] = output
        if cell_states is not None:
            cell_states[:, t] = state[1]
        if return_gates:
            for name, value in step_gates.items():
                if name not in gates:
                    gates[name] = np.full((n, steps, units), np.nan)
                gates[name][:, t] = np.where(keep, value, np.nan)
    return CellRun(outputs, output, state, gates if return_gates else None, cell_states)


# ---------------------------------------------------------------------------- a whole model


@dataclasses.dataclass
class ModelRun:
    """A whole model run by `run_model`.

    Attributes:
        outputs: What `model(x)` returns, float64.
        layers: Each recurrent layer's `CellRun` by layer name (a `Bidirectional`
            layer's halves as `<name>/forward` and `<name>/backward`).
    """

    outputs: np.ndarray
    layers: dict[str, CellRun]


def run_model(model, x, *, return_gates: bool = False) -> ModelRun:
    """Run a model made by `seqkit.models.build_model` in NumPy, from its own weights.

    Supports the layers that factory makes: `Masking`, `Embedding`, `SimpleRNN`,
    `LSTM`, `GRU` (alone or in `Bidirectional`, every merge mode),
    `AttentionPooling`, `Dense`, `Reshape` and `MonotoneQuantiles`. The model
    runs as in inference (dropout off) and from a zero state (a stateful
    model's carried state is not read).

    Args:
        model: A functional Keras model, one layer after another.
        x: Its input: float `(n, time, features)`, or int token ids `(n, time)`.
        return_gates: Keep every gate of every step in `ModelRun.layers`.

    Raises:
        ValueError: A layer the reference does not implement (named).
    """
    x = np.asarray(x)
    mask = None
    runs: dict[str, CellRun] = {}
    for layer in model.layers:
        kind = type(layer).__name__
        if kind in ("Embedding", "AttentionPooling", "Dense"):
            weights = [np.asarray(w, dtype=np.float64) for w in layer.get_weights()]
        if kind in ("InputLayer", "Dropout"):  # dropout passes everything through outside training
            continue
        if kind == "Masking":
            mask = np.any(x != layer.mask_value, axis=-1)
            x = np.where(mask[..., None], x, 0.0).astype(np.float64)
        elif kind == "Embedding":
            ids = x.astype(np.int64)
            mask = ids != 0 if layer.mask_zero else None
            x = weights[0][ids]
        elif kind in _LAYER_CELLS:
            x, mask = _recurrent(layer, x, mask, runs, return_gates)
        elif kind == "Bidirectional":
            x, mask = _bidirectional(layer, x, mask, runs, return_gates)
        elif kind == "AttentionPooling":
            w, b, v = weights
            scores = (np.tanh(x @ w + b) @ v)[..., 0]
            if mask is not None:
                scores = np.where(mask, scores, -np.inf)
            x = (x * _softmax(scores)[..., None]).sum(axis=1)
            mask = None
        elif kind == "Dense":
            x = _activation(layer.get_config()["activation"])(x @ weights[0] + (weights[1] if len(weights) > 1 else 0))
        elif kind == "Reshape":
            x = x.reshape((len(x), *layer.target_shape))
        elif kind == "MonotoneQuantiles":
            x = _monotone_quantiles(x, layer.median_index)
        else:
            raise ValueError(f"the NumPy reference does not implement layer {layer.name!r} ({kind})")
    return ModelRun(x, runs)


def _cell_options(layer) -> dict:
    config = layer.get_config()
    return {
        "go_backwards": config.get("go_backwards", False),
        "zero_output_for_mask": getattr(layer, "zero_output_for_mask", False),
        "reset_after": config.get("reset_after", True),
        "activation": config.get("activation", "tanh"),
        "recurrent_activation": config.get("recurrent_activation", "sigmoid"),
    }


def _recurrent(layer, x, mask, runs, return_gates):
    cell = _LAYER_CELLS[type(layer).__name__]
    run = run_cell(cell, x, layer.get_weights(), mask=mask, return_gates=return_gates, **_cell_options(layer))
    runs[layer.name] = run
    if layer.return_sequences:
        return run.outputs, mask
    return run.last, None


def _bidirectional(layer, x, mask, runs, return_gates):
    halves = []
    for half, name in ((layer.forward_layer, "forward"), (layer.backward_layer, "backward")):
        options = _cell_options(half)
        options["go_backwards"] = name == "backward"
        run = run_cell(
            _LAYER_CELLS[type(half).__name__], x, half.get_weights(), mask=mask, return_gates=return_gates, **options
        )
        runs[f"{layer.name}/{name}"] = run
        halves.append(run.outputs if half.return_sequences else run.last)
    forward, backward = halves
    merged = {
        "concat": lambda: np.concatenate([forward, backward], axis=-1),
        "sum": lambda: forward + backward,
        "mul": lambda: forward * backward,
        "ave": lambda: (forward + backward) / 2.0,
    }[layer.merge_mode]()
    return merged, (mask if layer.forward_layer.return_sequences else None)


def _monotone_quantiles(x: np.ndarray, median: int) -> np.ndarray:
    """`seqkit.models.quantiles.MonotoneQuantiles`: the median, plus or minus cumulated softplus increments."""
    softplus = np.logaddexp(0.0, x)
    out = np.empty_like(x)
    out[..., median] = x[..., median]
    for k in range(median + 1, x.shape[-1]):
        out[..., k] = out[..., k - 1] + softplus[..., k]
    for k in range(median - 1, -1, -1):
        out[..., k] = out[..., k + 1] - softplus[..., k]
    return out
