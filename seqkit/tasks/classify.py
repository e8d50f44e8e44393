"""Sequence classification: the class at each window's target step, next to always answering the commonest class."""

from __future__ import annotations

import numpy as np

from seqkit.models.spec import SequenceSpec
from seqkit.tasks.base import Evaluation, Task, count, split_counts


class ClassifyTask(Task):
    """Classify windows by a categorical column (`data.label`, `model.head: {type: classify}`).

    Data: feature windows prepared as for forecasting, with the class of
    `data.label` at each window's target step; the classes are the training
    rows'. Scores: accuracy, macro F1, the confusion matrix and per-class
    precision, recall and F1, next to the majority class of the training windows.
    Prediction: the class after new data's end, with each class's probability.
    """

    name = "classify"
    title = "classification"
    preprocessing_noun = "a series transform and classes"

    @property
    def preprocessing_type(self):
        from seqkit.data.labels import ClassifierPreprocessing

        return ClassifierPreprocessing

    def prepare(self, *, data=None, preprocessing=None):
        from seqkit.data.labels import prepare_labels

        return prepare_labels(self.config.data, frame=data, base_dir=self.config.base_dir, preprocessing=preprocessing)

    def spec(self, prepared) -> SequenceSpec:
        series = prepared.spec
        return SequenceSpec(
            lookback=series.lookback,
            n_features=series.n_features,
            n_classes=len(prepared.labels.classes),
            batch_size=self.fixed_batch,
        )

    def spec_from_data_config(self) -> SequenceSpec:
        return self.spec(self.prepare())  # the classes are only known from the data

    def preprocessing_of(self, prepared):
        return prepared.preprocessing

    def transform_of(self, preprocessing):
        return preprocessing.transform

    def data_values(self, prepared) -> np.ndarray:
        return prepared.values

    def describe(self, prepared, spec: SequenceSpec) -> str:
        return (
            f"{split_counts(prepared)} (lookback {spec.lookback}, {count(spec.n_features, 'feature')}, "
            f"{spec.n_classes} classes)"
        )

    def evaluate_split(self, model, prepared, windows, split: str) -> Evaluation:
        from seqkit.evaluation import classification_metrics, classification_table

        classes = list(prepared.labels.classes)
        probabilities = self.predict_windows(model, windows)
        truth = windows.labels()
        model_metrics = classification_metrics(truth, probabilities, class_names=classes)
        # The yardstick: always answer the training windows' most common class.
        majority = int(np.bincount(prepared.train.labels(), minlength=len(classes)).argmax())
        always = np.eye(len(classes))[np.full(len(truth), majority)]
        baseline = classification_metrics(truth, always, class_names=classes)
        beats = model_metrics["accuracy"] > baseline["accuracy"]
        report = (
            f"{split} split ({len(truth)} windows):\n{classification_table(model_metrics)}\n"
            f"model {'beats' if beats else 'does not beat'} always answering {classes[majority]!r} "
            f"(accuracy {model_metrics['accuracy']:.1%} vs {baseline['accuracy']:.1%})"
        )
        results = {"model": model_metrics, "majority_class": baseline}
        return Evaluation({"split": split, "results": results, "report": report})

    def write_plots(self, folder, history: dict, evaluation: Evaluation, preprocessing, *, best_epoch=None) -> None:
        """The loss curves, and `confusion_matrix.png`: the model's confusion matrix on the scored split."""
        from seqkit.evaluation.plots import plot_confusion_matrix

        super().write_plots(folder, history, evaluation, preprocessing, best_epoch=best_epoch)
        scores = evaluation.metrics.get("results", {}).get("model")
        if scores is None:
            return
        plot_confusion_matrix(
            scores["confusion_matrix"],
            scores["class_names"],
            folder / "confusion_matrix.png",
            title=f"Confusion matrix, {evaluation.metrics['split']} split ({scores['n_samples']} windows, "
            f"accuracy {scores['accuracy']:.1%})",
        )

    def predict(self, model, preprocessing, data):
        """The class of the step after the end of `data`.

        Returns:
            A one-row DataFrame: the timestamp (if the run had a time column),
            the predicted class and one `p_<class>` column per class.
        """
        import pandas as pd

        from seqkit.models import predict_array

        x, context = preprocessing.transform.make_inputs(self.read_data(data), self.config.data)
        probabilities = predict_array(model, x, stateful_batch=self.fixed_batch)[0]
        classes = list(preprocessing.labels.classes)
        result = pd.DataFrame([probabilities], columns=[f"p_{name}" for name in classes])
        result.insert(0, preprocessing.labels.column, classes[int(np.argmax(probabilities))])
        times = getattr(context, "times", None)
        if times is not None:
            result.insert(0, preprocessing.transform.time_column or "time", pd.DatetimeIndex(times[:1]))
        return result


