"""`train`: prepare the data, build the model, fit it, evaluate it, and write the run directory.

The trainer stays thin over `Model.fit` and callbacks, and knows no kind of
problem: the config's `Task` prepares the data, builds the model, scores it
and draws its plots. Everything it writes goes into one run directory (its
layout: `seqkit.inference.run`), each file atomically, with the manifest last.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from pathlib import Path

import keras
import numpy as np
import yaml

from seqkit.config.experiment import ExperimentConfig
from seqkit.config.loading import load_config
from seqkit.errors import ConfigError, DataError, RunError
from seqkit.files import (
    atomic_path,
    atomic_write_json,
    atomic_write_text,
    environment_manifest,
    remove_partial_files,
    sha256_array,
    sha256_file,
    write_history_csv,
)
from seqkit.inference.run import CONFIG, HISTORY, MANIFEST, METRICS, MODEL, PREPROCESSING, Run, read_preprocessing
from seqkit.models.factory import cudnn_report
from seqkit.tasks import Evaluation, Task, task_for
from seqkit.training.callbacks import (
    BEST_WEIGHTS,
    ResetStatesEachEpoch,
    ResumableEarlyStopping,
    ResumableReduceLROnPlateau,
    RunCheckpoint,
    read_state,
)
from seqkit.training.runtime import configure_runtime

#: Data files up to this size are copied into the run so its config re-runs as is.
COPY_DATA_LIMIT = 50 * 1024 * 1024


def train(
    config: ExperimentConfig | str | Path,
    *,
    frame=None,
    runs_dir: str | Path = "runs",
    overrides: list[str] | tuple[str, ...] = (),
    verbose: int | str = "auto",
    command: str | list[str] | None = None,
    callbacks: list[keras.callbacks.Callback] | None = None,
) -> Run:
    """Train, evaluate and save the model an experiment config describes.

    Args:
        config: An `ExperimentConfig`, or the path of a YAML file.
        frame: A pandas DataFrame or NumPy array to use instead of the config's
            dataset or path.
        runs_dir: Folder under which `<name>/<timestamp>/` is created.
        overrides: `key=value` overrides, when `config` is a path.
        verbose: Progress display: `auto` (a bar in a terminal, a line per
            epoch otherwise), 0, 1 or 2.
        command: The command line that started the run, for the manifest.
        callbacks: Extra Keras callbacks, run after seqkit's own.

    Returns:
        The finished `Run`, with its model, preprocessing and test metrics.

    Raises:
        ConfigError, DataError: Bad config or data, before any file is written.
    """
    if not isinstance(config, ExperimentConfig):
        config = load_config(config, overrides)
    if config.data is None and frame is None:
        raise ConfigError("the config has no data section; add `data:` with a dataset or path, and a lookback")
    run_dir = new_run_dir(Path(runs_dir), config.run_name)
    return _fit(
        config, run_dir, frame=frame, resume_state=None, verbose=verbose, command=command, extra_callbacks=callbacks
    )


def resume(run_dir: str | Path, *, frame=None, verbose: int | str = "auto", command=None) -> Run:
    """Continue an interrupted run from its last completed epoch, optimizer state included.

    Raises:
        RunError: The folder is not a run, has already finished, or has no
            completed epoch to continue from.
    """
    run_dir = Path(run_dir)
    config_file = run_dir / CONFIG
    if not config_file.exists():
        raise RunError(f"'{run_dir}' is not a seqkit run directory (it has no config.yaml)")
    if (run_dir / MANIFEST).exists():
        raise RunError(f"run '{run_dir}' has already finished; start a new one with `seqkit train {config_file}`")
    state = read_state(run_dir / "checkpoints")
    if state is None:
        raise RunError(
            f"run '{run_dir}' stopped before its first epoch finished, so there is nothing to continue; "
            f"start it again with `seqkit train {config_file}`"
        )
    config = load_config(config_file)
    remove_partial_files(run_dir)
    remove_partial_files(run_dir / "checkpoints")
    return _fit(config, run_dir, frame=frame, resume_state=state, verbose=verbose, command=command)


def new_run_dir(runs_dir: Path, name: str) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = runs_dir / name / stamp
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{stamp}-{n}")
    path.mkdir(parents=True)
    return path


def resolved_config(config: ExperimentConfig, run_dir: Path) -> dict:
    """The config as the run used it, with its data file placed in the run's `data/` folder.

    A file up to `COPY_DATA_LIMIT` is copied; a larger one is hard-linked (no
    copy, no extra disk), so the saved config re-runs and `--resume` finds its
    data either way.

    Raises:
        DataError: A file over the limit on another file system than the runs folder.
    """
    data = config.model_dump(mode="json")
    data["name"] = config.run_name
    path = config.data.path if config.data is not None else None
    if path is not None:
        source = (config.base_dir / path).resolve()
        target = run_dir / "data" / source.name
        if source.parent != run_dir.resolve() / "data":
            target.parent.mkdir(exist_ok=True)
            size = source.stat().st_size
            if size <= COPY_DATA_LIMIT:
                shutil.copyfile(source, target)
            else:
                try:
                    os.link(source, target)
                except OSError as error:
                    raise DataError(
                        f"data file '{source}' is {size / 2**20:.0f} MiB, over the {COPY_DATA_LIMIT // 2**20} MiB "
                        f"seqkit copies into a run, and it cannot be linked into '{run_dir}' ({error.strerror}). "
                        "Put the runs folder (--runs-dir) on the same file system as the data."
                    ) from error
            data["data"]["path"] = f"data/{source.name}"
    return data


def _fit(config, run_dir: Path, *, frame, resume_state, verbose, command, extra_callbacks=None) -> Run:
    runtime = configure_runtime(config.train)
    task = task_for(config)
    try:
        # A resumed run reads its fitted preprocessing back instead of refitting it on the data.
        fitted = read_preprocessing(task, run_dir / PREPROCESSING) if resume_state is not None else None
        prepared = task.prepare(data=frame, preprocessing=fitted)
        data_sha256 = _data_sha256(config, frame, task, prepared)
        if resume_state is not None:
            _check_same_data(resume_state, data_sha256, run_dir)
        spec = task.spec(prepared)
        model = task.build_model(spec)
        preprocessing = task.preprocessing_of(prepared)
        if resume_state is None:
            atomic_write_text(run_dir / CONFIG, yaml.safe_dump(resolved_config(config, run_dir), sort_keys=False))
            atomic_write_json(run_dir / PREPROCESSING, task.preprocessing_to_json(preprocessing))
    except Exception:
        if resume_state is None:
            shutil.rmtree(run_dir, ignore_errors=True)  # refused before training: leave no run behind
        raise

    say = _printer(verbose)
    say(f"run: {run_dir}")
    say(f"device: {runtime.description}")
    for line in cudnn_report(config.model):
        say(f"  {line}")
    say(f"data: {task.describe(prepared, spec)}")

    monitor = "val_loss" if has_validation(prepared) else "loss"
    checkpoints = run_dir / "checkpoints"
    initial_epoch, history, best, stopping_state, plateau_state = 0, None, None, None, None
    if resume_state is not None:
        model.optimizer.build(model.trainable_variables)
        model.load_weights(checkpoints / resume_state["weights"])
        initial_epoch = int(resume_state["epochs_done"])
        history, best = resume_state["history"], resume_state["best"]
        stopping_state, plateau_state = resume_state["early_stopping"], resume_state.get("reduce_lr_on_plateau")
        say(f"resuming after epoch {initial_epoch} of {config.train.epochs}")

    checkpoint = RunCheckpoint(
        checkpoints,
        monitor=monitor,
        history_csv=run_dir / HISTORY,
        history=history,
        best=best,
        min_delta=config.train.early_stopping.min_delta if config.train.early_stopping else 0.0,
        data_sha256=data_sha256,
    )
    checkpoint.early_stopping, checkpoint.plateau, callbacks = schedule_callbacks(
        config, monitor, stopping_state=stopping_state, plateau_state=plateau_state
    )
    if runtime.backend == "tensorflow":
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(run_dir / "tensorboard"), write_graph=False))
    callbacks.append(checkpoint)  # after early stopping: it records this epoch's counter
    callbacks.extend(extra_callbacks or [])

    if initial_epoch < config.train.epochs:
        try:
            model.fit(
                **fit_arguments(config, prepared, initial_epoch=initial_epoch, epochs=config.train.epochs),
                callbacks=callbacks,
                verbose=_keras_verbose(verbose),
            )
        except KeyboardInterrupt:
            if read_state(checkpoints) is not None:
                print(f"\ninterrupted; continue with: seqkit train --resume {run_dir}", file=sys.stderr, flush=True)
            raise
        finally:
            if runtime.mixed_precision:
                keras.mixed_precision.set_global_policy("float32")

    if (checkpoints / BEST_WEIGHTS).exists():
        model.load_weights(checkpoints / BEST_WEIGHTS)
        say(f"best epoch: {checkpoint.best['epoch']} ({monitor} {checkpoint.best['value']:.5g})")

    evaluation = task.evaluate(model, prepared)
    metrics = evaluation.metrics
    run = Run(run_dir, config=config, model=model, preprocessing=preprocessing, metrics=metrics, prepared=prepared)
    _write_outputs(
        run,
        task,
        history=checkpoint.history,
        evaluation=evaluation,
        runtime=runtime,
        data_sha256=data_sha256,
        command=command if command is not None else " ".join(sys.argv),
    )
    shutil.rmtree(checkpoints, ignore_errors=True)
    if metrics.get("report"):
        say(metrics["report"])
    say(f"saved: {run_dir}")
    return run


def has_validation(prepared) -> bool:
    """Whether prepared data has validation windows (then `val_loss` is logged and monitored)."""
    return prepared.val is not None and len(prepared.val) > 0


def schedule_callbacks(config: ExperimentConfig, monitor: str, *, stopping_state=None, plateau_state=None):
    """The callbacks `train.early_stopping`, `train.reduce_lr_on_plateau` and a stateful model ask for.

    Args:
        config: The run's config.
        monitor: The logged value they watch (`val_loss`, else `loss`).
        stopping_state, plateau_state: Counters to continue from (a resumed run).

    Returns:
        `(early_stopping or None, plateau or None, every callback in the order fit runs them)`.
    """
    callbacks: list[keras.callbacks.Callback] = []
    stopping = plateau = None
    if config.train.early_stopping is not None:
        stopping = ResumableEarlyStopping(
            monitor=monitor,
            patience=config.train.early_stopping.patience,
            min_delta=config.train.early_stopping.min_delta,
            resume=stopping_state,
        )
        callbacks.append(stopping)
    if config.train.reduce_lr_on_plateau is not None:
        settings = config.train.reduce_lr_on_plateau
        plateau = ResumableReduceLROnPlateau(
            monitor=monitor, factor=settings.factor, patience=settings.patience, min_lr=settings.min_lr,
            resume=plateau_state,
        )
        callbacks.append(plateau)
    if config.model.stateful:
        callbacks.append(ResetStatesEachEpoch())
    return stopping, plateau, callbacks


def fit_arguments(config: ExperimentConfig, prepared, *, initial_epoch: int, epochs: int) -> dict:
    """`Model.fit` keyword arguments for training epochs `initial_epoch` up to `epochs` on prepared data.

    Every remaining epoch comes from one dataset, each epoch shuffled by
    (seed, epoch), so a resumed run sees the same orders as an uninterrupted
    one from its next epoch on. A stateful model reads its batches in stream
    order (each batch row continues the row before it: truncated BPTT).

    Returns:
        `x`, `validation_data` (None without validation windows), `epochs`,
        `initial_epoch`, `steps_per_epoch` and `shuffle=False` (the dataset shuffles itself).
    """
    batch_size = config.train.effective_batch_size
    stateful = config.model.stateful
    train_windows, val_windows = prepared.train, prepared.val
    has_val = has_validation(prepared)
    if stateful:
        train_windows = train_windows.stream_order(batch_size)
        if has_val:
            val_windows = val_windows.stream_order(batch_size)
    remaining = range(initial_epoch, epochs)
    train_data = train_windows.dataset(
        batch_size, shuffle=config.shuffle, seed=config.train.seed, drop_remainder=stateful, epochs=remaining
    )
    val_data = val_windows.dataset(batch_size, shuffle=False, seed=None, drop_remainder=stateful) if has_val else None
    return {
        "x": train_data,
        "validation_data": val_data,
        "epochs": epochs,
        "initial_epoch": initial_epoch,
        "steps_per_epoch": len(train_data) // max(len(remaining), 1),  # the dataset holds every remaining epoch
        "shuffle": False,
    }


def _write_outputs(
    run: Run, task: Task, *, history: dict, evaluation: Evaluation, runtime, data_sha256: str, command
) -> None:
    """Write model, history, metrics, plots and, last, the manifest that marks the run complete."""
    from seqkit.inference.run import file_hashes

    path = run.path
    with atomic_path(path / MODEL) as tmp:
        run.model.save(tmp)
    write_history_csv(history, path / HISTORY)
    atomic_write_json(path / METRICS, run.metrics)
    if run.config.evaluate.plots:
        (path / "plots").mkdir(exist_ok=True)
        task.write_plots(path / "plots", history, evaluation, run.preprocessing)
    manifest = environment_manifest(
        seed=run.config.train.seed, command=command, data_sha256=data_sha256, device=runtime.description
    )
    manifest["status"] = "complete"
    manifest["files"] = file_hashes(path)  # load_run refuses a run whose files changed since
    atomic_write_json(path / MANIFEST, manifest)


def _check_same_data(state: dict, data_sha256: str, run_dir: Path) -> None:
    """Refuse to resume on data other than the run started with."""
    started = state.get("data_sha256")
    if started is not None and started != data_sha256:
        raise RunError(
            f"run '{run_dir}' started on data with SHA-256 {started}, but its data now has SHA-256 {data_sha256}: "
            "the data changed, so the run cannot continue. Restore the data, or start a new run."
        )


def _data_sha256(config: ExperimentConfig, frame, task: Task, prepared) -> str:
    """SHA-256 of the input file (what `sha256sum` prints), else of every loaded value."""
    if frame is None and config.data is not None and config.data.path is not None:
        return sha256_file(config.base_dir / config.data.path)
    return sha256_array(np.ascontiguousarray(task.data_values(prepared)))


def _keras_verbose(verbose: int | str) -> int | str:
    if verbose == "auto":
        return 1 if sys.stdout.isatty() else 2
    return verbose


def _printer(verbose: int | str):
    quiet = verbose == 0

    def say(message: str) -> None:
        if not quiet:
            print(message, flush=True)

    return say
