"""`Run`: a trained model with its preprocessing, metrics and files, in memory or reloaded from its directory.

A run directory holds:

```
runs/<name>/<timestamp>/
    config.yaml           the resolved config (`seqkit train` runs it as is)
    preprocessing.json    fitted transforms, scalers, classes or vocabulary (JSON, no pickle)
    model.keras           best weights, loads with safe_mode=True
    history.csv           one row per epoch
    metrics.json          test metrics of the model and the baselines
    plots/                loss curves (and the forecast, or a classifier's confusion matrix)
    tensorboard/          TensorBoard logs
    checkpoints/          resume state (removed once the run completes)
    manifest.json         versions, device, seed, data hash, command, and the SHA-256 of
                          config.yaml, preprocessing.json and model.keras; written last
```
"""

from __future__ import annotations

from pathlib import Path

from seqkit.config.experiment import ExperimentConfig
from seqkit.config.loading import load_config
from seqkit.errors import ConfigError, RunError, SeqkitError
from seqkit.files import read_json_object, sha256_file
from seqkit.inference.generation import DEFAULT_LENGTH, DEFAULT_TEMPERATURE, DEFAULT_TOP_P, TextGenerator
from seqkit.tasks import Task, task_for

CONFIG = "config.yaml"
MANIFEST = "manifest.json"
PREPROCESSING = "preprocessing.json"
MODEL = "model.keras"
METRICS = "metrics.json"
HISTORY = "history.csv"

HASHED_FILES = (CONFIG, PREPROCESSING, MODEL)
"""The files a run is loaded from; the manifest records their SHA-256 under `files`."""


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
        self._generator = None

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
                language model), or None for the run's own data. New data is read
                and checked exactly as the training data was (the run's columns, the
                time column increasing, without duplicates, its missing steps and
                empty cells handled by `data.missing`; for text, the text checks),
                split and windowed as the config says, and scaled with the run's
                fitted preprocessing, not refitted.

        Returns:
            The metrics dict, with a printable `report` entry.

        Raises:
            DataError: The data is refused, in the words training uses, naming the
                file (or DataFrame), row, line and column.
        """
        if data is None:
            if self._prepared is None:
                self._prepared = self.task.prepare(preprocessing=self.preprocessing)
            prepared = self._prepared
        else:
            prepared = self.task.prepare(data=self.task.read_data(data), preprocessing=self.preprocessing)
        return self.task.evaluate(self.model, prepared).metrics

    def predict(self, data, *, steps: int | None = None):
        """Predict from the end of new data, in original units.

        Args:
            data: A DataFrame (or CSV/Parquet path) with the run's feature
                columns (and its time column, if it had one), at least
                `lookback` rows long; only its last `lookback` rows feed the
                model, but all of it is checked exactly as the training data was.
            steps: A forecast run's number of steps (default: its horizon). Up to
                the horizon, the direct forecast cut to `steps`; past it, the model
                is applied to its own forecasts, `horizon` steps at a time (see
                `seqkit.inference.recursive`), which is less reliable than the
                direct multi-step output. A run with covariates (features that are
                not targets) then needs their future values: trailing rows of
                `data` with every target empty and every covariate filled.

        Returns:
            A forecast: one row per forecast step, the timestamp (or step number)
            and one column per target (a quantile run: per target and level,
            `Passengers_q0.1`, `Passengers` for the median, `Passengers_q0.9`).
            A classifier: one row, the class and each class's probability. A
            sequence-set classifier (`data.sequences`; `data` a list or array of
            sequences, or a `.ts` / wide CSV file): one such row per sequence. A
            panel (`data.series_column`; `data` a long table of the series): one
            row per series and step, the series id first.

        Raises:
            DataError: Missing columns, too few rows, non-numeric or empty cells,
                timestamps out of order, duplicated or missing (under
                `data.missing: error`), in the words training uses, naming the
                file (or DataFrame), row, line and column; with `steps` past the
                horizon, covariates without enough future rows.
            ConfigError: `steps` below 1, not a whole number, given to a run that is
                not a forecast, or past the horizon of a run trained with a `gap`.
            RunError: A language model (use `generate`).
        """
        if steps is None:
            return self.task.predict(self.model, self.preprocessing, data)
        if self.task.name == "forecast_panel":
            raise ConfigError(
                "`steps` (--steps) is not supported for a panel run yet: it forecasts its `data.horizon` steps "
                "for every series; leave `steps` out"
            )
        if self.task.name != "forecast":
            raise ConfigError(f"`steps` (--steps) is for forecast runs, not a {self.task.title} run; leave it out")
        from seqkit.inference.recursive import forecast_steps

        return forecast_steps(self.task, self.model, self.preprocessing, data, steps)

    def stream(self):
        """A `StreamingForecaster` for this forecast run: `update(observations)`, `forecast()`, `reset()`.

        Example:
            ```python
            live = run.stream()
            live.update(history.tail(24))                    # or one row at a time, as they arrive
            live.update({"Date": "1961-01", "Passengers": 420})
            live.forecast()                                  # the next `horizon` steps, as `predict` gives them
            ```

        Raises:
            ConfigError: Not a single-series forecast run, a stateful model, or covariates known in advance.
        """
        from seqkit.inference.streaming import StreamingForecaster

        return StreamingForecaster(self.task, self.model, self.preprocessing)

    def generate(
        self,
        prompt: str,
        length: int = DEFAULT_LENGTH,
        *,
        temperature: float = DEFAULT_TEMPERATURE,
        top_k: int | None = None,
        top_p: float = DEFAULT_TOP_P,
        num_samples: int | None = None,
        seed: int | None = None,
    ) -> str | list[str]:
        """Continue `prompt` with `length` tokens sampled from a language-model run.

        The run keeps one compiled sampling loop (`TextGenerator`), built on the
        first call and reused; it compiles once per `num_samples` and padded
        size of prompt and length (the sizes double: 16, 32, 64, ...), a
        second or two each. The arguments and defaults are
        `seqkit.inference.generate_text`'s, which `seqkit generate` shares.

        Returns:
            The continuation (without the prompt), or a list of `num_samples` of them.

        Raises:
            ConfigError: An empty prompt, or an argument outside its rule.
            RunError: The run is not a language model.
        """
        if self._generator is None:
            self._generator = TextGenerator(self.model, self.vocabulary)
        return self._generator(
            prompt, length, temperature=temperature, top_k=top_k, top_p=top_p, num_samples=num_samples, seed=seed
        )


def file_hashes(path: Path) -> dict[str, str]:
    """SHA-256 of each file a run is loaded from (`HASHED_FILES`), for its manifest's `files`."""
    return {name: sha256_file(path / name) for name in HASHED_FILES}


def read_manifest(path: Path) -> dict:
    """A finished run's `manifest.json`.

    Raises:
        RunError: The run has no manifest (it did not finish), or it is not a JSON object.
    """
    file = path / MANIFEST
    if not file.exists():
        raise RunError(
            f"run '{path}' did not finish (it has no {MANIFEST}); continue it with `seqkit train --resume {path}`"
        )
    return read_json_object(file, holds="a run's manifest", otherwise="the run cannot be trusted")


def verify_files(path: Path, manifest: dict) -> None:
    """Check the files a run is loaded from against the SHA-256 its manifest recorded.

    A manifest written before seqkit recorded hashes has no `files`; such a
    run is not checked.

    Raises:
        RunError: A recorded file is missing or its bytes changed since the run was saved.
    """
    recorded = manifest.get("files")
    if recorded is None:
        return
    if not isinstance(recorded, dict):
        raise RunError(f"{path / MANIFEST} has a `files` entry that is not a mapping; the run cannot be trusted")
    for name, expected in recorded.items():
        file = path / name
        if name not in HASHED_FILES:
            continue  # written by a newer seqkit; what this one loads is checked
        if not file.is_file():
            raise RunError(f"run '{path}' has no {name}, though its manifest lists it; the run is incomplete")
        actual = sha256_file(file)
        if actual != expected:
            raise RunError(
                f"{name} in run '{path}' has changed since the run was saved (SHA-256 {actual[:12]}..., "
                f"{MANIFEST} recorded {str(expected)[:12]}...), so the run cannot be trusted. Restore the "
                "original file or train the run again."
            )


def read_preprocessing(task: Task, path: Path):
    """The fitted preprocessing saved in `path` (a run's `preprocessing.json`).

    Raises:
        RunError: The file is missing, not JSON, written by another task, or
            does not hold the task's fitted state.
    """
    if not path.exists():
        raise RunError(f"run '{path.parent}' has no {path.name}; the run is incomplete")
    holds = f"{task.preprocessing_noun} fitted by seqkit"
    data = read_json_object(path, holds=holds, otherwise="the run cannot be used")
    try:
        return task.preprocessing_from_json(data)
    except SeqkitError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        raise RunError(
            f"{path} does not hold {task.preprocessing_noun} fitted by seqkit ({type(error).__name__}: {error}); "
            "the run cannot be used"
        ) from error


def read_model(path: Path):
    """The Keras model saved in `path` (a run's `model.keras`), loaded in Keras safe mode.

    Raises:
        RunError: The file is missing, damaged, not a Keras model, or holds
            code (a `Lambda` layer) that Keras safe mode refuses to run.
    """
    import zipfile

    import keras

    # Imported to register seqkit's layers, losses and metrics for safe-mode loading.
    from seqkit.models import AttentionPooling, KnownFuture, MonotoneQuantiles, SeriesEmbedding  # noqa: F401

    if not path.is_file():
        raise RunError(f"run '{path.parent}' has no {path.name}; the run is incomplete")
    if not zipfile.is_zipfile(path):
        raise RunError(
            f"{path} is not a Keras model file ({path.stat().st_size} bytes, not a .keras zip archive): it is "
            "truncated or damaged, so the run cannot be used. Restore the file or train the run again."
        )
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except ValueError as error:
        if "safe_mode" in str(error):
            reason = str(error).split(". ")[0]
            raise RunError(
                f"{path} was refused by Keras safe mode ({reason}). It holds Python code that would run on "
                "loading, and seqkit never loads models unsafely; train the run again with seqkit."
            ) from None
        raise RunError(f"{path} is damaged or not a seqkit model ({error}); the run cannot be used") from error
    except (zipfile.BadZipFile, OSError, KeyError, TypeError, EOFError) as error:
        raise RunError(
            f"{path} is damaged ({type(error).__name__}: {error}); the run cannot be used. Restore the file or "
            "train the run again."
        ) from error


def load_run(path: str | Path) -> Run:
    """Reload a finished run: its config, model (Keras safe mode) and preprocessing.

    Before anything is used, the files are checked against the SHA-256 hashes
    in the run's manifest (runs saved before seqkit recorded them are not
    checked), and the model against the config's shapes.

    Raises:
        RunError: The folder is not a finished run, or a file in it is missing,
            damaged, changed since the run was saved, or refused by Keras safe mode.
    """
    path = Path(path)
    if not (path / CONFIG).exists():
        raise RunError(f"'{path}' is not a seqkit run directory (it has no {CONFIG})")
    verify_files(path, read_manifest(path))
    config = load_config(path / CONFIG)
    task = task_for(config)
    preprocessing = read_preprocessing(task, path / PREPROCESSING)
    model = read_model(path / MODEL)
    task.check_model(model)
    metrics = {}
    if (path / METRICS).exists():
        metrics = read_json_object(path / METRICS, holds="a run's metrics", otherwise="the run cannot be used")
    return Run(path, config=config, model=model, preprocessing=preprocessing, metrics=metrics)
