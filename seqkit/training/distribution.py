"""`train.distribution`: data parallelism over the devices of one machine.

`distribution_scope` is entered around building, compiling and fitting a
model. On TensorFlow it is `tf.distribute.MirroredStrategy`'s scope: the
model's variables are mirrored on every device, and Keras' `fit` splits each
tf.data batch over them. On JAX it sets `keras.distribution.DataParallel`:
the weights are replicated when the model is built, and `fit` shards each
batch over the devices. Either way the gradients of the parts are summed
before each update, so one epoch learns what it would on one device, up to
float rounding. `MultiWorkerMirroredStrategy` is not offered: it is broken
in Keras 3 (keras-team/keras#20585).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import keras

from seqkit.config.train import TrainConfig, batch_split_problem, distribution_rules
from seqkit.errors import ConfigError

_ONE_CPU_HINT = {
    "tensorflow": "to try it on one CPU, split the CPU into logical devices before TensorFlow starts: "
    "`tf.config.set_logical_device_configuration(tf.config.list_physical_devices('CPU')[0], "
    "[tf.config.LogicalDeviceConfiguration()] * 2)`",
    "jax": "to try it on one CPU, start Python with `XLA_FLAGS=--xla_force_host_platform_device_count=2`",
}


@dataclass(frozen=True)
class Distribution:
    """The distribution a run trains under.

    Attributes:
        type: `mirrored` or `data_parallel`.
        devices: The devices, as `cpu:0`, `gpu:1`, ...
    """

    type: str
    devices: tuple[str, ...]

    @property
    def description(self) -> str:
        """For the run's device line, e.g. `mirrored over 2 devices (gpu:0, gpu:1)`."""
        return f"{self.type.replace('_', ' ')} over {len(self.devices)} devices ({', '.join(self.devices)})"


@contextlib.contextmanager
def distribution_scope(train: TrainConfig, device: str = "auto") -> Iterator[Distribution | None]:
    """Build, compile and fit inside this block to train under `train.distribution` (none: nothing changes).

    Args:
        train: The train section.
        device: The run's device kind (`Runtime.device`): `cpu` keeps the default
            devices on the CPU even where there is a GPU.

    Yields:
        The `Distribution` in force, or None.

    Raises:
        ConfigError: The distribution is not the backend's, names a device the
            backend does not see, or the batch does not divide over its devices.
    """
    config = train.distribution
    if config is None:
        yield None
        return
    backend = keras.backend.backend()
    problems = distribution_rules(train, backend)
    if backend not in ("tensorflow", "jax"):
        problems = [("train.distribution", f"runs on TensorFlow or JAX, not on the {backend!r} backend")]
    if problems:
        raise ConfigError("; ".join(f"{path}: {message}" for path, message in problems))
    available = _visible_devices(backend)
    devices = config.devices or _default_devices(available, device)
    missing = [name for name in devices if name not in available]
    if missing:
        raise ConfigError(
            f"train.distribution.devices: the {backend} backend does not see {', '.join(missing)}; it sees "
            f"{', '.join(available) or 'no devices'}. Name devices it sees, or leave `devices` out to use every "
            f"{'GPU' if devices[0].startswith('gpu') else 'CPU device'}; {_ONE_CPU_HINT[backend]}"
        )
    if train.effective_batch_size % len(devices):
        path, message = batch_split_problem(train.effective_batch_size, len(devices))
        raise ConfigError(f"{path}: {message}")
    distribution = Distribution(config.type, tuple(devices))
    if backend == "tensorflow":
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy([f"/{name}" for name in devices])
        with strategy.scope():
            yield distribution
        return
    previous = keras.distribution.distribution()
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=list(devices)))
    try:
        yield distribution
    finally:
        keras.distribution.set_distribution(previous)


def refuse_distribution(train: TrainConfig, command: str) -> None:
    """Refuse `train.distribution` where `command` fits a model outside `distribution_scope`.

    Raises:
        ConfigError: `train.distribution` is set.
    """
    if train.distribution is not None:
        raise ConfigError(
            f"train.distribution: {command} trains each model on one device and does not run "
            f"`{train.distribution.type}`; remove `train.distribution` (`--set train.distribution=null`), "
            "or train the config with `seqkit train`"
        )


def batches_must_divide() -> bool:
    """Whether every batch must split evenly over the devices now: under a JAX distribution.

    (TensorFlow's MirroredStrategy takes a last, smaller batch as it comes.)
    """
    return keras.backend.backend() == "jax" and keras.distribution.distribution() is not None


@contextlib.contextmanager
def outside_distribution() -> Iterator[None]:
    """Leave a JAX distribution for the block: for validation sets that do not divide over its devices.

    The replicated weights are read as they are; only the batch is not sharded.
    """
    current = keras.distribution.distribution() if keras.backend.backend() == "jax" else None
    if current is None:
        yield
        return
    keras.distribution.set_distribution(None)
    try:
        yield
    finally:
        keras.distribution.set_distribution(current)


def _visible_devices(backend: str) -> list[str]:
    """The devices the backend sees, as `cpu:0`, `gpu:0`, ..."""
    if backend == "tensorflow":
        import tensorflow as tf

        return [
            f"{d.device_type.lower()}:{d.name.rsplit(':', 1)[-1]}"
            for d in tf.config.list_logical_devices()
            if d.device_type in ("CPU", "GPU")
        ]
    names = []
    for kind in ("gpu", "cpu"):
        try:
            names += keras.distribution.list_devices(kind)
        except RuntimeError:  # JAX has no backend for that kind here
            continue
    return [name.lower() for name in names]


def _default_devices(available: list[str], device: str) -> list[str]:
    """Every GPU, or every CPU device when there is none or the run is on the CPU."""
    gpus = [name for name in available if name.startswith("gpu")]
    return gpus if gpus and device != "cpu" else [name for name in available if name.startswith("cpu")]
