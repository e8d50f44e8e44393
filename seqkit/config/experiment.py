"""`ExperimentConfig`: the whole, validated description of one run."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, PrivateAttr, field_validator, model_validator

from seqkit.config.base import Section
from seqkit.config.data import DataConfig
from seqkit.config.evaluate import EvaluateConfig
from seqkit.config.model import ModelConfig
from seqkit.config.problems import ConfigProblems
from seqkit.config.recipe import with_defaults
from seqkit.config.train import TrainConfig
from seqkit.config.tune import TuneConfig

RUN_NAME_RULE = (
    "`name` names the run's folder runs/<name>/, so it must not be '.' or '..' nor start with a dot "
    "(which would leave runs/ or hide the folder). Start it with a letter, digit, '_' or '-', e.g. 'airline_lstm'"
)


def is_safe_run_name(name: str) -> bool:
    """Whether `runs/<name>/` is a visible folder directly inside `runs/` (`.`, `..`, `.x` are not)."""
    return not name.startswith(".")


class ExperimentConfig(Section):
    """Everything a run needs: data, model, training, evaluation and search settings.

    Build it from YAML with `seqkit.load_config`, or directly in Python:

    Example:
        >>> cfg = ExperimentConfig(
        ...     data=DataConfig(dataset="airline", lookback=24, horizon=12),
        ...     model=ModelConfig(cell="gru", layers=[32, 16]),
        ... )

    Attributes:
        name: Run name, used for `runs/<name>/`: letters, digits, `_`, `.` and `-`,
            not starting with a dot; default: the config file's stem.
        data: Data source and windowing.
        model: The recurrent network and its head.
        train: Optimiser, batching and callbacks.
        evaluate: Test-split evaluation settings.
        tune: Hyperparameter search settings.
    """

    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]+$")
    data: DataConfig | None = None
    model: ModelConfig = Field(default_factory=ModelConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    evaluate: EvaluateConfig = Field(default_factory=EvaluateConfig)
    tune: TuneConfig = Field(default_factory=TuneConfig)

    _source: Path | None = PrivateAttr(default=None)
    _data_dir: Path | None = PrivateAttr(default=None)  # set by `with_data_file`

    @model_validator(mode="before")
    @classmethod
    def _default_forecast_recipe(cls, raw: object) -> object:
        # Settings a forecasting config or a sequence set leaves out (`seqkit.config.recipe`).
        return with_defaults(raw)

    @field_validator("name")
    @classmethod
    def _name_stays_inside_runs(cls, value: str | None) -> str | None:
        if value is not None and not is_safe_run_name(value):
            raise ValueError(RUN_NAME_RULE)
        return value

    @model_validator(mode="after")
    def _check_sections_together(self) -> ExperimentConfig:
        problems = experiment_rules(self)
        if not problems and self.tune.space:
            from seqkit.config.space import space_rules  # it validates points of the space as ExperimentConfigs

            problems = space_rules(self)
        if problems:
            raise ConfigProblems(problems)
        return self

    @property
    def source(self) -> Path | None:
        """The YAML file this config was read from, if any."""
        return self._source

    @property
    def base_dir(self) -> Path:
        """Folder that relative paths in the config are resolved against.

        The config file's folder, or the folder of the file `with_data_file` put in `data.path`.
        """
        if self._data_dir is not None:
            return self._data_dir
        return self._source.parent if self._source is not None else Path.cwd()

    @property
    def run_name(self) -> str:
        """`name`, else the config file's stem, else 'experiment'."""
        if self.name:
            return self.name
        return self._source.stem if self._source is not None else "experiment"

    @property
    def shuffle(self) -> bool:
        """Whether training batches are shuffled: as set, else not for stateful models."""
        if self.train.shuffle is not None:
            return self.train.shuffle
        return not self.model.stateful


def experiment_rules(cfg: ExperimentConfig) -> list[tuple[str, str]]:
    """Rules that span sections, checked when the config is loaded.

    Works on a validated config or on a lenient stand-in whose sections may be
    partly invalid, so every problem is reported in one message.

    Returns:
        `(dotted path, message)` pairs; empty when the sections agree.
    """
    problems: list[tuple[str, str]] = []
    model, train = cfg.model, cfg.train
    if getattr(model, "stateful", False):
        if getattr(train, "batch_size", None) is None:
            problems.append(
                (
                    "train.batch_size",
                    "a stateful model needs a fixed batch size (its state has one row per "
                    "batch element); set train.batch_size, e.g. 32",
                )
            )
        if getattr(train, "shuffle", None) is True:
            problems.append(
                (
                    "train.shuffle",
                    "a stateful model carries state from one batch to the next, so batches "
                    "must stay in order; set train.shuffle to false",
                )
            )
        if getattr(train, "distribution", None) is not None:
            problems.append(
                (
                    "train.distribution",
                    "a stateful model keeps one state row per batch element in its own variables, which "
                    "seqkit cannot split over devices; remove `train.distribution` or `model.stateful`",
                )
            )
    head_type = getattr(getattr(model, "head", None), "type", None)
    data = cfg.data
    lookback, stride = getattr(data, "lookback", None), getattr(data, "stride", 1)
    if getattr(model, "stateful", False) and isinstance(lookback, int) and stride != lookback:
        problems.append(
            (
                "data.stride",
                f"a stateful model carries its state from one window into the next, so each window "
                f"must continue the previous one: set data.stride to data.lookback ({lookback}), got {stride}",
            )
        )
    text = getattr(data, "text", None) if data is not None else None
    if text is not None and head_type != "language_model":
        problems.append(
            (
                "model.head.type",
                f"data.text trains a language model; set model.head to {{type: language_model}} "
                f"(got {head_type!r})",
            )
        )
    if data is not None and text is None and head_type == "language_model":
        problems.append(
            ("data.text", "a language model trains on text: add `text: {level: char}` to the data section")
        )
    label = getattr(data, "label", None) if data is not None else None
    if label is not None and head_type != "classify":
        problems.append(
            (
                "model.head.type",
                f"data.label classifies windows; set model.head to {{type: classify}} (got {head_type!r})",
            )
        )
    sequences = getattr(data, "sequences", None) if data is not None else None
    if sequences is not None and head_type != "classify":
        problems.append(
            ("model.head.type", f"data.sequences classifies sequences; set model.head to {{type: classify}} "
             f"(got {head_type!r})")
        )
    if sequences is not None and getattr(model, "stateful", False):
        problems.append(("model.stateful", "independent sequences share no state; remove `stateful`"))
    if data is not None and label is None and text is None and sequences is None and head_type == "classify":
        problems.append((
            "data.label",
            "a classifier needs a class column (`data.label`, e.g. `label: weather`) or a set of labelled "
            "sequences (`data.sequences`)",
        ))
    if data is not None and head_type == "forecast" and getattr(model, "embedding", None) is not None:
        problems.append(
            (
                "model.embedding",
                "a forecast reads real-valued series, not token ids; remove the embedding "
                "or use a classify/language_model head",
            )
        )
    series_column = getattr(data, "series_column", None) if data is not None else None
    if series_column is not None and getattr(model, "stateful", False):
        problems.append((
            "model.stateful",
            "a panel's training batches mix windows of many series, so no state carries from one batch to the "
            "next; remove `stateful`",
        ))
    if series_column is not None and head_type not in (None, "forecast"):
        problems.append(("model.head.type", f"a panel (data.series_column) is forecast; got head {head_type!r}"))
    if getattr(model, "series_embedding", None) is not None and data is not None and series_column is None:
        problems.append((
            "model.series_embedding",
            "gives each series of a panel its own vector, but the data is one series; set "
            "`data.series_column`, or remove `series_embedding`",
        ))
    problems.extend(quantile_rules(cfg))
    return problems


def quantile_rules(cfg: ExperimentConfig) -> list[tuple[str, str]]:
    """Preprocessing that a quantile head's forecasts cannot be mapped back through.

    Each quantile is inverted on its own, which gives the quantile in original
    units only when the inverse is increasing: scaling, `log`, `log1p` and
    `window_norm` `subtract` are. Undoing differences adds forecast steps up,
    and a sum of quantiles is not a quantile of the sum (the intervals would
    come out too wide or too narrow); `divide` by a negative window reference
    reverses the order. Both are refused.
    """
    head = getattr(cfg.model, "head", None)
    data = cfg.data
    if getattr(head, "quantiles", None) is None or data is None:
        return []
    problems = []
    transform = getattr(data, "transform", None)
    columns = getattr(transform, "columns", None) or {}
    for name, column in [(None, transform), *columns.items()]:
        steps = [getattr(step, "type", None) for step in getattr(column, "steps", None) or []]
        differenced = [step for step in steps if step in ("diff", "seasonal_diff")]
        if differenced:
            where = "data.transform.steps" if name is None else f"data.transform.columns.{name}.steps"
            problems.append(
                (
                    where,
                    f"`{differenced[0]}` cannot be combined with `model.head.quantiles`: undoing differences "
                    "sums the forecast steps, and a sum of quantiles is not a quantile of the sum, so the "
                    "intervals would be wrong. Drop the differencing step (a recurrent model with "
                    "`window_norm: {type: last}` handles trends), or forecast points",
                )
            )
    if getattr(getattr(data, "window_norm", None), "mode", "subtract") == "divide":
        problems.append(
            (
                "data.window_norm.mode",
                "'divide' cannot be combined with `model.head.quantiles`: a window whose reference is "
                "negative would turn the lower quantiles into the upper ones. Use `mode: subtract`",
            )
        )
    return problems
