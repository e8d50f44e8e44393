"""`ConfigHyperModel`: KerasTuner's `hp` turned into an ordinary `ExperimentConfig`, built and fitted by its task.

What to search is the config's `tune.space`; how to search is KerasTuner's
oracle; this adapter only translates. Each trial's values are applied to the
config by dotted path and validated as a run's config is, the task prepares
the data (once per distinct data section) and builds the model, and the fit
goes through the trainer's own datasets and callbacks.
"""

from __future__ import annotations

import gc
import json
import math
from typing import Any

import keras
import keras_tuner as kt

from seqkit.config.experiment import ExperimentConfig
from seqkit.config.space import with_values
from seqkit.config.tune import Dimension
from seqkit.errors import ConfigError
from seqkit.tasks import task_for
from seqkit.training.runtime import configure_runtime
from seqkit.training.trainer import fit_model, has_validation, schedule_callbacks

_PLAIN_CHOICE_TYPES = (bool, int, float, str)


class ObjectiveError(ConfigError, kt.errors.FatalError):
    """`tune.objective` names a metric the model does not report: the whole search is wrong, not one trial."""


def encodes_choices(dimension: Dimension) -> bool:
    """Whether a choice's values travel through KerasTuner as JSON strings.

    `hp.Choice` takes values of one plain type (str, int, float or bool);
    anything else (`[64, 32]`, a mix, null) is passed as its JSON text.
    """
    if dimension.kind != "choice":
        return False
    kinds = {type(v) for v in dimension.values}
    return len(kinds) != 1 or next(iter(kinds)) not in _PLAIN_CHOICE_TYPES


def declare(hp: kt.HyperParameters, path: str, dimension: Dimension):
    """Register one dimension with KerasTuner under its dotted path; returns the value hp gives."""
    if dimension.kind == "choice":
        values = [json.dumps(v) for v in dimension.values] if encodes_choices(dimension) else dimension.values
        return hp.Choice(path, values)
    if dimension.kind == "bool":
        return hp.Boolean(path)
    make = hp.Int if dimension.kind == "int" else hp.Float
    return make(path, dimension.low, dimension.high, step=dimension.step, sampling=dimension.sampling)


def setting_value(dimension: Dimension, value: Any) -> Any:
    """The config value of a value KerasTuner gave (or saved) for a dimension."""
    if encodes_choices(dimension):
        return json.loads(value)
    if dimension.kind == "float":
        return float(value)
    if dimension.kind == "int":
        return int(value)
    return value


def searched_values(config: ExperimentConfig, hp_values: dict) -> dict[str, Any]:
    """The searched settings (dotted path -> config value) among a trial's KerasTuner values."""
    return {path: setting_value(dim, hp_values[path]) for path, dim in config.tune.space.items() if path in hp_values}


def trial_epochs(searched: ExperimentConfig, point: ExperimentConfig) -> int:
    """Epochs a random, Bayesian or grid trial trains: the point's `train.epochs`, capped by the
    searched config's `tune.max_epochs` (a point's own config has no search section)."""
    return min(point.train.epochs, searched.tune.max_epochs)


class ConfigHyperModel(kt.HyperModel):
    """The search space of an experiment config as a KerasTuner `HyperModel`.

    Args:
        config: The searched config; `tune.space` says what varies.
        verbose: Keras' fit verbosity inside trials.

    Attributes:
        last_error: `Type: message` of the last exception a trial raised (None after a good trial).
        last_fit: `{"epochs": last epoch reached, "budget": epochs asked for}` of the last fit.
        prepared_count: How many times data was prepared (once per distinct data section).
    """

    def __init__(self, config: ExperimentConfig, *, verbose: int = 0) -> None:
        super().__init__(name=config.run_name)
        self.config = config
        self.verbose = verbose
        self.last_error: str | None = None
        self.last_fit: dict = {}
        self.prepared_count = 0
        self._prepared: dict[str, Any] = {}
        self._builds: dict[str, int] = {}
        self._current = None

    def declare_hyperparameters(self, hp: kt.HyperParameters) -> None:
        """Register every dimension of `tune.space` with `hp` (KerasTuner's space, before any trial)."""
        for path, dimension in self.config.tune.space.items():
            declare(hp, path, dimension)

    def trial_config(self, hp: kt.HyperParameters) -> ExperimentConfig:
        """The ordinary config of the trial `hp` describes (values registered with `hp` on first use).

        Raises:
            ConfigError: The point breaks a config rule (the trial fails with that message).
        """
        values = {path: setting_value(dim, declare(hp, path, dim)) for path, dim in self.config.tune.space.items()}
        return with_values(self.config, values)

    def build(self, hp: kt.HyperParameters) -> keras.Model:
        self.last_error = None
        try:
            keras.backend.clear_session()  # each trial starts from an empty Keras session
            gc.collect()
            config = self.trial_config(hp)
            # Each execution of a trial starts from its own seed; the first from train.seed, as a run does.
            key = json.dumps(hp.values, sort_keys=True, default=str)
            execution = self._builds.get(key, 0)
            self._builds[key] = execution + 1
            if execution:
                config = config.model_copy(update={"train": config.train.model_copy(
                    update={"seed": config.train.seed + execution})})
            configure_runtime(config.train)
            task = task_for(config)
            prepared = self._prepare(task, config)
            model = task.build_model(task.spec(prepared))
        except Exception as error:
            self.last_error = _describe(error)
            raise
        self._current = (config, prepared)
        return model

    def _prepare(self, task, config: ExperimentConfig):
        key = json.dumps(config.data.model_dump(mode="json"), sort_keys=True)
        if key not in self._prepared:
            self._prepared[key] = task.prepare()
            self.prepared_count += 1
        prepared = self._prepared[key]
        if not has_validation(prepared):
            raise ConfigError(
                f"this trial's data settings leave no validation windows, so {self.config.tune.objective.name} "
                "cannot be scored; shorten data.lookback or give data.split a larger validation part"
            )
        return prepared

    def fit(self, hp, model, *args, callbacks=None, epochs=None, initial_epoch=0, **kwargs):
        try:
            return self._fit(model, callbacks or [], epochs, initial_epoch)
        except Exception as error:
            self.last_error = _describe(error)
            raise

    def _fit(self, model, callbacks, epochs, initial_epoch):
        config, prepared = self._current
        budget = epochs if epochs is not None else trial_epochs(self.config, config)
        _, _, schedule = schedule_callbacks(config, "val_loss")
        history = fit_model(
            model, config, prepared, initial_epoch=initial_epoch, epochs=budget,
            callbacks=[*schedule, keras.callbacks.TerminateOnNaN(), *callbacks], verbose=self.verbose,
        )
        logs = history.history
        self.last_fit = {"epochs": initial_epoch + len(logs.get("loss", [])), "budget": budget}
        name = self.config.tune.objective.name
        if name not in logs:
            reported = ", ".join(sorted(k for k in logs if k.startswith("val_")))
            raise ObjectiveError(
                f"tune.objective '{name}' is not a metric this model reports while training; it reports "
                f"{reported}. Set tune.objective to one of them"
            )
        bad = [i for i, v in enumerate(logs.get("loss", []), start=initial_epoch + 1) if not math.isfinite(v)]
        if bad:
            raise kt.errors.FailedTrialError(
                f"the training loss became {logs['loss'][bad[0] - initial_epoch - 1]} at epoch {bad[0]}; "
                "lower the learning rate or clip gradients (train.optimizer.clipnorm)"
            )
        return history


def _describe(error: Exception) -> str:
    """A failed trial's message: seqkit's own failures as written, anything else with its type."""
    if isinstance(error, kt.errors.FailedTrialError):
        return str(error)
    return f"{type(error).__name__}: {error}"
