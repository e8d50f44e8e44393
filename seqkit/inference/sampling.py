"""The compiled sampling loop: a language model's own layers stepped inside one graph.

`SamplingLoop` wraps the trained model's `Embedding`, the cells of its
recurrent layers and its `Dense` head (the same layer objects, so the same
weights) in a `keras.Model` whose `call` reads the prompt and then samples
`length` tokens, all in `keras.ops.fori_loop`s. `predict_on_batch` compiles
that call (with XLA: a `tf.function(jit_compile=True)` on TensorFlow,
`jax.jit` on JAX) once per padded input shape and reuses it, so a token costs
one recurrent step and one draw, without a Python round trip.

Randomness comes in as data: one uniform number per sample and step, drawn by
the caller (`TextGenerator` uses NumPy's `default_rng(seed)`), turned into a
token by inverse-CDF sampling (`sample_tokens`). No random state lives in the
graph, so a seed repeats exactly and hands every backend the same draws, and
the NumPy reference `seqkit.inference.generation.sample_next` makes the same
choice from the same number and probabilities. (The text is the same wherever
the probabilities round the same way: XLA or another backend can move one
across a boundary, and the continuations part from there.)
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
from keras import ops

from seqkit.errors import RunError

FIRST_TOKEN = 2
"""Ids below this are never sampled: 0 is padding, 1 is `<unk>`."""


def sample_tokens(probabilities, uniforms, temperature, top_k, top_p):
    """One token per row, drawn from `probabilities` by inverse-CDF sampling.

    The rule, per row: zero ids 0 and 1; raise the probabilities to
    `1 / temperature` (renormalised implicitly). Without a cut (`top_k` at
    least the vocabulary size and `top_p` 1), walk the ids in order; with one,
    sort them by probability, most likely first, and keep the first `top_k`,
    and of those the smallest prefix whose mass before the last kept token is
    below `top_p` of the total (the most likely token is always kept). Return
    the token where the cumulative mass first exceeds `uniforms` times the
    kept mass. A temperature of 0 returns the most likely token. Each case runs
    only the operations it needs (`keras.ops.cond`), so greedy decoding and
    uncut sampling never sort.

    Args:
        probabilities: float `(batch, vocab_size)`, each row summing to 1.
        uniforms: float `(batch,)` in `[0, 1)`: the draw for each row.
        temperature: float scalar, 0 or more.
        top_k: int scalar, at least 1 (the vocabulary size or more: no cut).
        top_p: float scalar in `(0, 1]` (1: no cut).

    Returns:
        int32 `(batch,)` token ids, never 0 or 1.
    """
    vocab_size = ops.shape(probabilities)[-1]
    ids = ops.arange(vocab_size)[None, :]
    p = ops.where(ids >= FIRST_TOKEN, ops.cast(probabilities, "float32"), 0.0)

    def greedy():
        return ops.cast(ops.argmax(p, axis=-1), "int32")

    def sample():
        logits = ops.where(p > 0, ops.log(ops.maximum(p, 1e-30)) / temperature, -np.inf)
        weights = ops.exp(logits - ops.max(logits, axis=-1, keepdims=True))

        def in_id_order():
            return _inverse_cdf(weights, uniforms)

        def by_rank():
            order = ops.cast(ops.argsort(-weights, axis=-1), "int32")
            ranked = ops.take_along_axis(weights, order, axis=-1)
            cumulative = ops.cumsum(ranked, axis=-1)
            nucleus = ops.logical_or(cumulative - ranked < top_p * cumulative[:, -1:], top_p >= 1.0)
            kept = ops.where(ops.logical_and(ids < top_k, nucleus), ranked, 0.0)
            position = _inverse_cdf(kept, uniforms)
            return ops.take_along_axis(order, position[:, None], axis=-1)[:, 0]

        return ops.cond(ops.logical_or(top_k < vocab_size, top_p < 1.0), by_rank, in_id_order)

    return ops.cond(temperature > 0, sample, greedy)


def _inverse_cdf(weights, uniforms):
    """int32 `(batch,)`: per row, the first position where the cumulative weight exceeds `uniforms` of the total."""
    cumulative = ops.cumsum(weights, axis=-1)
    target = uniforms[:, None] * cumulative[:, -1:]
    position = ops.sum(ops.cast(cumulative <= target, "int32"), axis=-1)
    # A draw rounded up to the whole mass would pass the end: it takes the last token with any weight.
    last = ops.max(ops.where(weights > 0, ops.arange(ops.shape(weights)[-1])[None, :], 0), axis=-1)
    return ops.cast(ops.minimum(position, last), "int32")


def language_model_layers(model):
    """The `Embedding`, recurrent layers and `Dense` head of a seqkit language model, in order (dropout skipped).

    Raises:
        RunError: The model has another layer (generation steps through these three kinds only).
    """
    embedding, recurrent, head = None, [], None
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer) or (isinstance(layer, keras.layers.Dropout) and head is None):
            continue  # dropout (`head.dropout`) passes everything through outside training
        if isinstance(layer, keras.layers.Embedding) and embedding is None and not recurrent:
            embedding = layer
        elif isinstance(layer, keras.layers.RNN) and embedding is not None and head is None:
            recurrent.append(layer)
        elif isinstance(layer, keras.layers.Dense) and recurrent and head is None:
            head = layer
        else:
            raise RunError(
                f"generation steps through an Embedding, recurrent layers and a Dense head, but model "
                f"'{model.name}' has a {type(layer).__name__} layer '{layer.name}' there; generate from a "
                "language model built by seqkit (`head: {type: language_model}`)"
            )
    if embedding is None or not recurrent or head is None:
        raise RunError(
            f"model '{model.name}' is not a language model built by seqkit (it needs an Embedding, recurrent "
            "layers and a Dense head); generate from a `head: {type: language_model}` run"
        )
    return embedding, recurrent, head


def padded_size(n: int) -> int:
    """The size an input of `n` steps is padded to: the next power of two, at least 16.

    The compiled loop is specialised to its input shapes (XLA and `jax.jit`
    compile once per shape), so prompts and lengths are padded to a few sizes:
    a run compiles about once per doubling, not once per prompt.
    """
    return max(16, 1 << max(int(n) - 1, 0).bit_length())


class SamplingLoop(keras.Model):
    """Read a prompt, then sample tokens, in one compiled call over a language model's layers.

    Built from a trained language model (`build_model` with a
    `language_model` head); it shares that model's layers and weights.
    `generate` pads its inputs to a few shapes and calls `predict_on_batch`,
    which compiles `call` once per shape: with XLA (`jit_compile=True`, the
    default here, where the backend supports it), on TensorFlow a `tf.function`
    and on JAX `jax.jit`. On a 2-core CPU, XLA ran this loop about 7 times as
    fast as a plain TensorFlow graph, for a compilation of a second or two per shape
    (`benchmarks/generation.py`); `jit_compile=False` keeps the plain graph,
    which traces at most a few times and then serves every shape.

    Args:
        model: A trained language model.
        jit_compile: Compile with XLA where the backend supports it.

    Raises:
        RunError: The model is not a language model built by seqkit.
    """

    def __init__(self, model, *, jit_compile: bool = True, **kwargs):
        super().__init__(name=f"{model.name}_sampling", **kwargs)
        self.embedding, self.recurrent, self.head = language_model_layers(model)
        self.vocab_size = self.head.units
        self.built = True  # every layer is the trained model's, already built
        with warnings.catch_warnings():
            # Where XLA cannot take this model (TensorFlow with op determinism on, Apple GPUs),
            # Keras says so in a warning and keeps the plain graph, which samples by the same rule.
            warnings.simplefilter("ignore", UserWarning)
            self.jit_compile = jit_compile

    def generate(self, prompt, uniforms, *, temperature: float, top_k: int, top_p: float) -> np.ndarray:
        """Continue one prompt once per row of `uniforms`.

        Args:
            prompt: int `(prompt_length,)` ids, at least one.
            uniforms: float `(batch, length)` draws in `[0, 1)`, one per row and step;
                `length` at least 1.
            temperature: 0 or more (0: the most likely token).
            top_k: At least 1 (the vocabulary size or more: no cut).
            top_p: In `(0, 1]` (1: no cut).

        Returns:
            int32 `(batch, length)` token ids, never 0 or 1.
        """
        prompt = np.asarray(prompt, dtype=np.int32)
        batch, length = np.shape(uniforms)
        padded_prompt = np.full((batch, padded_size(len(prompt))), FIRST_TOKEN, dtype=np.int32)
        padded_prompt[:, padded_prompt.shape[1] - len(prompt) :] = prompt  # left-padded: read from `start`
        padded_uniforms = np.zeros((batch, padded_size(length)), dtype=np.float32)
        padded_uniforms[:, :length] = uniforms
        tokens = self.predict_on_batch(
            {
                "prompt": padded_prompt,
                "start": np.int32(padded_prompt.shape[1] - len(prompt)),
                "length": np.int32(length),
                "uniforms": padded_uniforms,
                "temperature": np.float32(temperature),
                "top_k": np.int32(min(top_k, 2**31 - 1)),
                "top_p": np.float32(top_p),
            }
        )
        return np.asarray(tokens)[:, :length]

    def _step(self, tokens, states):
        """Next-token probabilities `(batch, vocab_size)` after `tokens` `(batch,)`, and the new states."""
        # `call`, not `__call__`: the Embedding would attach its padding mask, which a cell
        # cannot take; no id fed here is 0.
        x = self.embedding.call(tokens)
        new_states = []
        for layer, state in zip(self.recurrent, states, strict=True):
            x, state = layer.cell(x, state, training=False)
            new_states.append(list(state) if isinstance(state, (list, tuple)) else [state])
        return ops.cast(self.head(x), "float32"), new_states

    def call(self, inputs):
        """Tokens `(batch, padded_length)`; those from `length` on are 0.

        Args:
            inputs: A dict: `prompt` int32 `(batch, padded_prompt_length)`, the
                prompt from position `start` (int32 scalar) on; `uniforms` float32
                `(batch, padded_length)`, the draws, of which the first `length`
                (int32 scalar) are used; `temperature`, `top_p` float32 scalars;
                `top_k` an int32 scalar.
        """
        prompt = ops.convert_to_tensor(inputs["prompt"], "int32")
        uniforms = ops.convert_to_tensor(inputs["uniforms"], "float32")
        temperature = ops.convert_to_tensor(inputs["temperature"], "float32")
        top_k = ops.convert_to_tensor(inputs["top_k"], "int32")
        top_p = ops.convert_to_tensor(inputs["top_p"], "float32")
        batch = ops.shape(uniforms)[0]
        states = []
        for layer in self.recurrent:
            state = layer.cell.get_initial_state(batch_size=batch)
            states.append(list(state) if isinstance(state, (list, tuple)) else [state])

        def read(i, carry):
            states, _ = carry
            probabilities, states = self._step(ops.take(prompt, i, axis=1), states)
            return states, probabilities

        probabilities = ops.zeros((batch, self.vocab_size), "float32")
        start, end = ops.cast(inputs["start"], "int32"), ops.shape(prompt)[1]
        states, probabilities = ops.fori_loop(start, end, read, (states, probabilities))

        def sample(i, carry):
            states, probabilities, tokens = carry
            token = sample_tokens(probabilities, ops.take(uniforms, i, axis=1), temperature, top_k, top_p)
            tokens = ops.slice_update(tokens, [0, i], token[:, None])
            probabilities, states = self._step(token, states)
            return states, probabilities, tokens

        tokens = ops.zeros(ops.shape(uniforms), "int32")
        length = ops.cast(inputs["length"], "int32")
        _, _, tokens = ops.fori_loop(0, length, sample, (states, probabilities, tokens))
        return tokens
