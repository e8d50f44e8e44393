"""Which Keras backend a run uses (`train.backend`), set before Keras is imported.

Keras reads `KERAS_BACKEND` once, when it is first imported, so the choice must
be made before: `seqkit.train` and `seqkit train` (and `resume`) call
`choose_backend` with the run's config before anything imports Keras. The
environment variable wins over the config, as Keras users expect. `auto`
keeps a Keras already imported as it is; otherwise it takes the backend
`auto_backend` measured fastest for the config on this kind of machine.

The rule `auto` applies (`benchmarks/backends.py` measures it: seqkit's
training samples/s on each backend, next to a hand-written Keras script):

- JAX, on a CPU, when no recurrent layer is wider than `JAX_MAX_UNITS` (64)
  units, whatever the batch size. XLA compiles JAX's whole training step,
  time loop included, into one program, where TensorFlow dispatches its while
  loop step by step: for small matrices that dispatch is most of a step.
- TensorFlow everywhere else: wider layers on a CPU, where TensorFlow's
  matrix kernels win (at 128 units the two were level, so TensorFlow, the
  backend every seqkit feature has run on); a machine with an NVIDIA GPU (not
  measured yet; `_gpu_visible` reads the driver's list, loading no CUDA
  library); a config that needs TensorFlow (`train.threads` set to a number,
  which only TensorFlow's thread pools take; a `mirrored` distribution); and
  wherever jax is not installed, silently.

Training samples/s through seqkit on a 2-core CPU shared with other work
(load average 2-8, median of 3 runs each, interleaved, in fresh processes;
a run at load 6-9 chose the same):

| model                                      | TensorFlow |  JAX  | auto       |
|--------------------------------------------|-----------:|------:|------------|
| LSTM(32), batch 32, T=24                   |      1,697 | 5,615 | jax        |
| 2 x LSTM(128), batch 128, T=64, F=8        |        459 |   218 | tensorflow |
| char_lm: LSTM(256), embedding 64, batch 64 |        146 |   123 | tensorflow |

and, 2 runs each at load 9-16: LSTM(64) batch 64, TensorFlow 1,178, JAX
1,345; LSTM(64) batch 256, 3,971 and 6,329; LSTM(128) batch 64, 1,154 and
1,214 (level). A hand-written JAX script fed NumPy arrays reached 19,411 on
the smallest model: Keras iterates seqkit's tf.data pipeline in Python on
JAX, a batch at a time, which costs more than the step itself there.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from seqkit.errors import ConfigError

# A config is read by its attributes (`config.train`, `config.model`), never imported: a neutral module imports
# no layer, seqkit.config included (tests/test_layers.py); the CLI calls it before anything imports Keras.
ExperimentConfig = Any

BACKENDS = ("tensorflow", "jax")

#: `auto` takes JAX on a CPU when no recurrent layer is wider than this many units.
JAX_MAX_UNITS = 64


def choose_backend(requested: str = "auto", config: ExperimentConfig | None = None) -> str:
    """Make Keras use the backend `requested` (`auto`, `tensorflow` or `jax`); returns the backend in force.

    Args:
        requested: `train.backend`.
        config: The run's config, which `auto` judges (`auto_backend`); without it `auto` is TensorFlow.

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
    wanted = env or (auto_backend(config) if requested == "auto" else requested)
    if wanted not in BACKENDS:
        raise ConfigError(f"`KERAS_BACKEND` is {wanted!r}; seqkit runs on {' or '.join(BACKENDS)}. Unset or change it.")
    if wanted == "jax" and not _jax_installed():
        raise ConfigError(
            'the \'jax\' backend is not installed; install it (`pip install -e ".[jax]"`) or choose another backend'
        )
    os.environ["KERAS_BACKEND"] = wanted
    return wanted


def auto_backend(config: ExperimentConfig | None) -> str:
    """The backend `train.backend: auto` takes for `config` on this machine (the module's rule).

    Cheap, and imports neither Keras, TensorFlow nor jax: it looks jax up, and
    looks for an NVIDIA driver's GPUs.

    Args:
        config: The run's config; None (nothing to judge) gives TensorFlow.

    Returns:
        `jax` or `tensorflow`.
    """
    if config is None or not _jax_installed():
        return "tensorflow"
    train, model = config.train, config.model
    if train.distribution is not None:  # each type runs on one backend
        return "jax" if train.distribution.type == "data_parallel" else "tensorflow"
    if train.threads != "auto" or train.device == "gpu" or (train.device == "auto" and _gpu_visible()):
        return "tensorflow"
    return "jax" if max(model.layers) <= JAX_MAX_UNITS else "tensorflow"


def _jax_installed() -> bool:
    # TensorFlow is a dependency, and not looked up here: its first lookup is the one `seqkit.quiet` keeps quiet.
    return importlib.util.find_spec("jax") is not None


def _gpu_visible(driver: Path = Path("/proc/driver/nvidia/gpus")) -> bool:
    """Whether an NVIDIA driver lists a GPU (one folder each in `driver`) that `CUDA_VISIBLE_DEVICES` leaves visible.

    No CUDA library is loaded to find out, so the check costs nothing.
    """
    if os.environ.get("CUDA_VISIBLE_DEVICES", "unset").strip() in ("", "-1"):
        return False
    try:
        return any(driver.iterdir())
    except OSError:  # no NVIDIA driver
        return False
