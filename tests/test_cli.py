"""The `seqkit` command line: exit codes, readable errors, every shipped config."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import seqkit
from seqkit.cli import main
from seqkit.errors import SeqkitError

CONFIGS = sorted((Path(__file__).parent.parent / "configs").glob("*.yaml"))

BAD = """
data: {dataset: synthetic, lookback: 24, stride: 24}
model:
  layres: [64]
  layers: [64, -4]
  stateful: true
"""


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("seqkit ")


def test_validate_ok(write_yaml, capsys):
    path = write_yaml("data: {dataset: synthetic, lookback: 12}\n")
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out.strip() == "ok"


def test_bad_config_lists_every_problem_on_stderr_with_exit_2_and_no_traceback(write_yaml):
    path = write_yaml(BAD)
    result = subprocess.run(
        [sys.executable, "-m", "seqkit", "validate", str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert "has 3 problems" in result.stderr
    assert "model.layres: unknown key (did you mean 'layers'?)" in result.stderr
    assert "model.layers.1: must be greater than 0 (got -4)" in result.stderr
    assert "train.batch_size: a stateful model needs a fixed batch size" in result.stderr


def test_set_overrides_reach_the_config(write_yaml, capsys):
    path = write_yaml("data: {dataset: synthetic, lookback: 12}\n")
    assert main(["validate", str(path), "--set", "model.layers=[0]"]) == 2
    assert "model.layers.0: must be greater than 0 (got 0)" in capsys.readouterr().err


def test_missing_config_file_is_bad_input(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "missing.yaml")]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("config", CONFIGS, ids=[c.stem for c in CONFIGS])
def test_every_shipped_config_validates_and_summarises(config, capsys):
    assert main(["validate", str(config)]) == 0
    assert main(["summary", str(config)]) == 0
    out = capsys.readouterr().out
    assert "Total params" in out
    assert "parameters: " in out


def test_summary_says_per_layer_whether_it_can_run_on_cudnn(write_yaml, capsys):
    path = write_yaml("data: {dataset: synthetic, lookback: 6}\nmodel: {cell: lstm, layers: [4, 4]}\n")
    assert main(["summary", str(path)]) == 0
    assert main(["summary", str(path), "--set", "model.activation=relu"]) == 0
    out = capsys.readouterr().out
    assert "  lstm_1 (4 units): cuDNN-eligible (used on GPU)\n  lstm_2 (4 units): cuDNN-eligible (used on GPU)\n" in out
    assert "  lstm_2 (4 units): not cuDNN: activation 'relu' (cuDNN needs 'tanh')\n" in out


REJECTED_BY_TRAIN = {
    "empty file": ("", r"has no data section"),
    "no data section": ("model: {layers: [4]}\n", r"has no data section"),
    "unknown dataset": ("data: {dataset: nope, lookback: 4}\n", r"Unknown dataset 'nope'"),
    "lookback longer than the data": (
        "data: {dataset: airline, lookback: 400}\n",
        r"The train split has 116 target row\(s\) but one window needs 401",
    ),
    "data file missing": ("data: {path: missing.csv, lookback: 4}\n", r"`data.path` 'missing.csv' does not exist"),
    "text shorter than a window": (
        "data: {path: tiny.txt, lookback: 50, text: {level: char}}\nmodel: {embedding: {dim: 8}, head: {type: language_model}}\n",
        r"Each split needs lookback \+ 1 = 51 tokens",
    ),
}


@pytest.fixture
def rejected_config(write_yaml, tmp_path, request):
    (tmp_path / "tiny.txt").write_text("a short text")
    text, pattern = REJECTED_BY_TRAIN[request.param]
    return write_yaml(text), pattern


@pytest.mark.parametrize("rejected_config", sorted(REJECTED_BY_TRAIN), indirect=True)
def test_validate_opens_the_data_and_never_says_ok_to_a_config_train_rejects(rejected_config, capsys):
    path, pattern = rejected_config
    with pytest.raises(SeqkitError, match=pattern):
        seqkit.validate(path)
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert "ok" not in out
    assert re.search(pattern, err), err


def test_validate_no_data_checks_the_config_alone(write_yaml, capsys):
    path = write_yaml("data: {path: missing.csv, lookback: 4}\n")
    assert main(["validate", str(path), "--no-data"]) == 0
    assert capsys.readouterr().out.strip() == "ok"
    assert seqkit.validate(write_yaml("model: {layers: [4]}\n", "bare.yaml"), data=False).data is None


def test_validate_with_data_stays_light(tmp_path):
    """Opening the data needs neither Keras nor TensorFlow, so `seqkit validate` stays fast."""
    script = (
        "import sys, seqkit; seqkit.validate(sys.argv[1]); "
        "print(sorted(m for m in ('keras', 'tensorflow') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(CONFIGS[0].parent / "quickstart.yaml")],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
