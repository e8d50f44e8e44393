"""`Run`: a trained model with its preprocessing, metrics and files, in memory or reloaded from its directory.

A run directory holds:

```
runs/<name>/<timestamp>/
    config.yaml           the resolved config (`seqkit train` runs it as is)
    preprocessing.json    fitted transforms, scalers, classes or vocabulary (JSON, no pickle)
    model.keras           best weights, loads with safe_mode=True
    history.csv           one row per epoch
    metrics.json          test metrics of the model and the baselines
    plots/                loss curves (and the forecast, for forecasts)
    tensorboard/          TensorBoard logs
    checkpoints/          resume state (removed once the run completes)
    manifest.json         versions, device, seed, data hash, command; written last
```
"""

from __future__ import annotations

import json
from pathlib import Path

from seqkit.config.experiment import ExperimentConfig
from seqkit.config.loading import load_config
from seqkit.errors import RunError
from seqkit.tasks import Task, task_for

CONFIG = "config.yaml"
MANIFEST = "manifest.json"
PREPROCESSING = "preprocessing.json"
MODEL = "model.keras"
METRICS = "metrics.json"
HISTORY = "history.csv"


class Run:
    """A finished training run.

    Attributes:
        path: The run directory.
        config: The resolved experiment config.
        task: The config's `Task` (forecast, classify, language model).
        model: The trained `keras.Model` (best weights).
        preprocessing: The task's fitted preprocessing: a `Transform` (forecast),
            `ClassifierPreprocessing` (classify) or `Vocabulary` (language model).
        metrics: Test metrics of the model and its baselines (`metrics.json`).
    """

    def __init__(self, path, *, config: ExperimentConfig, model, preprocessing, metrics=None, prepared=None):
        self.path = Path(path)
        self.config = config
        self.task: Task = task_for(config)
        self.model = model
        self.preprocessing = preprocessing
        self.metrics = metrics or {}
        self._prepared = prepared

    def __repr__(self) -> str:
        return f"Run('{self.path}')"

    @property
    def transform(self):
        """The fitted series preprocessing (scalers, window normalisation) of a forecast or classifier."""
        return self.task.transform_of(self.preprocessing)

    @property
    def vocabulary(self):
        """The text vocabulary of a language-model run."""
        return self.task.vocabulary_of(self.preprocessing)

    def evaluate(self, data=None) -> dict:
        """Test metrics of the model next to its task's baselines.

        Args:
            data: A DataFrame, a CSV/Parquet path (a text or `.txt` path for a
                language model), or None for the run's own data. New data is split
                and windowed as the config says, but scaled with the run's fitted
                preprocessing, not refitted.

        Returns:
            The metrics dict, with a printable `report` entry.
        """
        if data is None:
            if self._prepared is None:
                self._prepared = self.task.prepare(preprocessing=self.preprocessing)
            prepared = self._prepared
        else:
            prepared = self.task.prepare(data=self.task.read_data(data), preprocessing=self.preprocessing)
        return self.task.evaluate(self.model, prepared).metrics

    def predict(self, data):
        """Predict from the end of new data, in original units.

        Args:
            data: A DataFrame (or CSV/Parquet path) with the run's feature
                columns (and its time column, if it had one), at least
                `lookback` rows long; only its last `lookback` rows are used.

        Returns:
            A forecast: one row per forecast step, the timestamp (or step number)
            and one column per target. A classifier: one row, the class and each
            class's probability.

        Raises:
            DataError: Missing columns or too few rows, naming what is expected.
            RunError: A language model (use `generate`).
        """
        return self.task.predict(self.model, self.preprocessing, data)

    def generate(self, prompt: str, length: int = 200, *, temperature: float = 1.0, seed: int | None = None) -> str:
        """Continue `prompt` with `length` tokens sampled from a language-model run.

        See `seqkit.inference.generate_text`: one recurrent step per new token.
        """
        from seqkit.inference.generation import generate_text

        return generate_text(
            self.model, self.config.model, self.vocabulary, prompt, length, temperature=temperature, seed=seed
        )


def read_preprocessing(task: Task, path: Path):
    """The fitted preprocessing saved in `path` (a run's `preprocessing.json`).

    Raises:
        RunError: The file is missing, not JSON, or written by another task.
    """
    if not path.exists():
        raise RunError(f"run '{path.parent}' has no {path.name}; the run is incomplete")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RunError(f"{path} is not valid JSON ({error}); the run cannot be used") from error
    if not isinstance(data, dict):
        raise RunError(f"{path} does not hold fitted preprocessing; the run cannot be used")
    return task.preprocessing_from_json(data)


def load_run(path: str | Path) -> Run:
    """Reload a finished run: its config, model (Keras safe mode) and preprocessing.

    Raises:
        RunError: The folder is not a finished run (missing or unfinished files).
    """
    import keras

    path = Path(path)
    if not (path / CONFIG).exists():
        raise RunError(f"'{path}' is not a seqkit run directory (it has no {CONFIG})")
    if not (path / MANIFEST).exists():
        raise RunError(
            f"run '{path}' did not finish (it has no {MANIFEST}); continue it with `seqkit train --resume {path}`"
        )
    config = load_config(path / CONFIG)
    preprocessing = read_preprocessing(task_for(config), path / PREPROCESSING)
    model = keras.saving.load_model(path / MODEL, safe_mode=True)
    metrics = json.loads((path / METRICS).read_text(encoding="utf-8")) if (path / METRICS).exists() else {}
    return Run(path, config=config, model=model, preprocessing=preprocessing, metrics=metrics)
