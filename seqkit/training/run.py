"""`Run`: a trained model with its preprocessing, metrics and files, in memory or reloaded."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np

from seqkit.config.experiment import ExperimentConfig
from seqkit.config.loading import load_config
from seqkit.errors import DataError, RunError
from seqkit.training import problem
from seqkit.training.run_files import (
    atomic_path,
    atomic_write_json,
    environment_manifest,
    write_history_csv,
)

MANIFEST = "manifest.json"
PREPROCESSING = "preprocessing.json"
MODEL = "model.keras"
METRICS = "metrics.json"


class Run:
    """A finished training run.

    Attributes:
        path: The run directory.
        config: The resolved experiment config.
        model: The trained `keras.Model` (best weights).
        preprocessing: The fitted `Transform` (series), `ClassifierPreprocessing`
            (classification) or `Vocabulary` (text).
        metrics: Test metrics of the model and its baselines (`metrics.json`).
    """

    def __init__(
        self, path, *, config: ExperimentConfig, model: keras.Model, preprocessing, metrics=None, prepared=None
    ):
        self.path = Path(path)
        self.config = config
        self.model = model
        self.preprocessing = preprocessing
        self.metrics = metrics or {}
        self._prepared = prepared

    def __repr__(self) -> str:
        return f"Run('{self.path}')"

    @property
    def transform(self):
        """The fitted series preprocessing (scalers, window normalisation)."""
        if problem.kind_of(self.config) == problem.CLASSIFY:
            return self.preprocessing.transform
        self._require(problem.SERIES, "transform", "vocabulary")
        return self.preprocessing

    @property
    def vocabulary(self):
        """The text vocabulary of a language-model run."""
        self._require(problem.TEXT, "vocabulary", "transform")
        return self.preprocessing

    def _require(self, kind: str, what: str, other: str) -> None:
        if problem.kind_of(self.config) != kind:
            raise RunError(f"this is a {problem.kind_of(self.config)} run: it has a {other}, not a {what}")

    def evaluate(self, data=None) -> dict:
        """Test metrics of the model next to the naive and seasonal-naive baselines.

        Args:
            data: A DataFrame, a CSV/Parquet path, or None for the run's own data.
                New data is split and windowed as the config says, but scaled
                with the run's fitted preprocessing, not refitted.

        Returns:
            The metrics dict, with a printable `report` entry.
        """
        prepared = self._prepared_for(data)
        return evaluate_prepared(self.model, prepared, self.config)

    def predict(self, frame):
        """Forecast the next `horizon` steps after the end of `frame`, in original units.

        Args:
            frame: A DataFrame (or CSV/Parquet path) with the run's feature
                columns (and its time column, if it had one), at least
                `lookback` rows long; only its last `lookback` rows are used.

        Returns:
            A DataFrame with one row per forecast step: the timestamp (or step
            number) and one column per target.

        Raises:
            DataError: Missing columns or too few rows, naming what is expected.
        """
        import pandas as pd

        if problem.kind_of(self.config) == problem.TEXT:
            raise RunError("a language model does not forecast series; use `generate(prompt)` instead")
        frame = _read_frame(frame)
        x, context = self.transform.make_inputs(frame)
        if problem.kind_of(self.config) == problem.CLASSIFY:
            return self._predict_class(x, context)
        y_model = _predict_in_batches(self.model, x, self.config)
        y = self.transform.to_original(y_model, context)[0]
        targets = list(self.transform.targets)
        result = pd.DataFrame(y, columns=targets)
        times = getattr(context, "times", None)
        if times is not None:
            result.insert(0, self.transform.time_column or "time", pd.DatetimeIndex(times))
        else:
            result.insert(0, "step", np.arange(1, len(result) + 1))
        return result

    def _predict_class(self, x: np.ndarray, context):
        import pandas as pd

        probabilities = _predict_in_batches(self.model, x, self.config)[0]
        classes = list(self.preprocessing.labels.classes)
        result = pd.DataFrame([probabilities], columns=[f"p_{name}" for name in classes])
        result.insert(0, self.preprocessing.labels.column, classes[int(np.argmax(probabilities))])
        times = getattr(context, "times", None)
        if times is not None:
            result.insert(0, self.transform.time_column or "time", pd.DatetimeIndex(times[:1]))
        return result

    def generate(self, prompt: str, length: int = 200, *, temperature: float = 1.0, seed: int | None = None) -> str:
        """Continue `prompt` with `length` tokens sampled from a language-model run.

        See `seqkit.inference.generate_text`: one recurrent step per new token.
        """
        from seqkit.inference import generate_text

        return generate_text(
            self.model, self.config.model, self.vocabulary, prompt, length, temperature=temperature, seed=seed
        )

    def _prepared_for(self, data):
        if data is None:
            if self._prepared is None:
                self._prepared = problem.prepare_data(self.config, preprocessing=self.preprocessing)
            return self._prepared
        if problem.kind_of(self.config) == problem.TEXT:
            text = Path(data).read_text(encoding="utf-8") if isinstance(data, (str, Path)) else data
            return problem.prepare_data(self.config, frame=text, preprocessing=self.preprocessing)
        return problem.prepare_data(self.config, frame=_read_frame(data), preprocessing=self.preprocessing)


def load_run(path: str | Path) -> Run:
    """Reload a finished run: its config, model (Keras safe mode) and preprocessing.

    Raises:
        RunError: The folder is not a finished run (missing or unfinished files).
    """
    path = Path(path)
    if not (path / "config.yaml").exists():
        raise RunError(f"'{path}' is not a seqkit run directory (it has no config.yaml)")
    if not (path / MANIFEST).exists():
        raise RunError(
            f"run '{path}' did not finish (it has no {MANIFEST}); continue it with `seqkit train --resume {path}`"
        )
    config = load_config(path / "config.yaml")
    model = keras.saving.load_model(path / MODEL, safe_mode=True)
    preprocessing = problem.preprocessing_from_json(json.loads((path / PREPROCESSING).read_text(encoding="utf-8")))
    metrics = json.loads((path / METRICS).read_text(encoding="utf-8")) if (path / METRICS).exists() else {}
    return Run(path, config=config, model=model, preprocessing=preprocessing, metrics=metrics)


def _read_frame(data):
    import pandas as pd

    if isinstance(data, (str, Path)):
        file = Path(data)
        if not file.exists():
            raise DataError(f"input file '{file}' does not exist")
        if file.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(file)
        return pd.read_csv(file)
    return data


def _predict_in_batches(model: keras.Model, x: np.ndarray, config: ExperimentConfig) -> np.ndarray:
    """Predict, padding to the fixed batch size a stateful model needs."""
    batch = config.train.effective_batch_size if config.model.stateful else None
    if batch is None:
        return np.asarray(model.predict(x, verbose=0))
    from seqkit.training.callbacks import reset_states

    n = len(x)
    padded = np.concatenate([x, np.zeros((-n % batch, *x.shape[1:]), x.dtype)]) if n % batch else x
    outputs = []
    for start in range(0, len(padded), batch):
        reset_states(model)  # each window is forecast from a fresh state, as in evaluation
        outputs.append(np.asarray(model.predict_on_batch(padded[start : start + batch])))
    return np.concatenate(outputs)[:n]


def evaluate_prepared(model: keras.Model, prepared, config: ExperimentConfig) -> dict:
    """Score the model on the test windows (else validation) next to its baselines.

    Forecasts are scored in original units next to the naive and
    seasonal-naive forecasts; classifiers by accuracy and a confusion matrix
    next to the majority class; language models by cross-entropy, perplexity
    and accuracy next to the training text's unigram frequencies.
    """
    return evaluate_with_forecast(model, prepared, config)[0]


def evaluate_with_forecast(model: keras.Model, prepared, config: ExperimentConfig) -> tuple[dict, dict | None]:
    """`evaluate_prepared`, plus the forecast arrays the run's plot needs (None but for forecasts)."""
    windows, split = prepared.test, "test"
    if windows is None or len(windows) == 0:
        windows, split = prepared.val, "validation"
    if windows is None or len(windows) == 0:
        return {"split": None, "note": "no validation or test windows to evaluate on"}, None
    if problem.kind_of(config) == problem.TEXT:
        return _evaluate_text(model, prepared, windows, split, config), None
    if problem.kind_of(config) == problem.CLASSIFY:
        return _evaluate_classes(model, prepared, windows, split, config), None
    from seqkit.evaluation import comparison_table, evaluate_forecast, horizon_table, infer_season

    y_pred = windows.to_original(_predict_windows(model, windows, config))
    period = prepared.period or infer_season(prepared.frequency)
    results = evaluate_forecast(
        prepared.targets_original,
        y_pred,
        windows.target_starts,
        train_len=prepared.train_length,
        gap=config.data.gap,
        period=period,
    )
    report = f"{split} split:\n{comparison_table(results)}\n\nper horizon step (RMSE):\n{horizon_table(results)}"
    metrics = {"split": split, "seasonal_period": period, "results": results, "report": report}
    return metrics, {"y_pred": y_pred, "windows": windows}


def _predict_windows(model: keras.Model, windows, config: ExperimentConfig) -> np.ndarray:
    """The model's outputs for every window, in window order."""
    if config.model.stateful:  # a fixed batch, padded, from a fresh state per batch
        return _predict_in_batches(model, windows.inputs(), config)
    # Streamed: memory stays O(batch), not O(windows x lookback).
    batches = windows.dataset(config.train.effective_batch_size, shuffle=False)
    return np.asarray(model.predict(batches, verbose=0))


def _evaluate_classes(model: keras.Model, prepared, windows, split: str, config: ExperimentConfig) -> dict:
    from seqkit.evaluation import classification_metrics, classification_table

    classes = list(prepared.labels.classes)
    probabilities = _predict_windows(model, windows, config)
    truth = windows.labels()
    model_metrics = classification_metrics(truth, probabilities, class_names=classes)
    # The yardstick: always answer the training windows' most common class.
    majority = int(np.bincount(prepared.train.labels(), minlength=len(classes)).argmax())
    baseline = classification_metrics(truth, np.eye(len(classes))[np.full(len(truth), majority)], class_names=classes)
    beats = model_metrics["accuracy"] > baseline["accuracy"]
    report = (
        f"{split} split ({len(truth)} windows):\n{classification_table(model_metrics)}\n"
        f"model {'beats' if beats else 'does not beat'} always answering {classes[majority]!r} "
        f"(accuracy {model_metrics['accuracy']:.1%} vs {baseline['accuracy']:.1%})"
    )
    return {"split": split, "results": {"model": model_metrics, "majority_class": baseline}, "report": report}


def _evaluate_text(model: keras.Model, prepared, windows, split: str, config: ExperimentConfig) -> dict:
    from seqkit.data import token_metrics, unigram_baseline

    windows = windows.with_stride(windows.lookback)  # score every token once
    targets = windows.targets()
    probabilities = _predict_windows(model, windows, config)
    start, stop = prepared.spans["train"]
    results = {
        "model": token_metrics(targets, probabilities),
        "unigram": unigram_baseline(prepared.ids[start:stop], targets, prepared.spec.vocab_size),
    }
    rows = [("cross-entropy (nats/token)", "cross_entropy", "{:.3f}"), ("perplexity", "perplexity", "{:.2f}"),
            ("accuracy %", "accuracy", "{:.1%}")]
    lines = [f"{'metric':<28}{'model':>10}{'unigram':>10}"]
    for label, key, fmt in rows:
        cells = []
        for name in ("model", "unigram"):
            value = results[name].get(key)
            text = "-" if value is None else fmt.format(value)
            cells.append(text.rstrip("%") if key == "accuracy" else text)
        lines.append(f"{label:<28}{cells[0]:>10}{cells[1]:>10}")
    better = results["model"]["perplexity"] < results["unigram"]["perplexity"]
    lines.append(
        f"model {'beats' if better else 'does not beat'} the unigram baseline on perplexity "
        f"({results['model']['perplexity']:.2f} vs {results['unigram']['perplexity']:.2f})"
    )
    report = f"{split} split ({targets.size:,} tokens):\n" + "\n".join(lines)
    return {"split": split, "results": results, "report": report}


def write_run_outputs(
    run: Run, *, history: dict, forecast: dict | None, runtime, data_sha256: str, command
) -> None:
    """Write model, history, metrics, plots and, last, the manifest that marks the run complete.

    Args:
        forecast: `{"y_pred", "windows"}` of the test forecast for its plot, or None.
    """
    path = run.path
    with atomic_path(path / MODEL) as tmp:
        run.model.save(tmp)
    write_history_csv(history, path / "history.csv")
    atomic_write_json(path / METRICS, run.metrics)
    if run.config.evaluate.plots:
        _write_plots(run, history, forecast)
    manifest = environment_manifest(
        seed=run.config.train.seed, command=command, data_sha256=data_sha256, device=runtime.description
    )
    manifest["status"] = "complete"
    atomic_write_json(path / MANIFEST, manifest)


def _write_plots(run: Run, history: dict, forecast: dict | None) -> None:
    from seqkit.evaluation import plot_forecast, plot_history

    plots = run.path / "plots"
    plots.mkdir(exist_ok=True)
    if history.get("loss"):
        plot_history(history, plots / "loss.png")
    if forecast is None:  # classifiers and language models: the loss curves are the plot
        return
    y_pred, windows = forecast["y_pred"], forecast["windows"]
    actual = windows.targets_original()
    # One curve through the test period: each window's first forecast step,
    # then the whole last window, so every test target appears once.
    first = np.concatenate([y_pred[:-1, 0], y_pred[-1]])
    truth = np.concatenate([actual[:-1, 0], actual[-1]])
    times = windows.target_times
    if times is not None:
        times = np.concatenate([times[:-1, 0], times[-1]])
    else:
        times = np.concatenate([windows.target_starts[:-1], windows.target_starts[-1] + np.arange(actual.shape[1])])
    plot_forecast(times, truth, first, plots / "forecast.png", target_names=list(run.preprocessing.targets))
