"""Callbacks that make a run resumable and keep its best weights, all written atomically."""

from __future__ import annotations

import math
from pathlib import Path

import keras
import numpy as np

from seqkit.files import atomic_path, atomic_write_json, read_json_object, write_history_csv
from seqkit.models.predict import reset_states
from seqkit.training.distribution import outside_distribution

STATE_FILE = "state.json"


def _epoch_weights_name(epoch: int) -> str:
    return f"epoch-{epoch:04d}.weights.h5"


def best_weights_name(best: dict) -> str | None:
    """The file holding the best epoch's weights (`best` as in `state.json`), or None before a finite loss."""
    return None if best["epoch"] is None else f"best-epoch-{best['epoch']:04d}.weights.h5"


class RunCheckpoint(keras.callbacks.Callback):
    """Save resume state and the best weights at the end of every epoch.

    After epoch `e` (1-based count of completed epochs) the folder holds
    `epoch-e.weights.h5` (model and optimizer variables), `best-epoch-b.weights.h5`
    (the weights of the best epoch `b` so far) and `state.json`, which names
    the snapshot and carries the history so far, the best epoch, the
    early-stopping and learning-rate-plateau counters and the SHA-256 of the
    data the run trains on. Every epoch writes new file names and replaces
    `state.json` last and atomically, so a process stopped at any moment (Ctrl-C
    or a kill) leaves a state whose files are complete and untouched; the files
    it does not name are deleted after, and `keep_state_files` deletes them
    after a stop that came in between.

    Args:
        folder: The run's `checkpoints/` folder.
        monitor: The logged value whose minimum marks the best epoch.
        history_csv: Where to write `history.csv` after every epoch.
        history: History of earlier epochs (when resuming).
        best: `{"epoch": e, "value": v}` of earlier epochs (when resuming).
        min_delta: Smallest decrease of `monitor` that counts as an improvement.
        data_sha256: The data's hash, checked when the run resumes.
    """

    def __init__(
        self,
        folder: Path,
        *,
        monitor: str,
        history_csv: Path,
        history: dict[str, list[float]] | None = None,
        best: dict | None = None,
        min_delta: float = 0.0,
        data_sha256: str | None = None,
    ):
        super().__init__()
        self.folder = Path(folder)
        self.monitor = monitor
        self.history_csv = Path(history_csv)
        self.history: dict[str, list[float]] = {k: list(v) for k, v in (history or {}).items()}
        self.best = dict(best) if best else {"epoch": None, "value": math.inf}
        self.min_delta = min_delta
        self.data_sha256 = data_sha256
        self.early_stopping: keras.callbacks.EarlyStopping | None = None
        self.plateau: keras.callbacks.ReduceLROnPlateau | None = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        self.folder.mkdir(parents=True, exist_ok=True)
        value = logs.get(self.monitor)
        best = self.best
        if value is not None and math.isfinite(value) and value < best["value"] - self.min_delta:
            best = {"epoch": epoch + 1, "value": float(value)}
            with atomic_path(self.folder / best_weights_name(best)) as tmp:
                self.model.save_weights(tmp)
        snapshot = _epoch_weights_name(epoch + 1)
        with atomic_path(self.folder / snapshot) as tmp:
            self.model.save_weights(tmp)
        stopping, plateau = self.early_stopping, self.plateau
        state = {
            "epochs_done": epoch + 1,
            "weights": snapshot,
            "monitor": self.monitor,
            "data_sha256": self.data_sha256,
            "best": best,
            "early_stopping": None
            if stopping is None
            else {"wait": int(stopping.wait), "best": float(stopping.best)},
            "reduce_lr_on_plateau": None
            if plateau is None
            else {
                "wait": int(plateau.wait),
                "best": None if plateau.best is None else float(plateau.best),
                "cooldown_counter": int(plateau.cooldown_counter),
            },
            "history": self.history,
        }
        atomic_write_json(self.folder / STATE_FILE, state)  # from here on, this epoch is the one to resume from
        self.best = best
        keep_state_files(self.folder, state, self.history_csv)


class KeepBestWeights(keras.callbacks.Callback):
    """Keep the best epoch's weights in memory and put them back when training ends.

    What `RunCheckpoint` does on disk for a run, for fits that write no run
    directory (backtest folds): the model ends with the weights of the epoch
    whose `monitor` was lowest (by more than `min_delta`), as a run's does.

    Attributes:
        best: `{"epoch": e, "value": v}` (1-based epoch; None before a finite value).
    """

    def __init__(self, monitor: str, *, min_delta: float = 0.0):
        super().__init__()
        self.monitor = monitor
        self.min_delta = min_delta
        self.best = {"epoch": None, "value": math.inf}
        self._weights = None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is not None and math.isfinite(value) and value < self.best["value"] - self.min_delta:
            self.best = {"epoch": epoch + 1, "value": float(value)}
            self._weights = self.model.get_weights()

    def on_train_end(self, logs=None):
        if self._weights is not None:
            self.model.set_weights(self._weights)


class InMemoryValidation(keras.callbacks.Callback):
    """Score validation windows held in memory at each epoch's end, before the callbacks after it.

    What `Model.fit(validation_data=...)` logs (`val_loss`, `val_<metric>`), from
    one `test_on_batch` over the whole set: Keras' validation makes a new
    dataset iterator every epoch, tens of milliseconds on a CPU, which is more
    than an epoch of a short series takes. Put it first in the callback list
    so that early stopping, checkpoints and tuners read its values.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray):
        super().__init__()
        self.x, self.y = x, y

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        with outside_distribution():  # the set need not divide over a JAX distribution's devices
            results = self.model.test_on_batch(self.x, self.y, return_dict=True)
        logs.update({f"val_{name}": float(value) for name, value in results.items()})


class DatasetValidation(keras.callbacks.Callback):
    """Score a validation dataset at each epoch's end, outside a JAX distribution, before the callbacks after it.

    For a large validation set under `train.distribution: {type: data_parallel}`,
    whose last batch need not divide over the devices (JAX shards every batch
    evenly); it logs what `Model.fit(validation_data=...)` would.
    """

    def __init__(self, dataset):
        super().__init__()
        self.dataset = dataset

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        with outside_distribution():
            results = self.model.evaluate(self.dataset, verbose=0, return_dict=True)
        logs.update({f"val_{name}": float(value) for name, value in results.items()})


class StreamValidation(keras.callbacks.Callback):
    """Score a stateful model's validation split as it is used, at each epoch's end, before the callbacks after it.

    The state is warmed on the rows before the split and carried through it
    (`seqkit.models.predict.score_streaming`), so the logged `val_loss` and
    `val_<metric>` describe the model its test scores describe. The training
    state is reset at the next epoch's start anyway.
    """

    def __init__(self, windows, batch_size: int):
        super().__init__()
        self.windows, self.batch_size = windows, batch_size

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        from seqkit.models.predict import score_streaming

        results = score_streaming(self.model, self.windows, batch_size=self.batch_size)
        logs.update({f"val_{name}": value for name, value in results.items()})


class _Resumable:
    """A Keras callback whose counters continue after a resume.

    Keras resets them in `on_train_begin`; the values saved in `state.json`
    (`resume`, attribute name to value) are put back right after.
    """

    def __init__(self, *args, resume: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._resume = resume or {}

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        for name, value in self._resume.items():
            setattr(self, name, value)


class ResumableEarlyStopping(_Resumable, keras.callbacks.EarlyStopping):
    """`EarlyStopping` that continues its patience count (`wait`, `best`) after a resume."""


class ResumableReduceLROnPlateau(_Resumable, keras.callbacks.ReduceLROnPlateau):
    """`ReduceLROnPlateau` that continues its patience and cooldown counts after a resume.

    The learning rate itself is an optimizer variable, saved with the weights.
    """


class ResetStatesEachEpoch(keras.callbacks.Callback):
    """Clear a stateful model's recurrent state when a pass over the streams starts.

    Before every training epoch and before validation, which walks its own
    streams and must not inherit the training state.
    """

    def on_epoch_begin(self, epoch, logs=None):
        reset_states(self.model)

    def on_test_begin(self, logs=None):
        reset_states(self.model)


def keep_state_files(folder: Path, state: dict, history_csv: Path) -> None:
    """Leave in `folder` only what `state` names, and `history_csv` as `state` has it.

    What a stop between two `state.json` replacements left behind goes: the
    next epoch's snapshot and best weights, temporary files, and history rows
    of an epoch the state does not have. Keeps a stopped run exactly what
    `resume` needs.
    """
    folder = Path(folder)
    keep = {STATE_FILE, state["weights"], best_weights_name(state["best"])}
    for path in folder.iterdir():
        if path.name not in keep and path.is_file():
            path.unlink(missing_ok=True)
    write_history_csv(state["history"], history_csv)


def read_state(folder: Path) -> dict | None:
    """The last completed epoch's state in `folder`, or None if no epoch finished.

    Strict JSON has no infinity or NaN, so `state.json` holds `null` for a best
    value not reached yet (no finite loss so far) and for a non-finite loss in
    the history; they are read back as infinity and NaN.
    """
    path = Path(folder) / STATE_FILE
    if not path.exists():
        return None
    state = read_json_object(path, holds="a run's resume state", otherwise="the run cannot be resumed")
    if state["best"]["value"] is None:
        state["best"]["value"] = math.inf
    if state.get("early_stopping") and state["early_stopping"]["best"] is None:
        state["early_stopping"]["best"] = math.inf
    state["history"] = {
        key: [math.nan if v is None else v for v in values] for key, values in state["history"].items()
    }
    return state
