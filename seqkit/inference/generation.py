"""Text generation from a trained language model, one recurrent step per token.

The tutorials call `model.predict` on the whole window for every new token,
so generating `n` tokens from a window of `L` costs `n * L` recurrent steps
plus `n` calls of `predict`'s set-up. Here a stateful copy of the model (same
weights, batch of one) reads the prompt once and then advances one step per
token, carrying its state: `len(prompt) + n` steps in all.
"""

from __future__ import annotations

import numpy as np

from seqkit.config.model import ModelConfig
from seqkit.errors import ConfigError


def stepping_model(model, config: ModelConfig, vocab_size: int):
    """A stateful, batch-of-one copy of a language model that reads any number of steps per call."""
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


def sample_next(probabilities: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """Draw a token id, never padding (0) or `<unk>` (1); temperature 0 takes the most likely."""
    p = np.asarray(probabilities, dtype=np.float64).copy()
    p[:2] = 0.0
    if temperature == 0:
        return int(np.argmax(p))
    logits = np.log(np.maximum(p, 1e-30)) / temperature
    logits[:2] = -np.inf
    logits -= logits.max()
    weights = np.exp(logits)
    return int(rng.choice(len(weights), p=weights / weights.sum()))


def generate_text(
    model,
    config: ModelConfig,
    vocabulary,
    prompt: str,
    length: int = 200,
    *,
    temperature: float = 1.0,
    seed: int | None = None,
) -> str:
    """Continue `prompt` with `length` sampled tokens.

    Args:
        model: A trained language model (`head: language_model`).
        config: Its model config (the stepping copy is built from it).
        vocabulary: The run's `Vocabulary`.
        prompt: Text to continue; at least one known token.
        length: Tokens to generate.
        temperature: Above 1 more varied, below 1 more conservative, 0 greedy.
        seed: Makes the sampling repeatable.

    Returns:
        The generated continuation (without the prompt).

    Raises:
        ConfigError: An empty prompt, a negative length or temperature.
    """
    if length < 0:
        raise ConfigError(f"`length` must be 0 or more, got {length}")
    if temperature < 0:
        raise ConfigError(f"`temperature` must be 0 or more, got {temperature}")
    ids = vocabulary.encode(prompt)
    if len(ids) == 0:
        raise ConfigError("`prompt` is empty after tokenising; give at least one character or word")
    step = stepping_model(model, config, vocabulary.size)
    rng = np.random.default_rng(seed)
    probabilities = step(ids)
    generated = []
    for _ in range(length):
        token = sample_next(probabilities, temperature, rng)
        generated.append(token)
        probabilities = step(np.array([token]))
    return vocabulary.decode(np.array(generated, dtype=np.int32))
