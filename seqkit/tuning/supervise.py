"""A KerasTuner chief and N workers on this machine, supervised.

KerasTuner's own distributed mode runs one *chief* process that serves the
oracle over gRPC (`keras_tuner/src/distribute/oracle_chief.py`) and any
number of *workers* that ask it for trials, run them and report back. Left
alone it has three failure modes, all seen on loopback:

- a worker that dies keeps its trial in the oracle's `ongoing_trials`, and the
  chief, which only returns once every worker has been told to stop and no
  trial is ongoing, waits for ever;
- a chief that dies or hangs leaves the workers blocked in a gRPC call with a
  60-minute timeout;
- gRPC binds with `SO_REUSEPORT`, so a second chief on a taken port starts
  without complaint and the kernel shares the connections between the two.

The supervisor here launches the processes and watches them:

- the port is picked free and checked with a plain bind (no `SO_REUSEPORT`,
  so a gRPC server or any other listener makes it fail) just before launch;
- a worker whose memory has grown past `tune.worker_memory_growth` ends after
  reporting its trial with exit status `EXIT_REPLACE` and a fresh process takes
  its id (TensorFlow keeps some memory from every model a process builds, so a
  long search in one process grows; a fresh one starts from the first trial's
  footprint); such replacements are not restarts and are not bounded;
- a worker that exits abnormally (a signal, a crash) before the search ends is
  started again under the same worker id: `Oracle.create_trial(tuner_id)`
  hands a tuner id that asks again its ongoing trial, so the trial is re-run
  rather than lost; restarts are bounded per worker;
- the chief is probed with the oracle's own `GetSpace` call; a chief that
  exits, or stops answering for `chief_timeout` seconds, ends the search with
  an error and the workers are stopped;
- `timeout` ends everything; completed trials stay on disk for `--resume`;
- each process writes to its own log (`logs/chief.log`, `logs/worker-0.log`,
  ...), the parent prints one line per finished trial, and when it returns or
  raises every child has exited (each runs in its own process group, so
  Ctrl-C reaches the parent alone, which stops them).

Each child gets `max(1, cores // workers)` threads, so N workers do not
oversubscribe the cores.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seqkit.errors import ConfigError, RunError

#: The oracle call the chief is probed with: cheap, read-only, and served by any
#: KerasTuner chief (keras_tuner/src/protos/*/service_pb2_grpc.py).
_PROBE_METHOD = "/keras_tuner.Oracle/GetSpace"
#: Trial statuses after which KerasTuner will not run the trial again.
_FINISHED = ("COMPLETED", "FAILED", "INVALID")

#: Exit status of a worker that ended to be replaced by a fresh process (EX_TEMPFAIL: "try again").
EXIT_REPLACE = 75

#: `(role, worker_id, oracle "HOST:PORT") -> argv` for one child process.
Command = Callable[[str, "int | None", str], Sequence[str]]


def resident_mib(pid: int | str = "self") -> float | None:
    """Resident memory of a process in MiB, from /proc (None where there is no /proc, or no such process)."""
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on `host` that nothing listens on now (the kernel's pick).

    Another process may take it before the chief binds it; `supervise` checks
    it again with `port_is_free` immediately before launching the chief.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def parse_oracle(oracle: str) -> tuple[str, int]:
    """`HOST:PORT` -> `(host, port)`.

    Raises:
        ConfigError: Not `HOST:PORT` with a port number from 1 to 65535.
    """
    host, _, port = oracle.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"--oracle must be HOST:PORT, e.g. 127.0.0.1:8000 (got {oracle!r})")
    return host, int(port)


def port_is_free(host: str, port: int) -> bool:
    """Whether a plain bind of `host:port` succeeds.

    The bind uses no `SO_REUSEPORT`, so it fails on a port held by a gRPC
    server (which sets that option and would otherwise share the port) as well
    as by any other listener.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def threads_per_process(workers: int, cores: int | None = None) -> int:
    """CPU threads each of `workers` processes gets: `max(1, cores // workers)`."""
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores // max(1, workers))


@contextlib.contextmanager
def scoped_environment(values: dict[str, str | None]) -> Iterator[None]:
    """`os.environ` with `values` set (None: removed) inside the block, as it was again after it."""
    saved = {name: os.environ.get(name) for name in values}

    def put(name: str, value: str | None) -> None:
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value

    try:
        for name, value in values.items():
            put(name, value)
        yield
    finally:
        for name, value in saved.items():
            put(name, value)


def thread_environment(threads: int) -> dict[str, str]:
    """Environment variables that cap a child's CPU threads (OpenMP, oneDNN, TensorFlow's pools)."""
    value = str(threads)
    return {"OMP_NUM_THREADS": value, "TF_NUM_INTRAOP_THREADS": value, "TF_NUM_INTEROP_THREADS": value}


@dataclass
class ChildProcess:
    """One supervised process: the chief or a worker.

    Attributes:
        role: `chief` or `worker`.
        worker_id: The worker's id (None for the chief); a restarted worker keeps it.
        log: The file its standard output and error go to.
        pids: Every process id it has run under, the current one last.
        exits: How each finished run of it ended, in words (`exit status 1`, `signal SIGKILL`).
        replacements: Runs of it that ended to be replaced (`EXIT_REPLACE`), not by failing.
    """

    role: str
    worker_id: int | None
    log: Path
    pids: list[int] = field(default_factory=list)
    exits: list[str] = field(default_factory=list)
    replacements: int = 0
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return "chief" if self.worker_id is None else f"worker {self.worker_id}"

    @property
    def restarts(self) -> int:
        """Starts after a failure (a signal, a crash); replacements do not count."""
        return max(0, len(self.pids) - 1 - self.replacements)


@dataclass
class SearchProcesses:
    """What a supervised search ran: the chief, the workers, and the trials they finished.

    Attributes:
        oracle: The chief's `HOST:PORT`.
        chief: The chief process.
        workers: The worker processes, by worker id.
        trials: `{trial_id: status}` of every trial in the tuning directory at the end.
        seconds: Wall time of the search.
    """

    oracle: str
    chief: ChildProcess
    workers: list[ChildProcess]
    trials: dict[str, str]
    seconds: float

    @property
    def processes(self) -> list[ChildProcess]:
        return [self.chief, *self.workers]


def describe_exit(returncode: int) -> str:
    """A process' return code in words: `exit status 3` or `signal SIGKILL`."""
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit status {returncode}"


def _last_line(log: Path) -> str:
    """The last non-empty line of a log that says something (for error messages)."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    for line in reversed(lines):
        if line.strip():
            return line.strip()
    return ""


class _ChiefProbe:
    """Asks the chief's oracle for its search space over gRPC, with a timeout.

    A generic unary call with an empty request (GetSpaceRequest has no fields)
    and the reply left unparsed: only the grpc package is needed, not
    KerasTuner's protos, whose import pulls in Keras and TensorFlow.
    """

    def __init__(self, oracle: str, timeout: float) -> None:
        import grpc

        self._grpc = grpc
        # Short reconnect backoff: the chief takes a while to start, and gRPC's
        # default backoff (up to 120 s) would hide it long after it is up.
        self._channel = grpc.insecure_channel(
            oracle,
            options=[("grpc.initial_reconnect_backoff_ms", 200), ("grpc.max_reconnect_backoff_ms", 1000)],
        )
        self._call = self._channel.unary_unary(
            _PROBE_METHOD, request_serializer=lambda _: b"", response_deserializer=lambda data: data
        )
        self._timeout = timeout

    def answers(self) -> bool:
        try:
            self._call(None, timeout=self._timeout)
        except self._grpc.RpcError:
            return False
        return True

    def close(self) -> None:
        self._channel.close()


def _trial_states(tuning_dir: Path) -> dict[str, dict]:
    """`{trial_id: trial.json contents}` for every trial KerasTuner has written under `tuning_dir`.

    A file caught half-written (KerasTuner does not write atomically) is
    skipped until the next poll.
    """
    states: dict[str, dict] = {}
    for path in sorted([*tuning_dir.glob("trial_*/trial.json"), *tuning_dir.glob("*/trial_*/trial.json")]):
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(state, dict) and "trial_id" in state:
            states[str(state["trial_id"])] = state
    return states


def _every_trial_ended(tuning_dir: Path, config) -> bool:
    """Whether a search that stops at `tune.max_trials` (not Hyperband, which runs brackets) has
    already ended that many trials and runs none: resuming it would start processes with nothing to do."""
    if config.tune.algorithm == "hyperband":
        return False
    statuses = list(_trial_statuses(tuning_dir).values())
    ended = sum(status in _FINISHED for status in statuses)
    return ended >= config.tune.max_trials and ended == len(statuses)


def _trial_statuses(tuning_dir: Path) -> dict[str, str]:
    return {trial_id: str(state.get("status")) for trial_id, state in _trial_states(tuning_dir).items()}


def settle_oracle_state(tuning_dir: str | os.PathLike[str]) -> list[str]:
    """Drop finished trials from the saved oracle's `ongoing_trials`, once the chief has exited.

    KerasTuner's chief saves `oracle.json` in `end_trial` *before* it removes the
    ended trial from `ongoing_trials`, and saves again only when that worker asks
    for its next trial; the last trial of each worker stays listed as ongoing.
    A reload puts ongoing trials up for retry, so resuming such a search would run
    completed trials again. Call only when no chief is running.

    Returns:
        The ids of the trials dropped.
    """
    from seqkit.files import atomic_write_text

    folder = Path(tuning_dir)
    statuses = _trial_statuses(folder)
    dropped: list[str] = []
    for path in [*folder.glob("oracle.json"), *folder.glob("*/oracle.json")]:
        try:
            state = json.loads(path.read_text())
            ongoing = state["ongoing_trials"]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not ours to repair: `seqkit tune --resume` reports a damaged state
        finished = {tuner: trial for tuner, trial in ongoing.items() if statuses.get(trial) in _FINISHED}
        if finished:
            state["ongoing_trials"] = {t: trial for t, trial in ongoing.items() if t not in finished}
            atomic_write_text(path, json.dumps(state))
            dropped += sorted(finished.values())
    return dropped


def _trial_message(tuning_dir: Path, trial_id: str) -> str:
    """Why a trial failed: seqkit's record of it, since KerasTuner's gRPC messages drop `Trial.message`."""
    from seqkit.tuning.results import RECORD

    for path in [*tuning_dir.glob(f"trial_{trial_id}/{RECORD}"), *tuning_dir.glob(f"*/trial_{trial_id}/{RECORD}")]:
        try:
            message = json.loads(path.read_text()).get("message")
        except (OSError, ValueError, AttributeError):
            continue
        if message:
            return str(message)
    return str(_trial_states(tuning_dir).get(trial_id, {}).get("message") or "no message")


def _format_value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class _Progress:
    """Prints one line per trial as its trial.json reaches a final status."""

    def __init__(self, tuning_dir: Path, total: int | None, objective: str, direction: str,
                 say: Callable[[str], None]) -> None:
        self.tuning_dir = tuning_dir
        self.total = total
        self.objective = objective
        self.sign = 1 if direction == "min" else -1
        self.say = say
        self.first_seen: dict[str, float] = {}
        self.reported: set[str] = set()
        self.best: float | None = None
        # Trials finished before this search started (a resumed search) are not reported again.
        for trial_id, state in _trial_states(tuning_dir).items():
            if state.get("status") in _FINISHED:
                self.reported.add(trial_id)
                self._note_score(state)

    def _note_score(self, state: dict) -> None:
        score = state.get("score")
        if state.get("status") != "COMPLETED" or not isinstance(score, (int, float)) or not math.isfinite(score):
            return
        if self.best is None or self.sign * score < self.sign * self.best:
            self.best = score

    def poll(self) -> dict[str, str]:
        now = time.monotonic()
        states = _trial_states(self.tuning_dir)
        for trial_id, state in sorted(states.items()):
            self.first_seen.setdefault(trial_id, now)
            if state.get("status") not in _FINISHED or trial_id in self.reported:
                continue
            self.reported.add(trial_id)
            self._note_score(state)
            self.say(self._line(trial_id, state, now - self.first_seen[trial_id]))
        return {trial_id: str(state.get("status")) for trial_id, state in states.items()}

    def _line(self, trial_id: str, state: dict, seconds: float) -> str:
        done = f"{len(self.reported)}/{self.total}" if self.total else str(len(self.reported))
        line = f"trial {trial_id} {state.get('status')} ({done}, {seconds:.1f} s)"
        score = state.get("score")
        if state.get("status") == "COMPLETED" and isinstance(score, (int, float)) and math.isfinite(score):
            line += f": {self.objective} {score:.6g}, best {self.best:.6g}"
        values = state.get("hyperparameters", {}).get("values", {})
        settings = ", ".join(f"{k}={_format_value(v)}" for k, v in values.items())
        return f"{line} [{settings}]" if settings else line


@contextlib.contextmanager
def _terminate_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP of the parent into KeyboardInterrupt, so the children get stopped too."""
    if os.name != "posix" or not _in_main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


class Supervisor:
    """Runs a chief and workers as child processes until the search ends; see the module docstring.

    Args:
        command: `(role, worker_id, oracle) -> argv` of each child.
        tuning_dir: The search's shared directory; logs go to `tuning_dir/logs/`.
        workers: How many workers.
        host: Address the chief binds and the workers connect to.
        port: The chief's port; None picks a free one.
        timeout: Seconds after which everything is stopped (None: no limit).
        max_restarts: Restarts allowed per worker before the search fails.
        env: Extra environment variables for every child.
        total_trials: The search's `max_trials`, for the progress lines (None: unknown).
        objective: The objective's name and direction (`min`/`max`), for the progress lines.
        max_failed_trials: Failed trials allowed before the search stops (None: no limit).
        startup_timeout: Seconds the chief may take to answer for the first time.
        chief_timeout: Seconds the chief may go without answering once it has.
        probe_interval: Seconds between probes of the chief.
        say: Where progress lines go (default: print).
    """

    def __init__(
        self,
        command: Command,
        tuning_dir: str | os.PathLike[str],
        *,
        workers: int,
        host: str = "127.0.0.1",
        port: int | None = None,
        timeout: float | None = None,
        max_restarts: int = 3,
        env: dict[str, str] | None = None,
        total_trials: int | None = None,
        objective: tuple[str, str] = ("val_loss", "min"),
        max_failed_trials: int | None = None,
        startup_timeout: float = 300.0,
        chief_timeout: float = 60.0,
        probe_interval: float = 2.0,
        say: Callable[[str], None] = print,
    ) -> None:
        if workers < 1:
            raise RunError(f"`--workers` must be at least 1; received {workers}")
        if timeout is not None and timeout <= 0:
            raise RunError(f"`--timeout` must be a positive number of seconds; received {timeout}")
        self.command = command
        self.tuning_dir = Path(tuning_dir)
        self.worker_count = workers
        self.host = host
        self.port = port
        self.timeout = timeout
        self.max_restarts = max_restarts
        self.env = dict(env or {})
        self.total_trials = total_trials
        self.objective = objective
        self.max_failed_trials = max_failed_trials
        self.startup_timeout = startup_timeout
        self.chief_timeout = chief_timeout
        self.probe_interval = probe_interval
        self.say = say
        self._stop = threading.Event()
        self.oracle: str | None = None
        self.chief: ChildProcess | None = None
        self.workers: list[ChildProcess] = []

    def stop(self) -> None:
        """Ask a search running in another thread to stop: `run` stops every child and raises RunError."""
        self._stop.set()

    # -- launching ---------------------------------------------------------------

    def _choose_port(self) -> int:
        if self.port is not None:
            if not port_is_free(self.host, self.port):
                raise RunError(
                    f"port {self.port} on {self.host} is already in use (another search's chief?); "
                    "KerasTuner's gRPC server would share it without complaint, so seqkit refuses. "
                    "Give another port in --oracle, or leave --oracle out to pick a free one"
                )
            return self.port
        for _ in range(10):
            port = free_port(self.host)
            if port_is_free(self.host, port):
                return port
        raise RunError(f"found no free port on {self.host} after 10 tries")

    def _start(self, child: ChildProcess, oracle: str) -> None:
        argv = list(self.command(child.role, child.worker_id, oracle))
        environment = {**os.environ, **self.env}
        child.log.parent.mkdir(parents=True, exist_ok=True)
        with open(child.log, "ab") as log:
            if child.pids:
                why = "to shed memory" if child.exits[-1] == describe_exit(EXIT_REPLACE) else f"after {child.exits[-1]}"
                log.write(f"\n--- started again by the supervisor {why} ---\n".encode())
                log.flush()
            child.process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
                start_new_session=True,  # its own process group: Ctrl-C reaches the parent alone
            )
        child.pids.append(child.process.pid)

    # -- stopping ------------------------------------------------------------------

    @staticmethod
    def _signal(child: ChildProcess, sig: int) -> None:
        process = child.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)

    def _stop_all(self, children: Sequence[ChildProcess], grace: float = 5.0) -> None:
        """SIGTERM each running child's process group, SIGKILL what is left after `grace` seconds, reap all."""
        for child in children:
            self._signal(child, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._signal(child, signal.SIGKILL)
                child.process.wait()
            self._record_exit(child)

    @staticmethod
    def _record_exit(child: ChildProcess) -> None:
        process = child.process
        if process is not None and process.returncode is not None and len(child.exits) < len(child.pids):
            child.exits.append(describe_exit(process.returncode))

    # -- the loop ------------------------------------------------------------------

    def run(self) -> SearchProcesses:
        """Launch the chief and the workers and supervise them until the search ends.

        Returns:
            The processes run and the trials' final statuses.

        Raises:
            RunError: The port is taken, a worker kept dying, the chief died or
                stopped answering, a child stopped on an error of its own, or
                `timeout` passed. Every child has exited by then.
            KeyboardInterrupt: The parent was interrupted (Ctrl-C, SIGTERM, SIGHUP); the children were stopped.
        """
        logs = self.tuning_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        port = self._choose_port()
        oracle = self.oracle = f"{self.host}:{port}"
        chief = ChildProcess("chief", None, logs / "chief.log")
        workers = [ChildProcess("worker", i, logs / f"worker-{i}.log") for i in range(self.worker_count)]
        children = [chief, *workers]
        self.chief, self.workers = chief, workers  # for whoever watches the search from another thread
        progress = _Progress(self.tuning_dir, self.total_trials, *self.objective, self.say)
        start = time.monotonic()
        probe: _ChiefProbe | None = None
        try:
            with _terminate_on_sigterm():
                # Checked once more right before the chief binds, to keep the window for a race short.
                if not port_is_free(self.host, port):
                    raise RunError(f"port {port} on {self.host} was taken just before launch; run the search again")
                self._start(chief, oracle)
                for worker in workers:
                    self._start(worker, oracle)
                self.say(
                    f"search on {oracle}: chief pid {chief.pids[-1]}, "
                    + ", ".join(f"worker {w.worker_id} pid {w.pids[-1]}" for w in workers)
                    + f"; logs in {logs}"
                )
                probe = _ChiefProbe(oracle, timeout=max(1.0, min(10.0, self.chief_timeout / 2)))
                self._supervise(oracle, chief, workers, probe, progress, start)
        finally:
            if probe is not None:
                probe.close()
            self._stop_all(children)
            settle_oracle_state(self.tuning_dir)
        trials = progress.poll()
        return SearchProcesses(oracle, chief, workers, trials, time.monotonic() - start)

    def _supervise(
        self,
        oracle: str,
        chief: ChildProcess,
        workers: list[ChildProcess],
        probe: _ChiefProbe,
        progress: _Progress,
        start: float,
    ) -> None:
        chief_answered = False
        last_answer = time.monotonic()
        next_probe = 0.0
        while True:
            if self._stop.wait(0.2):
                raise RunError("the search was stopped by its caller; completed trials are kept")
            now = time.monotonic()
            self._check_failures(progress.poll())

            # Workers first: a worker's rc 0 means the chief told it to stop.
            for worker in workers:
                process = worker.process
                if process is None or process.poll() is None or len(worker.exits) == len(worker.pids):
                    continue
                self._record_exit(worker)
                if process.returncode == 0:
                    continue
                if process.returncode == EXIT_REPLACE:
                    worker.replacements += 1
                    self.say(f"{worker.name} (pid {process.pid}) is replaced by a fresh process: "
                             f"{_last_line(worker.log) or 'its memory grew'}")
                    self._start(worker, oracle)
                    continue
                if process.returncode == 2:
                    # seqkit's own "bad input / search stopped" status: starting it again changes nothing.
                    raise RunError(
                        f"{worker.name} (pid {process.pid}) stopped with exit status 2: "
                        f"{_last_line(worker.log) or 'no message'} (log: {worker.log})"
                    )
                if chief.process is not None and chief.process.poll() is not None:
                    break  # the chief is gone too; it is dealt with below
                if worker.restarts >= self.max_restarts:
                    raise RunError(
                        f"{worker.name} died {worker.restarts + 1} times ({', '.join(worker.exits)}); "
                        f"stopped the search after {self.max_restarts} restarts. Its log: {worker.log}"
                    )
                self.say(
                    f"{worker.name} (pid {process.pid}) died ({worker.exits[-1]}); restarting it under the "
                    f"same id so it re-runs its trial (restart {worker.restarts + 1} of {self.max_restarts})"
                )
                self._start(worker, oracle)

            all_workers_done = all(w.process is not None and w.process.returncode == 0 for w in workers)
            chief_rc = chief.process.poll() if chief.process is not None else None
            if chief_rc is not None:
                self._record_exit(chief)
                if chief_rc == 0:
                    # The chief ends only once no trial is running and every worker was told to stop, so a
                    # worker still alive now (one still starting TensorFlow, say) holds no trial: after a
                    # grace period it is stopped with the rest, and the search has still finished.
                    if not (all_workers_done or self._wait_workers(workers, 30.0)):
                        self.say(
                            f"the chief finished; {self._unfinished(workers)} had not stopped 30 s later and "
                            "held no trial, so it was stopped"
                        )
                    return
                message = _last_line(chief.log)
                raise RunError(
                    f"the chief (pid {chief.process.pid}) exited with {describe_exit(chief_rc)} before the search "
                    f"finished; stopped the workers. {('Its last line: ' + message + '. ') if message else ''}"
                    f"Its log: {chief.log}"
                )
            if all_workers_done:
                # Every worker was told to stop, so the oracle has nothing left to hand out and saved
                # every ended trial. The chief would notice only after one of its 20 s sleeps
                # (oracle_chief.start_server): it is stopped now instead (the caller's _stop_all).
                return

            if self.timeout is not None and now - start > self.timeout:
                done = sum(1 for status in progress.poll().values() if status == "COMPLETED")
                raise SearchTimeout(
                    f"search stopped after --timeout {self.timeout:g} s with {done} trial(s) completed; "
                    f"they are kept in {self.tuning_dir}: continue with "
                    f"`seqkit tune --resume {self.tuning_dir} --workers {self.worker_count}`"
                )

            if now >= next_probe:
                next_probe = now + self.probe_interval
                if probe.answers():
                    if not chief_answered:
                        self.say(f"chief answering on {oracle} after {now - start:.1f} s")
                    chief_answered, last_answer = True, time.monotonic()
                elif not chief_answered and now - start > self.startup_timeout:
                    raise RunError(
                        f"the chief (pid {chief.process.pid}) did not answer on {oracle} within "
                        f"{self.startup_timeout:g} s of starting; stopped the search. Its log: {chief.log}"
                    )
                elif chief_answered and time.monotonic() - last_answer > self.chief_timeout:
                    raise RunError(
                        f"the chief (pid {chief.process.pid}) stopped answering on {oracle} "
                        f"for {self.chief_timeout:g} s; stopped the search. Its log: {chief.log}"
                    )

    def _check_failures(self, trials: dict[str, str]) -> None:
        failed = sorted(trial_id for trial_id, status in trials.items() if status == "FAILED")
        if self.max_failed_trials is None or len(failed) <= self.max_failed_trials:
            return
        last = failed[-1]
        message = _trial_message(self.tuning_dir, last)
        raise FailedTrialLimit(
            f"the search stopped: {len(failed)} trials failed, more than tune.max_failed_trials "
            f"({self.max_failed_trials}). The last, trial {last}, failed with: {message.strip().rstrip('.')}. "
            "Fix the space, or raise tune.max_failed_trials and start again."
        )

    @staticmethod
    def _unfinished(workers: list[ChildProcess]) -> str:
        names = [w.name for w in workers if w.process is None or w.process.returncode != 0]
        return ", ".join(names) or "no worker"

    @staticmethod
    def _wait_workers(workers: list[ChildProcess], seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        for worker in workers:
            if worker.process is None:
                return False
            try:
                worker.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                return False
        return all(w.process is not None and w.process.returncode == 0 for w in workers)


class WorkerReplaced(Exception):
    """A worker ended after reporting its trial, to be replaced by a fresh process (`EXIT_REPLACE`).

    Not an error: the worker's trials are all reported, and the supervisor (or
    whoever runs `--role worker`) starts it again under the same id.
    """


class SearchTimeout(RunError):
    """`--timeout` passed before the search finished; completed trials are kept."""


class FailedTrialLimit(RunError):
    """More trials failed than `tune.max_failed_trials` allows (counted from the trials' files)."""


def seqkit_command(config_file: Path, folder: Path) -> Command:
    """The argv of each child: `python -m seqkit tune CONFIG --tuning-dir DIR --role ... --oracle HOST:PORT`.

    Every child reads the config saved in the tuning directory, the one the
    search records, so the chief and the workers search the same space.
    """

    def command(role: str, worker_id: int | None, oracle: str) -> list[str]:
        argv = [sys.executable, "-m", "seqkit", "tune", str(config_file), "--tuning-dir", str(folder)]
        argv += ["--role", role, "--oracle", oracle]
        return argv + ([] if worker_id is None else ["--worker-id", str(worker_id), "--replaceable"])

    return command


def _child_environment(threads: int) -> dict[str, str]:
    """Thread caps, plus a PYTHONPATH that finds this seqkit when it runs from a checkout."""
    package_root = str(Path(__file__).resolve().parents[2])
    paths = [package_root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**thread_environment(threads), "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}


def supervise(
    config_path: str | os.PathLike[str] | None = None,
    overrides: Sequence[str] = (),
    tuning_dir: str | os.PathLike[str] | None = None,
    *,
    workers: int,
    timeout: float | None = None,
    resume: str | os.PathLike[str] | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    max_restarts: int = 3,
    chief_timeout: float = 60.0,
    train_best: bool = True,
    verbose: int = 1,
):
    """Run a config's search with a KerasTuner chief and `workers` worker processes on this machine.

    Args:
        config_path: The YAML config (not with `resume`).
        overrides: `key=value` overrides of the config.
        tuning_dir: Folder under which the search's own folder is made, as for
            a single-process search (default `tuning/`).
        workers: Worker processes to run trials in (at least 1).
        timeout: Seconds after which every process is stopped; completed
            trials are kept for `resume`.
        resume: A tuning directory to continue (a single-process or a
            multi-process search's).
        host: Address the chief binds and workers connect to. The oracle port
            is unauthenticated: keep it on 127.0.0.1 or a private network.
        port: The chief's port; None picks a free one.
        max_restarts: Restarts allowed per worker before the search fails.
        chief_timeout: Seconds the chief may go without answering before the search fails.
        train_best: After the search, train the best config as an ordinary run.
        verbose: 0 silent, 1 a line per process event and per finished trial.

    Returns:
        The search's `TuneResult`, from `seqkit.tuning.results.write_results`.

    Raises:
        ConfigError: A bad config or space.
        RunError: The port is taken, a worker kept dying, the chief died or
            stopped answering, more trials failed than `tune.max_failed_trials`,
            or `timeout` passed (`SearchTimeout`). No child is left running.

    Example:
        >>> supervise("configs/tune_airline.yaml", workers=2, timeout=3600)  # doctest: +SKIP
    """
    from seqkit.tuning.results import CONFIG, LEADERBOARD, write_results
    from seqkit.tuning.search import _tuning_folder

    folder, config = _tuning_folder(config_path, overrides, tuning_dir, resume, None)
    say = print if verbose else (lambda *_a, **_k: None)
    if resume is not None and _every_trial_ended(folder, config):
        say(f"tuning: every trial of the search in {folder} has ended; no process is started, the results are written")
        return write_results(folder, config, train_best=train_best, verbose=verbose)
    threads = threads_per_process(workers)
    say(
        f"tuning: {folder} ({config.tune.algorithm} search, objective {config.tune.objective.name}, "
        f"{workers} worker(s) with {threads} thread(s) each)"
    )
    supervisor = Supervisor(
        seqkit_command(folder / CONFIG, folder),
        folder,
        workers=workers,
        host=host,
        port=port,
        timeout=timeout,
        max_restarts=max_restarts,
        env=_child_environment(threads),
        total_trials=config.tune.max_trials if config.tune.algorithm != "hyperband" else None,
        objective=(config.tune.objective.name, config.tune.objective.direction),
        max_failed_trials=config.tune.max_failed_trials,
        chief_timeout=chief_timeout,
        say=lambda line: say(line, flush=True),
    )
    try:
        processes = supervisor.run()
    except (SearchTimeout, FailedTrialLimit) as stop:
        if not any(status in _FINISHED for status in _trial_statuses(folder).values()):
            raise
        write_results(folder, config, train_best=False, verbose=verbose)
        raise type(stop)(f"{stop} The leaderboard so far is in {folder / LEADERBOARD}.") from None
    except KeyboardInterrupt:
        print(f"\ninterrupted; every process is stopped. Continue with: seqkit tune --resume {folder} "
              f"--workers {workers}", file=sys.stderr, flush=True)
        raise
    restarts = sum(worker.restarts for worker in processes.workers)
    replaced = sum(worker.replacements for worker in processes.workers)
    say(f"search finished in {processes.seconds:.1f} s with {workers} worker(s)"
        + (f", {restarts} restart(s)" if restarts else "")
        + (f", {replaced} replaced to shed memory" if replaced else ""))
    return write_results(folder, config, train_best=train_best, verbose=verbose)
