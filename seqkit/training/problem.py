"""What a run learns from: a series (forecasting), labelled windows (classification) or a text (language model).

The one place the trainer, `Run` and `load_run` tell the three apart: how the
data is prepared, which shapes the model gets, which values identify the data,
and how the fitted preprocessing is saved to and read from `preprocessing.json`.
"""

from __future__ import annotations

import dataclasses

from seqkit.config.experiment import ExperimentConfig
from seqkit.errors import ConfigError, RunError
from seqkit.models.spec import SequenceSpec

SERIES, CLASSIFY, TEXT = "series", "classify", "text"


def kind_of(config: ExperimentConfig) -> str:
    """`text` for a language model on `data.text`, `classify` for `data.label`, else `series`."""
    if config.data is not None and config.data.text is not None:
        return TEXT
    if config.data is not None and config.data.label is not None:
        return CLASSIFY
    return SERIES


def prepare_data(config: ExperimentConfig, *, frame=None, preprocessing=None):
    """Prepare the config's data, reusing fitted preprocessing when one is given.

    Args:
        config: The experiment.
        frame: A DataFrame/array (series, classification) or a string (text) replacing the config's source.
        preprocessing: A fitted `Transform`, `ClassifierPreprocessing` or `Vocabulary`.

    Returns:
        `PreparedData`, `PreparedLabels` or `PreparedText`; each has `train`, `val` and `test` windows.
    """
    if kind_of(config) == TEXT:
        from seqkit.data import prepare_text

        return prepare_text(config.data, text=frame, base_dir=config.base_dir, vocabulary=preprocessing)
    if kind_of(config) == CLASSIFY:
        from seqkit.data.labels import prepare_labels

        return prepare_labels(config.data, frame=frame, base_dir=config.base_dir, preprocessing=preprocessing)
    from seqkit.data import prepare

    return prepare(config.data, frame=frame, base_dir=config.base_dir, transform=preprocessing)


def model_spec(config: ExperimentConfig, prepared) -> SequenceSpec:
    """The model's shapes from prepared data (and the fixed batch of a stateful model)."""
    spec = _sequence_spec(config, prepared.spec)
    if kind_of(config) == CLASSIFY:
        return dataclasses.replace(spec, horizon=1, n_targets=1, n_classes=len(prepared.labels.classes))
    return spec


def spec_from_config(config: ExperimentConfig) -> SequenceSpec:
    """The model's shapes read cheaply from the config's data section (no windowing).

    Raises:
        ConfigError: A real-valued model has no data section to take its shape from.
    """
    if config.data is None:
        if config.model.embedding is None:
            raise ConfigError(
                "the config has no data section, so the input shape is unknown; add "
                "`data:` with a dataset or path and a lookback"
            )
        return SequenceSpec(lookback=None, batch_size=_fixed_batch(config))
    if kind_of(config) == TEXT:
        from seqkit.data import prepare_text

        return _sequence_spec(config, prepare_text(config.data, base_dir=config.base_dir).spec)
    if kind_of(config) == CLASSIFY:  # the classes are only known from the data
        return model_spec(config, prepare_data(config))
    from seqkit.data import describe_spec

    return _sequence_spec(config, describe_spec(config.data, base_dir=config.base_dir))


def model_from_config(config: ExperimentConfig, spec: SequenceSpec | None = None):
    """Build and compile the model an experiment config describes.

    Args:
        config: The whole experiment (model, optimiser and, for the shapes, data).
        spec: Shapes to use instead of those read from `config.data`.
    """
    from seqkit.models import build_model

    spec = spec or spec_from_config(config)
    return build_model(config.model, spec, optimizer=config.train.optimizer, name=config.run_name)


def _fixed_batch(config: ExperimentConfig) -> int | None:
    return config.train.effective_batch_size if config.model.stateful else None


def _sequence_spec(config: ExperimentConfig, data_spec) -> SequenceSpec:
    """A `SequenceSpec` from the data's `SeriesSpec` or `TextSpec`."""
    if kind_of(config) == TEXT:
        vocab_size = data_spec.vocab_size
        declared = config.model.embedding.vocab_size if config.model.embedding else None
        if declared is not None and declared != vocab_size:
            raise ConfigError(
                f"model.embedding.vocab_size is {declared}, but the text's vocabulary has {vocab_size} "
                "tokens; remove model.embedding.vocab_size to take it from the data"
            )
        # Variable length: trained on `lookback`-token windows, the model reads any prompt length.
        return SequenceSpec(lookback=None, vocab_size=vocab_size, batch_size=_fixed_batch(config))
    return SequenceSpec(
        lookback=data_spec.lookback,
        n_features=data_spec.n_features,
        horizon=data_spec.horizon,
        n_targets=data_spec.n_targets,
        batch_size=_fixed_batch(config),
    )


def data_values(config: ExperimentConfig, prepared):
    """The loaded values that identify a run's data: token ids for text, else the numeric series."""
    return prepared.ids if kind_of(config) == TEXT else prepared.values


def fitted_preprocessing(prepared):
    """The fitted state of prepared data: a `Transform`, `ClassifierPreprocessing` or `Vocabulary`."""
    for name in ("vocabulary", "preprocessing", "transform"):
        value = getattr(prepared, name, None)
        if value is not None:
            return value
    raise RunError(f"{type(prepared).__name__} carries no fitted preprocessing")


def _preprocessing_classes() -> dict:
    from seqkit.data import Transform, Vocabulary
    from seqkit.data.labels import ClassifierPreprocessing

    return {SERIES: Transform, CLASSIFY: ClassifierPreprocessing, TEXT: Vocabulary}


def preprocessing_to_json(preprocessing) -> dict:
    """`preprocessing.json` content: the kind and the fitted state (JSON, no pickle)."""
    kind = next(k for k, cls in _preprocessing_classes().items() if isinstance(preprocessing, cls))
    return {"kind": kind, "state": preprocessing.to_json()}


def preprocessing_from_json(data: dict):
    """Rebuild the state saved by `preprocessing_to_json`."""
    classes = _preprocessing_classes()
    kind = data.get("kind")
    if kind not in classes:
        raise RunError(f"preprocessing.json has an unknown kind {kind!r}; expected one of {sorted(classes)}")
    return classes[kind].from_json(data["state"])


def describe(prepared, spec: SequenceSpec) -> str:
    """One line on the windows and shapes, for the run's log."""
    counts = (
        f"{len(prepared.train)} training windows, "
        f"{len(prepared.val) if prepared.val is not None else 0} validation, "
        f"{len(prepared.test) if prepared.test is not None else 0} test"
    )
    if spec.vocab_size is not None:
        return f"{counts} (sequence length {prepared.spec.lookback}, vocabulary {spec.vocab_size})"
    if spec.n_classes is not None:
        return f"{counts} (lookback {spec.lookback}, {_count(spec.n_features, 'feature')}, {spec.n_classes} classes)"
    return (
        f"{counts} (lookback {spec.lookback}, horizon {spec.horizon}, {_count(spec.n_features, 'feature')}, "
        f"{_count(spec.n_targets, 'target')})"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
