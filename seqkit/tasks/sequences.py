"""Sequence-set classification: one class per independent sequence, next to the majority class and 1-NN Euclidean."""

from __future__ import annotations

import numpy as np

from seqkit.models.spec import SequenceSpec
from seqkit.tasks.base import Evaluation, Task, count
from seqkit.tasks.classify import class_confusion_figure, class_evaluation


class SequenceClassifyTask(Task):
    """Classify whole sequences (`data.sequences`, `model.head: {type: classify}`).

    Data: many independent sequences, possibly of different lengths, scaled
    per feature on the training sequences and padded at their end (masked by
    the model: `model.masking`, which a sequence-set config gets by default).
    Scores: accuracy, balanced accuracy, macro F1 and the confusion matrix,
    next to two yardsticks: always answering the commonest training class,
    and 1-nearest-neighbour by Euclidean distance on the scaled sequences
    (the UCR/UEA archive's standard baseline, searching the training and
    validation sequences; shorter sequences are padded with zeros, the training
    mean, to the longest of the sets).
    Prediction: a class and each class's probability per input sequence.
    """

    name = "classify_sequences"
    title = "sequence classification"
    preprocessing_noun = "a per-feature scaler and classes"

    @property
    def preprocessing_type(self):
        from seqkit.data.sequences import SequencePreprocessing

        return SequencePreprocessing

    def prepare(self, *, data=None, preprocessing=None):
        from seqkit.data.sequences import prepare_sequences

        return prepare_sequences(
            self.config.data, frame=data, base_dir=self.config.base_dir, preprocessing=preprocessing
        )

    def read_data(self, source):
        return source  # (X, y) arrays, or the config's own files (None)

    def spec(self, prepared) -> SequenceSpec:
        # Any length: each batch set is padded to its own longest sequence, and new sequences
        # may be shorter or longer than the training ones.
        return SequenceSpec(
            lookback=None, n_features=prepared.preprocessing.n_features, n_classes=len(prepared.labels.classes)
        )

    def spec_from_data_config(self) -> SequenceSpec:
        return self.spec(self.prepare())

    def check_model(self, model) -> None:
        return None  # lengths come from the data, not from `data.lookback`

    def preprocessing_of(self, prepared):
        return prepared.preprocessing

    def data_values(self, prepared) -> np.ndarray:
        return prepared.values

    def describe(self, prepared, spec: SequenceSpec) -> str:
        sizes = ", ".join(f"{len(part)} {name}" for name, part in prepared.splits.items())
        lengths = np.concatenate([part.lengths for part in prepared.splits.values()])
        shortest, longest = lengths.min(), lengths.max()
        length = f"length {shortest}" if shortest == longest else f"lengths {shortest}-{longest}, padded and masked"
        return f"{sizes} sequences ({length}, {count(spec.n_features, 'feature')}, {spec.n_classes} classes)"

    def evaluate_split(self, model, prepared, windows, split: str) -> Evaluation:
        from seqkit.evaluation.baselines import nearest_neighbour_labels

        # 1-NN searches every training sequence, the validation ones included (it fits nothing).
        references = [part for part in (prepared.train, prepared.val) if part is not None and part is not windows]
        nearest = nearest_neighbour_labels(references, windows)
        return class_evaluation(
            windows.labels(), self.predict_windows(model, windows), prepared.labels.classes,
            train_labels=prepared.train.labels(), split=split, noun="sequences",
            others=(("nearest_neighbour", "1-nearest-neighbour (Euclidean)", nearest),),
        )

    def figures(self, history: dict, evaluation: Evaluation, preprocessing, *, best_epoch=None) -> dict:
        """The loss curves, and `confusion_matrix.png` on the scored split."""
        figures = super().figures(history, evaluation, preprocessing, best_epoch=best_epoch)
        return {**figures, **class_confusion_figure(evaluation, noun="sequences")}

    def predict(self, model, preprocessing, data):
        """The class of every input sequence.

        Args:
            data: The sequences, as `X` of training's `(X, y)` (an array or a list of
                arrays; an `(X, y)` pair is accepted and its labels ignored), or the path
                of a `.ts`, wide or long CSV file in the training files' layout (its labels, if any, are not read).

        Returns:
            A DataFrame, one row per sequence: the predicted class and one `p_<class>` column per class.
        """
        from pathlib import Path

        import pandas as pd

        from seqkit.data.sequences import from_python, read_file

        if isinstance(data, (str, Path)):
            x = read_file(Path(data), self.config.data.sequences, labelled=False).sequences
        else:
            x = data[0] if isinstance(data, tuple) else data
        raw = from_python((x, None))  # labels are not read
        windows = preprocessing.transform(raw, "input")
        probabilities = self.predict_windows(model, windows)
        classes = list(preprocessing.labels.classes)
        result = pd.DataFrame(probabilities, columns=[f"p_{name}" for name in classes])
        result.insert(0, "class", [classes[i] for i in probabilities.argmax(axis=1)])
        return result
