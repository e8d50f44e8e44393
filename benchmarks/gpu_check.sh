#!/usr/bin/env bash
# benchmarks/gpu_check.sh: does seqkit train on an NVIDIA GPU, on the cuDNN kernel, and how much faster than the CPU?
#
# On the JAX backend (KERAS_BACKEND=jax), in under 5 minutes, it trains two seqkit models: the quickstart's
# (configs/quickstart.yaml: LSTM(64), batch 16, the airline windows) and 2xLSTM(128) (lookback 64, 8 features,
# batch 128, synthetic windows). It prints:
#   - the device JAX sees (and nvidia-smi's name for the GPU);
#   - per LSTM layer, whether it runs on the cuDNN kernel. Keras' JAX LSTM calls jax.experimental.rnn's cuDNN LSTM
#     when it can and falls back to a lax.scan without a word otherwise; the check rebuilds each layer with
#     `use_cudnn=True`, which Keras refuses with an error exactly when it would fall back. (Keras' JAX GRU has no
#     cuDNN kernel at all: a fused scan.)
#   - training samples/s on the GPU and on the CPU, in float32 and with mixed precision (`mixed_float16`, what
#     `train.mixed_precision: true` sets on a GPU; on a CPU seqkit leaves it off), and GPU/CPU ratios.
# Without a GPU it says "no GPU found" and measures the CPU alone.
#
# Requirements: Python 3.11+ with seqkit importable (run it from the repository root; `pip install -e .`),
# keras >= 3.15.1 (its JAX LSTM has the cuDNN path), numpy, pandas, pydantic, pyyaml, and jax with CUDA
# (`pip install "jax[cuda12]"`, or jax-cuda13-plugin). TensorFlow is NOT needed for the measurements: they take
# the training windows from seqkit's data pipeline as NumPy arrays and call Model.fit on them, which Keras runs on
# JAX without TensorFlow. `seqkit train` does need it (tf.data batching, the TensorBoard log), so the last step,
# the quickstart through `seqkit train` for a few epochs (its device line and cuDNN report), runs only where
# TensorFlow (tensorflow-cpu is enough) imports, and says it was skipped otherwise.
#
# Usage, from the repository root:   bash benchmarks/gpu_check.sh [PYTHON]      (default: python3)
# GPU_CHECK_SECONDS (default 3) is roughly how long each timing runs.

set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:-python3}"
export KERAS_BACKEND=jax TF_CPP_MIN_LOG_LEVEL=3 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

if ! "$PY" -c "import jax, keras, seqkit" 2>"$OUT/import.err"; then
  echo "gpu_check: cannot import jax, keras and seqkit with $PY:" >&2
  tail -3 "$OUT/import.err" >&2
  echo "install them first (see this script's header)" >&2
  exit 2
fi

CHECK=$(cat <<'PY'
"""Measure (`measure PLACE`) or compare (`report FILE...`); one JSON line per measurement."""
import json
import os
import statistics
import sys
import time

import numpy as np

SECONDS = float(os.environ.get("GPU_CHECK_SECONDS", "3"))
MODELS = {  # a config file, or a config
    "quickstart LSTM(64)": "configs/quickstart.yaml",
    "2xLSTM(128) T=64 F=8": {
        "data": {"dataset": "synthetic", "synthetic": {"length": 3000, "n_series": 8, "seed": 1}, "lookback": 64,
                 "horizon": 1, "period": 50},
        "model": {"cell": "lstm", "layers": [128, 128]},
        "train": {"batch_size": 128},
    },
}


def config_of(source):
    from seqkit.config.loading import config_from_dict, load_config

    return load_config(source) if isinstance(source, str) else config_from_dict(source)


def cudnn_layers(model):
    """Per LSTM layer: does Keras' JAX backend run it on cuDNN? (`use_cudnn=True` refuses when it would not.)"""
    import keras

    found = []
    for layer in model.layers:
        inner = getattr(layer, "forward_layer", layer)
        if not isinstance(inner, keras.layers.LSTM):
            continue
        probe = keras.layers.LSTM.from_config({**inner.get_config(), "use_cudnn": True, "name": "probe"})
        x = np.zeros((2, *layer.input.shape[1:]), "float32")
        try:
            probe(x)
            found.append((layer.name, "cuDNN"))
        except ValueError as error:
            if "use_cudnn=True" not in str(error):
                raise
            found.append((layer.name, "not cuDNN (lax.scan)"))
    return found


def samples_per_second(model, x, y, batch_size):
    """Training samples/s of Model.fit on whole batches: compiled first, then the median of 3 timed fits."""
    def fit(batches):
        take = np.resize(np.arange(len(x)), batches * batch_size)  # the windows again where there are too few
        start = time.perf_counter()
        model.fit(x[take], y[take], batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
        return time.perf_counter() - start

    fit(2)  # compiles
    batches = max(2, min(500, int(SECONDS / max(fit(2) / 2, 1e-6))))
    return batches * batch_size / statistics.median(fit(batches) for _ in range(3)), batches


def measure(place):
    import jax
    import keras

    import seqkit

    devices = jax.devices()
    print(json.dumps({"place": place, "devices": [str(d) for d in devices], "load": os.getloadavg()}), flush=True)
    for name, source in MODELS.items():
        config = config_of(source)
        task = seqkit.task_for(config)
        prepared = task.prepare()
        x, y = prepared.train.arrays()
        spec = task.spec(prepared)
        for policy in ("float32", "mixed_float16"):
            keras.mixed_precision.set_global_policy(policy)
            try:
                keras.utils.set_random_seed(0)
                model = task.build_model(spec)
                rate, batches = samples_per_second(model, x, y, config.train.effective_batch_size)
                layers = cudnn_layers(model)
            finally:
                keras.mixed_precision.set_global_policy("float32")
            print(json.dumps({"place": place, "model": name, "policy": policy, "samples_per_s": rate,
                              "batches": batches, "cudnn": layers}), flush=True)


def report(files):
    rows, heads = {}, []
    for file in files:
        for line in open(file):
            if not line.startswith("{"):
                continue
            record = json.loads(line)
            if "model" not in record:
                heads.append(record)
                continue
            rows[(record["model"], record["policy"], record["place"])] = record
    for head in heads:
        load = ", ".join(f"{v:.1f}" for v in head["load"])
        print(f"{head['place']}: JAX devices {', '.join(head['devices'])} (load average {load})")
    print(f"\n{'model':24} {'precision':14} {'GPU samples/s':>14} {'CPU samples/s':>14} {'GPU/CPU':>8}  cuDNN on GPU")
    for model in MODELS:
        for policy in ("float32", "mixed_float16"):
            gpu, cpu = rows.get((model, policy, "gpu")), rows.get((model, policy, "cpu"))
            if gpu is None and cpu is None:
                continue
            g = f"{gpu['samples_per_s']:,.0f}" if gpu else "-"
            c = f"{cpu['samples_per_s']:,.0f}" if cpu else "-"
            ratio = f"{gpu['samples_per_s'] / cpu['samples_per_s']:.1f}x" if gpu and cpu else "-"
            cudnn = "; ".join(f"{n}: {s}" for n, s in gpu["cudnn"]) if gpu else "no GPU"
            print(f"{model:24} {policy:14} {g:>14} {c:>14} {ratio:>8}  {cudnn}")
    if any(place == "cpu" for _, _, place in rows):
        cpu_cudnn = {s for (_, _, place), r in rows.items() if place == "cpu" for _, s in r["cudnn"]}
        print(f"(on the CPU every LSTM layer reported: {', '.join(sorted(cpu_cudnn))}, as it should)")


if sys.argv[1] == "measure":
    measure(sys.argv[2])
else:
    report(sys.argv[2:])
PY
)

echo "== gpu_check: seqkit on the JAX backend; $("$PY" -c 'import jax, keras; print(f"jax {jax.__version__}, keras {keras.__version__}")')"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/nvidia-smi: /' || true
fi
GPU=$("$PY" -c "import jax; print(sum(d.platform == 'gpu' for d in jax.devices()))" 2>/dev/null || echo 0)

echo "== CPU (JAX_PLATFORMS=cpu)"
JAX_PLATFORMS=cpu "$PY" -c "$CHECK" measure cpu | tee "$OUT/cpu.json" | grep -v '^{' || true
if [ "$GPU" -gt 0 ]; then
  echo "== GPU ($GPU found)"
  "$PY" -c "$CHECK" measure gpu | tee "$OUT/gpu.json" | grep -v '^{' || true
else
  echo "== no GPU found: JAX sees only the CPU, so only the CPU is measured"
fi
echo
"$PY" -c "$CHECK" report "$OUT"/*.json

echo
if "$PY" -c "import tensorflow" >/dev/null 2>&1; then
  echo "== the quickstart through seqkit train (5 epochs): the device line and cuDNN report seqkit prints"
  SEQKIT_MAX_EPOCHS=5 "$PY" -m seqkit.cli train configs/quickstart.yaml --runs-dir "$OUT/runs" 2>&1 \
    | grep -E "^(device|  lstm|saved)" || { echo "seqkit train failed" >&2; exit 1; }
else
  echo "== skipped: seqkit train (its tf.data pipeline needs TensorFlow: pip install tensorflow-cpu)"
fi
