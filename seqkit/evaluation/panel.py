"""A panel's scores: every series judged on its own scale, then summarised over the series.

Each series is scored by `evaluate_forecast` with its own MASE scale (the
in-sample naive error of that series' training rows), so a series of millions
and one of tens weigh alike in MASE. The summary gives, per forecaster, the
mean and median over series of each metric, the share of series where the
model's MASE is below each baseline's, and the series where the model does
worst.

Example output of `seqkit.evaluation.report.panel_table` (22 series):

```
Per-series metrics, original units: mean (median) over 22 series
metric          model          naive
MAE       45.1 (12.3)    60.2 (15.0)
...
MASE    0.912 (0.850)  1.104 (1.020)
model beats naive on MASE in 15 of 22 series (68%)
worst 5 series by model MASE: ...
```
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from seqkit.errors import ConfigError
from seqkit.evaluation.metrics import FORECAST_METRICS

#: How many of the model's worst series the summary names.
WORST = 5


def panel_summary(per_series: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """Summarise per-series scores over the series.

    Args:
        per_series: `{series id: evaluate_forecast(...) output}`: every series scored
            by the same forecasters (`"model"` among them).

    Returns:
        JSON-ready: `n_series`; `mean` and `median`: `{forecaster: {metric: value}}`
        over the series' overall scores (NaN scores, e.g. MAPE of a series of zeros,
        are left out of their metric); `beats`: `{baseline: {"series": count,
        "share": fraction}}` of the series where the model's MASE is lower than the
        baseline's; `worst`: up to `WORST` `{series, model, <baseline>...}` records of
        MASE, the model's highest first.

    Raises:
        ConfigError: No series, no `"model"`, or series scored by different forecasters.
    """
    if not per_series:
        raise ConfigError("`per_series` is empty; score at least one series")
    names = list(next(iter(per_series.values())))
    if "model" not in names or any(list(results) != names for results in per_series.values()):
        raise ConfigError(
            f"every series must be scored by the same forecasters, `model` among them; received {names}"
        )
    ids = list(per_series)
    scores = {
        name: {key: np.array([per_series[i][name]["overall"][key] for i in ids], dtype=np.float64)
               for key in FORECAST_METRICS}
        for name in names
    }

    def over(reduce) -> dict[str, dict[str, float]]:
        return {
            name: {key: float(reduce(v[~np.isnan(v)])) if (~np.isnan(v)).any() else float("nan")
                   for key, v in metrics.items()}
            for name, metrics in scores.items()
        }

    model = scores["model"]["mase"]
    beats = {}
    for name in names:
        if name == "model":
            continue
        wins = int(np.sum(model < scores[name]["mase"]))
        beats[name] = {"series": wins, "share": wins / len(ids)}
    order = np.argsort(-np.nan_to_num(model, nan=np.inf), kind="stable")[:WORST]
    worst = [
        {"series": ids[k], **{name: float(scores[name]["mase"][k]) for name in names}} for k in order
    ]
    return {"n_series": len(ids), "mean": over(np.mean), "median": over(np.median), "beats": beats, "worst": worst}
