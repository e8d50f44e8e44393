"""Tasks: one per kind of problem (forecast, classify, language model), each owning its data, scores and results.

`task_for(config)` is the only place a config's kind of problem is decided;
everything above (training, inference, the CLI) calls the task's methods.
"""

from seqkit.tasks.base import Evaluation, Task
from seqkit.tasks.classify import ClassifyTask
from seqkit.tasks.forecast import ForecastTask
from seqkit.tasks.language_model import LanguageModelTask
from seqkit.tasks.registry import TASKS, model_from_config, task_for, validate

__all__ = [
    "TASKS",
    "ClassifyTask",
    "Evaluation",
    "ForecastTask",
    "LanguageModelTask",
    "Task",
    "model_from_config",
    "task_for",
    "validate",
]
