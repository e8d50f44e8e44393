"""Evaluation: metrics, baselines, comparison tables and plots.

A forecast run is judged by `evaluate_forecast`, which scores the model next
to the naive and seasonal-naive forecasts on the same test windows, and shown
with `comparison_table` and `horizon_table`. Classification runs use
`classification_metrics` and `classification_table`; language models
`token_metrics` next to `unigram_baseline`, shown with `language_model_table`. Quantile
forecasts are scored by `evaluate_quantiles` next to a seasonal-naive interval and shown
with `quantile_table`. A panel's series are each scored by `evaluate_forecast` and summarised
by `panel_summary` / `panel_table`. Plots are in
`seqkit.evaluation.plots` (matplotlib is imported only when one is drawn); the insides of a
cell (`draw_cell`, `plot_gates`, `plot_gradient_norms`) in `seqkit.evaluation.cells`.
"""

from seqkit.evaluation.baselines import (
    infer_season,
    naive_forecast,
    seasonal_naive_forecast,
    seasonal_naive_quantiles,
)
from seqkit.evaluation.cells import draw_cell, plot_gates, plot_gradient_norms
from seqkit.evaluation.comparison import evaluate_forecast, evaluate_quantiles
from seqkit.evaluation.language import token_metrics, unigram_baseline
from seqkit.evaluation.metrics import (
    FORECAST_METRICS,
    classification_metrics,
    forecast_metrics,
    mase_scale,
    pinball_loss,
    quantile_metrics,
)
from seqkit.evaluation.panel import panel_summary
from seqkit.evaluation.plots import plot_confusion_matrix, plot_forecast, plot_history, plot_search
from seqkit.evaluation.report import (
    classification_table,
    comparison_table,
    horizon_table,
    language_model_table,
    panel_table,
    quantile_table,
    verdict,
)

__all__ = [
    "FORECAST_METRICS",
    "classification_metrics",
    "classification_table",
    "comparison_table",
    "draw_cell",
    "evaluate_forecast",
    "evaluate_quantiles",
    "forecast_metrics",
    "horizon_table",
    "infer_season",
    "language_model_table",
    "mase_scale",
    "panel_summary",
    "panel_table",
    "pinball_loss",
    "naive_forecast",
    "plot_confusion_matrix",
    "plot_forecast",
    "plot_gates",
    "plot_gradient_norms",
    "plot_history",
    "plot_search",
    "quantile_metrics",
    "quantile_table",
    "seasonal_naive_forecast",
    "seasonal_naive_quantiles",
    "token_metrics",
    "unigram_baseline",
    "verdict",
]
