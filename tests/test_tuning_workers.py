"""A supervised KerasTuner chief and workers on 127.0.0.1: completion, dead workers, a dead or hung chief,
taken ports, --timeout, and that no process outlives the search.

The supervisor runs real KerasTuner processes: tests/tuning_child.py (a tiny
Dense search in a role) for the process handling, and `seqkit tune --workers`
end to end.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import signal
import socket
import sys
import threading
import time
from concurrent import futures
from pathlib import Path

import pytest

from seqkit.errors import RunError
from seqkit.tuning.supervise import (
    SearchTimeout,
    Supervisor,
    describe_exit,
    free_port,
    port_is_free,
    thread_environment,
    threads_per_process,
)

CHILD = str(Path(__file__).with_name("tuning_child.py"))

pytestmark = pytest.mark.slow


def child_command(folder: Path, trials: int, epochs: int):
    def command(role, worker_id, oracle):
        return [sys.executable, CHILD, role, str(worker_id), oracle, str(folder), str(trials), str(epochs)]

    return command


def supervisor(folder: Path, *, trials: int = 4, epochs: int = 3, workers: int = 2, **options) -> Supervisor:
    options.setdefault("say", lambda line: None)
    return Supervisor(
        child_command(folder, trials, epochs),
        folder,
        workers=workers,
        env=thread_environment(1),
        total_trials=trials,
        **options,
    )


def alive(pid: int) -> bool:
    """Whether a process exists (a reaped child does not; a zombie would still show)."""
    return Path(f"/proc/{pid}").exists()


def trial_statuses(folder: Path) -> dict[str, str]:
    statuses = {}
    for path in (folder / "search").glob("trial_*/trial.json"):
        with open(path) as file:
            state = json.load(file)
        statuses[state["trial_id"]] = state["status"]
    return statuses


@contextlib.contextmanager
def in_background(sup: Supervisor):
    """Run a supervisor in a thread; yields (thread, outcome) where outcome gets 'result' or 'error'.

    On the way out the search is stopped, whatever the test did, so no child outlives it.
    """
    outcome: dict = {}

    def target():
        try:
            outcome["result"] = sup.run()
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            outcome["error"] = error
        outcome["ended"] = time.monotonic()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    try:
        yield thread, outcome
    finally:
        sup.stop()
        thread.join(60)


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def running_trial(folder: Path) -> tuple[str, str] | None:
    """(tuner id, trial id) of a trial that is RUNNING, from the oracle's own state file."""
    try:
        ongoing = json.loads((folder / "search" / "oracle.json").read_text())["ongoing_trials"]
    except (OSError, ValueError, KeyError):
        return None
    statuses = trial_statuses_safe(folder)
    for tuner_id, trial_id in ongoing.items():
        if statuses.get(trial_id) == "RUNNING":
            return tuner_id, trial_id
    return None


def trial_statuses_safe(folder: Path) -> dict[str, str]:
    try:
        return trial_statuses(folder)
    except ValueError:  # a trial.json caught mid-write
        return {}


def test_threads_per_process_divides_the_cores():
    assert threads_per_process(2, cores=2) == 1
    assert threads_per_process(2, cores=8) == 4
    assert threads_per_process(3, cores=2) == 1
    assert thread_environment(1) == {"OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
    assert describe_exit(-signal.SIGKILL) == "signal SIGKILL"
    assert describe_exit(3) == "exit status 3"


def test_two_workers_complete_every_trial_and_every_process_exits(tmp_path):
    lines: list[str] = []
    sup = supervisor(tmp_path, trials=4, say=lines.append)
    result = sup.run()
    assert result.trials == {"0": "COMPLETED", "1": "COMPLETED", "2": "COMPLETED", "3": "COMPLETED"}
    assert trial_statuses(tmp_path) == result.trials
    # KerasTuner's chief leaves each worker's last trial listed as ongoing; a resume would run it again.
    assert json.loads((tmp_path / "search" / "oracle.json").read_text())["ongoing_trials"] == {}
    assert [w.exits for w in result.workers] == [["exit status 0"]] * 2
    # Once every worker is told to stop, the chief is stopped rather than waited for (it sleeps 20 s at a time).
    assert result.chief.exits in (["exit status 0"], ["signal SIGTERM"])
    pids = [pid for c in result.processes for pid in c.pids]
    assert len(pids) == 3 and not any(alive(pid) for pid in pids)
    # One log per process, and a progress line per finished trial.
    assert sorted(p.name for p in (tmp_path / "logs").iterdir()) == ["chief.log", "worker-0.log", "worker-1.log"]
    assert "worker finished" in (tmp_path / "logs" / "worker-0.log").read_text()
    trial_lines = [line for line in lines if line.startswith("trial ")]
    assert sorted(line.split()[1] for line in trial_lines) == ["0", "1", "2", "3"]
    assert all(" COMPLETED (" in line and "val_loss" in line for line in trial_lines)
    assert trial_lines[-1].startswith(f"trial {trial_lines[-1].split()[1]} COMPLETED (4/4, ")


def test_a_worker_killed_mid_trial_is_restarted_and_reruns_its_trial(tmp_path):
    lines: list[str] = []
    sup = supervisor(tmp_path, trials=3, epochs=40, say=lines.append)
    with in_background(sup) as (thread, outcome):
        tuner_id, trial_id = wait_for(lambda: running_trial(tmp_path), 120, "a RUNNING trial")
        worker = sup.workers[int(tuner_id.removeprefix("tuner"))]
        # Killed once it is inside the trial (its first line printed), not while it is being handed it.
        wait_for(lambda: f"{tuner_id} runs trial {trial_id}" in worker.log.read_text(), 30, "the trial to start")
        killed = worker.pids[-1]
        os.kill(killed, signal.SIGKILL)
        thread.join(180)
        assert "error" not in outcome, outcome.get("error")
        result = outcome["result"]
        assert result.trials == {"0": "COMPLETED", "1": "COMPLETED", "2": "COMPLETED"}
        assert worker.pids[0] == killed and len(worker.pids) == 2
        assert worker.exits == ["signal SIGKILL", "exit status 0"]
        assert any(f"worker {worker.worker_id} (pid {killed}) died (signal SIGKILL); restarting it" in ln for ln in lines)
        # The restarted worker, same tuner id, was handed the same trial again by the oracle.
        log = worker.log.read_text()
        assert log.count(f"{tuner_id} runs trial {trial_id}") == 2
        assert not any(alive(pid) for c in result.processes for pid in c.pids)


def test_a_worker_that_keeps_dying_fails_the_search_after_its_restarts(tmp_path):
    def command(role, worker_id, oracle):
        if role == "worker" and worker_id == 1:
            return [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"]
        return child_command(tmp_path, 2, 3)(role, worker_id, oracle)

    sup = Supervisor(command, tmp_path, workers=2, max_restarts=2, say=lambda line: None)
    with pytest.raises(RunError, match=r"^worker 1 died 3 times \(signal SIGKILL, signal SIGKILL, signal SIGKILL\); "
                       r"stopped the search after 2 restarts\. Its log: .*worker-1\.log$"):
        sup.run()
    assert len(sup.workers[1].pids) == 3
    assert not any(alive(pid) for c in [sup.chief, *sup.workers] for pid in c.pids)


def test_a_worker_stopping_on_seqkits_error_status_is_not_restarted(tmp_path):
    def command(role, worker_id, oracle):
        if role == "worker":
            return [sys.executable, "-c", "import sys; print('error: tune.space is empty'); sys.exit(2)"]
        return child_command(tmp_path, 2, 3)(role, worker_id, oracle)

    sup = Supervisor(command, tmp_path, workers=1, say=lambda line: None)
    with pytest.raises(RunError, match=r"^worker 0 \(pid \d+\) stopped with exit status 2: error: tune.space is empty "):
        sup.run()
    assert len(sup.workers[0].pids) == 1
    assert not alive(sup.chief.pids[0])


def test_a_taken_port_is_refused_before_anything_starts(tmp_path):
    import grpc

    # A gRPC server, as a second KerasTuner chief would hold it: gRPC itself would share the port.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        assert not port_is_free("127.0.0.1", port)
        assert grpc.server(futures.ThreadPoolExecutor(max_workers=1)).add_insecure_port(f"127.0.0.1:{port}") == port
        with pytest.raises(RunError, match=rf"^port {port} on 127\.0\.0\.1 is already in use \(another search's chief\?\); "
                           "KerasTuner's gRPC server would share it without complaint, so seqkit refuses"):
            supervisor(tmp_path, port=port).run()
        assert not (tmp_path / "logs" / "chief.log").exists()
        # Left to choose, the supervisor takes a port nothing holds.
        picked = free_port()
        assert picked != port and port_is_free("127.0.0.1", picked)
    finally:
        server.stop(None)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert not port_is_free("127.0.0.1", listener.getsockname()[1])


def test_a_killed_chief_ends_the_search_promptly_and_stops_the_workers(tmp_path):
    sup = supervisor(tmp_path, trials=6, epochs=150)
    with in_background(sup) as (thread, outcome):
        wait_for(lambda: running_trial(tmp_path), 120, "a RUNNING trial")
        chief_pid = sup.chief.pids[0]
        os.kill(chief_pid, signal.SIGKILL)
        killed_at = time.monotonic()
        thread.join(60)
        error = outcome["error"]
        assert isinstance(error, RunError)
        assert str(error).startswith(
            f"the chief (pid {chief_pid}) exited with signal SIGKILL before the search finished; stopped the workers."
        )
        assert outcome["ended"] - killed_at < 10
        assert not any(alive(pid) for c in [sup.chief, *sup.workers] for pid in c.pids)


def test_a_chief_that_stops_answering_ends_the_search(tmp_path):
    lines: list[str] = []
    sup = supervisor(tmp_path, trials=6, epochs=150, chief_timeout=3, probe_interval=0.5, say=lines.append)
    with in_background(sup) as (thread, outcome):
        wait_for(lambda: running_trial(tmp_path), 120, "a RUNNING trial")
        wait_for(lambda: any(line.startswith("chief answering on ") for line in lines), 30, "the chief's first answer")
        chief_pid = sup.chief.pids[0]
        os.kill(chief_pid, signal.SIGSTOP)  # alive, port open, but answers nothing
        thread.join(60)
        error = outcome["error"]
        assert isinstance(error, RunError)
        assert str(error).startswith(
            f"the chief (pid {chief_pid}) stopped answering on {sup.oracle} for 3 s; stopped the search."
        )
        assert not any(alive(pid) for c in [sup.chief, *sup.workers] for pid in c.pids)


def test_timeout_stops_every_process_and_keeps_completed_trials(tmp_path):
    sup = supervisor(tmp_path, trials=50, epochs=100, timeout=8)
    started = time.monotonic()
    with pytest.raises(SearchTimeout) as raised:
        sup.run()
    assert 8 <= time.monotonic() - started < 20
    completed = sum(1 for status in trial_statuses_safe(tmp_path).values() if status == "COMPLETED")
    assert str(raised.value) == (
        f"search stopped after --timeout 8 s with {completed} trial(s) completed; "
        f"they are kept in {tmp_path}: continue with `seqkit tune --resume {tmp_path} --workers 2`"
    )
    assert not any(alive(pid) for c in [sup.chief, *sup.workers] for pid in c.pids)


TINY_SEARCH = """
data:
  dataset: synthetic
  synthetic: {length: 160, n_series: 1, seed: 3}
  lookback: 8
  horizon: 2
  split: {type: fraction, val: 0.2, test: 0.2}
model: {cell: gru, layers: [2]}
train: {epochs: 1, batch_size: 32}
evaluate: {plots: false}
tune:
  algorithm: random
  max_trials: 3
  seed: 1
  space:
    model.cell: {choice: [gru, lstm, rnn]}
    data.lookback: {choice: [6, 8, 10]}
"""


def test_seqkit_tune_with_two_workers_completes_and_leaves_no_process(tmp_path):
    import subprocess

    config = tmp_path / "tiny.yaml"
    # worker_memory_growth 0: every worker is replaced by a fresh process after each trial it reports.
    config.write_text(TINY_SEARCH.replace("  seed: 1\n", "  seed: 1\n  worker_memory_growth: 0\n"), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run(
        [sys.executable, "-m", "seqkit", "tune", str(config), "--workers", "2", "--tuning-dir", str(tmp_path / "t")],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    launch = next(line for line in done.stdout.splitlines() if line.startswith("search on 127.0.0.1:"))
    pids = [int(pid) for pid in re.findall(r"pid (\d+)", launch)]
    replaced = re.findall(r"^worker \d \(pid (\d+)\) is replaced by a fresh process: worker ends after 1 trial\(s\) "
                          r"to be replaced by a fresh process: resident memory \d+ MiB, ", done.stdout, re.MULTILINE)
    assert len(pids) == 3 and len(replaced) == 3, done.stdout
    assert not any(alive(pid) for pid in [*pids, *map(int, replaced)])
    folder = next((tmp_path / "t" / "tiny").iterdir())
    assert trial_statuses(folder) == {"0": "COMPLETED", "1": "COMPLETED", "2": "COMPLETED"}
    # Each trial ran once: a replaced worker's id was handed a new trial, not its reported one again.
    assert sum(line.startswith("trial ") and " COMPLETED (" in line for line in done.stdout.splitlines()) == 3
    assert "search finished in " in done.stdout and ", 3 replaced to shed memory" in done.stdout
    assert "restart(s)" not in done.stdout and (folder / "best.yaml").exists()
    assert sorted(p.name for p in (folder / "logs").iterdir()) == ["chief.log", "worker-0.log", "worker-1.log"]
    logs = "".join((folder / "logs" / f"worker-{i}.log").read_text() for i in (0, 1))
    assert logs.count("--- started again by the supervisor to shed memory ---") == 3
    assert sorted(line.split()[1] for line in logs.splitlines() if line.startswith("trial ")) == ["0", "1", "2"]
    records = [json.loads(p.read_text()) for p in (folder / "search").glob("trial_*/seqkit.json")]
    assert len(records) == 3 and all(record["resident_mib"] > 100 for record in records)

    # Resuming the finished search runs no trial again (KerasTuner's chief left the last ones listed as ongoing).
    before = {p: p.read_bytes() for p in (folder / "search").glob("trial_*/*.json")}
    again = subprocess.run(
        [sys.executable, "-m", "seqkit", "tune", "--resume", str(folder), "--workers", "2"],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert not [line for line in again.stdout.splitlines() if line.startswith("trial ")]
    assert "has ended; no process is started" in again.stdout
    assert {p: p.read_bytes() for p in (folder / "search").glob("trial_*/*.json")} == before


def test_ctrl_c_of_seqkit_tune_workers_stops_every_process(tmp_path):
    import subprocess

    config = tmp_path / "tiny.yaml"
    config.write_text(TINY_SEARCH, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    parent = subprocess.Popen(
        [sys.executable, "-m", "seqkit", "tune", str(config), "--workers", "2", "--tuning-dir", str(tmp_path / "t")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    launch = ""
    while not launch.startswith("search on "):
        launch = parent.stdout.readline()
        assert launch or parent.poll() is None, parent.stderr.read()
    pids = [int(pid) for pid in re.findall(r"pid (\d+)", launch)]
    assert len(pids) == 3 and all(alive(pid) for pid in pids)
    parent.send_signal(signal.SIGINT)
    _, err = parent.communicate(timeout=60)
    assert parent.returncode == 130
    assert "interrupted; every process is stopped. Continue with: seqkit tune --resume " in err
    assert not any(alive(pid) for pid in pids)


def test_seqkit_tune_timeout_exits_2_with_how_to_continue(tmp_path, capsys):
    from seqkit.cli import main

    config = tmp_path / "tiny.yaml"
    config.write_text(TINY_SEARCH, encoding="utf-8")
    started = time.monotonic()
    rc = main(["tune", str(config), "--workers", "2", "--timeout", "3", "--tuning-dir", str(tmp_path / "t")])
    assert rc == 2 and time.monotonic() - started < 30
    folder = next((tmp_path / "t" / "tiny").iterdir())
    err = capsys.readouterr().err
    assert err.startswith("error: search stopped after --timeout 3 s with 0 trial(s) completed; ")
    assert f"continue with `seqkit tune --resume {folder} --workers 2`" in err


def test_seqkit_tune_workers_on_a_taken_port_is_refused(tmp_path, capsys):
    from seqkit.cli import main

    config = tmp_path / "tiny.yaml"
    config.write_text(TINY_SEARCH, encoding="utf-8")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        rc = main(["tune", str(config), "--workers", "2", "--oracle", f"127.0.0.1:{port}",
                   "--tuning-dir", str(tmp_path / "t")])
    assert rc == 2
    assert capsys.readouterr().err.startswith(f"error: port {port} on 127.0.0.1 is already in use")
    assert main(["tune", str(config), "--workers", "2", "--oracle", "localhost"]) == 2
    assert "--oracle must be HOST:PORT, e.g. 127.0.0.1:8000 (got 'localhost')" in capsys.readouterr().err


def test_failed_trials_beyond_the_limit_stop_a_search_with_workers(tmp_path, capsys):
    from seqkit.cli import main

    # Windows of 150 steps do not fit the 160-row series' splits: every trial fails in prepare.
    text = TINY_SEARCH.replace("data.lookback: {choice: [6, 8, 10]}", "data.lookback: {choice: [150, 155]}")
    config = tmp_path / "failing.yaml"
    config.write_text(text.replace("  seed: 1\n", "  seed: 1\n  max_failed_trials: 1\n").replace("max_trials: 3", "max_trials: 6"))
    rc = main(["tune", str(config), "--workers", "2", "--tuning-dir", str(tmp_path / "t")])
    folder = next((tmp_path / "t" / "failing").iterdir())
    err = capsys.readouterr().err
    assert rc == 2
    statuses = trial_statuses(folder)
    failed = sorted(t for t, status in statuses.items() if status == "FAILED")
    assert len(failed) >= 2
    assert re.fullmatch(
        rf"error: the search stopped: \d trials failed, more than tune\.max_failed_trials \(1\)\. The last, "
        rf"trial \d, failed with: DataError: .+\. Fix the space, or raise tune\.max_failed_trials and start again\. "
        rf"The leaderboard so far is in {re.escape(str(folder / 'leaderboard.csv'))}\.\n",
        err,
    ), err
    rows = list(csv.DictReader((folder / "leaderboard.csv").open(encoding="utf-8")))
    # The chief's trial.json has no message (KerasTuner's gRPC drops it); the leaderboard still gives it.
    assert [r["status"] for r in rows if r["status"] == "FAILED"] and all(
        r["message"].startswith("DataError: ") for r in rows if r["status"] == "FAILED"), rows
