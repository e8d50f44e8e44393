"""Looking inside a model: gates and states per step (`seqkit.inspect`), gradients per step, the cell drawings."""

from __future__ import annotations

import numpy as np
import pytest

import seqkit
from seqkit import ModelConfig, SequenceSpec, build_model
from seqkit.errors import ConfigError
from seqkit.evaluation import draw_cell, plot_gates, plot_gradient_norms
from seqkit.inference import gradient_norms, inspect
from seqkit.reference import sigmoid


def _model(cell: str, lookback: int = 12):
    return build_model(ModelConfig(cell=cell, layers=[6, 5]), SequenceSpec(lookback=lookback, n_features=2, horizon=3))


def test_an_lstms_states_follow_its_gates_and_match_keras():
    import keras

    model = _model("lstm")
    x = np.random.default_rng(0).normal(size=(3, 12, 2)).astype("float32")
    trace = inspect(model, x)
    assert list(trace.layers) == ["lstm_1", "lstm_2"]
    first = trace.layers["lstm_1"]
    g = first.gates
    assert set(g) == {"input", "forget", "candidate", "output"} and first.cell == "lstm"
    c = np.zeros((3, 6))
    for t in range(12):  # the published equations, from the recorded gates
        c = g["forget"][:, t] * c + g["input"][:, t] * g["candidate"][:, t]
        np.testing.assert_allclose(first.cell_states[:, t], c, atol=1e-12)
        np.testing.assert_allclose(first.outputs[:, t], g["output"][:, t] * np.tanh(c), atol=1e-12)
    keras_h = keras.Model(model.input, model.get_layer("lstm_1").output)(x)
    np.testing.assert_allclose(first.outputs, keras.ops.convert_to_numpy(keras_h), atol=1e-5)
    np.testing.assert_allclose(trace.outputs, keras.ops.convert_to_numpy(model(x)), atol=1e-5)
    # The forget gate is a sigmoid of the step's input and the previous output, as the reference says.
    kernel, recurrent, bias = model.get_layer("lstm_1").get_weights()
    f = sigmoid(x[:, 3] @ kernel[:, 6:12] + first.outputs[:, 2] @ recurrent[:, 6:12] + bias[6:12])
    np.testing.assert_allclose(g["forget"][:, 3], f, atol=1e-6)


def test_a_run_is_inspected_on_its_own_test_windows(finished_run):
    trace = seqkit.inspect(finished_run, windows=2)
    run = seqkit.load_run(finished_run)
    prepared = run.task.prepare(preprocessing=run.preprocessing)
    np.testing.assert_array_equal(trace.inputs, prepared.test.arrays()[0][:2])
    assert set(trace.layers["gru_1"].gates) == {"update", "reset", "candidate"}
    assert trace.layers["gru_1"].cell_states is None and trace.feature_names == ("series_0", "series_1")
    assert len(plot_gates(trace).axes) == 1 + 3 + 1  # the input, three gates and the output
    with pytest.raises(ConfigError, match="`layer` must be one of"):
        plot_gates(trace, layer="lstm_9")


def test_gradient_norms_are_the_gradient_of_the_summed_output_per_step():
    model = _model("rnn", lookback=6)
    x = np.random.default_rng(1).normal(size=(1, 6, 2)).astype("float64")
    norms = gradient_norms(model, x)
    assert norms.shape == (6,)
    eps = 1e-3
    for t in (0, 5):  # central differences on each feature of step t
        grad = []
        for j in range(2):
            up, down = x.copy(), x.copy()
            up[0, t, j] += eps
            down[0, t, j] -= eps
            total = (np.asarray(model(up.astype("float32"))).sum() - np.asarray(model(down.astype("float32"))).sum())
            grad.append(total / (2 * eps))
        assert norms[t] == pytest.approx(np.linalg.norm(grad), rel=0.05, abs=1e-4)
    with pytest.raises(ConfigError, match="`x` is required"):
        gradient_norms(model)


def test_the_cells_are_drawn_with_their_gates_and_equations():
    texts = {kind: [t.get_text() for ax in draw_cell(kind).axes for t in ax.texts] for kind in ("lstm", "gru", "rnn")}
    assert any("forget" in t for t in texts["lstm"]) and any("c_t = f ⊙ c_{t-1} + i ⊙ g" in t for t in texts["lstm"])
    assert any("update" in t for t in texts["gru"]) and any("reset" in t for t in texts["gru"])
    assert any("tanh" in t for t in texts["rnn"])
    with pytest.raises(ConfigError, match="`kind` must be one of"):
        draw_cell("transformer")
    fig = plot_gradient_norms({"SimpleRNN": np.array([1e-4, 1e-2, 1.0]), "LSTM": np.array([1e-2, 1e-1, 1.0])})
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["SimpleRNN", "LSTM"]
