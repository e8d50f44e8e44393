"""`train.distribution`: one epoch over two CPU devices learns what one device does; bad settings are refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import seqkit
from seqkit.config.loading import config_from_dict
from seqkit.errors import ConfigError

CHILD = Path(__file__).with_name("distribution_child.py")
BACKEND = keras.backend.backend()


def _train_in_fresh_process(backend: str, runs_dir: Path) -> dict:
    """Run tests/distribution_child.py: its devices exist only if made before the backend starts."""
    environment = {k: v for k, v in os.environ.items() if k not in ("KERAS_BACKEND", "XLA_FLAGS")}
    done = subprocess.run(
        [sys.executable, str(CHILD), backend, str(runs_dir)], capture_output=True, text=True, env=environment,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _check_two_devices(record: dict, description: str) -> None:
    single, distributed = record["single"], record["distributed"]
    assert (single["replicas"], single["parts"], single["weight_devices"]) == (1, [[8, 8, 1]], 1)
    # Each device takes half of every batch of 8 and holds all the weights.
    assert (distributed["replicas"], distributed["parts"], distributed["weight_devices"]) == (2, [[4, 8, 1]] * 2, 2)
    assert distributed["device"] == f"{single['device']}; {description} over 2 devices (cpu:0, cpu:1)"
    # Same data, seed and initial weights, and the two halves' gradients sum to the whole batch's:
    # only float rounding differs (measured: 2e-7 relative on both backends).
    assert distributed["loss"] == pytest.approx(single["loss"], rel=1e-5)
    assert distributed["val_loss"] == pytest.approx(single["val_loss"], rel=1e-5)
    np.testing.assert_allclose(distributed["prediction"], single["prediction"], rtol=1e-4, atol=1e-5)
    # Saved from two devices, read back in this plain one-device process: the same predictions.
    reloaded = seqkit.load_run(distributed["path"]).model
    x = np.random.default_rng(0).normal(size=(5, 8, 1)).astype("float32")
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), distributed["prediction"], rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(BACKEND != "tensorflow", reason="MirroredStrategy is TensorFlow's; the TensorFlow pass runs it")
def test_mirrored_over_two_cpu_devices_splits_each_batch_and_learns_what_one_device_does(tmp_path):
    _check_two_devices(_train_in_fresh_process("tensorflow", tmp_path), "mirrored")


@pytest.mark.skipif(BACKEND != "jax", reason="DataParallel runs on JAX; the JAX pass (KERAS_BACKEND=jax) runs it")
def test_data_parallel_over_two_cpu_devices_splits_each_batch_and_learns_what_one_device_does(tmp_path):
    _check_two_devices(_train_in_fresh_process("jax", tmp_path), "data parallel")


TINY = {
    "data": {"dataset": "synthetic", "synthetic": {"length": 60, "n_series": 1, "seed": 3}, "lookback": 6,
             "horizon": 2, "split": {"type": "fraction", "val": 0.2, "test": 0.2}},
    "model": {"cell": "gru", "layers": [4]},
    "train": {"epochs": 1, "batch_size": 8},
    "evaluate": {"plots": False},
}


def _tiny(distribution: dict, **train) -> dict:
    return {**TINY, "train": {**TINY["train"], **train, "distribution": distribution}}


@pytest.mark.parametrize(
    ("train", "message"),
    [
        ({"backend": "jax", "distribution": {"type": "mirrored"}},
         r"train.distribution.type: 'mirrored' does not run on the 'jax' backend; on jax use "
         r"`distribution: \{type: data_parallel\}`, or set `train.backend: tensorflow`"),
        ({"backend": "tensorflow", "distribution": {"type": "data_parallel"}},
         r"'data_parallel' does not run on the 'tensorflow' backend; on tensorflow use "
         r"`distribution: \{type: mirrored\}`"),
        ({"batch_size": 10, "distribution": {"type": "mirrored", "devices": ["cpu:0", "cpu:1", "cpu:2"]}},
         r"train.batch_size: 10 does not divide evenly over the 3 devices .* multiple of 3, e.g. 9 or 12"),
        ({"distribution": {"type": "mirrored", "devices": ["tpu:0"]}}, r"'tpu:0' is not a device name"),
        ({"distribution": {"type": "mirrored", "devices": ["cpu:0", "/CPU:0"]}}, "names a device twice"),
        ({"distribution": {"type": "data_parallel", "devices": ["cpu:0", "gpu:0"]}}, "mixes CPUs and GPUs"),
        ({"distribution": {"type": "multi_worker_mirrored"}}, r"train.distribution.type"),
    ],
)
def test_a_distribution_that_cannot_run_is_refused_when_the_config_is_read(train, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict({**TINY, "train": {**TINY["train"], **train}})


def test_a_stateful_model_is_refused_a_distribution():
    raw = _tiny({"type": "mirrored"})
    raw["model"] = {"cell": "gru", "layers": [4], "stateful": True}
    raw["data"] = {**raw["data"], "stride": 6}
    with pytest.raises(ConfigError, match=r"train.distribution: a stateful model keeps one state row per batch"):
        config_from_dict(raw)


def test_device_names_are_written_one_way():
    config = config_from_dict(_tiny({"type": "mirrored", "devices": ["/GPU:0", "device:gpu:1", " gpu:2 "]}, batch_size=9))
    assert config.train.distribution.devices == ["gpu:0", "gpu:1", "gpu:2"]


@pytest.mark.parametrize(
    ("distribution", "message"),
    [
        ({"type": "data_parallel" if BACKEND == "tensorflow" else "mirrored"},
         f"does not run on the '{BACKEND}' backend"),
        ({"type": "mirrored" if BACKEND == "tensorflow" else "data_parallel", "devices": ["cpu:0", "cpu:7"]},
         rf"the {BACKEND} backend does not see cpu:7; it sees cpu:0\. .*to try it on one CPU"),
    ],
)
def test_a_distribution_the_backend_cannot_run_stops_the_run_before_anything_is_written(
    tmp_path, distribution, message
):
    with pytest.raises(ConfigError, match=message):
        seqkit.train(config_from_dict(_tiny(distribution)), runs_dir=tmp_path / "runs", verbose=0)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("*.yaml"))


def test_backtests_and_searches_say_they_train_on_one_device(tmp_path):
    from seqkit.backtesting import backtest

    config = config_from_dict(_tiny({"type": "mirrored" if BACKEND == "tensorflow" else "data_parallel"}))
    with pytest.raises(ConfigError, match=r"train.distribution: a backtest trains each model on one device"):
        backtest(config, folds=2, runs_dir=tmp_path)
    space = {"model.cell": {"choice": ["lstm", "gru"]}}
    searched = config_from_dict({**_tiny(config.train.distribution.model_dump()), "tune": {"space": space}})
    with pytest.raises(ConfigError, match=r"a search trains each model on one device .* `seqkit train`"):
        seqkit.tune(searched, tuning_dir=tmp_path / "tuning")
    assert not (tmp_path / "tuning").exists()
