"""`seqkit tune`: a real KerasTuner search over tiny models, its results, failures and resume."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import seqkit
from seqkit.cli import main
from seqkit.config import load_config

ROOT = Path(__file__).resolve().parents[1]

TINY_SEARCH = """
data:
  dataset: synthetic
  synthetic: {{length: 160, n_series: 1, seed: 3}}
  lookback: 8
  horizon: 2
  split: {{type: fraction, val: 0.2, test: 0.2}}
model: {{cell: gru, layers: [2]}}
train: {{epochs: 1, batch_size: 32}}
evaluate: {{plots: false}}
tune:
  algorithm: random
  max_trials: {trials}
  seed: {seed}
  max_failed_trials: {failures}
  space:
{space}
"""

SPACE = """\
    model.cell: {choice: [gru, lstm, rnn]}
    model.layers: {choice: [[2], [3], [2, 2]]}
    data.lookback: {choice: [6, 8, 10]}
    train.optimizer.learning_rate: {float: [1.0e-3, 1.0e-2], sampling: log}"""


def _write(folder: Path, name: str = "tiny_search", *, trials=2, seed=1, failures=3, space=SPACE) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(TINY_SEARCH.format(trials=trials, seed=seed, failures=failures, space=space), encoding="utf-8")
    return path


def _only(folder: Path) -> Path:
    found = sorted(p for p in folder.glob("*/*") if p.is_dir())
    assert len(found) == 1, found
    return found[0]


def _trial_states(tuning: Path) -> dict[str, dict]:
    states = {}
    for path in sorted((tuning / "search").glob("trial_*/trial.json")):
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue  # being written this instant
        states[state["trial_id"]] = state
    return states


@pytest.fixture(scope="module")
def finished_search(tmp_path_factory):
    """A 2-trial random search run through the CLI, with its output; copy it before damaging it."""
    folder = tmp_path_factory.mktemp("search")
    config = _write(folder)
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["tune", str(config), "--tuning-dir", str(folder / "tuning")])
    assert status == 0
    return _only(folder / "tuning"), out.getvalue(), config


def test_a_random_search_writes_a_leaderboard_and_a_best_config_that_trains(finished_search):
    tuning, output, config = finished_search
    assert tuning.parent.name == "tiny_search"  # tuning/<name>/<timestamp>/, as runs are named
    with (tuning / "leaderboard.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["rank", "trial", "model.cell", "model.layers", "data.lookback",
                       "train.optimizer.learning_rate", "val_loss", "status", "epochs", "seconds", "message"]
    assert [r[0] for r in rows[1:]] == ["1", "2"] and {r[1] for r in rows[1:]} == {"0", "1"}
    assert [r[7] for r in rows[1:]] == ["COMPLETED", "COMPLETED"] and [r[8] for r in rows[1:]] == ["1", "1"]
    assert float(rows[1][6]) <= float(rows[2][6])
    for trial in ("0", "1"):  # one progress line per trial: its settings, objective, best so far, seconds
        line = next(ln for ln in output.splitlines() if ln.startswith(f"trial {trial}  "))
        assert "model.cell=" in line and "val_loss " in line and " best " in line and line.endswith(" s")
    best_row = rows[1]
    best = load_config(tuning / "best.yaml")
    assert best.model.cell == best_row[2] and best.data.lookback == int(best_row[4])
    assert best.train.optimizer.learning_rate == pytest.approx(float(best_row[5]), rel=1e-5)
    assert best.tune.space == {} and best.train.epochs == 1
    assert (tuning / "objective.png").stat().st_size > 0
    # best.yaml was trained as an ordinary run; its validation loss is the trial's objective.
    run = _only(tuning / "runs")
    assert (run / "manifest.json").exists()
    history = list(csv.DictReader((run / "history.csv").open(encoding="utf-8")))
    assert float(history[-1]["val_loss"]) == pytest.approx(float(best_row[6]), rel=0.05)
    assert "Test metrics, original units" in output and "naive" in output
    assert f"saved: {run}" in output


def test_the_same_seed_tries_the_same_trials_in_the_same_order(tmp_path):
    def sequence(seed: int) -> list[dict]:
        config = _write(tmp_path, f"seed{seed}", trials=2, seed=seed)
        result = seqkit.tune(config, tuning_dir=tmp_path / "tuning", train_best=False, verbose=0)
        assert [t.status for t in result.trials] == ["COMPLETED"] * 2
        return [t.values for t in result.trials]

    first = sequence(7)
    assert sequence(7) == first
    assert sequence(8) != first


def test_failing_trials_are_recorded_and_stop_the_search(tmp_path, capsys):
    # Windows of 150 steps do not fit the 160-row series' splits: every trial fails in prepare.
    space = "    data.lookback: {choice: [150, 155]}\n    model.cell: {choice: [gru, lstm]}"
    config = _write(tmp_path, "failing", trials=4, failures=1, space=space)
    status = main(["tune", str(config), "--tuning-dir", str(tmp_path / "tuning")])
    err = capsys.readouterr().err
    tuning = _only(tmp_path / "tuning")
    states = _trial_states(tuning)
    assert status == 2
    assert sorted(states) == ["0", "1"] and {s["status"] for s in states.values()} == {"FAILED"}
    message = states["1"]["message"]
    assert message.startswith("DataError: ") and "Traceback" not in message
    assert err == (
        "error: the search stopped: 2 trials failed, more than tune.max_failed_trials (1). The last, trial 1, "
        f"failed with: {message.rstrip('.')}. Fix the space, or raise tune.max_failed_trials and start again. "
        f"The leaderboard so far is in {tuning / 'leaderboard.csv'}.\n"
    )
    rows = list(csv.DictReader((tuning / "leaderboard.csv").open(encoding="utf-8")))
    assert [r["status"] for r in rows] == ["FAILED", "FAILED"] and rows[1]["message"] == message
    assert [r["rank"] for r in rows] == ["", ""] and [r["val_loss"] for r in rows] == ["", ""]


def test_an_objective_the_model_does_not_report_ends_the_search(tmp_path, capsys):
    config = _write(tmp_path, "objective", trials=1, space="    model.cell: {choice: [gru]}")
    status = main(["tune", str(config), "--tuning-dir", str(tmp_path / "t"), "--set", "tune.objective=val_accuracy"])
    assert status == 2
    assert capsys.readouterr().err == (
        "error: tune.objective 'val_accuracy' is not a metric this model reports while training; it reports "
        "val_loss, val_mae. Set tune.objective to one of them\n"
    )


def test_resume_after_sigkill_repeats_no_completed_trial(tmp_path):
    config = _write(tmp_path, "killed", trials=4)
    # Trials of 20 epochs, so the kill lands inside a trial's fit, not in KerasTuner's (non-atomic) state writes.
    config.write_text(config.read_text().replace("epochs: 1,", "epochs: 20,"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "seqkit", "tune", str(config), "--tuning-dir", str(tmp_path / "tuning")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )

    def states() -> dict:
        folders = list((tmp_path / "tuning").glob("*/*/search"))
        try:
            return _trial_states(folders[0].parent) if folders else {}
        except ValueError:  # a trial.json being written as we read it
            return {}

    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            now = states()
            done = [int(k) for k, s in now.items() if s["status"] == "COMPLETED"]
            if done and any(s["status"] == "RUNNING" and int(k) > max(done) for k, s in now.items()):
                time.sleep(1.5)  # the next trial is building or fitting its model
                break
            assert process.poll() is None, "the search ended before it could be killed"
            time.sleep(0.2)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    tuning = _only(tmp_path / "tuning")
    before = {k: s for k, s in _trial_states(tuning).items() if s["status"] == "COMPLETED"}
    records = {k: (tuning / "search" / f"trial_{k}" / "seqkit.json").read_text() for k in before}
    assert before and len(before) < 4

    result = seqkit.tune(resume=tuning, train_best=False, verbose=0)
    after = _trial_states(tuning)
    assert sorted(after) == ["0", "1", "2", "3"]
    assert {s["status"] for s in after.values()} == {"COMPLETED"}
    for key, state in before.items():  # not run again: same values, score and record
        assert after[key]["hyperparameters"]["values"] == state["hyperparameters"]["values"]
        assert after[key]["score"] == state["score"]
        assert (tuning / "search" / f"trial_{key}" / "seqkit.json").read_text() == records[key]
    assert len(result.trials) == 4


@pytest.mark.parametrize("broken", ["search/oracle.json", "search/trial_0/trial.json"])
def test_a_corrupt_state_file_is_a_clear_error(finished_search, tmp_path, capsys, broken):
    import shutil

    tuning = tmp_path / "copy"
    shutil.copytree(finished_search[0], tuning)
    path = tuning / broken
    path.write_text(path.read_text(encoding="utf-8")[:40], encoding="utf-8")  # truncated mid-write
    assert main(["tune", "--resume", str(tuning)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path} is not valid JSON (")
    assert err.endswith(
        f"); the search in '{tuning}' cannot be continued. Start over with `seqkit tune {tuning / 'config.yaml'}` "
        f"(a new tuning directory), or delete the broken trial's folder under {tuning / 'search'} and resume "
        "again\n"
    )


def test_resume_needs_a_tuning_directory(tmp_path, capsys):
    assert main(["tune", "--resume", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"error: '{tmp_path}' is not a seqkit tuning directory (it has no config.yaml)\n"


def test_an_empty_space_has_nothing_to_search(tmp_path, capsys):
    config = tmp_path / "empty.yaml"
    config.write_text("data: {dataset: airline, lookback: 12}\n", encoding="utf-8")
    assert main(["tune", str(config)]) == 2
    assert capsys.readouterr().err == (
        "error: tune.space is empty, so there is nothing to search; add dimensions, e.g.\n"
        "tune:\n  space:\n    model.cell: {choice: [lstm, gru]}\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "chief"], "--role chief needs --oracle HOST:PORT, the chief's address"),
        (["--oracle", "127.0.0.1:8000"], "--oracle and --worker-id belong to --role chief|worker"),
        (["--role", "worker", "--oracle", "localhost", "--tuning-dir", "x"],
         "--oracle must be HOST:PORT, e.g. 127.0.0.1:8000 (got 'localhost')"),
        (["--role", "worker", "--oracle", "127.0.0.1:8000", "--tuning-dir", "x"],
         "--role worker needs --worker-id, so a restarted worker takes over its own trial"),
        (["--role", "chief", "--oracle", "127.0.0.1:8000"],
         "--role chief needs --tuning-dir: the folder every process of the search shares"),
        (["--role", "chief", "--oracle", "127.0.0.1:8000", "--replaceable"], "--replaceable belongs to --role worker"),
    ],
)
def test_role_options_are_checked(tmp_path, capsys, args, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = _write(tmp_path, "roles", trials=1, space="    model.cell: {choice: [gru]}")
    assert main(["tune", str(config), *args]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"


def test_distributed_role_sets_keras_tuner_variables_and_restores_them(monkeypatch):
    from seqkit.tuning.search import distributed_role

    monkeypatch.setenv("KERASTUNER_TUNER_ID", "stray")
    with distributed_role("worker", "10.0.0.5:8123", 3):
        assert (os.environ["KERASTUNER_TUNER_ID"], os.environ["KERASTUNER_ORACLE_IP"],
                os.environ["KERASTUNER_ORACLE_PORT"]) == ("tuner3", "10.0.0.5", "8123")
    assert os.environ["KERASTUNER_TUNER_ID"] == "stray" and "KERASTUNER_ORACLE_IP" not in os.environ
    with distributed_role(None, None, None):
        assert "KERASTUNER_TUNER_ID" not in os.environ  # one process: never a client by accident


def test_the_classifier_search_is_the_same_machinery_with_its_own_objective(tmp_path, capsys):
    result = seqkit.tune(
        ROOT / "configs" / "tune_weather_type.yaml",
        overrides=["tune.max_trials=2", "train.epochs=1", "tune.space.model.layers={choice: [[4], [4, 4]]}"],
        tuning_dir=tmp_path,
        train_best=False,
    )
    out = capsys.readouterr().out
    assert (result.objective, result.direction) == ("val_accuracy", "max")
    assert [t.status for t in result.trials] == ["COMPLETED", "COMPLETED"]
    assert result.best.objective == max(t.objective for t in result.trials)
    assert result.best_config.model.head.type == "classify"
    lookbacks = {t.values["data.lookback"] for t in result.trials}
    assert f"data prepared {len(lookbacks)} time(s) for the trials of this process" in out


def test_a_trial_trains_train_epochs_capped_by_max_epochs(tmp_path):
    config = _write(tmp_path, "budget", trials=1, space="    model.cell: {choice: [gru]}")
    result = seqkit.tune(config, overrides=["train.epochs=5", "tune.max_epochs=2", "train.early_stopping=null"],
                         tuning_dir=tmp_path / "t", train_best=False, verbose=0)
    assert (result.trials[0].epochs, result.trials[0].budget) == (2, 2)
    assert result.best_config.train.epochs == 2
    result = seqkit.tune(config, overrides=["train.epochs=2", "tune.max_epochs=5", "train.early_stopping=null"],
                         tuning_dir=tmp_path / "t", train_best=False, verbose=0)
    assert (result.trials[0].epochs, result.trials[0].budget) == (2, 2)
