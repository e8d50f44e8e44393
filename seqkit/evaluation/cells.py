"""Figures of what happens inside a recurrent cell: the cell drawn, its gates over time, gradients per step.

Each function returns a matplotlib `Figure` (no pyplot, no file), for a
notebook to show or `fig.savefig(...)` to write:

- `draw_cell("lstm" | "gru" | "rnn")`: the cell's gates and data flow, with the
  equations of `seqkit.reference` beside it;
- `plot_gates(inspection)`: every gate, the output `h_t` and (LSTM) the cell state
  `c_t` of one window, step by step (`seqkit.inspect`);
- `plot_gradient_norms({"SimpleRNN": norms, "LSTM": norms})`: the gradient's norm per
  input step (`seqkit.inference.gradient_norms`), on a log scale: the
  vanishing-gradient picture.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from seqkit.errors import ConfigError
from seqkit.evaluation.plots import figure_grid

_EQUATIONS = {
    "rnn": ["h_t = tanh(x_t W + h_{t-1} U + b)"],
    "lstm": [
        "i = σ(x W_i + h U_i + b_i)   input gate",
        "f = σ(x W_f + h U_f + b_f)   forget gate",
        "g = tanh(x W_g + h U_g + b_g)   candidate",
        "o = σ(x W_o + h U_o + b_o)   output gate",
        "c_t = f ⊙ c_{t-1} + i ⊙ g",
        "h_t = o ⊙ tanh(c_t)",
    ],
    "gru": [
        "z = σ(x W_z + h U_z + b_z)   update gate",
        "r = σ(x W_r + h U_r + b_r)   reset gate",
        "h̃ = tanh(x W_h + b_h + r ⊙ (h U_h + b'_h))",
        "h_t = z ⊙ h_{t-1} + (1 - z) ⊙ h̃",
    ],
}

# Each cell as boxes (name: x, y, label, kind) and arrows (from, to), on a 10 x 6 canvas.
_LAYOUT = {
    "rnn": (
        {"x": (1.0, 1.0, "x_t", "io"), "h0": (1.0, 3.0, "h_{t-1}", "io"), "sum": (4.0, 2.0, "W x + U h + b", "op"),
         "tanh": (6.5, 2.0, "tanh", "gate"), "h": (9.0, 2.0, "h_t", "io")},
        [("x", "sum"), ("h0", "sum"), ("sum", "tanh"), ("tanh", "h")],
    ),
    "lstm": (
        {"c0": (0.7, 5.0, "c_{t-1}", "io"), "times_f": (3.0, 5.0, "×", "op"), "plus": (5.5, 5.0, "+", "op"),
         "c": (9.3, 5.0, "c_t", "io"), "x": (0.7, 0.5, "x_t, h_{t-1}", "io"),
         "f": (2.0, 2.2, "σ\nforget f", "gate"), "i": (3.6, 2.2, "σ\ninput i", "gate"),
         "g": (5.2, 2.2, "tanh\ncandidate g", "gate"), "o": (6.8, 2.2, "σ\noutput o", "gate"),
         "times_i": (4.4, 3.7, "×", "op"), "tanh_c": (8.0, 3.7, "tanh", "op"), "times_o": (8.0, 2.2, "×", "op"),
         "h": (9.3, 0.5, "h_t", "io")},
        [("c0", "times_f"), ("times_f", "plus"), ("plus", "c"), ("x", "f"), ("x", "i"), ("x", "g"), ("x", "o"),
         ("f", "times_f"), ("i", "times_i"), ("g", "times_i"), ("times_i", "plus"), ("plus", "tanh_c"),
         ("tanh_c", "times_o"), ("o", "times_o"), ("times_o", "h")],
    ),
    "gru": (
        {"h0": (0.7, 5.0, "h_{t-1}", "io"), "times_z": (4.0, 5.0, "×", "op"), "plus": (7.0, 5.0, "+", "op"),
         "h": (9.3, 5.0, "h_t", "io"), "x": (0.7, 0.5, "x_t", "io"),
         "z": (2.5, 2.4, "σ\nupdate z", "gate"), "r": (4.3, 2.4, "σ\nreset r", "gate"),
         "cand": (6.3, 2.4, "tanh\ncandidate h̃", "gate"), "one_minus": (5.4, 3.8, "1 - z", "op"),
         "times_c": (7.0, 3.8, "×", "op")},
        [("h0", "times_z"), ("times_z", "plus"), ("plus", "h"), ("x", "z"), ("x", "r"), ("x", "cand"),
         ("h0", "z"), ("h0", "r"), ("h0", "cand"), ("r", "cand"), ("z", "times_z"), ("z", "one_minus"),
         ("one_minus", "times_c"), ("cand", "times_c"), ("times_c", "plus")],
    ),
}
_COLOURS = {"io": "#f2f2f2", "op": "#fff2cc", "gate": "#dae8fc"}
_TITLES = {"rnn": "SimpleRNN cell", "lstm": "LSTM cell", "gru": "GRU cell (Keras' reset_after)"}


def draw_cell(kind: str = "lstm"):
    """The cell's gates and data flow, with its equations beside.

    Args:
        kind: `lstm`, `gru` or `rnn` (SimpleRNN).

    Returns:
        A matplotlib `Figure`.

    Raises:
        ConfigError: An unknown kind.
    """
    if kind not in _LAYOUT:
        raise ConfigError(f"`kind` must be one of {sorted(_LAYOUT)}; received {kind!r}")
    from matplotlib.patches import FancyBboxPatch

    nodes, edges = _LAYOUT[kind]
    fig, axes = figure_grid(11, 4.2, 1, 2, sharex=False)
    ax, text = axes[0]
    for name, (x, y, label, style) in nodes.items():
        width = 1.3 if style == "gate" else (1.5 if style == "io" else 0.9)
        ax.add_patch(FancyBboxPatch(
            (x - width / 2, y - 0.4), width, 0.8, boxstyle="round,pad=0.05", facecolor=_COLOURS[style],
            edgecolor="#555555", linewidth=1,
        ))
        ax.text(x, y, label, ha="center", va="center", fontsize=8, gid=f"node-{name}")
    for start, end in edges:
        (x0, y0, *_), (x1, y1, *_) = nodes[start], nodes[end]
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops={"arrowstyle": "->", "color": "#333333", "shrinkA": 14, "shrinkB": 14})
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 6)
    ax.set_axis_off()
    ax.set_title(_TITLES[kind])
    text.set_axis_off()
    for k, line in enumerate(_EQUATIONS[kind]):
        text.text(0.0, 0.9 - 0.13 * k, line, fontsize=10, family="monospace", transform=text.transAxes)
    text.set_title("equations (seqkit.reference)")
    return fig


def plot_gates(inspection, *, layer: str | None = None, window: int = 0, units: int = 8):
    """The input window, then every gate, (LSTM) `c_t` and `h_t` of one window, step by step, one panel each.

    Args:
        inspection: What `seqkit.inspect` returned.
        layer: The recurrent layer (default: the first).
        window: Which inspected window.
        units: How many units to draw (the first ones), one line each.

    Returns:
        A matplotlib `Figure`.

    Raises:
        ConfigError: An unknown layer or a window out of range.
    """
    names = list(inspection.layers)
    layer = layer or names[0]
    if layer not in inspection.layers:
        raise ConfigError(f"`layer` must be one of {names}; received {layer!r}")
    trace = inspection.layers[layer]
    if not 0 <= window < len(trace.outputs):
        raise ConfigError(f"`window` must be in 0..{len(trace.outputs) - 1}; received {window}")
    panels = {}
    inputs = np.asarray(inspection.inputs)
    if inputs.ndim == 3 and inputs.shape[1] == trace.outputs.shape[1]:
        names = inspection.feature_names or [f"x{j}" for j in range(inputs.shape[2])]
        panels["input (model space)"] = (inputs, list(names)[: inputs.shape[2]])
    panels.update({f"{name} gate" if name != "candidate" else "candidate": values
                   for name, values in trace.gates.items()})
    if trace.cell_states is not None:
        panels["cell state c_t"] = trace.cell_states
    panels["output h_t"] = trace.outputs
    fig, axes = figure_grid(9, 1.6 * len(panels) + 0.6, len(panels), sharex=False)
    steps = np.arange(trace.outputs.shape[1])
    for ax, (title, values) in zip(axes[:, 0], panels.items(), strict=True):
        if isinstance(values, tuple):  # the input window, one line per feature
            values, labels = values
            for j, label in enumerate(labels):
                ax.plot(steps, values[window, :, j], linewidth=1.2, color="black" if j == 0 else None, label=label)
            if len(labels) > 1:
                ax.legend(fontsize=7, loc="upper left")
        else:
            for unit in range(min(units, values.shape[2])):
                ax.plot(steps, values[window, :, unit], linewidth=1)
        ax.set_ylabel(title, fontsize=8)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("input step")
    fig.suptitle(f"{layer} ({trace.cell.upper() if trace.cell != 'rnn' else 'SimpleRNN'}), window {window}: "
                 f"the first {min(units, trace.outputs.shape[2])} units")
    return fig


def plot_gradient_norms(norms: Mapping[str, np.ndarray], *, title: str | None = None):
    """The gradient's norm per input step for each model, on a log scale.

    Args:
        norms: `{label: gradient_norms(...)}`, each `(time,)`.
        title: The figure's title.

    Returns:
        A matplotlib `Figure`.
    """
    if not norms:
        raise ConfigError("`norms` is empty; give at least one model's gradient norms")
    fig, axes = figure_grid(8, 3.5)
    ax = axes[0, 0]
    for label, values in norms.items():
        values = np.asarray(values, dtype=np.float64)
        ax.semilogy(np.arange(len(values)), np.maximum(values, 1e-30), marker=".", label=label)
    ax.set_xlabel("input step (the last is nearest the output)")
    ax.set_ylabel("|| d output / d x_t ||")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    ax.set_title(title or "How far back the gradient reaches")
    return fig
