"""Shared fixtures: every test starts from the same seeds and a quiet TensorFlow."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _seed_everything():
    """Seed Python, NumPy and the Keras backend before each test."""
    import random

    import numpy as np

    random.seed(0)
    np.random.seed(0)
    try:
        import keras

        keras.utils.set_random_seed(0)
    except ImportError:  # pragma: no cover - keras is a hard dependency
        pass
    yield


@pytest.fixture
def write_yaml(tmp_path):
    """Write YAML text to a file in tmp_path and return its path."""

    def write(text: str, name: str = "config.yaml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


TINY_RUN = """
data:
  dataset: synthetic
  synthetic: {length: 240, n_series: 2, seed: 3}
  lookback: 12
  horizon: 3
  period: 50
  split: {type: fraction, val: 0.15, test: 0.15}
model:
  cell: gru
  layers: [4]
train:
  epochs: 1
  batch_size: 16
evaluate: {plots: false}
"""


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory):
    """A tiny finished forecast run, trained once per session: copy it before damaging it."""
    from seqkit.training import train

    folder = tmp_path_factory.mktemp("finished")
    config = folder / "tiny.yaml"
    config.write_text(TINY_RUN, encoding="utf-8")
    return train(config, runs_dir=folder / "runs", verbose=0).path


@pytest.fixture
def run_copy(finished_run, tmp_path):
    """A fresh copy of `finished_run` in this test's tmp_path, and its series as a CSV beside it."""
    import shutil

    import seqkit
    from seqkit.data import load_dataset

    copy = tmp_path / "run"
    shutil.copytree(finished_run, copy)
    config = seqkit.load_config(copy / "config.yaml")
    load_dataset("synthetic", config.data.synthetic).to_csv(tmp_path / "series.csv", index=False)
    return copy
