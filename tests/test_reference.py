"""`seqkit.reference`: Keras cells, stacks and whole seqkit models against the NumPy equations, to 1e-5."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from seqkit import reference
from seqkit.config import ModelConfig
from seqkit.models import SequenceSpec, build_model

ATOL = 1e-5


def _randomise(layer_or_model, rng, scale=0.5):
    """Random weights everywhere (biases too), so every term of the equations is exercised."""
    layer_or_model.set_weights([rng.normal(scale=scale, size=w.shape).astype("float32")
                                for w in layer_or_model.get_weights()])


def _layer(cell: str, units: int, **options):
    layer_class = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[cell]
    return layer_class(units, **options)


CELL_CASES = [("rnn", {}), ("lstm", {}), ("gru", {"reset_after": True}), ("gru", {"reset_after": False})]


@pytest.mark.parametrize("cell,options", CELL_CASES, ids=["rnn", "lstm", "gru", "gru_reset_before"])
def test_a_cell_matches_its_equations_outputs_and_final_state(cell, options):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 6, 4)).astype("float32")
    layer = _layer(cell, 5, return_sequences=True, return_state=True, **options)
    layer(x)
    _randomise(layer, rng)
    outputs, *states = (keras.ops.convert_to_numpy(t) for t in layer(x))
    run = reference.run_cell(cell, x, layer.get_weights(), reset_after=options.get("reset_after", True))
    np.testing.assert_allclose(outputs, run.outputs, atol=ATOL)
    np.testing.assert_allclose(outputs[:, -1], run.last, atol=ATOL)
    for got, expected in zip(states, run.states, strict=True):  # (h,) or (h, c)
        np.testing.assert_allclose(got, expected, atol=ATOL)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_initial_state_mask_and_backwards_run_as_keras_runs_them(cell):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    mask = np.array([[True] * 5, [True, True, True, False, False]])
    layer = _layer(cell, 4, return_sequences=True, return_state=True, go_backwards=True)
    layer(x)
    _randomise(layer, rng)
    initial = [rng.normal(size=(2, 4)).astype("float32") for _ in range(2 if cell == "lstm" else 1)]
    outputs, *states = layer(x, initial_state=initial, mask=keras.ops.convert_to_tensor(mask))
    run = reference.run_cell(cell, x, layer.get_weights(), initial_state=initial if cell == "lstm" else initial[0],
                             mask=mask, go_backwards=True)
    # Keras returns a backwards layer's outputs in the order it made them; the reference aligns them with time.
    got = keras.ops.convert_to_numpy(outputs)[:, ::-1]
    np.testing.assert_allclose(got[mask], run.outputs[mask], atol=ATOL)
    # At masked steps TensorFlow's Keras emits zeros, as the reference does; JAX's repeats the last output
    # (the states, below, agree on both: a masked step leaves them as they were).
    if keras.backend.backend() == "tensorflow":
        np.testing.assert_allclose(got, run.outputs, atol=ATOL)
    for got, expected in zip(states, run.states, strict=True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(got), expected, atol=ATOL)


def test_lstm_gates_rebuild_the_cell_update():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 4, 3))
    weights = [rng.normal(scale=0.5, size=shape) for shape in ((3, 12), (3, 12), (12,))]
    run = reference.run_cell("lstm", x, weights, return_gates=True)
    g = run.gates
    c, h = np.zeros((2, 3)), np.zeros((2, 3))
    for t in range(4):
        c = g["forget"][:, t] * c + g["input"][:, t] * g["candidate"][:, t]
        h = g["output"][:, t] * np.tanh(c)
        np.testing.assert_allclose(run.outputs[:, t], h, atol=1e-12)
    np.testing.assert_allclose(run.states[1], c, atol=1e-12)
    assert all(((gate > 0) & (gate < 1)).all() for name, gate in g.items() if name != "candidate")


def test_one_step_functions_are_the_sequence_run_one_step_at_a_time():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 1, 3))
    kernel, recurrent, bias = rng.normal(size=(3, 9)), rng.normal(size=(3, 9)), rng.normal(size=(2, 9))
    h, gates = reference.gru_step(x[:, 0], np.zeros((2, 3)), kernel, recurrent, bias)
    np.testing.assert_allclose(h, reference.run_cell("gru", x, [kernel, recurrent, bias]).last, atol=1e-12)
    assert set(gates) == {"update", "reset", "candidate"}


MODEL_CASES = {
    "plain": {"layers": [6]},
    "stacked": {"layers": [7, 5, 4]},
    "bidirectional_concat": {"layers": [5, 4], "bidirectional": True},
    "bidirectional_sum": {"layers": [5, 4], "bidirectional": True, "merge_mode": "sum"},
    "bidirectional_ave": {"layers": [4], "bidirectional": True, "merge_mode": "ave"},
    "bidirectional_mul": {"layers": [4], "bidirectional": True, "merge_mode": "mul"},
    "attention": {"layers": [6, 5], "attention": True},
    "masked": {"layers": [6, 4], "masking": True, "mask_value": -9.0},
    "masked_bidirectional": {"layers": [5, 4], "masking": True, "mask_value": -9.0, "bidirectional": True},
    "hidden_head": {"layers": [6], "head": {"type": "forecast", "hidden": [8]}},
    "quantiles": {"layers": [6], "head": {"type": "forecast", "quantiles": [0.1, 0.5, 0.9]}},
    "classify": {"layers": [6, 4], "head": {"type": "classify", "n_classes": 3}},
}


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("case", list(MODEL_CASES))
def test_a_whole_seqkit_model_matches_the_reference(cell, case):
    rng = np.random.default_rng(4)
    model = build_model(ModelConfig(cell=cell, **MODEL_CASES[case]), SequenceSpec(lookback=6, n_features=3, horizon=2,
                                                                                  n_targets=2), compile=False)
    _randomise(model, rng)
    x = rng.normal(size=(4, 6, 3)).astype("float32")
    if "masked" in case:
        x[1, 4:] = -9.0  # right padding
        x[2, 2:] = -9.0
    expected = reference.run_model(model, x).outputs
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x)), expected, atol=ATOL)


def test_a_token_language_model_matches_the_reference():
    rng = np.random.default_rng(5)
    config = ModelConfig(
        cell="lstm", layers=[6, 5], embedding={"dim": 4}, head={"type": "language_model", "dropout": 0.4}
    )
    model = build_model(config, SequenceSpec(lookback=None, vocab_size=9), compile=False)
    assert model.get_layer("head_dropout").rate == 0.4  # off outside training, as in the reference
    _randomise(model, rng)
    ids = rng.integers(1, 9, size=(3, 7))
    ids[0, 5:] = 0  # padding id, masked by mask_zero
    run = reference.run_model(model, ids, return_gates=True)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(ids)), run.outputs, atol=ATOL)
    assert set(run.layers) == {"lstm_1", "lstm_2"} and np.isnan(run.layers["lstm_1"].gates["forget"][0, 5:]).all()


def test_an_unknown_layer_is_named():
    model = keras.Sequential([keras.Input((3, 2)), keras.layers.Conv1D(2, 2, name="conv")])
    with pytest.raises(ValueError, match=r"does not implement layer 'conv' \(Conv1D\)"):
        reference.run_model(model, np.zeros((1, 3, 2)))
