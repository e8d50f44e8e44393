"""Training runs: fit, checkpoints, resume, and writing the run directory.

Loaded lazily, so that `import seqkit.training` does not start Keras. `Run`
and `load_run` live in `seqkit.inference` and are re-exported here.
"""

from __future__ import annotations

from seqkit.exports import lazy_exports

_EXPORTS = {
    "Run": "seqkit.inference.run",
    "load_run": "seqkit.inference.run",
}

__all__ = sorted([*_EXPORTS, "resume", "train"])
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


def train(config, *, overrides=(), **kwargs):
    """Train the model a config describes: `seqkit.training.trainer.train`, on the config's Keras backend.

    The config is read first (a path, with `overrides`), so that `train.backend`
    is set before Keras is imported (`seqkit.backend.choose_backend`); every other
    argument is `trainer.train`'s.

    Raises:
        ConfigError: A bad config, or a backend Keras cannot take now (see `choose_backend`).
    """
    from seqkit.backend import choose_backend
    from seqkit.config.experiment import ExperimentConfig
    from seqkit.config.loading import load_config, with_overrides

    if isinstance(config, ExperimentConfig):
        config = with_overrides(config, overrides)
    else:
        config = load_config(config, overrides)
    choose_backend(config.train.backend, config)
    from seqkit.training.trainer import train as run_training

    return run_training(config, **kwargs)


def resume(run_dir, **kwargs):
    """Continue an interrupted run: `seqkit.training.trainer.resume`, on its saved config's Keras backend.

    Raises:
        ConfigError, RunError: As `trainer.resume`; a backend Keras cannot take now.
    """
    from pathlib import Path

    from seqkit.backend import choose_backend
    from seqkit.config.loading import load_config

    saved = Path(run_dir) / "config.yaml"
    if saved.is_file():  # else trainer.resume says what is missing
        config = load_config(saved)
        choose_backend(config.train.backend, config)
    from seqkit.training.trainer import resume as run_resume

    return run_resume(run_dir, **kwargs)

