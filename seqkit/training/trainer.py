"""`train`: prepare the data, build the model, fit it, evaluate it, and write the run directory.

The trainer stays thin over `Model.fit` and callbacks, and knows no kind of
problem: the config's `Task` prepares the data, builds the model, scores it
and draws its plots. Everything it writes goes into one run directory (its
layout: `seqkit.inference.run`), each file atomically, with the manifest last.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shlex
import shutil
import sys
from pathlib import Path

import keras
import numpy as np
import yaml

from seqkit.config.experiment import ExperimentConfig
from seqkit.config.loading import load_config, with_data_file, with_overrides
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
    DatasetValidation,
    InMemoryValidation,
    KeepBestWeights,
    ResetStatesEachEpoch,
    ResumableEarlyStopping,
    ResumableReduceLROnPlateau,
    RunCheckpoint,
    StreamValidation,
    best_weights_name,
    keep_state_files,
    read_state,
)
from seqkit.training.distribution import batches_must_divide, distribution_scope
from seqkit.training.folders import new_run_dir, remove_new_run_dir, resolved_config
from seqkit.training.runtime import configure_runtime

MAX_EPOCHS = "SEQKIT_MAX_EPOCHS"
"""Environment variable: train at most this many epochs, whatever `train.epochs` says (quick checks, CI)."""


def train(
    config: ExperimentConfig | str | Path,
    *,
    data: str | Path | None = None,
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
        data: A data file (CSV, TSV or Parquet; `.txt` for a language model) to
            train on instead of the config's `data.path` or `data.dataset`:
            absolute, or relative to the current folder (not the config's),
            as `seqkit train --data` takes it. The run copies it in, like a
            `data.path` file, so `resume` and `evaluate` read the same data.
        frame: A pandas DataFrame or NumPy array (a string for a language
            model) to use instead of the config's dataset or path.
        runs_dir: Folder under which `<name>/<timestamp>/` is created.
        overrides: `key=value` overrides (`--set`), applied to a path's YAML or to a given config.
        verbose: Progress display: `auto` (a bar in a terminal, a line per
            epoch otherwise), 0, 1 or 2.
        command: The command line that started the run, for the manifest.
        callbacks: Extra Keras callbacks, run after seqkit's own.

    Returns:
        The finished `Run`, with its model, preprocessing and test metrics.

    Raises:
        ConfigError, DataError: Bad config or data; no run directory is made.
        RunError: `runs_dir` cannot hold a new run directory.
        KeyboardInterrupt: Training was interrupted; the message says how to
            resume (the run keeps its last completed epoch), or that nothing
            was kept (no epoch had finished).
    """
    if not isinstance(config, ExperimentConfig):
        config = load_config(config, overrides)
    else:
        config = with_overrides(config, overrides)
    if data is not None and frame is not None:
        raise ConfigError("give seqkit.train either `data` (a file) or `frame` (data in memory), not both")
    if config.data is None and frame is None:
        raise ConfigError("the config has no data section; add `data:` with a dataset or path, and a lookback")
    if data is not None:
        config = with_data_file(config, _data_file(data))
    return _fit(
        config,
        None,
        runs_dir=Path(runs_dir),
        frame=frame,
        resume_state=None,
        verbose=verbose,
        command=command,
        extra_callbacks=callbacks,
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
    keep_state_files(run_dir / "checkpoints", state, run_dir / HISTORY)  # a kill can leave the next epoch's files
    return _fit(config, run_dir, frame=frame, resume_state=state, verbose=verbose, command=command)


def _data_file(data: str | Path) -> Path:
    """The file `data` names, as typed: absolute, or relative to the current folder.

    Raises:
        DataError: No such file.
    """
    file = Path(data).expanduser().absolute()
    if not file.is_file():
        what = "is a folder, not a file" if file.is_dir() else "does not exist"
        raise DataError(
            f"data file '{data}' given with --data (data= in Python) {what} (looked for {file}). "
            "Check the name and the current folder."
        )
    return file.resolve()


def epoch_cap(config: ExperimentConfig) -> tuple[ExperimentConfig, str | None]:
    """The config with `train.epochs` lowered to `SEQKIT_MAX_EPOCHS`, and a line saying so (None: unchanged).

    A new run saves the capped config, so its `config.yaml` re-runs (and resumes) what was trained.

    Raises:
        ConfigError: The variable is set to something other than a whole number of at least 1.
    """
    text = os.environ.get(MAX_EPOCHS, "").strip()
    if not text:
        return config, None
    try:
        cap = int(text)
    except ValueError:
        cap = 0
    if cap < 1:
        raise ConfigError(
            f"environment variable {MAX_EPOCHS} must be a whole number of epochs, at least 1, got {text!r}; "
            "unset it to train the config's `train.epochs`"
        )
    if cap >= config.train.epochs:
        return config, None
    train_section = config.train.model_copy(update={"epochs": cap})
    note = f"epochs: {cap}, capped by {MAX_EPOCHS} (the config says {config.train.epochs})"
    return config.model_copy(update={"train": train_section}), note


def _fit(
    config, run_dir: Path | None, *, runs_dir: Path | None = None, frame, resume_state, verbose, command,
    extra_callbacks=None,
) -> Run:
    """Fit a new run (`run_dir` None: made under `runs_dir`) or continue one (`resume_state` given).

    A new run's directory is made only once the device, data and model are
    ready, so a run refused for its config or data leaves nothing; one stopped
    before its first epoch finished is removed again (there is nothing to
    resume). A run stopped later keeps exactly its last completed epoch.
    """
    runtime = configure_runtime(config.train)  # before anything is written: `device: gpu` without one stops here
    with contextlib.ExitStack() as devices:
        return _fit_on_devices(
            config, run_dir, runs_dir=runs_dir, frame=frame, resume_state=resume_state, verbose=verbose,
            command=command, extra_callbacks=extra_callbacks, runtime=runtime, devices=devices,
        )


def _fit_on_devices(
    config, run_dir, *, runs_dir, frame, resume_state, verbose, command, extra_callbacks, runtime, devices
) -> Run:
    """`_fit` with the model built, compiled and fitted in `train.distribution`'s scope, entered on `devices`.

    The scope is left once fitting ends (`devices.close()`), so the model is
    evaluated, predicts and is saved as on one device.
    """
    created = None
    try:
        # A resumed run trains to the epochs its saved config holds, capped or not when it started.
        config, epoch_note = epoch_cap(config) if resume_state is None else (config, None)
        task = task_for(config)
        # A resumed run reads its fitted preprocessing back instead of refitting it on the data.
        fitted = read_preprocessing(task, run_dir / PREPROCESSING) if resume_state is not None else None
        prepared = task.prepare(data=frame, preprocessing=fitted)
        data_sha256 = _data_sha256(config, frame, task, prepared)
        if resume_state is not None:
            _check_same_data(resume_state, data_sha256, run_dir)
        spec = task.spec(prepared)
        distribution = devices.enter_context(distribution_scope(config.train, runtime.device))
        if distribution is not None:
            runtime = dataclasses.replace(runtime, description=f"{runtime.description}; {distribution.description}")
        model = task.build_model(spec)
        preprocessing = task.preprocessing_of(prepared)
        if resume_state is None:
            run_dir, created = new_run_dir(runs_dir, config.run_name)
            atomic_write_text(run_dir / CONFIG, yaml.safe_dump(resolved_config(config, run_dir), sort_keys=False))
            atomic_write_json(run_dir / PREPROCESSING, task.preprocessing_to_json(preprocessing))
    except BaseException:
        if created is not None:
            remove_new_run_dir(run_dir, created)  # refused before training: leave no run behind
        if runtime.mixed_precision:
            keras.mixed_precision.set_global_policy("float32")
        raise
    try:
        return _train_and_save(
            config, run_dir, runtime=runtime, task=task, prepared=prepared, spec=spec, model=model,
            preprocessing=preprocessing, data_sha256=data_sha256, resume_state=resume_state, verbose=verbose,
            command=command, extra_callbacks=extra_callbacks, epoch_note=epoch_note, after_fit=devices.close,
        )
    except BaseException as error:
        state = read_state(run_dir / "checkpoints")
        if state is None and created is not None:
            remove_new_run_dir(run_dir, created)  # no epoch finished: nothing to resume, so nothing kept
            if isinstance(error, KeyboardInterrupt):
                raise KeyboardInterrupt("interrupted before the first epoch finished; no run was saved") from None
        elif isinstance(error, KeyboardInterrupt) and state is not None and not (run_dir / MANIFEST).exists():
            _keep_only_resume_files(run_dir, state)
            raise KeyboardInterrupt(
                f"interrupted after epoch {state['epochs_done']} of {config.train.epochs}, which the run keeps; "
                f"continue with: seqkit train --resume {shlex.quote(str(run_dir))}"
            ) from None
        raise


def _keep_only_resume_files(run_dir: Path, state: dict) -> None:
    """Leave a stopped run what `resume` reads: its config, preprocessing, data and last epoch's checkpoint.

    Outputs that a stop during the final evaluation may have written already
    go too; `resume` writes them again, and the manifest last.
    """
    remove_partial_files(run_dir)
    keep_state_files(run_dir / "checkpoints", state, run_dir / HISTORY)
    for name in (MODEL, METRICS):
        (run_dir / name).unlink(missing_ok=True)
    shutil.rmtree(run_dir / "plots", ignore_errors=True)


def _train_and_save(
    config, run_dir: Path, *, runtime, task, prepared, spec, model, preprocessing, data_sha256, resume_state,
    verbose, command, extra_callbacks, epoch_note=None, after_fit=None,
) -> Run:
    say = _printer(verbose)
    say(f"run: {run_dir}")
    say(f"device: {runtime.description}")
    for line in cudnn_report(config.model):
        say(f"  {line}")
    say(f"data: {task.describe(prepared, spec)}")
    if epoch_note:
        say(epoch_note)

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
    # TensorBoard's writer is TensorFlow's, which the data pipeline imports on every backend.
    callbacks.append(keras.callbacks.TensorBoard(log_dir=str(run_dir / "tensorboard"), write_graph=False))
    callbacks.append(checkpoint)  # after early stopping: it records this epoch's counter
    callbacks.extend(extra_callbacks or [])

    try:
        if initial_epoch < config.train.epochs:
            fit_model(
                model, config, prepared, initial_epoch=initial_epoch, epochs=config.train.epochs,
                callbacks=callbacks, verbose=_keras_verbose(verbose),
            )
    finally:
        if runtime.mixed_precision:
            keras.mixed_precision.set_global_policy("float32")
        if after_fit is not None:
            after_fit()  # leave the distribution: the rest runs as on one device

    best_weights = best_weights_name(checkpoint.best)
    if best_weights is not None:
        model.load_weights(checkpoints / best_weights)
        say(f"best epoch: {checkpoint.best['epoch']} ({monitor} {checkpoint.best['value']:.5g})")

    evaluation = task.evaluate(model, prepared)
    metrics = evaluation.metrics
    run = Run(run_dir, config=config, model=model, preprocessing=preprocessing, metrics=metrics, prepared=prepared)
    _write_outputs(
        run,
        task,
        history=checkpoint.history,
        evaluation=evaluation,
        best_epoch=checkpoint.best["epoch"],
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
            min_delta=settings.min_delta, resume=plateau_state,
        )
        callbacks.append(plateau)
    if config.model.stateful:
        callbacks.append(ResetStatesEachEpoch())
    return stopping, plateau, callbacks


def fit_without_files(
    config: ExperimentConfig, prepared, model: keras.Model, *, verbose: int | str = 0
) -> tuple[dict, dict]:
    """Fit a built model on prepared data as a run does, writing nothing: for loops over many fits.

    The same datasets and validation (`fit_model`), schedule (`schedule_callbacks`) and
    monitored value as `train`, for `train.epochs` epochs (cap them with
    `epoch_cap` first), and the model ends with its best epoch's weights, as a
    run's does; no run directory, checkpoint or TensorBoard log is written.

    Returns:
        `(history, best)`: Keras' history (one list per logged value) and
        `{"epoch": e, "value": v}` of the best epoch (`epoch` None when no value was finite).
    """
    monitor = "val_loss" if has_validation(prepared) else "loss"
    min_delta = config.train.early_stopping.min_delta if config.train.early_stopping else 0.0
    best = KeepBestWeights(monitor, min_delta=min_delta)
    _, _, schedule = schedule_callbacks(config, monitor)
    history = fit_model(
        model, config, prepared, initial_epoch=0, epochs=config.train.epochs, callbacks=[*schedule, best],
        verbose=_keras_verbose(verbose),
    )
    return history.history, best.best


#: Validation windows up to this size (inputs and targets together) are held in memory and scored in one
#: batch per epoch (`InMemoryValidation`); larger sets stream through Keras' `validation_data`.
VALIDATION_IN_MEMORY_BYTES = 16 * 2**20


def fit_model(
    model: keras.Model, config: ExperimentConfig, prepared, *, initial_epoch: int, epochs: int, callbacks: list,
    verbose,
) -> keras.callbacks.History:
    """`Model.fit` of epochs `initial_epoch` up to `epochs` on prepared data, as every seqkit fit runs it.

    Every remaining epoch comes from one dataset, each epoch shuffled by
    (seed, epoch), so a resumed run sees the same orders as an uninterrupted
    one from its next epoch on. A stateful model reads its batches in stream
    order (each batch row continues the row before it: truncated BPTT). Under a
    JAX distribution (`train.distribution: {type: data_parallel}`) every batch
    must split evenly over the devices, so a last, smaller batch is dropped.

    Validation: a small validation set (at most `VALIDATION_IN_MEMORY_BYTES`, not
    stateful) is held in memory and scored at each epoch's end before `callbacks`
    run (`InMemoryValidation`: Keras' `validation_data` makes a new dataset
    iterator every epoch, which costs more than a whole epoch of a short
    series); a larger one goes to Keras as `validation_data` (under a JAX
    distribution, to `DatasetValidation`, outside it). A stateful model's
    validation is read as the model is used (`StreamValidation`: the state warmed
    on the rows before the split, then carried through it). Every way, the logs
    carry `val_loss` and `val_<metric>` for the callbacks that follow.
    """
    batch_size = config.train.effective_batch_size
    stateful = config.model.stateful
    train_windows, val_windows = prepared.train, prepared.val
    has_val = has_validation(prepared)
    if stateful:
        train_windows = train_windows.stream_order(batch_size)
    remaining = range(initial_epoch, epochs)
    even = batches_must_divide()  # a JAX distribution shards every batch evenly, so a last, smaller one is dropped
    train_data = train_windows.dataset(
        batch_size, shuffle=config.shuffle, seed=config.train.seed, drop_remainder=stateful or even, epochs=remaining
    )
    if not model.optimizer.built:
        # Its variables made now, not inside the first traced train step, which TensorFlow then
        # traces a second time (about half a second per fit on a CPU; a backtest fits once per fold).
        model.optimizer.build(model.trainable_variables)
    first, val_data = [], None
    if has_val and stateful:  # warmed on the rows before the split, then one stream through it
        first = [StreamValidation(val_windows, batch_size)]
    elif has_val and val_windows.nbytes <= VALIDATION_IN_MEMORY_BYTES:
        first = [InMemoryValidation(*val_windows.arrays())]
    elif has_val and even:  # Keras' validation would shard a last, smaller batch too
        first = [DatasetValidation(val_windows.dataset(batch_size, shuffle=False, seed=None))]
    elif has_val:
        val_data = val_windows.dataset(batch_size, shuffle=False, seed=None)
    return model.fit(
        train_data,
        validation_data=val_data,
        epochs=epochs,
        initial_epoch=initial_epoch,
        steps_per_epoch=len(train_data) // max(len(remaining), 1),  # the dataset holds every remaining epoch
        shuffle=False,  # the dataset shuffles itself
        callbacks=[*first, *callbacks],
        verbose=verbose,
    )


def _write_outputs(
    run: Run, task: Task, *, history: dict, evaluation: Evaluation, best_epoch: int | None, runtime,
    data_sha256: str, command,
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
        task.write_plots(path / "plots", history, evaluation, run.preprocessing, best_epoch=best_epoch)
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
