"""The `train:` section: optimiser, batching, callbacks, device."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

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
        mixed_precision: Compute in float16 on GPU (outputs stay float32).
        threads: CPU threads for TensorFlow's ops; `auto` picks a measured default.
        backend: The Keras backend, `tensorflow` or `jax` (`pip install -e ".[jax]"`), set
            before Keras is imported; `auto`: a Keras already imported keeps its backend,
            else TensorFlow. The `KERAS_BACKEND` environment variable wins over it.
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

    @property
    def effective_batch_size(self) -> int:
        """The batch size in force: the one set, or 32."""
        return self.batch_size or 32
