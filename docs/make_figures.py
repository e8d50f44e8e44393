"""Draw the figures under docs/ that the README shows: `python docs/make_figures.py` (about a minute on a CPU).

- `lstm_cell.png`: `seqkit.evaluation.draw_cell("lstm")`.
- `gates.png`: the input window, gates, cell state and output of an LSTM forecasting the sunspots
  on its first test window (`seqkit.inspect` on a run of `configs/sunspots.yaml` with
  `model.cell=lstm`, trained for 60 epochs).
- `gradient_norms.png`: the gradient's norm per input step of a SimpleRNN and an LSTM of the same
  size, trained (30 epochs, Adam at 0.01) on the same task whose answer is the first of 40 steps
  (`seqkit.inference.gradient_norms`). The picture is how far back each one's gradient reaches:
  the script prints both at step 0 and step 39 (the README quotes them).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def first_step_task(n: int = 3000, steps: int = 40, seed: int = 0):
    """Noise sequences whose target is their first value: only a gradient that reaches step 0 can learn it."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, steps, 1)).astype("float32")
    return x, x[:, :1, :1].copy()


def main() -> int:
    import keras

    import seqkit
    from seqkit import ModelConfig, OptimizerConfig, SequenceSpec, build_model
    from seqkit.evaluation import draw_cell, plot_gates, plot_gradient_norms
    from seqkit.inference import gradient_norms

    keras.utils.set_random_seed(0)
    out = ROOT / "docs"
    draw_cell("lstm").savefig(out / "lstm_cell.png", dpi=80)
    with tempfile.TemporaryDirectory() as runs:
        run = seqkit.train(ROOT / "configs" / "sunspots.yaml", overrides=["model.cell=lstm", "train.epochs=60"],
                           runs_dir=runs, verbose=0)
        plot_gates(seqkit.inspect(run, windows=1), units=4).savefig(out / "gates.png", dpi=55)
    x, y = first_step_task()
    norms = {}
    for cell, label in (("rnn", "SimpleRNN(16)"), ("lstm", "LSTM(16)")):
        model = build_model(ModelConfig(cell=cell, layers=[16]), SequenceSpec(lookback=40, n_features=1, horizon=1),
                            optimizer=OptimizerConfig(learning_rate=0.01))
        model.fit(x, y, epochs=30, batch_size=64, verbose=0)
        norms[label] = gradient_norms(model, x[:200])
    plot_gradient_norms(norms, title="Trained to answer with step 0 of 40: how far back each gradient reaches").savefig(
        out / "gradient_norms.png", dpi=80
    )
    for label, values in norms.items():
        print(f"{label}: gradient norm at step 0 {values[0]:.2e}, at step 39 {values[-1]:.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
