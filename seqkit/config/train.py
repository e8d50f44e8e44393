"""The `train:` section: optimiser, batching, callbacks, device."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from seqkit.config.base import Section
from seqkit.config.problems import ConfigProblems


class OptimizerConfig(Section):
    """The optimiser and its gradient clipping.

    Attributes:
        type: `adam`, `rmsprop` or `sgd`.
        learning_rate: Step size.
        clipnorm: Clip each gradient to this L2 norm.
        clipvalue: Clip each gradient element to [-clipvalue, clipvalue].
        momentum: SGD momentum (sgd only).
    """

    type: Literal["adam", "rmsprop", "sgd"] = "adam"
    learning_rate: float = Field(default=1e-3, gt=0)
    clipnorm: float | None = Field(default=None, gt=0)
    clipvalue: float | None = Field(default=None, gt=0)
    momentum: float = Field(default=0.0, ge=0.0, lt=1.0)

    @model_validator(mode="after")
    def _one_clipping(self) -> OptimizerConfig:
        problems = []
        if self.clipnorm is not None and self.clipvalue is not None:
            problems.append(("clipvalue", "set either clipnorm or clipvalue, not both (Keras allows one)"))
        if self.momentum and self.type != "sgd":
            problems.append(("momentum", f"applies to type 'sgd' only, not '{self.type}'"))
        if problems:
            raise ConfigProblems([(f"train.optimizer.{k}", v) for k, v in problems])
        return self


class EarlyStoppingConfig(Section):
    """Stop when the validation loss stops improving; keep the best weights."""

    patience: int = Field(default=10, gt=0)
    min_delta: float = Field(default=0.0, ge=0.0)


class ReduceLROnPlateauConfig(Section):
    """Shrink the learning rate when the validation loss plateaus.

    Attributes:
        factor: The learning rate is multiplied by this.
        patience: Epochs without an improvement before it is.
        min_lr: The learning rate never goes below this.
        min_delta: A smaller fall of the loss is no improvement (Keras' default 1e-4);
            larger values shrink the rate as soon as the gains get small.
    """

    factor: float = Field(default=0.5, gt=0.0, lt=1.0)
    patience: int = Field(default=5, gt=0)
    min_lr: float = Field(default=1e-6, ge=0.0)
    min_delta: float = Field(default=1e-4, ge=0.0)


_DEVICE_NAME = re.compile(r"^/?(?:device:)?(cpu|gpu):(\d+)$", re.IGNORECASE)


class _DistributionBase(Section):
    """Devices shared by the distribution variants."""

    devices: list[str] | None = Field(default=None, min_length=1)

    @field_validator("devices")
    @classmethod
    def _device_names(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        names = []
        for name in value:
            match = _DEVICE_NAME.match(name.strip())
            if match is None:
                raise ValueError(f"device {name!r} is not a device name; name devices as 'gpu:0', 'cpu:1', ...")
            names.append(f"{match.group(1).lower()}:{int(match.group(2))}")
        if len(set(names)) < len(names):
            raise ValueError(f"names a device twice ({value}); list each device once")
        if len({name.split(":")[0] for name in names}) > 1:
            raise ValueError(f"mixes CPUs and GPUs ({value}); replicas should run at the same speed")
        return names


class MirroredConfig(_DistributionBase):
    """Data parallelism on the TensorFlow backend: `tf.distribute.MirroredStrategy`.

    Each training batch is split evenly over the devices, each holding a copy
    of the model; their gradients are summed before every update, so the
    model learns as from the whole batch on one device.

    Attributes:
        devices: Devices to replicate over, e.g. `[gpu:0, gpu:1]`; default every
            GPU, or every CPU device when there is no GPU (or `device: cpu`).
    """

    type: Literal["mirrored"] = "mirrored"


class DataParallelConfig(_DistributionBase):
    """Data parallelism on the JAX backend: `keras.distribution.DataParallel`.

    The same arithmetic as `mirrored`: the batch is sharded over the devices,
    the weights are replicated. JAX needs every batch to divide evenly, so a
    last, smaller training batch is dropped each epoch (shuffled runs drop
    different windows each epoch), and validation is scored outside the
    distribution.

    Attributes:
        devices: Devices to shard the batch over, e.g. `[gpu:0, gpu:1]`; default
            every GPU, or every CPU device when there is no GPU (or `device: cpu`).
    """

    type: Literal["data_parallel"] = "data_parallel"


DistributionConfig = Annotated[MirroredConfig | DataParallelConfig, Field(discriminator="type")]

#: Which distribution each backend runs.
DISTRIBUTION_OF_BACKEND = {"tensorflow": "mirrored", "jax": "data_parallel"}


class TrainConfig(Section):
    """How the model is fitted.

    Attributes:
        epochs: Maximum number of passes over the training windows.
        batch_size: Windows per batch. A stateful model needs it set explicitly,
            because its state has one row per batch element.
        shuffle: Shuffle training batches; default true, or false for stateful models.
        seed: Seeds Python, NumPy and the backend so a run repeats on CPU.
        optimizer: The optimiser and gradient clipping.
        early_stopping: Stop early on the validation loss; `null` to train every epoch.
        reduce_lr_on_plateau: Optional learning-rate schedule on plateaus.
        device: `auto` uses a GPU when there is one.
        mixed_precision: Compute in float16 on GPU, weights and outputs stay float32
            (`mixed_float16`); ignored on CPU, where float16 is slower.
        threads: CPU threads for TensorFlow's ops; `auto` picks a measured default.
        backend: The Keras backend, `tensorflow` or `jax` (`pip install -e ".[jax]"`), set
            before Keras is imported; `auto`: a Keras already imported keeps its backend, else the
            measured choice (`seqkit.backend.auto_backend`: JAX on a CPU for recurrent layers of at
            most 64 units when jax is installed, else TensorFlow); searches and backtests take
            `auto` as TensorFlow. The `KERAS_BACKEND` environment variable wins over it.
        distribution: Train on several devices at once (data parallelism):
            `{type: mirrored}` on TensorFlow, `{type: data_parallel}` on JAX; none: one device.
    """

    epochs: int = Field(default=50, gt=0)
    batch_size: int | None = Field(default=None, gt=0)
    shuffle: bool | None = None
    seed: int = 42
    optimizer: OptimizerConfig = Field(default_factory=OptimizerConfig)
    early_stopping: EarlyStoppingConfig | None = Field(default_factory=EarlyStoppingConfig)
    reduce_lr_on_plateau: ReduceLROnPlateauConfig | None = None
    device: Literal["auto", "cpu", "gpu"] = "auto"
    mixed_precision: bool = False
    threads: Literal["auto"] | Annotated[int, Field(gt=0)] = "auto"
    backend: Literal["auto", "tensorflow", "jax"] = "auto"
    distribution: DistributionConfig | None = None

    @model_validator(mode="after")
    def _distribution_fits(self) -> TrainConfig:
        problems = distribution_rules(self, self.backend)
        if problems:
            raise ConfigProblems(problems)
        return self

    @property
    def effective_batch_size(self) -> int:
        """The batch size in force: the one set, or 32."""
        return self.batch_size or 32


def distribution_rules(train: TrainConfig, backend: str) -> list[tuple[str, str]]:
    """What `train.distribution` needs of the backend and the batch size.

    Checked when the config is loaded (with `train.backend`; `auto` passes) and
    again once the backend is known (`seqkit.training.distribution`).

    Returns:
        `(dotted path, message)` pairs; empty when the distribution fits.
    """
    distribution = train.distribution
    if distribution is None:
        return []
    problems = []
    wanted = DISTRIBUTION_OF_BACKEND.get(backend)
    if wanted is not None and distribution.type != wanted:
        problems.append((
            "train.distribution.type",
            f"{distribution.type!r} does not run on the {backend!r} backend; on {backend} use "
            f"`distribution: {{type: {wanted}}}`, or set `train.backend: "
            f"{'jax' if backend == 'tensorflow' else 'tensorflow'}`",
        ))
    if distribution.devices is not None and train.effective_batch_size % len(distribution.devices):
        problems.append(batch_split_problem(train.effective_batch_size, len(distribution.devices)))
    return problems


def batch_split_problem(batch_size: int, n_devices: int) -> tuple[str, str]:
    """The message for a batch that does not split evenly over the devices."""
    lower, upper = (batch_size // n_devices) * n_devices, -(-batch_size // n_devices) * n_devices
    choices = f"{lower} or {upper}" if lower else f"{upper}"
    return (
        "train.batch_size",
        f"{batch_size} does not divide evenly over the {n_devices} devices of `train.distribution` (each device "
        f"takes an equal share of every batch); set it to a multiple of {n_devices}, e.g. {choices}",
    )
