"""The model factory: cells against NumPy, and every variant through build, train, save and reload."""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest

from seqkit import reference
from seqkit.config import ModelConfig
from seqkit.errors import ConfigError
from seqkit.models import AttentionPooling, PerformanceWarning, SequenceSpec, build_model, cudnn_report

# ---------------------------------------------------------------------------
# The cells against their equations (`seqkit.reference`; whole models: tests/test_reference.py).


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_cells_match_the_numpy_reference(cell):
    from seqkit.models.recurrent import recurrent_layer

    rng = np.random.default_rng(1)
    layer = recurrent_layer(ModelConfig(cell=cell), 5, return_sequences=False, name="cell")
    x = rng.normal(size=(3, 7, 4)).astype("float32")
    layer(x)  # build
    # Random biases too, so every term of the equations is exercised.
    layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()])
    expected = reference.run_cell(cell, x, layer.get_weights()).last
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), expected, atol=1e-5)


def test_attention_pooling_matches_numpy_and_ignores_masked_steps():
    rng = np.random.default_rng(2)
    layer = AttentionPooling(units=3)
    h = rng.normal(size=(2, 5, 4)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
    layer(h)
    w, b, v = (x.astype("float64") for x in layer.get_weights())
    scores = (np.tanh(h @ w + b) @ v)[..., 0]
    scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    expected = (h * weights[..., None]).sum(axis=1)
    got = keras.ops.convert_to_numpy(layer(h, mask=keras.ops.convert_to_tensor(mask)))
    np.testing.assert_allclose(got, expected, atol=1e-5)
    # Changing a masked step must not change the output.
    h2 = h.copy()
    h2[0, 4] = 100.0
    got2 = keras.ops.convert_to_numpy(layer(h2, mask=keras.ops.convert_to_tensor(mask)))
    np.testing.assert_allclose(got2[0], got[0], atol=1e-6)


# ---------------------------------------------------------------------------
# One harness over every cell x variant x head.

CELLS = ["rnn", "lstm", "gru"]
VARIANTS = {
    "plain": {"layers": [6]},
    "stacked": {"layers": [8, 6, 4]},
    "bidirectional": {"layers": [6, 4], "bidirectional": True},
    "stateful": {"layers": [6, 4], "stateful": True},
    "attention": {"layers": [6], "attention": True},
}
HEADS = ["forecast", "classify", "language_model"]
LOOKBACK, FEATURES, HORIZON, TARGETS, CLASSES, VOCAB, BATCH = 7, 3, 4, 2, 3, 11, 4


def _variants(head: str) -> list[str]:
    # The config rules refuse the others: attention removes the time axis, and a
    # bidirectional language model would read the token it must predict.
    return [v for v in VARIANTS if not (v in ("attention", "bidirectional") and head == "language_model")]


def _cases():
    for cell in CELLS:
        for variant in VARIANTS:
            for head in HEADS:
                if variant not in _variants(head):
                    continue
                # On JAX (CI's second pass) each variant x head runs once, the cells taking turns so that every
                # cell meets every head and every variant: a third of the grid (the whole grid took 5-13 minutes
                # of the JAX pass on 2 cores). TensorFlow runs all of it.
                turn = CELLS[(_variants(head).index(variant) + HEADS.index(head)) % len(CELLS)]
                marks = () if cell == turn else (pytest.mark.tensorflow_only_for_time,)
                yield pytest.param(cell, variant, head, id=f"{cell}-{variant}-{head}", marks=marks)


def _config(cell: str, variant: str, head: str) -> ModelConfig:
    options = dict(VARIANTS[variant], cell=cell, head={"type": head}, dropout=0.1)
    if head == "language_model":
        options["embedding"] = {"dim": 5, "vocab_size": VOCAB}
    return ModelConfig(**options)


def _data(head: str, rng):
    n = 2 * BATCH
    if head == "language_model":
        x = rng.integers(1, VOCAB, size=(n, LOOKBACK)).astype("int32")
        return x, np.roll(x, -1, axis=1)
    x = rng.normal(size=(n, LOOKBACK, FEATURES)).astype("float32")
    if head == "forecast":
        return x, rng.normal(size=(n, HORIZON, TARGETS)).astype("float32")
    return x, rng.integers(0, CLASSES, size=(n,)).astype("int32")


def _reset(model: keras.Model) -> None:
    for layer in model.layers:
        inner = getattr(layer, "forward_layer", None)
        for target in (layer, inner, getattr(layer, "backward_layer", None)):
            if target is not None and getattr(target, "stateful", False):
                target.reset_state()


@pytest.mark.parametrize(("cell", "variant", "head"), list(_cases()))
def test_every_model_builds_trains_and_reloads_identically(tmp_path, cell, variant, head):
    config = _config(cell, variant, head)
    spec = SequenceSpec(
        lookback=LOOKBACK,
        n_features=FEATURES,
        horizon=HORIZON,
        n_targets=TARGETS,
        n_classes=CLASSES,
        batch_size=BATCH if config.stateful else None,
    )
    model = build_model(config, spec)
    x, y = _data(head, np.random.default_rng(3))
    expected_shape = {
        "forecast": (len(x), HORIZON, TARGETS),
        "classify": (len(x), CLASSES),
        "language_model": (len(x), LOOKBACK, VOCAB),
    }[head]

    before = [w.copy() for w in model.get_weights()]
    history = model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=not config.stateful, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True)), "training changed nothing"

    path = tmp_path / "model.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    _reset(model)
    _reset(reloaded)
    first = model.predict(x, batch_size=BATCH, verbose=0)
    second = reloaded.predict(x, batch_size=BATCH, verbose=0)
    assert first.shape == expected_shape
    np.testing.assert_allclose(first, second, atol=1e-6)
    if head != "forecast":
        np.testing.assert_allclose(first.sum(axis=-1), 1.0, atol=1e-5)


@pytest.fixture
def mixed_float16():
    """The policy `train.mixed_precision` sets on a GPU, for one test."""
    keras.mixed_precision.set_global_policy("mixed_float16")
    yield
    keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("head", [*HEADS, "quantiles"])
def test_mixed_precision_computes_in_float16_and_keeps_weights_and_outputs_in_float32(mixed_float16, head):
    if head == "quantiles":
        config = ModelConfig(cell="lstm", layers=[4], head={"type": "forecast", "quantiles": [0.1, 0.5, 0.9]})
    else:
        config = _config("lstm", "plain", head)
    spec = SequenceSpec(lookback=LOOKBACK, n_features=FEATURES, horizon=HORIZON, n_targets=TARGETS, n_classes=CLASSES)
    model = build_model(config, spec)
    recurrent = model.get_layer("lstm_1")
    assert keras.mixed_precision.dtype_policy().name == "mixed_float16"
    assert (recurrent.compute_dtype, recurrent.variable_dtype) == ("float16", "float32")
    assert {v.dtype for v in model.weights} == {"float32"}
    assert keras.backend.standardize_dtype(model.outputs[0].dtype) == "float32"  # the loss reads float32
    if head == "forecast":  # one training step, in float16 on this CPU too
        x, y = _data(head, np.random.default_rng(4))
        before = model.get_layer("lstm_1").get_weights()[0].copy()
        loss = model.train_on_batch(x[:BATCH], y[:BATCH], return_dict=True)["loss"]
        assert np.isfinite(loss) and not np.array_equal(before, model.get_layer("lstm_1").get_weights()[0])


def test_variable_length_real_input_is_masked():
    config = ModelConfig(cell="gru", layers=[4], masking=True, attention=True)
    model = build_model(config, SequenceSpec(lookback=None, n_features=2))
    x = np.random.default_rng(0).normal(size=(1, 5, 2)).astype("float32")
    padded = np.concatenate([x, np.zeros((1, 3, 2), "float32")], axis=1)
    np.testing.assert_allclose(model.predict(x, verbose=0), model.predict(padded, verbose=0), atol=1e-5)


def test_bidirectional_merge_mode_and_stack_shapes():
    model = build_model(
        ModelConfig(cell="lstm", layers=[8, 4], bidirectional=True, merge_mode="sum"),
        SequenceSpec(lookback=5, n_features=1),
        compile=False,
    )
    assert model.get_layer("lstm_1").output.shape == (None, 5, 8)
    assert model.get_layer("lstm_2").output.shape == (None, 4)


def test_stateful_without_batch_size_is_refused_in_python():
    with pytest.raises(ConfigError, match="stateful model needs a fixed batch size"):
        build_model(ModelConfig(stateful=True), SequenceSpec(lookback=5))


def test_classifier_needs_a_class_count():
    with pytest.raises(ConfigError, match="model.head.n_classes is not set"):
        build_model(ModelConfig(head={"type": "classify"}), SequenceSpec(lookback=5))


def test_language_model_needs_a_vocabulary():
    with pytest.raises(ConfigError, match="model.embedding.vocab_size is not set"):
        build_model(ModelConfig(head={"type": "language_model"}, embedding={"dim": 4}), SequenceSpec(lookback=None))


def test_spec_rejects_nonsense():
    with pytest.raises(ConfigError, match="SequenceSpec.n_features must be a positive integer"):
        SequenceSpec(lookback=5, n_features=0)


def test_optimizer_and_clipping_are_applied():
    from seqkit.config import OptimizerConfig

    model = build_model(
        ModelConfig(layers=[4]),
        SequenceSpec(lookback=5),
        optimizer=OptimizerConfig(type="sgd", learning_rate=0.05, clipnorm=1.0, momentum=0.9),
    )
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert model.optimizer.clipnorm == 1.0
    assert float(model.optimizer.learning_rate) == pytest.approx(0.05)


def test_the_cudnn_warning_names_the_setting_once():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build_model(ModelConfig(activation="relu"), SequenceSpec(lookback=5), compile=False)
        build_model(ModelConfig(), SequenceSpec(lookback=5), compile=False)
    messages = [str(w.message) for w in caught if issubclass(w.category, PerformanceWarning)]
    assert len(messages) == 1
    assert "activation 'relu'" in messages[0]


def test_cudnn_report_lists_each_layer():
    assert cudnn_report(ModelConfig(layers=[8, 4])) == [
        "lstm_1 (8 units): cuDNN-eligible (used on GPU)",
        "lstm_2 (4 units): cuDNN-eligible (used on GPU)",
    ]
    assert "no cuDNN kernel" in cudnn_report(ModelConfig(cell="rnn"))[0]


def test_cudnn_report_names_what_keeps_each_layer_off_cudnn():
    assert cudnn_report(ModelConfig(cell="lstm", layers=[8, 4], recurrent_dropout=0.1, unroll=True)) == [
        f"lstm_{i} ({units} units): not cuDNN: recurrent_dropout 0.1 (cuDNN needs 0); unroll is true"
        for i, units in ((1, 8), (2, 4))
    ]
    gru = cudnn_report(ModelConfig(cell="gru", layers=[8], reset_after=False))
    if keras.backend.backend() == "jax":  # Keras' JAX GRU has no cuDNN path, whatever the settings
        assert gru == ["gru_1 (8 units): no cuDNN kernel for GRU on the JAX backend (Keras runs it as a fused scan)"]
    else:
        assert gru == ["gru_1 (8 units): not cuDNN: reset_after is false (cuDNN's GRU needs true)"]
