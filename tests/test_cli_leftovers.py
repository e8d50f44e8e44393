"""Every bad input gets a clear answer and nothing is lost or left behind.

Each case runs the real command line (in this process through `main`, or in a
child process where the case needs real signals or a fresh TensorFlow) on
real files, and checks the exit status, the message and what is left on disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from test_resume import EXACT  # no dropout: a resumed run ends as an uninterrupted one

from seqkit.cli import main
from seqkit.errors import DataError
from seqkit.training import train

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}

# The config names a file that is not there: only --data makes it trainable.
LOAD = "data: {path: not-here.csv, time_column: date, lookback: 14, horizon: 7}\n" \
       "model: {layers: [4]}\ntrain: {epochs: 1, early_stopping: null}\nevaluate: {plots: false}\n"


def _series(path: Path, n: int = 120) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({
        "date": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "load": np.sin(np.arange(n) / 5) * 10 + 50,
    }).to_csv(path, index=False)
    return path


def _project(tmp_path: Path) -> tuple[Path, Path]:
    """A config in one folder, its data in another, and a third folder to work in."""
    config = tmp_path / "configs" / "load.yaml"
    config.parent.mkdir()
    config.write_text(LOAD)
    work = tmp_path / "work"
    _series(work / "input" / "series.csv")
    return config, work


def _files(folder: Path) -> set[str]:
    """Every file under `folder`, relative; TensorBoard event files by folder (their names hold time and pid)."""
    names = set()
    for path in folder.rglob("*"):
        if path.is_file():
            name = path.relative_to(folder).as_posix()
            names.add(str(Path(name).parent / "<events>") if "/events.out.tfevents." in name else name)
    return names


def _seqkit(*args: str, cwd: Path, env=ENV) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "seqkit", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


# ------------------------------------------------------------------ --data and --quiet


def test_train_data_is_a_path_from_the_current_folder_and_quiet_prints_only_the_run(tmp_path, monkeypatch, capsys):
    config, work = _project(tmp_path)
    monkeypatch.chdir(work)
    assert main(["train", str(config), "--data", "input/series.csv", "--quiet", "--runs-dir", "runs"]) == 0
    (run_dir,) = (work / "runs" / "load").iterdir()
    assert capsys.readouterr() == (f"saved: runs/load/{run_dir.name}\n", "")
    # The run keeps a copy of the file and names it, so resume and evaluate read the data it trained on.
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["data"]["path"] == "data/series.csv" and saved["data"]["dataset"] is None
    original = (work / "input" / "series.csv").read_bytes()
    assert (run_dir / "data" / "series.csv").read_bytes() == original
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["data_sha256"] == hashlib.sha256(original).hexdigest()


def test_train_data_from_python_is_what_resume_continues_on(tmp_path, monkeypatch):
    from test_resume import _StopAfter

    from seqkit.training import resume

    config, work = _project(tmp_path)
    monkeypatch.chdir(work)
    with pytest.raises(KeyboardInterrupt, match=r"^interrupted after epoch 1 of 2, which the run keeps; "
                                                r"continue with: seqkit train --resume runs/load/"):
        train(config, data="input/series.csv", overrides=["train.epochs=2"], runs_dir="runs", verbose=0,
              callbacks=[_StopAfter(1)])
    (run_dir,) = (work / "runs" / "load").iterdir()
    (work / "input" / "series.csv").unlink()  # the run reads its own copy from here on
    run = resume(run_dir, verbose=0)
    assert (run.path / "manifest.json").exists()
    assert len(pd.read_csv(run.path / "history.csv")) == 2
    assert main(["evaluate", str(run_dir)]) == 0


def test_a_data_file_that_does_not_exist_is_bad_input_and_makes_no_runs_folder(tmp_path, monkeypatch, capsys):
    config, work = _project(tmp_path)
    monkeypatch.chdir(work)
    assert main(["train", str(config), "--data", "input/missing.csv", "--runs-dir", "runs"]) == 2
    assert capsys.readouterr().err == (
        "error: data file 'input/missing.csv' given with --data (data= in Python) does not exist "
        f"(looked for {work / 'input' / 'missing.csv'}). Check the name and the current folder.\n"
    )
    assert not (work / "runs").exists()
    with pytest.raises(DataError, match=r"data file 'input' given with --data \(data= in Python\) is a folder"):
        train(config, data="input", runs_dir="runs", verbose=0)


def test_evaluate_data_and_predict_input_are_paths_from_the_current_folder(run_copy, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # run_copy put series.csv here
    assert main(["evaluate", "run", "--data", "series.csv"]) == 0
    assert main(["predict", "run", "--input", "series.csv"]) == 0
    capsys.readouterr()
    assert main(["predict", "run", "--input", "run/series.csv"]) == 2
    assert capsys.readouterr().err == "error: input file 'run/series.csv' does not exist. Check the name and folder.\n"


# ------------------------------------------------------------------ refused runs leave nothing


REFUSED = {
    "the config's data file is missing": (
        LOAD, "`data.path` 'not-here.csv' does not exist (looked for {folder}/not-here.csv). Check the name and "
        "folder."),
    "lookback longer than the data": (
        LOAD.replace("not-here.csv", "series.csv").replace("lookback: 14", "lookback: 500"),
        "The train split has 96 target row(s) but one window needs 507 (`lookback` 500 + `gap` 0 + `horizon` 7). "
        "File 'series.csv' has 120 rows; with this split it needs at least 633. Give more data, shorten "
        "`lookback`/`horizon`, or change `split`."),
    "a bad cell": (
        LOAD.replace("not-here.csv", "Bad.csv"),
        "File 'Bad.csv': column 'load' must hold numbers, but row 3 (line 4 of the file, counting the header) "
        "holds 'oops' (1 non-numeric cell(s) in the column). Fix or remove the cell, or leave it empty and set "
        "`data.missing`."),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_run_refused_for_its_config_or_data_leaves_no_directory(tmp_path, capsys, case):
    text, message = REFUSED[case]
    config = tmp_path / "load.yaml"
    config.write_text(text)
    _series(tmp_path / "series.csv")
    bad = pd.read_csv(tmp_path / "series.csv").astype({"load": object})
    bad.loc[2, "load"] = "oops"
    bad.to_csv(tmp_path / "Bad.csv", index=False)
    runs = tmp_path / "runs"
    runs.mkdir()  # a runs folder that was there before stays, empty
    assert main(["train", str(config), "--runs-dir", str(runs)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {message.format(folder=tmp_path)}\n"
    assert list(runs.iterdir()) == []


def test_a_gpu_run_on_a_machine_without_one_is_bad_input_and_leaves_no_directory(tmp_path):
    config, work = _project(tmp_path)
    no_gpu = {**ENV, "CUDA_VISIBLE_DEVICES": ""}  # the backend sees no GPU on any machine
    done = _seqkit("train", str(config), "--data", "input/series.csv", "--set", "train.device=gpu",
                   "--runs-dir", "runs", cwd=work, env=no_gpu)
    assert done.returncode == 2, done.stderr
    assert done.stderr.endswith(
        "error: train.device is 'gpu' but the backend sees no GPU; use 'auto' (GPU when present) or 'cpu'\n"
    ), done.stderr
    assert not (work / "runs").exists()


@pytest.mark.parametrize("where", ["under a file", "a file"])
def test_a_runs_folder_that_cannot_be_made_is_bad_input_naming_it(tmp_path, monkeypatch, capsys, where):
    config, work = _project(tmp_path)
    monkeypatch.chdir(work)
    (work / "notes.txt").write_text("not a folder")
    runs = "notes.txt/runs" if where == "under a file" else "notes.txt"
    assert main(["train", str(config), "--data", "input/series.csv", "--runs-dir", runs]) == 2
    assert capsys.readouterr().err == (
        f"error: cannot create a run directory in the runs folder '{runs}' ('notes.txt' is a file). "
        "Give a folder you can write with --runs-dir (runs_dir= in Python).\n"
    )
    assert sorted(p.name for p in work.iterdir()) == ["input", "notes.txt"]


# ------------------------------------------------------------------ Ctrl-C


def _poll(pattern: str, folder: Path, process: subprocess.Popen, timeout: float = 240) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = list(folder.glob(pattern))
        if found:
            return found[0]
        assert process.poll() is None, process.communicate()[1]
        time.sleep(0.01)
    raise AssertionError(f"no {pattern} after {timeout} s")


def _resume_files(state: dict, *, tensorboard: bool = True) -> set[str]:
    """What an interrupted run holds: config, preprocessing, history and the state's own checkpoint."""
    files = {"config.yaml", "preprocessing.json", "history.csv", "checkpoints/state.json",
             f"checkpoints/{state['weights']}", f"checkpoints/best-epoch-{state['best']['epoch']:04d}.weights.h5"}
    return files | ({"tensorboard/train/<events>", "tensorboard/validation/<events>"} if tensorboard else set())


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The EXACT run trained without a stop, once for this module's comparisons."""
    folder = tmp_path_factory.mktemp("whole")
    config = folder / "exact.yaml"
    config.write_text(EXACT)
    return train(config, runs_dir=folder / "runs", verbose=0).path


def _check_resumes_to(whole: Path, run_dir: Path, capsys) -> None:
    assert main(["train", "--resume", str(run_dir), "--quiet"]) == 0
    assert capsys.readouterr().out == f"saved: {run_dir}\n"
    assert _files(run_dir) == _files(whole)
    pd.testing.assert_frame_equal(pd.read_csv(run_dir / "history.csv"), pd.read_csv(whole / "history.csv"),
                                  rtol=1e-6, atol=1e-7)


def test_ctrl_c_keeps_exactly_the_last_epoch_and_resume_ends_as_an_uninterrupted_run(
    write_yaml, tmp_path, capsys, uninterrupted
):
    config = write_yaml(EXACT, "exact.yaml")
    process = subprocess.Popen(
        [sys.executable, "-m", "seqkit", "train", str(config), "--runs-dir", "runs", "--quiet"],
        cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        state_file = _poll("runs/exact/*/checkpoints/state.json", tmp_path, process)
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends, some time after the first epoch was saved
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    run_dir = state_file.parent.parent
    state = json.loads(state_file.read_text())
    assert process.returncode == 130, err
    assert out == ""
    assert err == (
        f"interrupted after epoch {state['epochs_done']} of 6, which the run keeps; "
        f"continue with: seqkit train --resume runs/exact/{run_dir.name}\n"
    )
    assert _files(run_dir) == _resume_files(state)
    assert len(pd.read_csv(run_dir / "history.csv")) == state["epochs_done"]
    _check_resumes_to(uninterrupted, run_dir, capsys)


def test_ctrl_c_while_an_epoch_is_saved_leaves_none_of_its_files(
    write_yaml, tmp_path, monkeypatch, capsys, uninterrupted
):
    import seqkit.training.callbacks as callbacks

    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # SIGINT raises KeyboardInterrupt here
    write = callbacks.atomic_write_json

    def ctrl_c_before_the_second_state(path, state):
        if state["epochs_done"] == 2:  # epoch 2's snapshot and best weights are on disk already
            os.kill(os.getpid(), signal.SIGINT)
        write(path, state)

    monkeypatch.setattr(callbacks, "atomic_write_json", ctrl_c_before_the_second_state)
    monkeypatch.chdir(tmp_path)
    config = write_yaml(EXACT, "exact.yaml")
    assert main(["train", str(config), "--runs-dir", "runs", "--quiet"]) == 130
    (run_dir,) = (tmp_path / "runs" / "exact").iterdir()
    assert capsys.readouterr() == ("", (
        f"interrupted after epoch 1 of 6, which the run keeps; continue with: seqkit train --resume "
        f"runs/exact/{run_dir.name}\n"
    ))
    state = json.loads((run_dir / "checkpoints" / "state.json").read_text())
    assert state["epochs_done"] == 1 and state["best"]["epoch"] == 1
    assert _files(run_dir) == _resume_files(state)  # not epoch 2's snapshot, best weights or history row
    assert len(pd.read_csv(run_dir / "history.csv")) == 1
    monkeypatch.undo()
    _check_resumes_to(uninterrupted, run_dir, capsys)


def test_ctrl_c_before_the_first_epoch_finished_leaves_no_run(write_yaml, tmp_path):
    import keras

    class CtrlC(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            os.kill(os.getpid(), signal.SIGINT)

    config = write_yaml(EXACT, "exact.yaml")
    with pytest.raises(KeyboardInterrupt, match=r"^interrupted before the first epoch finished; no run was saved$"):
        train(config, runs_dir=tmp_path / "runs", verbose=0, callbacks=[CtrlC()])
    assert not (tmp_path / "runs").exists()


# ------------------------------------------------------------------ messages in the user's words


def test_evaluate_data_with_a_bad_cell_names_the_file_as_typed_not_a_dataframe(run_copy, tmp_path, capsys):
    frame = pd.read_csv(tmp_path / "series.csv").astype({"series_1": object})
    frame.loc[4, "series_1"] = "n/a?"
    frame.to_csv(tmp_path / "New_Series.csv", index=False)
    assert main(["evaluate", str(run_copy), "--data", str(tmp_path / "New_Series.csv")]) == 2
    assert capsys.readouterr().err == (
        "error: File 'New_Series.csv': column 'series_1' must hold numbers, but row 5 (line 6 of the file, "
        "counting the header) holds 'n/a?' (1 non-numeric cell(s) in the column). Fix or remove the cell, or "
        "leave it empty and set `data.missing`.\n"
    )


def test_data_given_in_python_is_named_as_given(tmp_path):
    import seqkit

    config = seqkit.ExperimentConfig(data=seqkit.DataConfig(lookback=4), train=seqkit.TrainConfig(epochs=1))
    with pytest.raises(DataError, match=r"^The array given as data must hold numbers; received dtype <U1\."):
        train(config, frame=np.array(list("abcdefghijkl")), runs_dir=tmp_path, verbose=0)
    with pytest.raises(DataError, match=r"^The DataFrame given as data has no numeric column to use as a feature"):
        train(config, frame=pd.DataFrame({"name": list("abcdefghijkl")}), runs_dir=tmp_path, verbose=0)
    assert list(tmp_path.iterdir()) == []


TINY_SEASON = """
data:
  dataset: synthetic
  synthetic: {length: 240, n_series: 1, seed: 3}
  lookback: 12
  horizon: 3
  period: 235
model: {layers: [4]}
train: {epochs: 1}
evaluate: {plots: false}
"""


def test_a_seasonal_period_longer_than_the_training_split_is_said_in_config_terms(tmp_path, capsys):
    config = tmp_path / "season.yaml"
    config.write_text(TINY_SEASON)
    assert main(["train", str(config), "--runs-dir", str(tmp_path / "runs"), "--quiet"]) == 2
    # Refused before training, so no run directory is left; `validate` says the same.
    assert not (tmp_path / "runs").exists()
    message = (
        "error: The seasonal period is 235 (`data.period`, or the dataset's), but the training split has 192 "
        "rows; MASE compares each training value with the one a period earlier, so it needs at least 236. Set a "
        "shorter `data.period`, or give more data.\n"
    )
    assert capsys.readouterr().err == message
    assert main(["validate", str(config)]) == 2
    assert capsys.readouterr().err == message

