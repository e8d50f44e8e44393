"""Predicting and scoring, again and again and on reloaded runs, retraces no tf.function.

TensorFlow counts traces per line of Keras code, across models, and warns
"5 out of the last 5 calls to <function ...> triggered tf.function retracing"
(on its Python logger, which `import seqkit` sets to errors; the script below
turns it back to warnings). Each scenario runs in a fresh interpreter, so no
earlier test has used up TensorFlow's budget of five warnings per function.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import TINY_RUN  # the same tiny run the shared fixtures train

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import json, logging, sys

import numpy as np
import seqkit
import tensorflow as tf

messages = []


class Catch(logging.Handler):
    def emit(self, record):
        messages.append(record.getMessage())


tf.get_logger().setLevel(logging.WARNING)
tf.get_logger().addHandler(Catch())


def retracing():
    return [m for m in messages if "retracing" in m]


run = seqkit.train(sys.argv[1], runs_dir=sys.argv[2], verbose=0)
from seqkit.data import load_dataset

frame = load_dataset("synthetic", run.config.data.synthetic)
forecasts = [run.predict(frame.iloc[:rows]) for rows in (20, 40, 60, 90, 120, 240)]
for _ in range(3):
    run.evaluate()
    run.evaluate(frame)
for _ in range(6):  # a notebook comparing runs: a fresh model each time
    again = seqkit.load_run(run.path)
    again.predict(frame)
    again.evaluate()
after_seqkit = retracing()
# The same loop through Keras' own `predict` warns, so the capture above can see a warning.
x = np.zeros((2, run.config.data.lookback, 2), "float32")
for _ in range(6):
    seqkit.load_run(run.path).model.predict(x, verbose=0)
print(json.dumps({"seqkit": after_seqkit, "keras_predict": len(retracing()) - len(after_seqkit),
                  "forecast_rows": [len(f) for f in forecasts]}))
"""


@pytest.mark.slow
def test_repeated_predictions_and_reloaded_runs_trigger_no_retracing(tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(TINY_RUN, encoding="utf-8")
    script = tmp_path / "repeat.py"
    script.write_text(textwrap.dedent(SCRIPT), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SEQKIT_VERBOSE_BACKEND", None)
    done = subprocess.run(
        [sys.executable, str(script), str(config), str(tmp_path / "runs")],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["seqkit"] == []
    assert result["keras_predict"] >= 1
    assert result["forecast_rows"] == [3] * 6
