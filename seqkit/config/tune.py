"""The `tune:` section: hyperparameter search with KerasTuner.

The search space is a mapping from the dotted path of any model, train or data
setting to a dimension, written as in YAML:

```yaml
tune:
  space:
    model.cell: {choice: [lstm, gru]}
    model.layers: {choice: [[32], [64, 32]]}
    model.dropout: {float: [0.0, 0.4], step: 0.1}
    train.optimizer.learning_rate: {float: [1.0e-4, 1.0e-2], sampling: log}
    data.lookback: {int: [12, 48], step: 12}
    model.bidirectional: {bool: true}
```

Each dimension's shape is checked here; whether its path names a setting and
its values are ones that setting accepts is checked with the whole config
(`seqkit.config.space`).
"""

from __future__ import annotations

import difflib
import math
from typing import Any, Literal

from pydantic import Field, model_serializer, model_validator

from seqkit.config.base import Section
from seqkit.config.problems import ConfigProblems

KINDS = ("choice", "int", "float", "bool")
_OPTIONS = {"choice": (), "int": ("step", "sampling"), "float": ("step", "sampling"), "bool": ()}
DIMENSION_SHAPES = "{choice: [a, b]}, {int: [low, high]}, {float: [low, high]} or {bool: true}"

#: Directions of the metrics seqkit's tasks report, after `val_`; others need `direction`.
KNOWN_DIRECTIONS = {
    **dict.fromkeys(("loss", "mae", "mse", "rmse", "mape", "smape", "mase", "crossentropy", "perplexity"), "min"),
    **dict.fromkeys(("accuracy", "auc", "precision", "recall", "f1"), "max"),
}


class Dimension(Section):
    """One searched setting: a list of choices, an integer or float range, or a boolean.

    Attributes:
        kind: `choice`, `int`, `float` or `bool`.
        values: The choices (choice only).
        low, high: The range's ends, both included (int and float).
        step: Spacing of the values tried (int and float; none: any value in the range).
        sampling: `linear` or `log` (int and float; log needs a positive low end).
    """

    kind: Literal["choice", "int", "float", "bool"]
    values: list[Any] = Field(default_factory=list)
    low: float | int | None = None
    high: float | int | None = None
    step: float | int | None = None
    sampling: Literal["linear", "log"] = "linear"

    @model_validator(mode="before")
    @classmethod
    def _from_yaml_shape(cls, data: Any) -> Any:
        if isinstance(data, Dimension):
            return data
        if not isinstance(data, dict):
            raise ValueError(f"must be one of {DIMENSION_SHAPES}")
        if "kind" in data:  # already in field form (Python construction)
            return data
        kinds = [k for k in KINDS if k in data]
        if not kinds:
            for key in data:
                close = difflib.get_close_matches(str(key), KINDS, n=1, cutoff=0.6)
                if close:
                    raise ValueError(
                        f"unknown key '{key}' (did you mean '{close[0]}'?); it must be one of {DIMENSION_SHAPES}"
                    )
            raise ValueError(f"must be one of {DIMENSION_SHAPES}")
        if len(kinds) > 1:
            raise ValueError(f"give one of {', '.join(kinds)}, not several")
        kind = kinds[0]
        allowed = (kind, *_OPTIONS[kind])
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise ValueError(f"unknown key '{key}' in the {kind} dimension{hint}; it takes {', '.join(allowed)}")
        value = data[kind]
        if kind == "choice":
            if not isinstance(value, list) or not value:
                raise ValueError("`choice` must list at least one value, e.g. {choice: [lstm, gru]}")
            return {"kind": kind, "values": value}
        if kind == "bool":
            if value is not True:
                raise ValueError("write a boolean dimension as {bool: true}; it tries true and false")
            return {"kind": kind}
        number = int if kind == "int" else (int, float)
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, number) and not isinstance(v, bool) for v in value)
        ):
            example = "[12, 48]" if kind == "int" else "[0.0, 0.4]"
            raise ValueError(f"`{kind}` must be [low, high], two {kind} numbers, e.g. {{{kind}: {example}}}")
        low, high = value
        if not low < high:
            raise ValueError(f"`{kind}` must be [low, high] with low below high; swap them or use a choice")
        step = data.get("step")
        if step is not None:
            if not isinstance(step, number) or isinstance(step, bool) or step <= 0:
                raise ValueError(f"`step` must be a positive {kind} number")
        sampling = data.get("sampling", "linear")
        if sampling not in ("linear", "log"):
            raise ValueError("`sampling` must be 'linear' or 'log'")
        if sampling == "log" and low <= 0:
            raise ValueError("`sampling: log` needs a low end above 0")
        return {"kind": kind, "low": low, "high": high, "step": step, "sampling": sampling}

    @model_serializer
    def _to_yaml_shape(self) -> dict:
        if self.kind == "choice":
            return {"choice": list(self.values)}
        if self.kind == "bool":
            return {"bool": True}
        shape: dict[str, Any] = {self.kind: [self.low, self.high]}
        if self.step is not None:
            shape["step"] = self.step
        if self.sampling != "linear":
            shape["sampling"] = self.sampling
        return shape

    def candidates(self) -> list[tuple[str, Any]]:
        """The values that bound what the dimension can give, each with a label for messages.

        A choice's every value; a range's two ends (the last value on its step
        grid for the high end); a boolean's true and false.
        """
        if self.kind == "choice":
            return [(f"the choice {_show(v)}", v) for v in self.values]
        if self.kind == "bool":
            return [("true", True), ("false", False)]
        high = self.high
        if self.step is not None:
            high = self.low + math.floor((self.high - self.low) / self.step + 1e-9) * self.step
            if self.kind == "float":
                high = round(high, 12)
        return [(f"the low end {_show(self.low)}", self.low), (f"the high end {_show(high)}", high)]


class Objective(Section):
    """What the search optimises: a validation metric and whether lower or higher is better.

    Attributes:
        name: `val_` and a metric the task reports while training, e.g. `val_loss`,
            `val_mae` (forecast) or `val_accuracy` (classify, language model).
        direction: `min` or `max`; known metrics default to theirs.
    """

    name: str = Field(pattern=r"^[A-Za-z0-9_]+$")
    direction: Literal["min", "max"]

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        if isinstance(data, str):
            data = {"name": data}
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            name = data["name"]
            if not name.startswith("val_"):
                raise ValueError(
                    f"must be a validation metric, `val_` and the metric's name, e.g. 'val_{name}'; "
                    "a search chooses on the validation split, never on training or test scores"
                )
            if data.get("direction") is None:
                direction = KNOWN_DIRECTIONS.get(name.removeprefix("val_"))
                if direction is None:
                    raise ValueError(
                        f"the direction of '{name}' is not known; write {{name: {name}, direction: min}} "
                        "(lower is better) or direction: max"
                    )
                data = {**data, "direction": direction}
        return data


class TuneConfig(Section):
    """Search settings for `seqkit tune`.

    Attributes:
        algorithm: KerasTuner oracle: `hyperband`, `random`, `bayesian` or `grid`.
        objective: Validation metric and direction, e.g. `val_loss` or
            `{name: val_accuracy, direction: max}`.
        max_trials: Trials for random, Bayesian and grid search (grid also stops
            when every combination is tried).
        max_epochs: Most epochs a trial trains: Hyperband's top bracket, and a cap
            on `train.epochs` for the other algorithms.
        executions_per_trial: Models trained per trial; the objective is their mean.
        seed: Seeds the algorithm, so the same config tries the same trials in the same order.
        max_failed_trials: Failed trials tolerated in all; one more stops the search.
        worker_memory_growth: With worker processes (`--workers N`, `--role
            worker`): a worker whose resident memory has grown by more than this
            fraction since its first trial ended finishes its current trial and is
            replaced by a fresh process under the same id (TensorFlow keeps some
            memory from every model a process builds). 0 replaces it after every
            trial; null never. A one-process search cannot shed that memory.
        space: Dotted path of a model, train or data setting -> its dimension.
    """

    algorithm: Literal["hyperband", "random", "bayesian", "grid"] = "hyperband"
    objective: Objective = Field(default_factory=lambda: Objective(name="val_loss"))
    max_trials: int = Field(default=20, gt=0)
    max_epochs: int = Field(default=30, gt=0)
    executions_per_trial: int = Field(default=1, gt=0)
    seed: int = 42
    max_failed_trials: int = Field(default=3, ge=0)
    worker_memory_growth: float | None = Field(default=0.05, ge=0)
    space: dict[str, Dimension] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _grid_needs_steps(self) -> TuneConfig:
        if self.algorithm == "grid":
            loose = [path for path, dim in self.space.items() if dim.kind == "float" and dim.step is None]
            if loose:
                raise ConfigProblems(
                    [
                        (f"tune.space.{path}", "grid search tries every value, so a float range needs a `step`")
                        for path in loose
                    ]
                )
        return self


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
