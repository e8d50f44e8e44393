"""Shared fixtures: every test starts from the same seeds and a quiet TensorFlow."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The suite runs on TensorFlow unless KERAS_BACKEND says otherwise (CI's JAX pass), also where jax is installed and
# `train.backend: auto` would take JAX for a small model (seqkit.backend): runs in subprocesses inherit it.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pytest  # noqa: E402

# CI's second pass runs these files' tests again on JAX (`KERAS_BACKEND=jax pytest -m jax`): the tests that build,
# train, step and stream Keras models, where the two backends' Keras code can differ. The rest (data, configs,
# evaluation, the CLI, notebooks, tuning) run on TensorFlow only, to keep CI inside its time budget.
JAX_PASS = (
    "test_backend.py", "test_distribution.py", "test_layers.py", "test_models.py", "test_reference.py",
    "test_stateful.py", "test_streaming.py",
)
JAX_TOO_SLOW = {
    # test_generation.py is left out whole: its eager-step reference under JAX dispatches op by op, 60-110 s
    # per cell on 2 cores (under 10 s on TensorFlow); its other tests passed on JAX when run by hand.
    "test_the_compiled_loop_generates_what_eager_steps_and_numpy_sampling_generate",
}


def pytest_collection_modifyitems(items):
    """Mark the JAX pass's tests `jax`, except those marked `tensorflow_only_for_time` (a covering subset runs)."""
    for item in items:
        if item.get_closest_marker("tensorflow_only_for_time"):
            continue
        if item.path.name in JAX_PASS and getattr(item, "originalname", item.name) not in JAX_TOO_SLOW:
            item.add_marker(pytest.mark.jax)


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
