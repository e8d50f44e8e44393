"""The one place a config is mapped to its `Task`.

The key is the head the config's model trains (`model.head.type`); the
config's rules already tie `data.text` to the language-model head and
`data.label` to the classify head. Adding a task means adding its module and
one line to `TASKS` (and, if it needs a new head, the head's config and layer
in `seqkit.config.model` and `seqkit.models.heads`).
"""

from __future__ import annotations

from seqkit.config.experiment import ExperimentConfig
from seqkit.errors import RunError
from seqkit.tasks.base import Task
from seqkit.tasks.classify import ClassifyTask
from seqkit.tasks.forecast import ForecastTask
from seqkit.tasks.language_model import LanguageModelTask

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
    if head not in TASKS:
        raise RunError(f"no task is registered for model.head.type {head!r}; known: {sorted(TASKS)}")
    return TASKS[head](config)


def task_name_of(preprocessing_json: dict) -> str | None:
    """The task that wrote a `preprocessing.json` (also for files from before tasks existed)."""
    name = preprocessing_json.get("task")
    if name is None:
        name = _EARLIER_KINDS.get(preprocessing_json.get("kind"))
    return name


def model_from_config(config: ExperimentConfig, spec=None):
    """Build and compile the model an experiment config describes (shapes from its data unless `spec` is given)."""
    return task_for(config).build_model(spec)
