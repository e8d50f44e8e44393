"""The `model:` section: which recurrent network to build.

One schema covers every cell kind; stacking, bidirectionality, statefulness
and the head are fields of it, never separate classes per variant.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from seqkit.config.base import Section
from seqkit.config.problems import ConfigProblems

CellKind = Literal["rnn", "lstm", "gru"]


class EmbeddingConfig(Section):
    """Token-id input through a `keras.layers.Embedding`.

    Attributes:
        dim: Size of each token's embedding vector.
        vocab_size: Number of distinct token ids; default: taken from the data.
        mask_zero: Treat id 0 as padding, so variable-length sequences are masked.
    """

    dim: int = Field(default=64, gt=0)
    vocab_size: int | None = Field(default=None, gt=1)
    mask_zero: bool = True


class SeriesEmbeddingConfig(Section):
    """A learned vector per series of a panel, read by the model beside each step's features.

    Attributes:
        dim: Size of each series' vector. The number of series comes from the
            training data; a series the model was not trained on cannot be forecast.
    """

    dim: int = Field(default=8, gt=0)


class ForecastHeadConfig(Section):
    """Predict `horizon x n_targets` real values from the sequence, or quantiles of them.

    Attributes:
        loss: Regression loss: `mae` (the default: a median forecast, unmoved by a
            few wild targets; part of the forecasting recipe, `seqkit.config.recipe`),
            `mse` or `huber`. `pinball` (the quantile loss) is the loss of a
            quantile head, and the default when `quantiles` is set; it needs
            `quantiles`, and `quantiles` needs it.
        hidden: Sizes of optional Dense (relu) layers before the output layer.
        quantiles: Forecast these quantile levels of each step instead of one
            value, e.g. `[0.1, 0.5, 0.9]`: strictly between 0 and 1, ascending,
            each once, and including 0.5. The median (0.5) is the point
            forecast that every point metric, baseline comparison and plot
            uses; the pairs `q`, `1 - q` give the central intervals (0.1 and
            0.9: the 80% interval). None: a point forecast.
    """

    type: Literal["forecast"] = "forecast"
    loss: Literal["mse", "mae", "huber", "pinball"] = "mae"
    hidden: list[Annotated[int, Field(gt=0)]] = Field(default_factory=list)
    quantiles: list[float] | None = None

    @model_validator(mode="before")
    @classmethod
    def _pinball_default_with_quantiles(cls, data: object) -> object:
        # Resolved here, so the saved config states the loss that was used.
        if isinstance(data, dict) and data.get("quantiles") is not None and data.get("loss") is None:
            return {**data, "loss": "pinball"}
        return data

    @field_validator("quantiles")
    @classmethod
    def _valid_levels(cls, value: list[float] | None) -> list[float] | None:
        if value is None:
            return value
        outside = [q for q in value if not 0.0 < q < 1.0]
        if outside:
            raise ValueError(
                f"quantile levels must lie strictly between 0 and 1; {outside} do not. "
                "Use e.g. [0.1, 0.5, 0.9]"
            )
        if len(set(value)) != len(value) or value != sorted(value):
            raise ValueError(f"list each quantile level once, in ascending order, e.g. {sorted(set(value))}")
        if 0.5 not in value:
            raise ValueError(
                f"the levels must include 0.5: the median is the point forecast the metrics, baselines and "
                f"plots use; add it, e.g. {sorted({*value, 0.5})}"
            )
        return value

    @model_validator(mode="after")
    def _loss_fits_quantiles(self) -> ForecastHeadConfig:
        if self.quantiles is not None and self.loss != "pinball":
            raise ConfigProblems(
                [
                    (
                        "model.head.loss",
                        f"{self.loss!r}, but a head with `quantiles` trains with the pinball (quantile) loss; "
                        "remove `loss` or set it to 'pinball'",
                    )
                ]
            )
        if self.quantiles is None and self.loss == "pinball":
            raise ConfigProblems(
                [("model.head.loss", "'pinball' trains quantiles; give `quantiles`, e.g. [0.1, 0.5, 0.9]")]
            )
        return self


class ClassifyHeadConfig(Section):
    """Softmax over classes for the whole sequence.

    Attributes:
        n_classes: Number of classes; default: taken from the data.
        hidden: Sizes of optional Dense (relu) layers before the output layer.
    """

    type: Literal["classify"] = "classify"
    n_classes: int | None = Field(default=None, gt=1)
    hidden: list[Annotated[int, Field(gt=0)]] = Field(default_factory=list)


class LanguageModelHeadConfig(Section):
    """Softmax over the vocabulary at every time step (next-token prediction).

    Attributes:
        dropout: Fraction of the last recurrent layer's outputs dropped before the
            softmax while training (a `keras.layers.Dropout`). Unlike
            `model.recurrent_dropout` it leaves the LSTM/GRU on the cuDNN kernel.
    """

    type: Literal["language_model"] = "language_model"
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0)


HeadConfig = Annotated[
    ForecastHeadConfig | ClassifyHeadConfig | LanguageModelHeadConfig,
    Field(discriminator="type"),
]


class ModelConfig(Section):
    """A stack of recurrent layers with a task head.

    Attributes:
        cell: `rnn` (SimpleRNN), `lstm` or `gru`.
        layers: Units of each recurrent layer, first to last, e.g. `[64, 32]`.
        bidirectional: Wrap every recurrent layer in `keras.layers.Bidirectional`.
        merge_mode: How the two directions are combined.
        dropout: Fraction of the inputs dropped in each recurrent layer.
        recurrent_dropout: Fraction of the recurrent state dropped (slow: no cuDNN).
        stateful: Carry state across batches (needs `train.batch_size`).
        use_cudnn: `auto` uses the cuDNN kernel on GPU where the settings allow it.
        activation: Cell output activation. Anything but `tanh` disables cuDNN.
        reset_after: GRU only; `false` disables cuDNN.
        unroll: Unroll the recurrence (short fixed-length sequences only; no cuDNN).
        attention: Pool the last layer's outputs with additive attention instead of
            using its final state.
        attention_units: Size of the attention scoring layer.
        masking: Mask time steps whose features all equal `mask_value`
            (real-valued input of variable length).
        mask_value: Padding value for `masking`.
        embedding: Token-id input; omit for real-valued input.
        series_embedding: With `data.series_column`: the series' own learned vector
            (`{dim: 8}`) is concatenated to the features of every input step, so one
            global model can still tell the series apart.
        head: The task: forecast, classify or language_model.
    """

    cell: CellKind = "lstm"
    layers: list[Annotated[int, Field(gt=0)]] = Field(default_factory=lambda: [64], min_length=1)
    bidirectional: bool = False
    merge_mode: Literal["concat", "sum", "mul", "ave"] = "concat"
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0)
    recurrent_dropout: float = Field(default=0.0, ge=0.0, lt=1.0)
    stateful: bool = False
    use_cudnn: Literal["auto"] | bool = "auto"
    activation: str = "tanh"
    reset_after: bool = True
    unroll: bool = False
    attention: bool = False
    attention_units: int = Field(default=32, gt=0)
    masking: bool = False
    mask_value: float = 0.0
    embedding: EmbeddingConfig | None = None
    series_embedding: SeriesEmbeddingConfig | None = None
    head: HeadConfig = Field(default_factory=ForecastHeadConfig)

    @field_validator("activation")
    @classmethod
    def _known_activation(cls, value: str) -> str:
        known = {"tanh", "relu", "sigmoid", "linear", "elu", "selu", "gelu", "softsign", "swish"}
        if value not in known:
            raise ValueError(f"unknown activation; use one of {sorted(known)}")
        return value

    @model_validator(mode="after")
    def _check_combinations(self) -> ModelConfig:
        problems = model_rules(self)
        if problems:
            raise ConfigProblems(problems)
        return self

    def cudnn_blockers(self) -> list[str]:
        """Settings that keep LSTM and GRU layers off the cuDNN kernel on GPU.

        (SimpleRNN has no cuDNN kernel whatever the settings.)

        Returns:
            One plain-language reason per setting; empty when cuDNN can be used.
        """
        reasons = []
        if self.use_cudnn is False:
            reasons.append("use_cudnn is false")
        if self.activation != "tanh":
            reasons.append(f"activation '{self.activation}' (cuDNN needs 'tanh')")
        if self.recurrent_dropout > 0:
            reasons.append(f"recurrent_dropout {self.recurrent_dropout} (cuDNN needs 0)")
        if self.unroll:
            reasons.append("unroll is true")
        if self.cell == "gru" and not self.reset_after:
            reasons.append("reset_after is false (cuDNN's GRU needs true)")
        return reasons


def model_rules(m: ModelConfig) -> list[tuple[str, str]]:
    """Rules across fields of the model section.

    Works on a validated `ModelConfig` or on one made with `model_construct`
    from partly invalid input, so every problem is reported at once.

    Returns:
        `(dotted path, message)` pairs; empty when the combination is valid.
    """
    problems: list[tuple[str, str]] = []
    head_type = getattr(getattr(m, "head", None), "type", None)
    if m.stateful and m.bidirectional:
        problems.append(
            (
                "model.bidirectional",
                "a bidirectional model cannot be stateful: the backward pass would need "
                "steps that have not arrived yet; set stateful or bidirectional to false",
            )
        )
    if m.attention and head_type == "language_model":
        problems.append(
            (
                "model.attention",
                "attention pooling collapses the time axis, but a language model predicts "
                "at every step; remove attention or use a forecast/classify head",
            )
        )
    if head_type == "language_model" and m.bidirectional:
        problems.append(
            (
                "model.bidirectional",
                "a bidirectional language model reads the token it must predict (the backward "
                "pass starts from it), so it learns nothing it could use to generate; set it to false",
            )
        )
    if head_type == "language_model" and m.embedding is None:
        problems.append(
            (
                "model.embedding",
                "a language model reads token ids and needs an embedding, "
                "e.g. `embedding: {dim: 64}`",
            )
        )
    if m.use_cudnn is True:
        blockers = [r for r in ModelConfig.cudnn_blockers(m) if "use_cudnn" not in r]
        if m.cell == "rnn":
            blockers.insert(0, "cell 'rnn' (SimpleRNN) has no cuDNN kernel")
        if blockers:
            problems.append(
                (
                    "model.use_cudnn",
                    "true, but cuDNN cannot run this model: "
                    + "; ".join(blockers)
                    + ". Use 'auto' or change those settings",
                )
            )
    if m.cell != "gru" and m.reset_after is not True:
        problems.append(("model.reset_after", f"applies to cell 'gru' only, not '{m.cell}'"))
    if m.series_embedding is not None and (m.embedding is not None or head_type != "forecast"):
        problems.append((
            "model.series_embedding",
            "gives each series of a panel its vector beside real-valued features; it needs a forecast head "
            "and no token `embedding`",
        ))
    if m.series_embedding is not None and m.masking:
        problems.append(
            ("model.masking", "a panel's windows are never padded; remove `masking` with `series_embedding`")
        )
    if m.masking and m.embedding is not None:
        problems.append(
            (
                "model.masking",
                "token input is masked by `embedding.mask_zero`; remove `masking`",
            )
        )
    return problems
