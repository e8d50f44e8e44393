"""`SequenceSpec`: the shapes a model reads and writes, as the data dictates."""

from __future__ import annotations

from dataclasses import dataclass

from seqkit.errors import ConfigError


@dataclass(frozen=True)
class SequenceSpec:
    """Shapes of a model's inputs and outputs.

    The data pipeline produces one from the data; in Python it can be written
    by hand to build a model without any data.

    Attributes:
        lookback: Time steps per input sequence; `None` for variable length.
        n_features: Real values per time step (ignored for token input).
        horizon: Forecast steps (forecast head).
        n_targets: Forecast target columns (forecast head).
        n_classes: Classes (classify head), when the config does not set them.
        vocab_size: Token ids in `[0, vocab_size)` (embedding input and
            language-model head), when the config does not set it.
        batch_size: Fixed batch size; required by stateful models.
        n_series: Series of a panel (`model.series_embedding`: one vector each);
            the input then carries one more feature per step, the series' position.
        n_future: Columns known in advance (`data.future`, `data.calendar`): the
            input carries that many more columns, the forecast steps' values (see
            `seqkit.models.KnownFuture`).
    """

    lookback: int | None
    n_features: int = 1
    horizon: int = 1
    n_targets: int = 1
    n_classes: int | None = None
    vocab_size: int | None = None
    batch_size: int | None = None
    n_series: int | None = None
    n_future: int | None = None

    def __post_init__(self) -> None:
        names = ("lookback", "n_features", "horizon", "n_targets", "n_classes", "vocab_size", "batch_size", "n_series",
                 "n_future")
        for name in names:
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ConfigError(f"SequenceSpec.{name} must be a positive integer or None, got {value!r}")
        if self.n_features is None or self.horizon is None or self.n_targets is None:
            raise ConfigError("SequenceSpec.n_features, horizon and n_targets cannot be None")
