"""The `seqkit` command line: exit codes, readable errors, every shipped config."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from seqkit.cli import main

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
