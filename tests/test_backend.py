"""`train.backend`: chosen before Keras is imported, the environment variable first, refused once too late."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from seqkit.backend import choose_backend
from seqkit.errors import ConfigError


def _fresh(code: str, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"} | env
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=300)


def test_once_keras_is_imported_auto_keeps_it_and_another_backend_is_refused(monkeypatch):
    import keras

    monkeypatch.delenv("KERAS_BACKEND", raising=False)  # set, it would win over the config (the next test)

    current = keras.backend.backend()
    assert choose_backend("auto") == current == choose_backend(current)
    other = "jax" if current == "tensorflow" else "tensorflow"
    with pytest.raises(ConfigError, match=f"already imported .* with the '{current}' backend.*KERAS_BACKEND={other}"):
        choose_backend(other)


def test_the_choice_is_made_before_keras_is_imported_and_the_environment_wins():
    check = ("import sys; from seqkit.backend import choose_backend; print(choose_backend({!r}), "
             "'keras' in sys.modules)")
    done = _fresh(check.format("tensorflow"))
    assert done.returncode == 0 and done.stdout.split() == ["tensorflow", "False"], done.stderr[-500:]
    done = _fresh(check.format("auto"), KERAS_BACKEND="tensorflow")
    assert done.stdout.split() == ["tensorflow", "False"]
    jax = importlib.util.find_spec("jax") is not None
    done = _fresh(check.format("jax"))
    if jax:  # installed (`pip install -e ".[jax]"`): chosen
        assert done.stdout.split() == ["jax", "False"]
    else:  # not installed: said so before anything imports Keras
        assert done.returncode != 0 and 'pip install -e ".[jax]"' in done.stderr


def test_seqkit_train_reads_the_backend_from_the_config_before_keras_starts(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("data: {dataset: airline, lookback: 12, horizon: 3}\ntrain: {epochs: 1, backend: tensorflow}\n")
    code = ("import sys, seqkit; assert 'keras' not in sys.modules; "
            "run = seqkit.train({!r}, runs_dir={!r}, verbose=0); import keras; "
            "print(keras.backend.backend(), run.config.train.backend)").format(str(config), str(tmp_path / "runs"))
    done = _fresh(code)
    assert done.returncode == 0, done.stderr[-1500:]
    assert done.stdout.split()[-2:] == ["tensorflow", "tensorflow"]


def test_choosing_the_backend_leaves_tensorflows_start_up_quiet():
    # seqkit keeps TensorFlow's C++ start-up notices off stderr on its first import; choosing must not spend that.
    done = _fresh("import seqkit; from seqkit.backend import choose_backend; choose_backend('auto'); import keras")
    assert done.returncode == 0 and done.stderr == "", done.stderr[-500:]
