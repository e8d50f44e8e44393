"""Exit statuses as documented: 2 with a readable message for bad input or files, 0 when stdout closes early."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from seqkit.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _status_and_error(capsys, argv):
    status = main(argv)
    return status, capsys.readouterr().err


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_an_empty_csv_is_bad_input(run_copy, tmp_path, capsys, command):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    option = "--input" if command == "predict" else "--data"
    status, err = _status_and_error(capsys, [command, str(run_copy), option, str(empty)])
    assert status == 2
    assert err.startswith("error: File 'empty.csv' is empty"), err


def test_output_into_a_folder_that_does_not_exist_is_bad_input(run_copy, tmp_path, capsys):
    target = tmp_path / "nodir" / "x.csv"
    status, err = _status_and_error(
        capsys, ["predict", str(run_copy), "--input", str(tmp_path / "series.csv"), "--output", str(target)]
    )
    assert status == 2
    assert "`--output` folder" in err and "does not exist" in err and "internal error" not in err, err
    assert not (tmp_path / "nodir").exists()


def test_training_survives_standard_output_closing_early(tmp_path):
    """`seqkit train CONFIG | head -2`: the run finishes and says where it is on stderr."""
    runs = tmp_path / "runs"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    process = subprocess.Popen(
        [sys.executable, "-m", "seqkit", "train", str(ROOT / "configs" / "vanilla_rnn.yaml"),
         "--set", "train.epochs=2", "--set", "model.layers=[4]", "--runs-dir", str(runs)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path,
    )
    try:
        head = [process.stdout.readline() for _ in range(2)]
        process.stdout.close()  # what `head -2` does once it has its lines
        err = process.stderr.read().decode()
        status = process.wait(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
    assert all(head), head
    assert status == 0, err
    (run_dir,) = runs.glob("vanilla_rnn/*")
    assert (run_dir / "manifest.json").is_file()
    assert f"saved: {run_dir}" in err
    assert "Traceback" not in err and "BrokenPipeError" not in err
