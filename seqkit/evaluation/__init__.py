"""Evaluation: metrics, baselines, comparison tables and plots.

A forecast run is judged by `evaluate_forecast`, which scores the model next
to the naive and seasonal-naive forecasts on the same test windows, and shown
with `comparison_table` and `horizon_table`. Classification runs use
`classification_metrics` and `classification_table`; language models
`token_metrics` next to `unigram_baseline`, shown with `language_model_table`. Plots are in
`seqkit.evaluation.plots` (matplotlib is imported only when one is drawn).
"""

from seqkit.evaluation.baselines import (
    infer_season,
    naive_forecast,
    seasonal_naive_forecast,
)
from seqkit.evaluation.comparison import evaluate_forecast
from seqkit.evaluation.language import token_metrics, unigram_baseline
from seqkit.evaluation.metrics import (
    FORECAST_METRICS,
    classification_metrics,
    forecast_metrics,
    mase_scale,
)
from seqkit.evaluation.plots import plot_forecast, plot_history, plot_search
from seqkit.evaluation.report import (
    classification_table,
    comparison_table,
    horizon_table,
    language_model_table,
    verdict,
)

__all__ = [
    "FORECAST_METRICS",
    "classification_metrics",
    "classification_table",
    "comparison_table",
    "evaluate_forecast",
    "forecast_metrics",
    "horizon_table",
    "infer_season",
    "language_model_table",
    "mase_scale",
    "naive_forecast",
    "plot_forecast",
    "plot_history",
    "plot_search",
    "seasonal_naive_forecast",
    "token_metrics",
    "unigram_baseline",
    "verdict",
]
