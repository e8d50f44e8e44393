"""TensorFlow or JAX on CPU: training samples/s for three model sizes, through seqkit and a hand-written script.

For each model size, four measurements, each in a fresh process (Keras picks
its backend once, at import):

- seqkit-TF, seqkit-JAX: `seqkit.train(config)` with `train.backend` set
  (seqkit's whole pipeline: tf.data windows, scaling, checkpoints, TensorBoard);
- keras-TF, keras-JAX: a hand-written script, `KERAS_BACKEND` set, the same
  model as `keras.Sequential` fitted on NumPy arrays of the same windows with
  the same batch size (the tutorials' way), no callbacks.

The sizes:

- small: LSTM(32), batch 32, a univariate forecaster (lookback 24, horizon 12,
  a noisy sine, 2,048 windows);
- medium: 2 x LSTM(128), lookback 64, 8 features, batch 128 (1,024 windows);
- char_lm: `configs/char_lm.yaml` (embedding 64, LSTM(256), a softmax over
  the 103 characters at each of 100 steps, batch 64) on every 1600th window
  instead of every 50th, so an epoch is 5 steps, not 140.

`--sizes` also takes probes between them (`lstm64`, `lstm128`, `lstm64_b256`),
measured to place the boundary of auto's rule.

No validation or test split (the hand-written script has none). An epoch is
timed from its start to its end (seqkit's end-of-epoch checkpoint included);
the first epoch, which traces and compiles, is left out. The runs interleave
(TF, JAX, TF, JAX, ...) since the machine is shared, each is repeated and the
median kept. `auto` is the backend `seqkit.backend.auto_backend` picks for the
size's config on this machine; the targets (issue 17) are that it is within
10% of the faster backend through seqkit, and not more than 5% slower than
the hand-written TensorFlow script.

Usage:
    python benchmarks/backends.py [--sizes small medium char_lm] [--repeats 3] [--epochs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = {
    # name: (description, lookback, horizon, features, layers, batch, windows)
    "small": ("LSTM(32), batch 32, T=24, F=1", 24, 12, 1, [32], 32, 2048),
    "medium": ("2xLSTM(128), batch 128, T=64, F=8", 64, 1, 8, [128, 128], 128, 1024),
    "char_lm": ("char_lm: LSTM(256), emb 64, batch 64", None, None, None, [256], 64, None),
    # Probes between `small` and the others, for where auto's rule changes sides (not run by default).
    "lstm64": ("LSTM(64), batch 64, T=24, F=1", 24, 12, 1, [64], 64, 2048),
    "lstm128": ("LSTM(128), batch 64, T=24, F=1", 24, 12, 1, [128], 64, 2048),
    "lstm64_b256": ("LSTM(64), batch 256, T=24, F=1", 24, 12, 1, [64], 256, 4096),
}
DEFAULT_SIZES = ("small", "medium", "char_lm")
CHAR_LM_STRIDE = 1600
SIDES = ("seqkit", "keras")
BACKENDS = ("tensorflow", "jax")


# ----------------------------------------------------------------------------- the measured process


def _series(size: str):
    """The size's series: a noisy sine (and 7 more noisy sines as extra features for `medium`), float32."""
    import numpy as np

    _, lookback, horizon, features, _, _, windows = SIZES[size]
    rng = np.random.default_rng(0)
    t = np.arange(windows + lookback + horizon - 1)
    columns = [np.sin(t / (20 + 3 * k)) + 0.1 * rng.normal(size=len(t)) for k in range(features)]
    return np.stack(columns, axis=1).astype("float32")


def _char_lm_config(backend: str, epochs: int):
    import seqkit

    overrides = [
        f"data.stride={CHAR_LM_STRIDE}", "data.split.val=0.0", "data.split.test=0.0", f"train.epochs={epochs}",
        "train.early_stopping=null", "train.reduce_lr_on_plateau=null", f"train.backend={backend}",
    ]
    return seqkit.load_config(ROOT / "configs" / "char_lm.yaml", overrides)


def _seqkit_config(size: str, backend: str, epochs: int):
    """The size's `ExperimentConfig` (no validation or test split), on `backend` (or `auto`)."""
    from seqkit.config import DataConfig, ExperimentConfig, ModelConfig, TrainConfig

    if size == "char_lm":
        return _char_lm_config(backend, epochs)
    _, lookback, horizon, features, layers, batch, _ = SIZES[size]
    return ExperimentConfig(
        name=f"backends-{size}",
        data=DataConfig(lookback=lookback, horizon=horizon, targets=["c0"] if features > 1 else None,
                        split={"type": "fraction", "val": 0.0, "test": 0.0}),
        model=ModelConfig(cell="lstm", layers=layers),
        train=TrainConfig(epochs=epochs, batch_size=batch, early_stopping=None, backend=backend),
        evaluate={"plots": False},
    )


def _timer():
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds, self.cpu_seconds, self.steps = [], [], None

        def on_epoch_begin(self, epoch, logs=None):
            self.start, self.cpu_start = time.perf_counter(), time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.start)
            self.cpu_seconds.append(time.process_time() - self.cpu_start)
            self.steps = self.params.get("steps")

    return EpochTimer()


def _seqkit_run(size: str, backend: str, epochs: int) -> dict:
    import tempfile

    import pandas as pd

    import seqkit

    config = _seqkit_config(size, backend, epochs)
    frame = None
    if size != "char_lm":
        series = _series(size)
        frame = pd.DataFrame(series, columns=[f"c{k}" for k in range(series.shape[1])])
    from seqkit.backend import choose_backend

    choose_backend(backend)  # before the timer's `import keras`
    timer = _timer()
    with tempfile.TemporaryDirectory() as runs:
        run = seqkit.train(config, frame=frame, runs_dir=runs, verbose=0, callbacks=[timer])
        windows = _windows(size) if size != "char_lm" else _char_lm_windows(run.config)
    return {"epoch_s": timer.seconds, "cpu_s": timer.cpu_seconds, "steps": timer.steps, "windows": windows}


def _windows(size: str) -> int:
    return SIZES[size][6]


def _char_lm_windows(config) -> int:
    from seqkit.data.text import prepare_text

    return len(prepare_text(config.data).train)


def _keras_run(size: str, epochs: int) -> dict:
    import numpy as np

    if size == "char_lm":
        from seqkit.data.text import prepare_text

        data = prepare_text(_char_lm_config("auto", epochs).data)
        x, y = data.train.arrays()
        vocab = data.spec.vocab_size
    else:
        _, lookback, horizon, features, _, _, windows = SIZES[size]
        series = _series(size)
        starts = np.arange(windows)
        x = series[starts[:, None] + np.arange(lookback)]
        y = series[starts[:, None] + lookback + np.arange(horizon), :1]
    import keras

    keras.utils.set_random_seed(0)
    _, lookback, horizon, features, layers, batch, _ = SIZES[size]
    if size == "char_lm":
        model = keras.Sequential([
            keras.Input(x.shape[1:], dtype="int32"),
            keras.layers.Embedding(vocab, 64),
            keras.layers.LSTM(layers[0], return_sequences=True),
            keras.layers.Dense(vocab),
        ])
        model.compile(optimizer=keras.optimizers.Adam(0.005, clipnorm=1.0),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    else:
        stack = [keras.layers.LSTM(units, return_sequences=i < len(layers) - 1) for i, units in enumerate(layers)]
        model = keras.Sequential([keras.Input(x.shape[1:]), *stack, keras.layers.Dense(horizon),
                                  keras.layers.Reshape((horizon, 1))])
        model.compile(optimizer="adam", loss="mse")
    timer = _timer()
    model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=True, callbacks=[timer], verbose=0)
    return {"epoch_s": timer.seconds, "cpu_s": timer.cpu_seconds, "steps": timer.steps, "windows": len(x)}


def child(size: str, side: str, backend: str, epochs: int) -> None:
    """Measure one (size, side, backend) in this process and print a JSON line."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if side == "keras":
        os.environ["KERAS_BACKEND"] = backend
        result = _keras_run(size, epochs)
    else:
        os.environ.pop("KERAS_BACKEND", None)  # `train.backend` chooses
        result = _seqkit_run(size, backend, epochs)
    import keras

    assert keras.backend.backend() == backend, keras.backend.backend()
    print(json.dumps(result))


# ----------------------------------------------------------------------------- the parent


def measure(size: str, side: str, backend: str, epochs: int) -> dict:
    environment = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    environment["PYTHONPATH"] = os.pathsep.join([str(ROOT), environment.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    done = subprocess.run(
        [sys.executable, __file__, "--child", size, side, backend, str(epochs)],
        capture_output=True, text=True, env=environment, cwd=ROOT,
    )
    if done.returncode != 0:
        raise SystemExit(f"{size} {side} {backend} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # The first epoch traces and compiles. Samples per CPU-second (every thread's time in the process) say what
    # each backend costs when other work on the machine takes the cores: a steadier figure here than the wall clock.
    result["rate"] = result["windows"] / statistics.mean(result["epoch_s"][1:])
    result["cpu_rate"] = result["windows"] / statistics.mean(result["cpu_s"][1:])
    return result


def auto_choice(size: str) -> str:
    """What `train.backend: auto` picks for the size's config on this machine (no Keras imported here)."""
    from seqkit.backend import auto_backend

    return auto_backend(_seqkit_config(size, "auto", 3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(DEFAULT_SIZES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run; the first is not timed")
    parser.add_argument("--child", nargs=4, metavar=("SIZE", "SIDE", "BACKEND", "EPOCHS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        size, side, backend, epochs = args.child
        child(size, side, backend, int(epochs))
        return
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the first epoch is not timed)")
    sys.path.insert(0, str(ROOT))
    began = time.perf_counter()
    print(f"CPU: {os.cpu_count()} cores; load average at start {_load()}; "
          f"{args.repeats} runs each, {args.epochs - 1} timed epochs per run, median of runs")
    rows = []
    for size in args.sizes:
        rates: dict[tuple[str, str], list[float]] = {(s, b): [] for s in SIDES for b in BACKENDS}
        cpu_rates: dict[tuple[str, str], list[float]] = {(s, b): [] for s in SIDES for b in BACKENDS}
        for repeat in range(args.repeats):
            # TF, JAX, TF, JAX ...; the side order alternates between repeats, the backend order too.
            sides = SIDES if repeat % 2 == 0 else SIDES[::-1]
            backends = BACKENDS if repeat % 2 == 0 else BACKENDS[::-1]
            for side in sides:
                for backend in backends:
                    result = measure(size, side, backend, args.epochs)
                    rates[side, backend].append(result["rate"])
                    cpu_rates[side, backend].append(result["cpu_rate"])
                    print(f"  {size:<8} {side:<6} {backend:<10} run {repeat + 1}: {result['rate']:9.1f} samples/s, "
                          f"{result['cpu_rate']:9.1f} per CPU-second "
                          f"({result['windows']} windows, {result['steps']} steps/epoch; load {_load()})",
                          flush=True)
        rows.append((size, {key: statistics.median(values) for key, values in rates.items()},
                     {key: statistics.median(values) for key, values in cpu_rates.items()}))
    print()
    print(f"training samples/s per epoch, median of {args.repeats} (load average at end {_load()}; "
          f"{time.perf_counter() - began:.0f} s in all)")
    header = (f"{'model':<36} {'seqkit-TF':>10} {'seqkit-JAX':>10} {'keras-TF':>10} {'keras-JAX':>10} "
              f"{'JAX/TF':>7} {'faster':>7} {'auto':>6} {'auto/best':>9} {'auto/kerasTF':>12}")
    print(header)
    verdicts = []
    for size, rate, _ in rows:
        tf, jax = rate["seqkit", "tensorflow"], rate["seqkit", "jax"]
        auto = auto_choice(size)
        auto_rate = rate["seqkit", auto]
        to_best, to_keras = auto_rate / max(tf, jax), auto_rate / rate["keras", "tensorflow"]
        ok = to_best >= 0.90 and to_keras >= 0.95
        verdicts.append(ok)
        print(f"{SIZES[size][0]:<36} {tf:10.0f} {jax:10.0f} {rate['keras', 'tensorflow']:10.0f} "
              f"{rate['keras', 'jax']:10.0f} {jax / tf:7.2f} {'jax' if jax > tf else 'tf':>7} {auto:>6} "
              f"{to_best:9.2f} {to_keras:12.2f}  {'PASS' if ok else 'FAIL'}")
    print("targets: auto/best >= 0.90 (within 10% of the faster backend through seqkit) and "
          "auto/kerasTF >= 0.95 (not 5% slower than the hand-written TensorFlow script)")
    print("all sizes PASS" if all(verdicts) else "some sizes FAIL")
    print()
    print("training samples per CPU-second (all threads), median: what each costs when the cores are shared")
    print(f"{'model':<36} {'seqkit-TF':>10} {'seqkit-JAX':>10} {'keras-TF':>10} {'keras-JAX':>10} {'JAX/TF':>7}")
    for size, _, cpu in rows:
        print(f"{SIZES[size][0]:<36} {cpu['seqkit', 'tensorflow']:10.0f} {cpu['seqkit', 'jax']:10.0f} "
              f"{cpu['keras', 'tensorflow']:10.0f} {cpu['keras', 'jax']:10.0f} "
              f"{cpu['seqkit', 'jax'] / cpu['seqkit', 'tensorflow']:7.2f}")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
