"""`Task`: everything that differs between kinds of problem, behind one interface.

keras-hub splits a model into a backbone (sequence -> features) and a task (head,
loss, metrics, preprocessing). seqkit does the same one level up: the recurrent
backbone and its heads are built by `seqkit.models`, and a `Task` owns what the
kind of problem means for data and results:

| step | method |
| --- | --- |
| train/val/test windows from the config's data (or new data) | `prepare` |
| the model's input and output shapes | `spec`, `spec_from_config` |
| the model, its head, loss and metrics | `build_model` |
| the fitted preprocessing, and `preprocessing.json` | `preprocessing_of`, `preprocessing_to_json` / `_from_json` |
| the values that identify the data (its hash) | `data_values` |
| scores next to the task's baselines, and the report table | `evaluate` |
| prediction on new data | `predict`, `generate` |
| plots of a finished run, as Figures and as files | `figures`, `write_plots` |

The trainer, `Run`, `load_run` and the CLI call these methods and never ask
which kind of problem they hold; `seqkit.tasks.registry` maps a config to its
task.
"""

from __future__ import annotations

import abc
import dataclasses
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from seqkit.config.experiment import ExperimentConfig
from seqkit.errors import ConfigError, RunError
from seqkit.models.spec import SequenceSpec


@dataclasses.dataclass
class Evaluation:
    """A task's scores on one split, and what its plots need.

    Attributes:
        metrics: JSON-ready scores of the model and its baselines, with a
            printable `report` (or a `note` when there was nothing to score).
        plot: Task-specific arrays for `Task.figures` (None: no plot).
    """

    metrics: dict
    plot: dict | None = None


class Task(abc.ABC):
    """One kind of problem: forecasting, classification, language modelling, ...

    Args:
        config: The experiment; the task reads its data, model and training sections.

    Attributes:
        name: The registry key: the `model.head.type` the task trains.
        title: What a run of this task is called in messages ("forecast").
        preprocessing_noun: What its fitted preprocessing is, in messages.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    preprocessing_noun: ClassVar[str]

    def __init__(self, config: ExperimentConfig) -> None:
        self.config = config

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config.run_name!r})"

    # ------------------------------------------------------------------ data

    @abc.abstractmethod
    def prepare(self, *, data=None, preprocessing=None):
        """Train, validation and test windows of the config's data.

        Args:
            data: Data replacing the config's source (a DataFrame or array for
                series, a string for text), or None.
            preprocessing: Fitted preprocessing to apply instead of fitting it
                anew (a trained run's, for new data).

        Returns:
            Prepared data with `train`, `val` and `test` windows (val/test None when empty).
        """

    def read_data(self, source):
        """New data as given by a user, for `prepare(data=...)` and `predict`.

        A path stays a path: the data layer reads it and checks it exactly as
        training data (so its messages name the file, row and line, and a missing
        file is a `DataError` there); a DataFrame or array is passed on as it is.
        """
        return Path(source) if isinstance(source, str) else source

    def check_data(self) -> SequenceSpec:
        """Open the config's data and check it as training would, without building or fitting a model.

        The data is read, checked and split, and the preprocessing fitted,
        exactly as `prepare` does for training, so every data problem training
        would meet (a missing file or dataset, bad cells, a `lookback` or
        `horizon` that leaves a requested split without a window) is raised here.
        Neither Keras nor TensorFlow is imported.

        Returns:
            The shapes the model would be built with.

        Raises:
            ConfigError: The config has no data section.
            DataError: The data cannot be read, or does not fit the windows and splits asked for.
        """
        if self.config.data is None:
            raise ConfigError("the config has no data section; add `data:` with a dataset or path, and a lookback")
        return self.spec(self.prepare())

    @abc.abstractmethod
    def spec(self, prepared) -> SequenceSpec:
        """The model's shapes from prepared data (and a stateful model's fixed batch)."""

    def spec_from_config(self) -> SequenceSpec:
        """The model's shapes read as cheaply as the task allows (no training windows where it can).

        Raises:
            ConfigError: A real-valued model has no data section to take its shape from.
        """
        if self.config.data is None:
            if self.config.model.embedding is None:
                raise ConfigError(
                    "the config has no data section, so the input shape is unknown; add "
                    "`data:` with a dataset or path and a lookback"
                )
            return SequenceSpec(lookback=None, batch_size=self.fixed_batch)
        return self.spec_from_data_config()

    @abc.abstractmethod
    def spec_from_data_config(self) -> SequenceSpec:
        """`spec_from_config` for a config with a data section."""

    @abc.abstractmethod
    def preprocessing_of(self, prepared):
        """The fitted preprocessing of prepared data (what `preprocessing.json` saves)."""

    @abc.abstractmethod
    def data_values(self, prepared) -> np.ndarray:
        """The loaded values that identify the data, hashed when it did not come from a file."""

    @abc.abstractmethod
    def describe(self, prepared, spec: SequenceSpec) -> str:
        """One line on the windows and shapes, for the run's log."""

    # ------------------------------------------------------------------ model

    def build_model(self, spec: SequenceSpec | None = None):
        """Build and compile the model the config describes.

        Args:
            spec: Shapes to use instead of those read from the config's data.
        """
        from seqkit.models import build_model

        spec = spec or self.spec_from_config()
        return build_model(self.config.model, spec, optimizer=self.config.train.optimizer, name=self.config.run_name)

    def check_model(self, model) -> None:
        """Check that a saved model reads the windows the config describes.

        A config edited after training (a run saved before seqkit hashed its
        files) would otherwise fail deep inside a Keras call.

        Raises:
            RunError: The model's window length differs from `data.lookback`.
        """
        data = self.config.data
        steps = time_steps(model.input_shape)
        if data is not None and steps is not None and steps != data.lookback:
            raise RunError(
                f"config.yaml no longer fits model.keras: `data.lookback` is {data.lookback}, but the model "
                f"reads windows of {steps} steps. The config was edited after training; restore it or train again."
            )

    @property
    def fixed_batch(self) -> int | None:
        """A stateful model's fixed batch size (None for other models)."""
        return self.config.train.effective_batch_size if self.config.model.stateful else None

    def predict_windows(self, model, windows) -> np.ndarray:
        """The model's outputs for every window of a split, in window order."""
        from seqkit.models import predict_windows

        return predict_windows(
            model, windows, batch_size=self.config.train.effective_batch_size, stateful=self.config.model.stateful
        )

    # ------------------------------------------------------------------ preprocessing

    @property
    @abc.abstractmethod
    def preprocessing_type(self) -> type:
        """The class of the fitted preprocessing (imported on use: the data layer loads pandas)."""

    def preprocessing_to_json(self, preprocessing) -> dict:
        """`preprocessing.json` content: the task's name and the fitted state (JSON, no pickle)."""
        return {"task": self.name, "state": preprocessing.to_json()}

    def preprocessing_from_json(self, data: dict):
        """Rebuild the state saved by `preprocessing_to_json`.

        Raises:
            RunError: The file belongs to another task or holds no state.
        """
        from seqkit.tasks.registry import task_name_of

        saved = task_name_of(data)
        if saved != self.name:
            raise RunError(
                f"preprocessing.json was written by a {saved!r} run, but the config trains a {self.name!r} "
                "model; the run's files do not belong together"
            )
        if not isinstance(data.get("state"), dict):
            raise RunError("preprocessing.json has no fitted state ('state'); the run cannot be used")
        return self.preprocessing_type.from_json(data["state"])

    # ------------------------------------------------------------------ results

    def evaluate(self, model, prepared) -> Evaluation:
        """Score the model on the test windows (else validation) next to the task's baselines."""
        windows, split = prepared.test, "test"
        if windows is None or len(windows) == 0:
            windows, split = prepared.val, "validation"
        if windows is None or len(windows) == 0:
            return Evaluation({"split": None, "note": "no validation or test windows to evaluate on"})
        return self.evaluate_split(model, prepared, windows, split)

    @abc.abstractmethod
    def evaluate_split(self, model, prepared, windows, split: str) -> Evaluation:
        """Scores on one split's windows; `split` names it in the report."""

    def predict(self, model, preprocessing, data) -> Any:
        """Predict from new data (a DataFrame or a CSV/Parquet path) with a trained model.

        The data is checked as the training data was (columns, cells, time column,
        `data.missing`), so what training refuses is refused here in the same words.

        Raises:
            RunError: The task does not predict from tables.
        """
        raise RunError(f"a {self.title} run does not predict from a table")

    def transform_of(self, preprocessing):
        """The fitted series transform inside the task's preprocessing.

        Raises:
            RunError: The task has no series transform.
        """
        raise RunError(f"a {self.title} run has no series transform (scalers); it has {self.preprocessing_noun}")

    def vocabulary_of(self, preprocessing):
        """The fitted vocabulary inside the task's preprocessing.

        Raises:
            RunError: The task reads no text.
        """
        raise RunError(
            f"a {self.title} run has no vocabulary, so it cannot generate text; only a language model can"
        )

    def figures(
        self, history: dict, evaluation: Evaluation, preprocessing, *, best_epoch: int | None = None
    ) -> dict[str, Any]:
        """The run's plots as matplotlib Figures, by file name: the loss curves, plus whatever the task adds.

        `write_plots` saves exactly these; `seqkit.plots` returns them to a notebook.

        Args:
            history: Every epoch's logged values, from epoch 1.
            evaluation: What `evaluate` returned.
            preprocessing: The fitted preprocessing.
            best_epoch: The epoch whose weights the run kept (1-based), marked on the loss curves.
        """
        from seqkit.evaluation import plot_history

        return {"loss.png": plot_history(history, best_epoch=best_epoch)} if history.get("loss") else {}

    def write_plots(
        self, folder: Path, history: dict, evaluation: Evaluation, preprocessing, *, best_epoch: int | None = None
    ) -> None:
        """Save `figures` as PNG files in `folder` (`plots/` of the run directory)."""
        from seqkit.evaluation.plots import save_figure

        for name, figure in self.figures(history, evaluation, preprocessing, best_epoch=best_epoch).items():
            save_figure(figure, folder / name)


def count(n: int, noun: str) -> str:
    """`1 feature`, `3 features`."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def split_counts(prepared) -> str:
    """`85 training windows, 1 validation, 1 test`."""
    return (
        f"{len(prepared.train)} training windows, "
        f"{len(prepared.val) if prepared.val is not None else 0} validation, "
        f"{len(prepared.test) if prepared.test is not None else 0} test"
    )


def time_steps(shape) -> int | None:
    """The time dimension of a model input or output shape `(batch, time, ...)` (None: variable length)."""
    if isinstance(shape, list):  # several inputs: the first is the sequence
        shape = shape[0]
    return shape[1] if shape is not None and len(shape) >= 2 else None
