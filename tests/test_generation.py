"""The compiled sampling loop against the eager, NumPy-sampled reference: same tokens, token for token."""

from __future__ import annotations

import numpy as np
import pytest

from seqkit.config import ModelConfig
from seqkit.errors import ConfigError, RunError
from seqkit.inference.generation import check_sampling, sample_next, stepping_model
from seqkit.inference.sampling import SamplingLoop, language_model_layers, padded_size, sample_tokens
from seqkit.models import SequenceSpec, build_model

VOCAB = 12
SETTINGS = [  # temperature, top_k, top_p
    (0.0, None, 1.0),
    (1.0, None, 1.0),
    (0.7, 4, 1.0),
    (1.3, None, 0.6),
    (1.0, 3, 0.8),
    (2.0, 1, 1.0),
]


class Draws:
    """An `rng` for `sample_next` that hands out given uniform numbers in order."""

    def __init__(self, values):
        self.values = iter(np.asarray(values, dtype=np.float64).ravel())

    def random(self):
        return next(self.values)


def peaky_language_model(cell: str, layers: list[int], head_dropout: float = 0.0):
    """An untrained language model with weights scaled up, so its next-token distributions are far from flat."""
    head = {"type": "language_model", "dropout": head_dropout}
    config = ModelConfig(cell=cell, layers=layers, embedding={"dim": 4}, head=head)
    model = build_model(config, SequenceSpec(lookback=None, vocab_size=VOCAB), compile=False)
    model.set_weights([3.0 * w for w in model.get_weights()])
    return model, config


def test_the_in_graph_sampler_draws_what_the_numpy_rule_draws():
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=2.0, size=(64, VOCAB))
    probabilities = (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)).astype(np.float32)
    uniforms = rng.random(64).astype(np.float32)
    for temperature, top_k, top_p in SETTINGS:
        drawn = sample_tokens(
            probabilities, uniforms, np.float32(temperature), np.int32(top_k or VOCAB), np.float32(top_p)
        )
        expected = [
            sample_next(p, temperature, Draws([u]), top_k=top_k, top_p=top_p)
            for p, u in zip(probabilities, uniforms, strict=True)
        ]
        np.testing.assert_array_equal(np.asarray(drawn), expected, err_msg=str((temperature, top_k, top_p)))
        assert min(expected) >= 2


def test_top_k_and_top_p_cut_the_distribution_where_they_say():
    p = np.array([0.3, 0.2, 0.25, 0.15, 0.06, 0.04])  # ids 0 and 1 never drawn: ids 2..5 hold 0.5
    draws = np.linspace(0, 1, 200, endpoint=False)
    assert {sample_next(p, 1.0, Draws([u])) for u in draws} == {2, 3, 4, 5}
    assert {sample_next(p, 1.0, Draws([u]), top_k=2) for u in draws} == {2, 3}
    # Half the mass (0.25 of 0.5) is in id 2 alone: top_p 0.49 keeps it only, 0.51 adds id 3.
    assert {sample_next(p, 1.0, Draws([u]), top_p=0.49) for u in draws} == {2}
    assert {sample_next(p, 1.0, Draws([u]), top_p=0.51) for u in draws} == {2, 3}
    assert {sample_next(p, 0.0, Draws([u]), top_k=3) for u in draws} == {2}


@pytest.mark.parametrize(("cell", "layers", "head_dropout"), [("lstm", [8], 0.0), ("gru", [8, 6], 0.5), ("rnn", [5], 0.0)])
def test_the_compiled_loop_generates_what_eager_steps_and_numpy_sampling_generate(cell, layers, head_dropout):
    model, config = peaky_language_model(cell, layers, head_dropout)  # dropout before the head: skipped
    loop = SamplingLoop(model, jit_compile=False)  # XLA may round a probability across a draw's boundary
    prompt, length = [2, 5, 7, 3], 30
    for temperature, top_k, top_p in SETTINGS:
        uniforms = np.random.default_rng(3).random((2, length)).astype(np.float32)
        tokens = loop.generate(prompt, uniforms, temperature=temperature, top_k=top_k or VOCAB, top_p=top_p)
        assert tokens.shape == (2, length)
        for row in range(2):
            step, draws = stepping_model(model, config, VOCAB), Draws(uniforms[row])
            probabilities, expected = step(np.array(prompt)), []
            for _ in range(length):
                expected.append(sample_next(probabilities, temperature, draws, top_k=top_k, top_p=top_p))
                probabilities = step(np.array(expected[-1:]))
            np.testing.assert_array_equal(tokens[row], expected, err_msg=f"{cell} {(temperature, top_k, top_p)}")
        if temperature == 0:  # greedy ignores the draws
            np.testing.assert_array_equal(tokens[0], tokens[1])


def test_xla_and_the_plain_graph_agree_and_padding_changes_nothing():
    model, _ = peaky_language_model("lstm", [8])
    plain, xla = SamplingLoop(model, jit_compile=False), SamplingLoop(model)
    for prompt, length in [([4], 1), ([2, 5, 7, 3], 16), (list(range(2, 12)) * 2, 17), ([9, 3] * 40, 70)]:
        uniforms = np.random.default_rng(length).random((3, length)).astype(np.float32)
        greedy = plain.generate(prompt, uniforms, temperature=0.0, top_k=VOCAB, top_p=1.0)
        np.testing.assert_array_equal(xla.generate(prompt, uniforms, temperature=0.0, top_k=VOCAB, top_p=1.0), greedy)
        # A longer request pads to the same or a larger size; its first tokens are the shorter one's.
        longer = np.concatenate([uniforms, uniforms], axis=1)
        twice = plain.generate(prompt, longer, temperature=1.0, top_k=VOCAB, top_p=1.0)
        once = plain.generate(prompt, uniforms, temperature=1.0, top_k=VOCAB, top_p=1.0)
        np.testing.assert_array_equal(twice[:, :length], once)
    assert [padded_size(n) for n in (1, 16, 17, 32, 33, 2000)] == [16, 16, 32, 32, 64, 2048]


def test_the_loop_reads_only_language_models():
    forecaster = build_model(ModelConfig(layers=[4]), SequenceSpec(lookback=5), compile=False)
    with pytest.raises(RunError, match="generation steps through an Embedding, recurrent layers and a Dense head"):
        language_model_layers(forecaster)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"length": -1}, r"`length` \(--length\) must be a whole number of tokens, 0 or more; received -1"),
        ({"length": 2.5}, r"received 2.5"),
        ({"temperature": -0.5}, r"`temperature` \(--temperature\) must be 0 or more; received -0.5. Use 0"),
        ({"temperature": float("nan")}, r"`temperature` .* received nan"),
        ({"top_k": 0}, r"`top_k` \(--top-k\) must be a whole number of at least 1 .*received 0. Leave it out"),
        ({"top_p": 0.0}, r"`top_p` \(--top-p\) must be above 0 and at most 1 .*received 0.0. Use 1"),
        ({"top_p": 1.5}, r"received 1.5"),
        ({"num_samples": 0}, r"`num_samples` \(--num-samples\) must be a whole number of continuations, at least 1"),
        ({"seed": -2}, r"`seed` \(--seed\) must be a whole number, 0 or more; received -2"),
        ({"seed": True}, r"`seed` .*received True"),
    ],
)
def test_generation_arguments_are_checked_one_rule_each(arguments, message):
    with pytest.raises(ConfigError, match=message):
        check_sampling(**arguments)
