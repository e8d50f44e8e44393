"""Resume: exactly where a run stopped, on the data and preprocessing it started with."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pandas as pd
import pytest

import seqkit
from seqkit.errors import RunError
from seqkit.training import folders as folders_module
from seqkit.training import resume, train

# No dropout, a shuffled order and both counters that a resume must carry on.
EXACT = """
data:
  dataset: synthetic
  synthetic: {length: 300, n_series: 1, seed: 5}
  lookback: 10
  horizon: 2
  period: 50
  split: {type: fraction, val: 0.15, test: 0.15}
model:
  cell: lstm
  layers: [6]
train:
  epochs: 6
  batch_size: 16
  early_stopping: {patience: 4}
  reduce_lr_on_plateau: {factor: 0.5, patience: 1, min_lr: 1.0e-5}
  optimizer: {type: adam, learning_rate: 0.03}
evaluate: {plots: false}
"""


class _StopAfter(keras.callbacks.Callback):
    """Interrupts training once `epochs` epochs are saved, as Ctrl-C would."""

    def __init__(self, epochs: int):
        super().__init__()
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.epochs:
            raise KeyboardInterrupt


def _interrupted(config, runs, epochs=2):
    with pytest.raises(KeyboardInterrupt):
        train(config, runs_dir=runs, verbose=0, callbacks=[_StopAfter(epochs)])
    (run_dir,) = (runs / config.stem).iterdir()
    return run_dir


def _csv_project(tmp_path, n=200):
    frame = pd.DataFrame({
        "date": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "load": np.sin(np.arange(n) / 5) * 10 + 50,
    })
    project = tmp_path / "project"
    project.mkdir()
    frame.to_csv(project / "series.csv", index=False)
    config = project / "load.yaml"
    config.write_text(
        "data: {path: series.csv, time_column: date, lookback: 14, horizon: 7}\n"
        "model: {layers: [4]}\ntrain: {epochs: 4, early_stopping: null}\nevaluate: {plots: false}\n"
    )
    return config


@pytest.mark.slow
def test_a_run_killed_after_epoch_3_of_6_resumes_to_the_uninterrupted_weights_and_history(write_yaml, tmp_path):
    config = write_yaml(EXACT, "exact.yaml")
    whole = train(config, runs_dir=tmp_path / "whole", verbose=0)

    runs = tmp_path / "killed"
    script = textwrap.dedent(
        f"""
        import os, signal, keras, seqkit

        class Kill(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if epoch == 2:  # after the third epoch's checkpoint (seqkit's callbacks run first)
                    os.kill(os.getpid(), signal.SIGKILL)

        seqkit.train({str(config)!r}, runs_dir={str(runs)!r}, verbose=0, callbacks=[Kill()])
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=300)
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    (run_dir,) = (runs / "exact").iterdir()
    assert json.loads((run_dir / "checkpoints" / "state.json").read_text())["epochs_done"] == 3

    resumed = resume(run_dir, verbose=0)
    pd.testing.assert_frame_equal(
        pd.read_csv(resumed.path / "history.csv"), pd.read_csv(whole.path / "history.csv"), rtol=1e-6, atol=1e-7
    )
    for mine, theirs in zip(resumed.model.get_weights(), whole.model.get_weights(), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-6)
    # The learning-rate plateau fired in the whole run, so the counters mattered.
    history = pd.read_csv(whole.path / "history.csv")
    assert history["learning_rate"].nunique() > 1


def test_resume_reads_the_saved_preprocessing_instead_of_refitting_it(tmp_path):
    config = _csv_project(tmp_path)
    run_dir = _interrupted(config, tmp_path / "runs")
    saved = json.loads((run_dir / "preprocessing.json").read_text())
    saved["state"]["states"][0]["loc"] += 1.0  # the saved state is what the model was trained with
    (run_dir / "preprocessing.json").write_text(json.dumps(saved))
    run = resume(run_dir, verbose=0)
    assert run.preprocessing.to_json() == saved["state"]
    assert json.loads((run_dir / "preprocessing.json").read_text()) == saved


def test_resume_refuses_data_that_changed_and_names_both_hashes(tmp_path):
    config = _csv_project(tmp_path)
    run_dir = _interrupted(config, tmp_path / "runs")
    data = run_dir / "data" / "series.csv"
    data.write_text(data.read_text().replace("50.0", "51.0", 1))
    with pytest.raises(RunError, match=r"started on data with SHA-256 [0-9a-f]{64}, but its data now has SHA-256 "
                                       r"[0-9a-f]{64}"):
        resume(run_dir, verbose=0)


def test_resume_after_epochs_without_a_finite_loss(tmp_path):
    config = _csv_project(tmp_path)
    run_dir = _interrupted(config, tmp_path / "runs")
    state_file = run_dir / "checkpoints" / "state.json"
    state = json.loads(state_file.read_text())
    # What the checkpoint writes when no epoch had a finite loss: strict JSON has no inf or NaN.
    state["best"] = {"epoch": None, "value": None}
    state["history"]["loss"] = [None for _ in state["history"]["loss"]]
    state_file.write_text(json.dumps(state))
    run = resume(run_dir, verbose=0)
    assert (run.path / "manifest.json").exists()
    assert pd.read_csv(run.path / "history.csv")["loss"].isna().sum() == 2


def test_a_run_stopped_before_its_first_epoch_is_not_resumed_and_not_deleted(tmp_path):
    config = _csv_project(tmp_path)
    run_dir = _interrupted(config, tmp_path / "runs", epochs=1)
    (run_dir / "checkpoints" / "state.json").unlink()
    with pytest.raises(RunError, match="before its first epoch finished"):
        resume(run_dir, verbose=0)
    assert (run_dir / "config.yaml").exists()


def test_a_data_file_over_the_copy_limit_is_linked_so_the_saved_config_reruns(tmp_path, monkeypatch):
    config = _csv_project(tmp_path)
    monkeypatch.setattr(folders_module, "COPY_DATA_LIMIT", 100)  # the file is a few KiB
    run = train(config, runs_dir=tmp_path / "runs", verbose=0)
    linked = run.path / "data" / "series.csv"
    assert os.path.samefile(linked, config.parent / "series.csv"), "linked, not copied"
    assert seqkit.load_config(run.path / "config.yaml").data.path == "data/series.csv"
    again = train(run.path / "config.yaml", runs_dir=tmp_path / "again", verbose=0)
    assert again.metrics["results"]["model"]["overall"]["rmse"] == pytest.approx(
        run.metrics["results"]["model"]["overall"]["rmse"], rel=1e-5
    )
