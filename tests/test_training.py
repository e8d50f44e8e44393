"""Training runs: the run directory, reproducibility, reload, resume after SIGKILL, evaluation, prediction."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

import seqkit
from seqkit.cli import main
from seqkit.errors import DataError, RunError
from seqkit.training import load_run, resume, train

TINY = """
data:
  dataset: synthetic
  synthetic: {{length: 240, n_series: 2, seed: 3}}
  lookback: 12
  horizon: 3
  period: 50
  split: {{type: fraction, val: 0.15, test: 0.15}}
model:
  cell: gru
  layers: [8]
train:
  epochs: {epochs}
  batch_size: 16
  early_stopping: {early_stopping}
"""


def tiny(write_yaml, epochs=2, early_stopping="{patience: 5}", name="tiny.yaml"):
    return write_yaml(TINY.format(epochs=epochs, early_stopping=early_stopping), name)


def test_train_writes_a_complete_run_directory(write_yaml, tmp_path, capsys):
    run = train(tiny(write_yaml), runs_dir=tmp_path / "runs", verbose=2)
    out = capsys.readouterr().out
    assert "seasonal period 50" in out, "the run's log names the period the baselines and MASE use"
    assert run.path.parent == tmp_path / "runs" / "tiny"
    for name in ("config.yaml", "model.keras", "preprocessing.json", "history.csv", "metrics.json",
                 "manifest.json", "plots/loss.png", "plots/forecast.png"):
        assert (run.path / name).is_file(), name
    assert any((run.path / "tensorboard").rglob("*")), "no TensorBoard logs"
    assert not (run.path / "checkpoints").exists(), "resume state is removed once a run completes"
    assert not list(run.path.rglob(".partial-*"))
    manifest = json.loads((run.path / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["seed"] == 42
    assert len(manifest["data_sha256"]) == 64
    for key in ("seqkit", "keras", "tensorflow", "python"):
        assert key in json.dumps(manifest), key
    history = pd.read_csv(run.path / "history.csv")
    assert list(history["epoch"]) == [0, 1]
    assert {"loss", "val_loss"} <= set(history.columns)
    metrics = json.loads((run.path / "metrics.json").read_text())
    assert metrics["split"] == "test"
    assert set(metrics["results"]) == {"model", "naive", "seasonal_naive"}
    assert "device: cpu" in out and "naive" in out and "seasonal_naive" in out


def test_the_resolved_config_reruns_as_is(write_yaml, tmp_path):
    run = train(tiny(write_yaml), runs_dir=tmp_path / "runs", verbose=0)
    again = seqkit.load_config(run.path / "config.yaml")
    assert again.model_dump() == {**run.config.model_dump(), "name": "tiny"}


def test_same_config_and_seed_give_the_same_weights_on_cpu(write_yaml, tmp_path):
    path = tiny(write_yaml)
    first = train(path, runs_dir=tmp_path / "a", verbose=0)
    second = train(path, runs_dir=tmp_path / "b", verbose=0)
    for a, b in zip(first.model.get_weights(), second.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_reloaded_run_predicts_what_the_trained_one_did(write_yaml, tmp_path):
    run = train(tiny(write_yaml), runs_dir=tmp_path / "runs", verbose=0)
    loaded = load_run(run.path)
    frame = seqkit.data.load_dataset("synthetic", run.config.data.synthetic).iloc[:150]
    expected = run.predict(frame)
    got = loaded.predict(frame)
    assert list(got.columns) == list(expected.columns)
    assert len(got) == 3
    np.testing.assert_allclose(got.iloc[:, 1:].to_numpy(), expected.iloc[:, 1:].to_numpy(), rtol=1e-6)
    assert loaded.metrics["results"]["model"]["overall"] == pytest.approx(run.metrics["results"]["model"]["overall"])


def test_predict_explains_wrong_columns_and_short_input(write_yaml, tmp_path):
    run = train(tiny(write_yaml), runs_dir=tmp_path / "runs", verbose=0)
    frame = seqkit.data.load_dataset("synthetic", run.config.data.synthetic)
    with pytest.raises(DataError, match=r"names column\(s\) \[.series_\d+.\] that the DataFrame given as data does not have"):
        run.predict(frame.drop(columns=[frame.columns[-1]]))
    with pytest.raises(DataError, match=r"needs at least 12"):
        run.predict(frame.iloc[:5])


def test_an_unfinished_run_is_not_loaded(tmp_path):
    (tmp_path / "config.yaml").write_text("data: {dataset: synthetic, lookback: 4}\n")
    with pytest.raises(RunError, match="did not finish"):
        load_run(tmp_path)
    with pytest.raises(RunError, match="not a seqkit run directory"):
        load_run(tmp_path / "elsewhere")


RESUMABLE = """
data:
  dataset: synthetic
  synthetic: {length: 4000, seed: 1}
  lookback: 32
  horizon: 4
model:
  cell: lstm
  layers: [32]
train:
  epochs: 12
  batch_size: 16
  early_stopping: null
evaluate: {plots: false}
"""


@pytest.mark.slow
def test_a_killed_run_resumes_from_its_last_epoch(write_yaml, tmp_path):
    config = write_yaml(RESUMABLE, "resumable.yaml")
    runs = tmp_path / "runs"
    script = textwrap.dedent(
        f"""
        import seqkit
        seqkit.train({str(config)!r}, runs_dir={str(runs)!r}, verbose=2)
        """
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 240
        state_file = None
        while time.time() < deadline:
            states = list(runs.glob("resumable/*/checkpoints/state.json"))
            if states and json.loads(states[0].read_text())["epochs_done"] >= 3:
                state_file = states[0]
                break
            assert process.poll() is None, process.stderr.read().decode()
            time.sleep(0.05)
        assert state_file is not None, "training never reached epoch 3"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    run_dir = state_file.parent.parent
    done = json.loads(state_file.read_text())["epochs_done"]
    assert 3 <= done < 12, "the process must die mid-run"
    assert not (run_dir / "manifest.json").exists()
    with pytest.raises(RunError, match="did not finish"):
        load_run(run_dir)

    before = pd.read_csv(run_dir / "history.csv")
    run = resume(run_dir, verbose=0)
    after = pd.read_csv(run.path / "history.csv")
    assert list(after["epoch"]) == list(range(12)), "every epoch once, none repeated"
    pd.testing.assert_frame_equal(after.iloc[: len(before)], before)
    # The first resumed epoch continues training: its loss is nowhere near the
    # loss of a fresh model's first epoch.
    assert after["loss"].iloc[done] < after["loss"].iloc[0] * 0.8
    assert (run.path / "manifest.json").exists()
    with pytest.raises(RunError, match="already finished"):
        resume(run_dir)


def test_cli_train_evaluate_predict(write_yaml, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = tiny(write_yaml)
    assert main(["train", str(config), "--quiet", "--set", "train.epochs=1"]) == 0
    (run_dir,) = list((tmp_path / "runs" / "tiny").iterdir())
    capsys.readouterr()
    assert main(["evaluate", str(run_dir)]) == 0
    assert "seasonal_naive" in capsys.readouterr().out
    frame = seqkit.data.load_dataset("synthetic", load_run(run_dir).config.data.synthetic)
    frame.to_csv(tmp_path / "history.csv", index=False)
    assert main(["predict", str(run_dir), "--input", "history.csv", "--output", "preds.csv"]) == 0
    preds = pd.read_csv(tmp_path / "preds.csv")
    assert len(preds) == 3 and preds.columns[0] == "step"
    frame.iloc[:4].to_csv(tmp_path / "short.csv", index=False)
    assert main(["predict", str(run_dir), "--input", "short.csv"]) == 2
    assert "needs at least 12" in capsys.readouterr().err
    assert main(["train", "--resume", str(run_dir)]) == 2
    assert "already finished" in capsys.readouterr().err


def test_cli_lists_datasets(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    for name in ("airline", "sunspots", "seattle_weather", "synthetic"):
        assert name in out


def test_model_is_saved_for_safe_mode(write_yaml, tmp_path):
    run = train(tiny(write_yaml), runs_dir=tmp_path / "runs", verbose=0)
    model = keras.saving.load_model(Path(run.path) / "model.keras", safe_mode=True)
    assert model.count_params() == run.model.count_params()


def test_a_csv_run_copies_its_data_and_its_config_reruns_as_is(tmp_path):
    import hashlib

    n = 160
    frame = pd.DataFrame({
        "date": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "load": np.sin(np.arange(n) / 5) * 10 + 50,
        "temp": np.cos(np.arange(n) / 7),
    })
    (tmp_path / "project").mkdir()
    frame.to_csv(tmp_path / "project" / "series.csv", index=False)
    config = tmp_path / "project" / "load.yaml"
    config.write_text(
        "data: {path: series.csv, time_column: date, targets: [load], lookback: 14, horizon: 7}\n"
        "model: {layers: [4]}\ntrain: {epochs: 1}\nevaluate: {plots: false}\n"
    )
    run = train(config, runs_dir=tmp_path / "runs", verbose=0)
    assert (run.path / "data" / "series.csv").read_bytes() == (tmp_path / "project" / "series.csv").read_bytes()
    resolved = seqkit.load_config(run.path / "config.yaml")
    assert resolved.data.path == "data/series.csv"
    manifest = json.loads((run.path / "manifest.json").read_text())
    assert manifest["data_sha256"] == hashlib.sha256((tmp_path / "project" / "series.csv").read_bytes()).hexdigest()
    forecast = run.predict(frame)
    assert list(forecast.columns) == ["date", "load"]
    assert str(forecast["date"].iloc[0].date()) == "2020-06-09"  # the day after the last row
    again = train(run.path / "config.yaml", runs_dir=tmp_path / "runs2", verbose=0)
    assert again.metrics["results"]["model"]["overall"]["rmse"] == pytest.approx(
        run.metrics["results"]["model"]["overall"]["rmse"], rel=1e-5
    )


def test_an_inferred_period_longer_than_the_training_rows_leaves_the_seasonal_baseline_out(tmp_path):
    # 30-minute steps: a day is 48 steps, more than the 40 training rows.
    n = 60
    frame = pd.DataFrame(
        {"load": np.sin(np.arange(n) / 3) + 5},
        index=pd.date_range("2024-01-01", periods=n, freq="30min"),
    )
    config = seqkit.ExperimentConfig(
        data={"lookback": 6, "horizon": 2, "split": {"type": "steps", "val": 10, "test": 10}},
        model={"layers": [4]},
        train={"epochs": 1},
        evaluate={"plots": False},
    )
    run = train(config, frame=frame, runs_dir=tmp_path / "runs", verbose=0)
    assert run.metrics["seasonal_period"] is None
    assert set(run.metrics["results"]) == {"model", "naive"}


def test_seasonal_naive_window_norm_trains_and_a_zero_head_is_the_baseline(write_yaml, tmp_path):
    path = write_yaml(
        "data:\n  dataset: airline\n  lookback: 12\n  horizon: 6\n  period: 12\n"
        "  split: {type: steps, val: 12, test: 12}\n  transform: {steps: [log], scaler: none}\n"
        "  window_norm: {type: seasonal_naive}\n"
        "model: {cell: gru, layers: [4]}\ntrain: {epochs: 2, batch_size: 16}\nevaluate: {plots: false}\n"
    )
    run = train(path, runs_dir=tmp_path / "runs", verbose=0)
    frame = seqkit.data.load_dataset("airline")
    forecast = run.predict(frame)["Passengers"].to_numpy()
    assert forecast.shape == (6,) and np.all(np.isfinite(forecast))
    last_season = frame["Passengers"].to_numpy()[-12:-6]
    assert np.all(np.abs(np.log(forecast / last_season)) < 0.5), "a model trained 2 epochs stays near the baseline"
    assert all(np.isfinite(value) for value in run.metrics["results"]["model"]["overall"].values())
    np.testing.assert_allclose(load_run(run.path).predict(frame)["Passengers"], forecast, rtol=1e-6)
    # With a head that outputs zero the model *is* the seasonal-naive forecast, in predict and evaluate.
    head = run.model.get_layer("forecast_flat")
    head.set_weights([np.zeros_like(weight) for weight in head.get_weights()])
    np.testing.assert_allclose(run.predict(frame)["Passengers"], last_season, rtol=1e-5)
    results = run.evaluate()["results"]
    for name, value in results["seasonal_naive"]["overall"].items():
        assert results["model"]["overall"][name] == pytest.approx(value, rel=1e-5), name


def test_in_memory_validation_logs_what_keras_validation_does(write_yaml, tmp_path, monkeypatch):
    """A small validation set is scored in one batch per epoch; the values match Keras' `validation_data`."""
    from seqkit.training import trainer

    path = tiny(write_yaml, epochs=3)
    held = train(path, runs_dir=tmp_path / "held", verbose=0)
    monkeypatch.setattr(trainer, "VALIDATION_IN_MEMORY_BYTES", -1)  # every set streams through Keras
    streamed = train(path, runs_dir=tmp_path / "streamed", verbose=0)
    assert len(held.task.prepare(preprocessing=held.preprocessing).val) > 16  # two batches on Keras' path
    a, b = (pd.read_csv(run.path / "history.csv") for run in (held, streamed))
    assert {"val_loss", "val_mae"} <= set(a.columns) and list(a.columns) == list(b.columns)
    np.testing.assert_allclose(a[["val_loss", "val_mae"]], b[["val_loss", "val_mae"]], rtol=1e-5)
    np.testing.assert_allclose(a["loss"], b["loss"], rtol=1e-6)  # validation does not touch training
    for x, y in zip(held.model.get_weights(), streamed.model.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)


def test_overrides_apply_to_a_config_given_as_an_object(tmp_path):
    import seqkit
    from seqkit.config.loading import config_from_dict

    config = config_from_dict({"data": {"dataset": "synthetic", "synthetic": {"length": 120}, "lookback": 8},
                               "model": {"layers": [4]}, "train": {"epochs": 3}}, source="t")
    run = seqkit.train(config, overrides=["train.epochs=1", "model.layers=[3]"], runs_dir=tmp_path, verbose=0)
    assert run.config.train.epochs == 1 and run.config.model.layers == [3]
    assert config.train.epochs == 3  # the caller's config is left as it was


def test_mixed_precision_is_left_off_on_a_cpu_and_says_so():
    from seqkit.config.train import TrainConfig
    from seqkit.training.runtime import configure_runtime

    with pytest.warns(UserWarning, match=r"train.mixed_precision is ignored on CPU, where float16 is slower"):
        runtime = configure_runtime(TrainConfig(mixed_precision=True, device="cpu"))
    assert not runtime.mixed_precision
    assert keras.mixed_precision.dtype_policy().name == "float32"


def test_the_plateau_schedule_takes_its_min_delta_from_the_config():
    from seqkit.training.trainer import schedule_callbacks

    config = seqkit.ExperimentConfig.model_validate({
        "data": {"dataset": "airline", "lookback": 12},
        "train": {"reduce_lr_on_plateau": {"factor": 0.5, "patience": 1, "min_delta": 0.005}},
    })
    _, plateau, _ = schedule_callbacks(config, "val_loss")
    assert (plateau.min_delta, plateau.factor, plateau.patience) == (0.005, 0.5, 1)
    default = seqkit.ExperimentConfig.model_validate({**config.model_dump(), "train": {"reduce_lr_on_plateau": {}}})
    assert schedule_callbacks(default, "val_loss")[1].min_delta == 1e-4  # Keras' default
