"""`tune`: run a KerasTuner search over a config's `tune.space`, then write its results.

The tuning directory (`tuning/<name>/<timestamp>/` by default) holds:

| file | what |
| --- | --- |
| `config.yaml` | the searched config, its data file copied beside it (`data/`) |
| `search/` | KerasTuner's state: `oracle.json`, `trial_<id>/trial.json` (+ seqkit's `seqkit.json`) |
| `leaderboard.csv`, `best.yaml`, `objective.png`, `runs/` | the results (`seqkit.tuning.results`) |

`seqkit tune --resume DIR` reloads the state and runs only the trials not yet
completed. A trial that raises is recorded as FAILED with its message; after
more than `tune.max_failed_trials` failures the search stops with a `RunError`
(exit status 2 in the CLI) and the leaderboard so far.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import keras_tuner as kt
import yaml

from seqkit.backend import choose_backend
from seqkit.config.experiment import ExperimentConfig
from seqkit.config.loading import load_config
from seqkit.errors import ConfigError, RunError
from seqkit.files import atomic_write_json, atomic_write_text
from seqkit.training.distribution import refuse_distribution
from seqkit.tuning.hypermodel import ConfigHyperModel, searched_values
from seqkit.tuning.results import (
    CONFIG,
    PROJECT,
    RECORD,
    TuneResult,
    check_state,
    format_value,
    write_results,
)
from seqkit.tuning.supervise import WorkerReplaced, resident_mib, scoped_environment, settle_oracle_state

ROLE_VARIABLES = ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT")


def tune(
    config: ExperimentConfig | str | Path | None = None,
    *,
    overrides: Sequence[str] = (),
    tuning_dir: str | Path | None = None,
    resume: str | Path | None = None,
    role: str | None = None,
    oracle: str | None = None,
    worker_id: int | str | None = None,
    replaceable: bool = False,
    train_best: bool = True,
    verbose: int = 1,
) -> TuneResult | None:
    """Search the config's `tune.space` with KerasTuner and write the results.

    Args:
        config: An `ExperimentConfig` or a YAML path (not with `resume`).
        overrides: `key=value` overrides, when `config` is a path.
        tuning_dir: The search's folder; default `tuning/<name>/<timestamp>/`.
            With `role`, the folder every process shares (required).
        resume: A tuning directory to continue: completed trials are kept, the rest run.
        role: None (one process), `chief` (serve the oracle at `oracle`) or
            `worker` (run trials against the chief at `oracle`).
        oracle: `HOST:PORT` of the chief, with `role`.
        worker_id: A worker's id; a restarted worker with the same id takes over its trial.
        replaceable: A worker that, once its memory has grown past
            `tune.worker_memory_growth`, ends after reporting a trial by raising
            `WorkerReplaced`, for its supervisor to start a fresh process under the
            same id. Only for a worker something starts again: the chief waits for
            every worker id it has seen.
        train_best: After the search, train the best config as an ordinary run.
        verbose: 0 silent, 1 a line per trial.

    Returns:
        The results (single process); None for a chief or worker, whose search
        is written up by `seqkit.tuning.results.write_results` afterwards.

    Raises:
        ConfigError: Bad config, empty space, or bad role options.
        RunError: A corrupt or missing search state, or more failed trials than
            `tune.max_failed_trials` (the leaderboard so far is written first).
        WorkerReplaced: A worker whose memory grew past `tune.worker_memory_growth`
            reported its trial and stopped, to be started again as a fresh process
            (the CLI exits with status 75 for the supervisor).
    """
    if replaceable and role != "worker":
        raise ConfigError("replaceable applies to a worker (role 'worker')")
    folder, config = _tuning_folder(config, overrides, tuning_dir, resume, role)
    hypermodel = ConfigHyperModel(config, verbose=0)
    say = print if verbose else (lambda *_a, **_k: None)
    with distributed_role(role, oracle, worker_id), _failed_trial_tracebacks(bool(os.environ.get("SEQKIT_DEBUG"))):
        tuner = _make_tuner(config, hypermodel, folder, say, replaceable=replaceable)
        if role is None:
            say(f"tuning: {folder} ({config.tune.algorithm} search, objective {config.tune.objective.name})")
        try:
            tuner.search(verbose=0)
        except TooManyFailedTrials as stop:
            write_results(folder, config, train_best=False, verbose=verbose)
            raise RunError(f"{stop} The leaderboard so far is in {folder / 'leaderboard.csv'}.") from None
        except KeyboardInterrupt:
            print(f"\ninterrupted; continue with: seqkit tune --resume {folder}", file=sys.stderr, flush=True)
            raise
        except WorkerReplaced as replaced:
            say(str(replaced), flush=True)
            raise
    if role is not None:
        say(f"{role} finished: {folder}")
        return None
    say(f"data prepared {hypermodel.prepared_count} time(s) for the trials of this process")
    return write_results(folder, config, train_best=train_best, verbose=verbose)


def _tuning_folder(config, overrides, tuning_dir, resume, role) -> tuple[Path, ExperimentConfig]:
    """The tuning directory and the config the search uses (the one saved there)."""
    from seqkit.training.folders import new_run_dir, resolved_config

    if resume is not None:
        if config is not None or overrides:
            raise ConfigError("--resume continues a search with its saved config; give no CONFIG or --set with it")
        folder = Path(resume)
        if not (folder / CONFIG).exists():
            raise RunError(f"'{folder}' is not a seqkit tuning directory (it has no {CONFIG})")
        check_state(folder)
        # A chief's oracle.json lists each worker's last trial as ongoing though it ended; drop those
        # so the reload does not run them again.
        settle_oracle_state(folder)
        return folder, load_config(folder / CONFIG)
    if config is None:
        raise ConfigError("give a CONFIG file to search, or --resume DIR")
    if not isinstance(config, ExperimentConfig):
        config = load_config(config, overrides)
    if not config.tune.space:
        raise ConfigError(
            "tune.space is empty, so there is nothing to search; add dimensions, e.g.\n"
            "tune:\n  space:\n    model.cell: {choice: [lstm, gru]}"
        )
    if config.data is None:
        raise ConfigError("the config has no data section; add `data:` with a dataset or path, and a lookback")
    refuse_distribution(config.train, "a search")
    choose_backend(config.train.backend)  # Keras is imported: a config naming another backend is refused in words
    if role is not None:
        if tuning_dir is None:
            raise ConfigError(f"--role {role} needs --tuning-dir: the folder every process of the search shares")
        folder = Path(tuning_dir)
        folder.mkdir(parents=True, exist_ok=True)
        if role == "worker" or (folder / CONFIG).exists():  # the chief writes it; workers read the same file
            saved = folder / CONFIG
            return folder, load_config(saved) if saved.exists() else config
    else:
        folder, _ = new_run_dir(Path(tuning_dir) if tuning_dir is not None else Path("tuning"), config.run_name)
    atomic_write_text(folder / CONFIG, yaml.safe_dump(resolved_config(config, folder), sort_keys=False))
    return folder, load_config(folder / CONFIG)


@contextlib.contextmanager
def distributed_role(role: str | None, oracle: str | None, worker_id: int | str | None) -> Iterator[None]:
    """Set KerasTuner's distribution variables for a role, and restore them after.

    KerasTuner reads `KERASTUNER_TUNER_ID` (`chief`, or `tuner<id>` for a
    worker), `KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT` when a tuner
    is constructed and while it searches. A single-process search (role None)
    clears them, so a stray variable cannot turn it into a client.

    Raises:
        ConfigError: An unknown role, `oracle` not `HOST:PORT`, or a worker without an id.
    """
    values: dict[str, str | None] = dict.fromkeys(ROLE_VARIABLES)
    if role is not None:
        if role not in ("chief", "worker"):
            raise ConfigError(f"--role must be 'chief' or 'worker' (got {role!r})")
        host, _, port = (oracle or "").rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"--oracle must be HOST:PORT, e.g. 127.0.0.1:8000 (got {oracle!r})")
        if role == "worker" and worker_id is None:
            raise ConfigError("--role worker needs --worker-id, so a restarted worker takes over its own trial")
        values = {
            "KERASTUNER_TUNER_ID": "chief" if role == "chief" else f"tuner{worker_id}",
            "KERASTUNER_ORACLE_IP": host,
            "KERASTUNER_ORACLE_PORT": port,
        }
    with scoped_environment(values):
        yield


@contextlib.contextmanager
def _failed_trial_tracebacks(shown: bool) -> Iterator[None]:
    """KerasTuner prints the traceback of every failed trial (its DEBUG flag, on by default); seqkit prints
    the trial's message on its line instead, and the traceback only with SEQKIT_DEBUG=1."""
    from keras_tuner.src import config as kt_config

    saved, kt_config.DEBUG = kt_config.DEBUG, shown
    try:
        yield
    finally:
        kt_config.DEBUG = saved


class TooManyFailedTrials(RunError, kt.errors.FatalError):
    """More trials failed than `tune.max_failed_trials` allows."""


class _SeqkitTuner:
    """What seqkit adds to each KerasTuner tuner: a line per trial, a record of it, the failure limit."""

    def setup(self, config: ExperimentConfig, say, replaceable: bool = False) -> None:
        self._config = config
        self._say = say
        self._started = time.monotonic()
        self._replaceable = replaceable  # a worker: it may end so a fresh process takes over
        self._trials_here = 0
        self._first_memory: float | None = None

    def _populate_initial_space(self):
        # KerasTuner builds a model here to discover the space, which would prepare data and could fail
        # outside any trial; the YAML space is known, and has no conditional scopes to discover.
        hp = self.oracle.get_space()
        self.hypermodel.declare_hyperparameters(hp)
        self.oracle.update_space(hp)

    def on_trial_begin(self, trial):
        self._started = time.monotonic()
        super().on_trial_begin(trial)

    def on_trial_end(self, trial):
        seconds = time.monotonic() - self._started
        hypermodel: ConfigHyperModel = self.hypermodel
        if trial.status != kt.engine.trial.TrialStatus.COMPLETED:
            lines = (trial.message or "").strip().splitlines()
            trial.message = hypermodel.last_error or (lines[-1] if lines else "the trial failed")
        memory = resident_mib()
        record = {"seconds": round(seconds, 3), **hypermodel.last_fit, "message": trial.message}
        if memory is not None:
            record.update(resident_mib=round(memory, 1), pid=os.getpid())
        trial_dir = Path(self.get_trial_dir(trial.trial_id))
        trial_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_json(trial_dir / RECORD, record)
        super().on_trial_end(trial)
        hypermodel.last_fit = {}
        self._report(trial, seconds)
        self._check_failures()
        self._trials_here += 1
        if self._first_memory is None:
            self._first_memory = memory
        self._replace_if_grown(memory)

    def _replace_if_grown(self, memory: float | None) -> None:
        """End a worker whose memory grew past `tune.worker_memory_growth` since its first trial (its
        trial is reported by now), so the supervisor starts a fresh process under the same id."""
        limit = self._config.tune.worker_memory_growth
        if not self._replaceable or limit is None or memory is None or self._first_memory is None:
            return
        growth = memory / self._first_memory - 1
        if limit == 0 or growth > limit:
            raise WorkerReplaced(
                f"worker ends after {self._trials_here} trial(s) to be replaced by a fresh process: resident "
                f"memory {memory:.0f} MiB, {growth:+.1%} since its first trial (tune.worker_memory_growth "
                f"{limit:g})"
            )

    def _report(self, trial, seconds: float) -> None:
        config, objective = self._config, self._config.tune.objective
        values = searched_values(config, trial.hyperparameters.values)
        settings = " ".join(f"{path}={format_value(value)}" for path, value in values.items())
        ended = self.oracle.get_trial(trial.trial_id)
        if ended.status == kt.engine.trial.TrialStatus.COMPLETED:
            outcome = f"{objective.name} {ended.score:.5g}"
        else:
            outcome = f"FAILED: {ended.message}"
        best = [t for t in self.oracle.get_best_trials(1) if t.score is not None]
        best_text = f"best {best[0].score:.5g} (trial {best[0].trial_id})" if best else "best -"
        self._say(f"trial {trial.trial_id}  {settings}  {outcome}  {best_text}  {seconds:.1f} s", flush=True)

    def _check_failures(self) -> None:
        trials = getattr(self.oracle, "trials", None)
        if trials is None:  # a worker's oracle is the chief's, over gRPC: the chief's files are counted instead
            return
        failed = [t for t in trials.values() if t.status == kt.engine.trial.TrialStatus.FAILED]
        limit = self._config.tune.max_failed_trials
        if len(failed) > limit:
            last = failed[-1]
            why = (last.message or "").rstrip(".")
            raise TooManyFailedTrials(
                f"the search stopped: {len(failed)} trials failed, more than tune.max_failed_trials ({limit}). "
                f"The last, trial {last.trial_id}, failed with: {why}. Fix the space, or raise "
                f"tune.max_failed_trials and start again."
            )


class SeqkitRandomSearch(_SeqkitTuner, kt.RandomSearch):
    """Random search with seqkit's trial lines, records and failure limit."""


class SeqkitBayesianOptimization(_SeqkitTuner, kt.BayesianOptimization):
    """Bayesian optimisation with seqkit's trial lines, records and failure limit."""


class SeqkitHyperband(_SeqkitTuner, kt.Hyperband):
    """Hyperband with seqkit's trial lines, records and failure limit."""


class SeqkitGridSearch(_SeqkitTuner, kt.GridSearch):
    """Grid search with seqkit's trial lines, records and failure limit."""


def _make_tuner(config: ExperimentConfig, hypermodel: ConfigHyperModel, folder: Path, say, *,
                replaceable: bool = False):
    settings = config.tune
    common = {
        "hypermodel": hypermodel,
        "objective": kt.Objective(settings.objective.name, settings.objective.direction),
        "seed": settings.seed,
        "executions_per_trial": settings.executions_per_trial,
        "max_retries_per_trial": 0,
        # seqkit's own limit counts every failure and fires first; KerasTuner's counts consecutive ones.
        "max_consecutive_failed_trials": settings.max_failed_trials + 2,
        "directory": str(folder),
        "project_name": PROJECT,
        "overwrite": False,
    }
    if settings.algorithm == "hyperband":
        tuner = SeqkitHyperband(max_epochs=settings.max_epochs, **common)
    else:
        cls = {"random": SeqkitRandomSearch, "bayesian": SeqkitBayesianOptimization, "grid": SeqkitGridSearch}
        tuner = cls[settings.algorithm](max_trials=settings.max_trials, **common)
    tuner.setup(config, say, replaceable)
    return tuner
