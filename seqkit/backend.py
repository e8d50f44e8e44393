"""Which Keras backend a run uses (`train.backend`), set before Keras is imported.

Keras reads `KERAS_BACKEND` once, when it is first imported, so the choice must
be made before: `seqkit.train` and `seqkit train` call `choose_backend` before
anything imports Keras. The environment variable wins over the config, as
Keras users expect. `auto` keeps a Keras already imported as it is, and
otherwise picks TensorFlow (the backend every seqkit feature has run on; the
measured choice per machine, `benchmarks/backends.py`, is still to come).
"""

from __future__ import annotations

import importlib.util
import os
import sys

from seqkit.errors import ConfigError

BACKENDS = ("tensorflow", "jax")


def choose_backend(requested: str = "auto") -> str:
    """Make Keras use the backend `requested` (`auto`, `tensorflow` or `jax`); returns the backend in force.

    Raises:
        ConfigError: Keras is already imported with another backend, or the backend's
            package is not installed.
    """
    env = os.environ.get("KERAS_BACKEND")
    if "keras" in sys.modules:
        import keras

        current = keras.backend.backend()
        wanted = env or (current if requested == "auto" else requested)
        if current != wanted:
            raise ConfigError(
                f"`train.backend` is {requested!r}, but Keras was already imported in this process with the "
                f"{current!r} backend, and Keras cannot switch once imported. Set `KERAS_BACKEND={wanted}` before "
                f"Python imports Keras (or start a new session), or set `train.backend: {current}`."
            )
        return current
    wanted = env or ("tensorflow" if requested == "auto" else requested)
    if wanted not in BACKENDS:
        raise ConfigError(f"`KERAS_BACKEND` is {wanted!r}; seqkit runs on {' or '.join(BACKENDS)}. Unset or change it.")
    # TensorFlow is a dependency, and not looked up here: its first lookup is the one `seqkit.quiet` keeps quiet.
    if wanted == "jax" and importlib.util.find_spec("jax") is None:
        raise ConfigError(
            'the \'jax\' backend is not installed; install it (`pip install -e ".[jax]"`) or choose another backend'
        )
    os.environ["KERAS_BACKEND"] = wanted
    return wanted
