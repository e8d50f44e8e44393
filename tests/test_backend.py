"""`train.backend`: chosen before Keras is imported, the environment variable first, refused once too late."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import seqkit
from seqkit import backend
from seqkit.backend import JAX_MAX_UNITS, auto_backend, choose_backend
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


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A config file whose model is small enough that auto's rule takes JAX on a CPU."""
    path = tmp_path_factory.mktemp("backend") / "small.yaml"
    path.write_text("model: {layers: [32]}\ntrain: {batch_size: 32}\n")
    return path


def test_the_choice_is_made_before_keras_is_imported_and_the_environment_wins(small):
    check = ("import sys; from seqkit.backend import choose_backend; print(choose_backend({!r}), "
             "'keras' in sys.modules)")
    done = _fresh(check.format("tensorflow"))
    assert done.returncode == 0 and done.stdout.split() == ["tensorflow", "False"], done.stderr[-500:]
    # A small model, for which auto's rule alone takes JAX (jax counted as installed): the environment still wins.
    wins = ("import sys, seqkit; from seqkit import backend; backend._jax_installed = lambda: True; "
            "config = seqkit.load_config({!r}); assert backend.auto_backend(config) == 'jax'; "
            "print(backend.choose_backend('auto', config), 'keras' in sys.modules)")
    done = _fresh(wins.format(str(small)), KERAS_BACKEND="tensorflow")
    assert done.returncode == 0 and done.stdout.split() == ["tensorflow", "False"], done.stderr[-500:]
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


def _config(layers=(32,), batch_size=32, **train):
    return seqkit.ExperimentConfig(model={"layers": list(layers)}, train={"batch_size": batch_size, **train})


@pytest.fixture
def jax_on_a_cpu(monkeypatch):
    """auto's rule as on a CPU with jax installed, whether or not this environment has jax."""
    monkeypatch.setattr(backend, "_jax_installed", lambda: True)
    monkeypatch.setattr(backend, "_gpu_visible", lambda: False)


@pytest.mark.parametrize(
    "layers, batch_size, expected",
    [
        ((32,), 32, "jax"),  # benchmarks/backends.py `small`
        ((JAX_MAX_UNITS,), 256, "jax"),  # on the boundary, whatever the batch size
        ((8, JAX_MAX_UNITS), 16, "jax"),
        ((JAX_MAX_UNITS + 1,), 16, "tensorflow"),
        ((8, JAX_MAX_UNITS + 1), 16, "tensorflow"),  # the widest layer counts
        ((128, 128), 128, "tensorflow"),  # `medium`
    ],
)
def test_auto_takes_jax_for_narrow_recurrent_models_on_a_cpu(jax_on_a_cpu, layers, batch_size, expected):
    assert auto_backend(_config(layers, batch_size)) == expected


def test_auto_takes_tensorflow_for_the_char_lm_config_and_without_a_config(jax_on_a_cpu):
    root = Path(__file__).parents[1]
    assert auto_backend(seqkit.load_config(root / "configs" / "char_lm.yaml")) == "tensorflow"
    assert auto_backend(seqkit.load_config(root / "configs" / "quickstart.yaml")) == "jax"  # LSTM(64), batch 16
    assert auto_backend(None) == "tensorflow"


def test_auto_takes_tensorflow_where_the_config_or_the_machine_asks_for_it(jax_on_a_cpu, monkeypatch):
    assert auto_backend(_config()) == "jax"
    assert auto_backend(_config(threads=2)) == "tensorflow"  # only TensorFlow's thread pools take a number
    assert auto_backend(_config(device="gpu")) == "tensorflow"
    monkeypatch.setattr(backend, "_gpu_visible", lambda: True)  # an NVIDIA driver lists a GPU
    assert auto_backend(_config()) == "tensorflow"
    assert auto_backend(_config(device="cpu")) == "jax"


def test_a_gpu_is_one_the_nvidia_driver_lists_and_cuda_visible_devices_leaves_visible(tmp_path, monkeypatch):
    driver = tmp_path / "gpus"
    assert backend._gpu_visible(driver) is False  # no driver
    driver.mkdir()
    assert backend._gpu_visible(driver) is False  # a driver, no GPU
    (driver / "0000:3b:00.0").mkdir()
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert backend._gpu_visible(driver) is True
    for hidden in ("-1", ""):
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", hidden)
        assert backend._gpu_visible(driver) is False


def test_without_jax_auto_is_tensorflow_without_a_word(small):
    # `sys.modules["jax"] = None` is how Python marks a module as missing: find_spec says None, import fails.
    code = ("import sys; sys.modules['jax'] = None; import seqkit; from seqkit.backend import choose_backend; "
            f"print(choose_backend('auto', seqkit.load_config({str(small)!r})), 'keras' in sys.modules)")
    done = _fresh(code)
    assert done.returncode == 0 and done.stdout.split() == ["tensorflow", "False"], done.stderr[-500:]
    assert done.stderr == ""


def test_a_search_or_backtest_naming_another_backend_than_keras_runs_is_refused_in_words(monkeypatch, write_yaml):
    import keras

    from seqkit.backtesting import backtest
    from seqkit.tuning import tune

    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    other = "jax" if keras.backend.backend() == "tensorflow" else "tensorflow"
    config = write_yaml(
        "data: {dataset: synthetic, lookback: 8, horizon: 2}\n"
        f"train: {{backend: {other}, epochs: 1}}\n"
        "tune: {space: {model.cell: {choice: [lstm, gru]}}}\n"
    )
    for run in (tune, backtest):
        with pytest.raises(ConfigError, match=f"`train.backend` is '{other}', but Keras was already imported"):
            run(config)


def test_the_cli_sets_a_backtests_backend_from_its_config_before_keras_starts(write_yaml):
    config = write_yaml("data: {dataset: synthetic, lookback: 8, horizon: 2}\ntrain: {backend: jax}\n")
    code = (
        "import sys; from seqkit import cli; cli._backend_of(sys.argv[1], []); "
        "import keras; print(keras.backend.backend(), 'tensorflow' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(config)], capture_output=True, text=True, timeout=300,
                          env={k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"})
    if importlib.util.find_spec("jax") is None:
        assert "not installed" in done.stderr
    else:
        assert done.stdout.split()[0] == "jax", done.stderr


def test_a_thread_count_on_jax_is_refused_in_words():
    import keras

    from seqkit.config.train import TrainConfig
    from seqkit.training.runtime import configure_runtime

    if keras.backend.backend() == "tensorflow":
        pytest.skip("TensorFlow takes the count; CI's JAX pass runs this test")
    with pytest.raises(ConfigError, match="train.threads is 2, but only TensorFlow's thread pools take a count"):
        configure_runtime(TrainConfig(threads=2))
