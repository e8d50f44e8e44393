"""Callbacks that make a run resumable and keep its best weights, all written atomically."""

from __future__ import annotations

import math
from pathlib import Path

import keras

from seqkit.files import atomic_path, atomic_write_json, read_json_object, write_history_csv
from seqkit.models.predict import reset_states

STATE_FILE = "state.json"
BEST_WEIGHTS = "best.weights.h5"


def _epoch_weights_name(epoch: int) -> str:
    return f"epoch-{epoch:04d}.weights.h5"


class RunCheckpoint(keras.callbacks.Callback):
    """Save resume state and the best weights at the end of every epoch.

    After epoch `e` (1-based count of completed epochs) the folder holds
    `epoch-e.weights.h5` (model and optimizer variables), `best.weights.h5`
    and `state.json`, which names the snapshot and carries the history so
    far, the best epoch, the early-stopping and learning-rate-plateau
    counters and the SHA-256 of the data the run trains on. `state.json` is
    replaced last and atomically, so a process killed at any moment leaves a
    state that points at complete files; older snapshots are deleted after.

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
        if value is not None and math.isfinite(value) and value < self.best["value"] - self.min_delta:
            self.best = {"epoch": epoch + 1, "value": float(value)}
            with atomic_path(self.folder / BEST_WEIGHTS) as tmp:
                self.model.save_weights(tmp)
        snapshot = _epoch_weights_name(epoch + 1)
        with atomic_path(self.folder / snapshot) as tmp:
            self.model.save_weights(tmp)
        write_history_csv(self.history, self.history_csv)
        stopping, plateau = self.early_stopping, self.plateau
        atomic_write_json(
            self.folder / STATE_FILE,
            {
                "epochs_done": epoch + 1,
                "weights": snapshot,
                "monitor": self.monitor,
                "data_sha256": self.data_sha256,
                "best": self.best,
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
            },
        )
        for old in self.folder.glob("epoch-*.weights.h5"):
            if old.name != snapshot:
                old.unlink(missing_ok=True)


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
