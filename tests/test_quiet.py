"""Quiet by default: TensorFlow's start-up chatter never reaches a user who imports seqkit."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What TensorFlow prints on a CPU machine before (and while) its logging settings apply.
CHATTER = re.compile(
    r"absl::InitializeLog|oneDNN custom operations|Could not find cuda drivers|cuInit|cudart_stub|"
    r"^(WARNING|INFO):(absl|tensorflow):",
    re.MULTILINE,
)

BUILD_AND_PREDICT = """
import numpy as np
import seqkit

model = seqkit.build_model(seqkit.ModelConfig(cell="gru", layers=[4]), seqkit.SequenceSpec(lookback=5, n_features=2))
print(model.predict(np.zeros((3, 5, 2), "float32"), verbose=0).shape)
"""


def _python(script: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "SEQKIT_VERBOSE_BACKEND")}
    clean["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env={**clean, **env}
    )


def test_importing_seqkit_keeps_backend_chatter_off_stderr():
    result = _python(BUILD_AND_PREDICT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(3, 1, 1)"
    assert CHATTER.search(result.stderr) is None, result.stderr


def test_seqkit_verbose_backend_leaves_tensorflow_as_it_is():
    script = (
        "import os, sys, seqkit; "
        "print(os.environ.get('TF_CPP_MIN_LOG_LEVEL'), any('seqkit' in type(f).__module__ for f in sys.meta_path))"
    )
    assert _python(script).stdout.split() == ["2", "True"]
    assert _python(script, SEQKIT_VERBOSE_BACKEND="1").stdout.split() == ["None", "False"]
