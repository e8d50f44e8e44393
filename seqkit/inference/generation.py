"""Text generation from a trained language model: one compiled loop, built once, sampling in the graph.

The tutorials call `model.predict` on the whole window for every new token,
so generating `n` tokens from a window of `L` costs `n * L` recurrent steps
plus `n` calls of `predict`'s set-up. `TextGenerator` reads the prompt once
and then advances one recurrent step per token, carrying the state, and does
both inside one compiled call (`seqkit.inference.sampling.SamplingLoop`):
`len(prompt) + n` steps in all, with no Python between them.

Sampling takes a temperature (0: always the most likely token), `top_k` (only
the k most likely tokens) and `top_p` (only the most likely tokens that
together hold p of the probability), never draws padding (id 0) or `<unk>`
(id 1), and repeats exactly for a given `seed` on the same installation:
the draws are NumPy's `default_rng(seed)`, one uniform number per sample and
token, and `sample_next` is the same rule in NumPy. `num_samples`
continuations are sampled side by side, as one batch; the first takes the
draws a single sample with the same seed takes, so it is the same text.

The defaults below are the ones `Run.generate`, `generate_text` and
`seqkit generate` all use.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING

import numpy as np

from seqkit.errors import ConfigError

if TYPE_CHECKING:
    from seqkit.config.model import ModelConfig

DEFAULT_LENGTH = 200
"""Tokens generated unless told otherwise."""
DEFAULT_TEMPERATURE = 1.0
"""Sample from the distribution the model learned; lower is more conservative, 0 greedy."""
DEFAULT_TOP_P = 1.0
"""No nucleus cut: every token may be drawn."""


def check_sampling(
    *, length=DEFAULT_LENGTH, temperature=DEFAULT_TEMPERATURE, top_k=None, top_p=DEFAULT_TOP_P, num_samples=None,
    seed=None,
) -> None:
    """Check generation arguments, each against its rule.

    Raises:
        ConfigError: An argument breaks its rule; the message names it (and its
            `seqkit generate` option), echoes it and says what to give.
    """

    def whole(value) -> bool:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)

    def real(value) -> bool:
        return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)

    if not whole(length) or length < 0:
        raise ConfigError(f"`length` (--length) must be a whole number of tokens, 0 or more; received {length!r}")
    if not real(temperature) or temperature < 0:
        raise ConfigError(
            f"`temperature` (--temperature) must be 0 or more; received {temperature!r}. Use 0 for the most likely "
            f"token every time, 1 to sample as the model learned (default {DEFAULT_TEMPERATURE})"
        )
    if top_k is not None and (not whole(top_k) or top_k < 1):
        raise ConfigError(
            f"`top_k` (--top-k) must be a whole number of at least 1 (sample only from the k most likely tokens); "
            f"received {top_k!r}. Leave it out to sample from the whole vocabulary"
        )
    if not real(top_p) or not 0 < top_p <= 1:
        raise ConfigError(
            f"`top_p` (--top-p) must be above 0 and at most 1 (sample only from the most likely tokens that hold "
            f"this share of the probability); received {top_p!r}. Use 1 to sample from the whole vocabulary"
        )
    if num_samples is not None and (not whole(num_samples) or num_samples < 1):
        raise ConfigError(
            f"`num_samples` (--num-samples) must be a whole number of continuations, at least 1; received "
            f"{num_samples!r}. Leave it out for one continuation as a string"
        )
    if seed is not None and (not whole(seed) or seed < 0):
        raise ConfigError(f"`seed` (--seed) must be a whole number, 0 or more; received {seed!r}")


def stepping_model(model, config: ModelConfig, vocab_size: int):
    """A stateful, batch-of-one copy of a language model that reads any number of steps per call.

    Each call is an eager Keras call; `TextGenerator` runs the same steps
    compiled. This copy is the reference the compiled loop is tested against.
    """
    import keras

    from seqkit.models import SequenceSpec, build_model, reset_states

    step_config = config.model_copy(update={"stateful": True, "dropout": 0.0, "recurrent_dropout": 0.0})
    stepper = build_model(
        step_config, SequenceSpec(lookback=None, vocab_size=vocab_size, batch_size=1), compile=False, name="stepper"
    )
    stepper.set_weights(model.get_weights())
    reset_states(stepper)
    step = keras.ops.convert_to_numpy

    def call(ids: np.ndarray) -> np.ndarray:
        """Probabilities of the next token after `ids` (continuing from the carried state)."""
        return step(stepper(np.asarray(ids, dtype="int32")[None, :], training=False))[0, -1]

    return call


def sample_next(
    probabilities: np.ndarray, temperature: float, rng: np.random.Generator, *, top_k: int | None = None,
    top_p: float = DEFAULT_TOP_P,
) -> int:
    """Draw a token id, never padding (0) or `<unk>` (1); temperature 0 takes the most likely.

    The NumPy statement of the compiled loop's rule
    (`seqkit.inference.sampling.sample_tokens`): the probabilities raised to
    `1 / temperature`; without a cut, the ids in order; with `top_k` or
    `top_p`, sorted most likely first and cut to the first `top_k` and to the
    smallest prefix holding `top_p` of the mass; then the token where the
    cumulative mass passes one uniform draw from `rng`. The draw is taken at
    every temperature, so a greedy call uses up the same draw a sampled one
    would.
    """
    uniform = rng.random()
    p = np.asarray(probabilities, dtype=np.float64).copy()
    p[:2] = 0.0
    if temperature == 0:
        return int(np.argmax(p))
    logits = np.full_like(p, -np.inf)
    logits[p > 0] = np.log(p[p > 0]) / temperature
    weights = np.exp(logits - logits.max())
    if (top_k is None or top_k >= len(p)) and top_p >= 1:
        order = np.arange(len(p))
        kept = weights
    else:
        order = np.argsort(-weights, kind="stable")
        ranked = weights[order]
        keep = np.arange(len(p)) < (len(p) if top_k is None else top_k)
        if top_p < 1:
            cumulative = np.cumsum(ranked)
            keep &= cumulative - ranked < top_p * cumulative[-1]
        kept = np.where(keep, ranked, 0.0)
    cumulative = np.cumsum(kept)
    position = min(int(np.sum(cumulative <= uniform * cumulative[-1])), int(np.flatnonzero(kept > 0)[-1]))
    return int(order[position])


class TextGenerator:
    """A language model's compiled sampling loop, built once and reused for every call.

    `Run.generate` keeps one per run. The loop shares the model's layers, so it
    always samples from the model's current weights.

    Args:
        model: A trained language model (`head: language_model`).
        vocabulary: The run's `Vocabulary`.

    Raises:
        RunError: The model is not a language model built by seqkit.
    """

    def __init__(self, model, vocabulary):
        from seqkit.inference.sampling import SamplingLoop

        self.vocabulary = vocabulary
        self.loop = SamplingLoop(model)

    def __call__(
        self,
        prompt: str,
        length: int = DEFAULT_LENGTH,
        *,
        temperature: float = DEFAULT_TEMPERATURE,
        top_k: int | None = None,
        top_p: float = DEFAULT_TOP_P,
        num_samples: int | None = None,
        seed: int | None = None,
    ) -> str | list[str]:
        """Continue `prompt`; see `generate_text` for the arguments."""
        check_sampling(
            length=length, temperature=temperature, top_k=top_k, top_p=top_p, num_samples=num_samples, seed=seed
        )
        ids = self.vocabulary.encode(prompt)
        if len(ids) == 0:
            raise ConfigError("`prompt` is empty after tokenising; give at least one character or word")
        rows = 1 if num_samples is None else num_samples
        uniforms = np.random.default_rng(seed).random((rows, length)).astype(np.float32)
        if length == 0:
            tokens = np.zeros((rows, 0), dtype=np.int32)
        else:
            top_k = self.loop.vocab_size if top_k is None else top_k
            tokens = self.loop.generate(ids, uniforms, temperature=temperature, top_k=top_k, top_p=top_p)
        texts = [self.vocabulary.decode(np.asarray(row, dtype=np.int32)) for row in tokens]
        return texts[0] if num_samples is None else texts


def generate_text(
    model,
    config: ModelConfig,
    vocabulary,
    prompt: str,
    length: int = DEFAULT_LENGTH,
    *,
    temperature: float = DEFAULT_TEMPERATURE,
    top_k: int | None = None,
    top_p: float = DEFAULT_TOP_P,
    num_samples: int | None = None,
    seed: int | None = None,
) -> str | list[str]:
    """Continue `prompt` with `length` sampled tokens.

    Builds (and compiles, on first use) a `TextGenerator`; to generate more than
    once from a model, keep one, or use `Run.generate`, which does.

    Args:
        model: A trained language model (`head: language_model`).
        config: Its model config (kept for callers of earlier versions; the
            loop reads the model's own layers).
        vocabulary: The run's `Vocabulary`.
        prompt: Text to continue; at least one known token.
        length: Tokens to generate, 0 or more.
        temperature: Above 1 more varied, below 1 more conservative, 0 greedy
            (the most likely token every time).
        top_k: Sample only from the `top_k` most likely tokens; None: all.
        top_p: Sample only from the most likely tokens that together hold
            `top_p` of the probability (nucleus sampling), in `(0, 1]`; 1: all.
        num_samples: Sample this many continuations at once (one batch) and
            return them as a list; None: one continuation, as a string.
        seed: Makes the sampling repeatable, exactly: the same seed and
            arguments give the same text.

    Returns:
        The generated continuation (without the prompt), or a list of
        `num_samples` of them.

    Raises:
        ConfigError: An empty prompt, or an argument outside its rule (a
            negative length or temperature, `top_k` below 1, `top_p` outside
            `(0, 1]`, `num_samples` below 1).
        RunError: The model is not a language model built by seqkit.
    """
    return TextGenerator(model, vocabulary)(
        prompt, length, temperature=temperature, top_k=top_k, top_p=top_p, num_samples=num_samples, seed=seed
    )
