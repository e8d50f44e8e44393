"""The one place a config is mapped to its `Task`.

The key is the head the config's model trains (`model.head.type`); the
config's rules already tie `data.text` to the language-model head and
`data.label` to the classify head. Adding a task means adding its module and
one line to `TASKS` (and, if it needs a new head, the head's config and layer
in `seqkit.config.model` and `seqkit.models.heads`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from seqkit.config.experiment import ExperimentConfig
from seqkit.config.loading import load_config
from seqkit.errors import RunError
from seqkit.tasks.base import Task
from seqkit.tasks.classify import ClassifyTask
from seqkit.tasks.forecast import ForecastTask
from seqkit.tasks.language_model import LanguageModelTask
from seqkit.tasks.panel import PanelForecastTask
from seqkit.tasks.sequences import SequenceClassifyTask

TASKS: dict[str, type[Task]] = {
    ForecastTask.name: ForecastTask,
    ClassifyTask.name: ClassifyTask,
    LanguageModelTask.name: LanguageModelTask,
}
"""Every task, by the head type it trains."""

# `preprocessing.json` files written before tasks existed name a data kind instead.
_EARLIER_KINDS = {"series": ForecastTask.name, "classify": ClassifyTask.name, "text": LanguageModelTask.name}


def task_for(config: ExperimentConfig) -> Task:
    """The task that trains and scores the config's model.

    Raises:
        RunError: No task is registered for the config's head (a bug: the config schema lists the heads).
    """
    head = config.model.head.type
    if config.data is not None and config.data.sequences is not None:
        return SequenceClassifyTask(config)  # a classify head over a set of sequences, not windows
    if config.data is not None and config.data.series_column is not None:
        return PanelForecastTask(config)  # a forecast head over every series of a panel
    if head not in TASKS:
        raise RunError(f"no task is registered for model.head.type {head!r}; known: {sorted(TASKS)}")
    return TASKS[head](config)


def task_name_of(preprocessing_json: dict) -> str | None:
    """The task that wrote a `preprocessing.json` (also for files from before tasks existed)."""
    name = preprocessing_json.get("task")
    if name is None:
        name = _EARLIER_KINDS.get(preprocessing_json.get("kind"))
    return name


def validate(
    config: ExperimentConfig | str | Path, *, overrides: Sequence[str] = (), data: bool = True
) -> ExperimentConfig:
    """Check an experiment config as `seqkit.train` would before fitting anything.

    Every field and every rule that spans fields is checked when the config
    is loaded; with `data=True` its task then opens the data (`Task.check_data`):
    the file or dataset exists and reads cleanly, and `lookback`, `horizon`
    and the split leave at least one window in every requested split.

    Args:
        config: An `ExperimentConfig`, or the path of a YAML file.
        overrides: `key=value` overrides, when `config` is a path.
        data: Also open the data; False checks the config alone (for a config
            whose data comes from Python as `frame=`).

    Returns:
        The validated config.

    Raises:
        ConfigError: A bad field, or (with `data`) no data section.
        DataError: (with `data`) data that training would reject.

    Example:
        ```python
        config = seqkit.validate("configs/quickstart.yaml")  # raises at the first bad section
        ```
    """
    if not isinstance(config, ExperimentConfig):
        config = load_config(config, overrides)
    if data:
        task_for(config).check_data()
    return config


def model_from_config(config: ExperimentConfig, spec=None):
    """Build and compile the model an experiment config describes (shapes from its data unless `spec` is given)."""
    return task_for(config).build_model(spec)
