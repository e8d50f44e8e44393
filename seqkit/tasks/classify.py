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
        return class_evaluation(
            windows.labels(), self.predict_windows(model, windows), prepared.labels.classes,
            train_labels=prepared.train.labels(), split=split, noun="windows",
        )

    def figures(self, history: dict, evaluation: Evaluation, preprocessing, *, best_epoch=None) -> dict:
        """The loss curves, and `confusion_matrix.png`: the model's confusion matrix on the scored split."""
        figures = super().figures(history, evaluation, preprocessing, best_epoch=best_epoch)
        return {**figures, **class_confusion_figure(evaluation, noun="windows")}

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




def class_evaluation(
    truth: np.ndarray, probabilities: np.ndarray, classes, *, train_labels: np.ndarray, split: str, noun: str,
    others: tuple[tuple[str, str, np.ndarray], ...] = (),
) -> Evaluation:
    """A classifier's scores on one split, next to always answering the commonest training class and `others`.

    Args:
        truth: int class ids of the split's samples.
        probabilities: The model's `(n, n_classes)` outputs.
        classes: Class names, in output order.
        train_labels: Class ids of the training samples (the majority class's).
        split, noun: Name the split and what its samples are ("windows", "sequences") in the report.
        others: More yardsticks: `(results key, what the report calls it, predicted class ids)`.
    """
    from seqkit.evaluation import classification_metrics, classification_table

    classes = list(classes)
    eye = np.eye(len(classes))
    model_metrics = classification_metrics(truth, probabilities, class_names=classes)
    majority = int(np.bincount(train_labels, minlength=len(classes)).argmax())
    yardsticks = [("majority_class", f"always answering {classes[majority]!r}", np.full(len(truth), majority)),
                  *others]
    results = {"model": model_metrics}
    lines = [f"{split} split ({len(truth)} {noun}):", classification_table(model_metrics)]
    for key, label, predicted in yardsticks:
        results[key] = scores = classification_metrics(truth, eye[predicted], class_names=classes)
        beats = model_metrics["accuracy"] > scores["accuracy"]
        lines.append(
            f"model {'beats' if beats else 'does not beat'} {label} "
            f"(accuracy {model_metrics['accuracy']:.1%} vs {scores['accuracy']:.1%})"
        )
    return Evaluation({"split": split, "results": results, "report": "\n".join(lines)})


def class_confusion_figure(evaluation: Evaluation, *, noun: str) -> dict:
    """`{"confusion_matrix.png": Figure}`: the model's confusion matrix on the scored split (empty if none was)."""
    from seqkit.evaluation.plots import plot_confusion_matrix

    scores = evaluation.metrics.get("results", {}).get("model")
    if scores is None:
        return {}
    return {"confusion_matrix.png": plot_confusion_matrix(
        scores["confusion_matrix"],
        scores["class_names"],
        None,
        title=f"Confusion matrix, {evaluation.metrics['split']} split ({scores['n_samples']} {noun}, "
        f"accuracy {scores['accuracy']:.1%})",
    )}
