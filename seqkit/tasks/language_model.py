"""Language modelling: the next token at every position of a text, next to the unigram frequencies."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seqkit.errors import ConfigError, RunError
from seqkit.models.spec import SequenceSpec
from seqkit.tasks.base import Evaluation, Task, split_counts


class LanguageModelTask(Task):
    """Learn the next token of a text (`data.text`, `model.head: {type: language_model}`).

    Data: next-token windows of the text, encoded with a `Vocabulary` fitted on
    the training block. Scores: cross-entropy, perplexity, bits per character
    (or word) and accuracy, every validation and test token scored once, next to
    the training text's unigram frequencies. Generation: `seqkit.inference.generate_text`.
    """

    name = "language_model"
    title = "language-model"
    preprocessing_noun = "a vocabulary"

    @property
    def preprocessing_type(self):
        from seqkit.data import Vocabulary

        return Vocabulary

    def read_data(self, source):
        """A text: a `.txt` path stays a path (read and checked by `prepare_text`), a string from Python is the text."""
        if isinstance(source, str) and Path(source).suffix.lower() == ".txt":
            return Path(source)
        return source

    def prepare(self, *, data=None, preprocessing=None):
        from seqkit.data import prepare_text

        return prepare_text(self.config.data, text=data, base_dir=self.config.base_dir, vocabulary=preprocessing)

    def predict(self, model, preprocessing, data):
        """A language model continues text rather than forecasting a table.

        Raises:
            RunError: always, pointing to `generate`.
        """
        raise RunError("a language model does not forecast series; use `generate(prompt)` instead")

    def spec(self, prepared) -> SequenceSpec:
        vocab_size = prepared.spec.vocab_size
        declared = self.config.model.embedding.vocab_size if self.config.model.embedding else None
        if declared is not None and declared != vocab_size:
            raise ConfigError(
                f"model.embedding.vocab_size is {declared}, but the text's vocabulary has {vocab_size} "
                "tokens; remove model.embedding.vocab_size to take it from the data"
            )
        # Variable length: trained on `lookback`-token windows, the model reads any prompt length.
        return SequenceSpec(lookback=None, vocab_size=vocab_size, batch_size=self.fixed_batch)

    def spec_from_data_config(self) -> SequenceSpec:
        return self.spec(self.prepare())

    def preprocessing_of(self, prepared):
        return prepared.vocabulary

    def vocabulary_of(self, preprocessing):
        return preprocessing

    def data_values(self, prepared) -> np.ndarray:
        return prepared.ids

    def describe(self, prepared, spec: SequenceSpec) -> str:
        return f"{split_counts(prepared)} (sequence length {prepared.spec.lookback}, vocabulary {spec.vocab_size})"

    def evaluate(self, model, prepared) -> Evaluation:
        """Score the model on the validation and the test split, each next to the unigram frequencies.

        Returns:
            The test split's scores as `results` (the validation split's where there is no test
            split), the validation split's as `validation_results` when both exist, and a report
            with a table per split and a closing line comparing them (bits per character for a
            character model, perplexity for a word model).
        """
        splits = {
            name: windows
            for name, windows in (("validation", prepared.val), ("test", prepared.test))
            if windows is not None and len(windows) > 0
        }
        if len(splits) < 2:
            return super().evaluate(model, prepared)
        scored = {name: self.evaluate_split(model, prepared, windows, name) for name, windows in splits.items()}
        validation, test = scored["validation"].metrics, scored["test"].metrics
        # The unit that language models are compared by at each level.
        key, label, digits = ("bits_per_token", "bits per character", 3) if prepared.spec.level == "char" else (
            "perplexity", "perplexity", 2
        )
        val_score, test_score = (scored[name].metrics["results"]["model"][key] for name in ("validation", "test"))
        summary = f"{label}: validation {val_score:.{digits}f}, test {test_score:.{digits}f}"
        return Evaluation(
            {
                **test,
                "validation_results": validation["results"],
                "report": f"{validation['report']}\n\n{test['report']}\n{summary}",
            }
        )

    def evaluate_split(self, model, prepared, windows, split: str) -> Evaluation:
        from seqkit.evaluation import language_model_table, unigram_baseline
        from seqkit.evaluation.language import TokenScores
        from seqkit.models.predict import output_chunks

        windows = windows.with_stride(windows.lookback)  # score every token once
        targets = windows.targets()
        scores = TokenScores()
        if self.config.model.stateful:  # one stream through the split, as the model is used
            scores.add(targets, self.predict_windows(model, windows))
        else:  # a batch at a time: the outputs (windows x length x vocabulary) are never held at once
            for y, probabilities in output_chunks(model, windows, batch_size=self.config.train.effective_batch_size):
                scores.add(y, probabilities)
        start, stop = prepared.spans["train"]
        results = {
            "model": scores.result(),
            "unigram": unigram_baseline(prepared.ids[start:stop], targets, prepared.spec.vocab_size),
        }
        table = language_model_table(results, level=prepared.spec.level)
        report = f"{split} split ({targets.size:,} tokens):\n{table}"
        return Evaluation({"split": split, "results": results, "report": report})
