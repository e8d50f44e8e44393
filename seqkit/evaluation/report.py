"""Plain-text tables that put the model next to its baselines.

The tables read `forecast_metrics` / `classification_metrics` output and are
meant for a terminal: fixed-width, aligned, no colour. Forecasters appear as
columns in the order of the `results` dict; by convention the keys are
`"model"`, `"naive"` and `"seasonal_naive"`.

Example output of `comparison_table` (monthly data, period 12):

```
Test metrics, original units (25 windows x 12 steps)
metric   model  naive  seasonal_naive
MAE       9.86  57.90           24.70
RMSE     12.39  70.62           26.00
MAPE %    2.84  16.44            7.00
sMAPE %   2.85  16.80            7.28
MASE     0.414  2.432           1.038
model beats seasonal_naive on RMSE by 52.4% (12.39 vs 26.00); MASE 0.414
```
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from seqkit.errors import ConfigError
from seqkit.evaluation.metrics import FORECAST_METRICS

METRIC_LABELS = {
    "mae": "MAE",
    "rmse": "RMSE",
    "mape": "MAPE %",
    "smape": "sMAPE %",
    "mase": "MASE",
}
"""Display label of each forecast metric key."""


def _decimals(values: Sequence[float]) -> int:
    # Four significant digits on the row's largest value, so numbers in one
    # row line up on the decimal point whatever the data's units.
    finite = [
        abs(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)
    ]
    largest = max(finite, default=0.0)
    if largest == 0:
        return 1
    return min(6, max(0, 3 - math.floor(math.log10(largest))))


def _cell(value: Any, decimals: int) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.{decimals}f}"


def _render(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        first = row[0].ljust(widths[0])
        rest = [cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join([first, *rest]).rstrip())
    return "\n".join(lines)


def _check_results(results: Mapping[str, Mapping[str, Any]]) -> None:
    if not results:
        raise ConfigError(
            "`results` is empty; pass {name: forecast_metrics(...)} for the "
            "model and each baseline."
        )
    for name, metrics in results.items():
        if "overall" not in metrics or "per_step" not in metrics:
            raise ConfigError(
                f"`results[{name!r}]` must be the dict `forecast_metrics` returns; "
                f"received keys {sorted(metrics)}."
            )


def _pick(results: Mapping[str, Any], name: str | None, role: str) -> str:
    if name is None:
        for candidate in ("seasonal_naive", "naive"):
            if candidate in results:
                return candidate
        raise ConfigError(
            f"No baseline to compare with: `results` has {sorted(results)}. Add "
            "'seasonal_naive' or 'naive', or pass `baseline=`."
        )
    if name not in results:
        raise ConfigError(
            f"`{role}` {name!r} is not in `results` (received {sorted(results)}). "
            "Pass one of those names."
        )
    return name


def verdict(
    results: Mapping[str, Mapping[str, Any]],
    *,
    model: str = "model",
    baseline: str | None = None,
    metric: str = "rmse",
) -> str:
    """Says in one line whether the model beats a baseline, and by how much.

    Args:
        results: `{forecaster name: forecast_metrics(...) output}`.
        model: Key of the model in `results`.
        baseline: Key to compare with; default `"seasonal_naive"` if present,
            else `"naive"`.
        metric: One of `FORECAST_METRICS` (lower is better for all).

    Returns:
        E.g. `"model beats seasonal_naive on RMSE by 37.0% (12.35 vs 19.61);
        MASE 0.742"` or `"model does not beat naive on RMSE: 20.10 vs 18.00
        (11.7% worse); MASE 1.094"`.

    Raises:
        ConfigError: If a name is not in `results` or `metric` is unknown.
    """
    _check_results(results)
    if metric not in FORECAST_METRICS:
        raise ConfigError(
            f"`metric` must be one of {list(FORECAST_METRICS)}; received {metric!r}."
        )
    model = _pick(results, model, "model")
    baseline = _pick(results, baseline, "baseline")
    label = METRIC_LABELS[metric].split()[0]
    ours = results[model]["overall"][metric]
    theirs = results[baseline]["overall"][metric]
    mase = results[model]["overall"].get("mase")
    tail = f"; MASE {_cell(mase, 3)}" if metric != "mase" else ""
    if not all(isinstance(v, float) and math.isfinite(v) for v in (ours, theirs)):
        return (
            f"cannot compare {model} with {baseline} on {label}: a value is undefined"
        )
    digits = _decimals([ours, theirs])
    pair = f"{ours:.{digits}f} vs {theirs:.{digits}f}"
    if ours < theirs:
        gain = 100 * (theirs - ours) / theirs
        return f"{model} beats {baseline} on {label} by {gain:.1f}% ({pair}){tail}"
    if ours == theirs:
        return f"{model} ties {baseline} on {label} ({pair}){tail}"
    worse = f" ({100 * (ours - theirs) / theirs:.1f}% worse)" if theirs > 0 else ""
    return f"{model} does not beat {baseline} on {label}: {pair}{worse}{tail}"


def headline(results: Mapping[str, Mapping[str, Any]], *, split: str = "test", metric: str = "rmse") -> str:
    """The model's score next to its baselines' in one short line, for a plot's title.

    Args:
        results: `{forecaster name: forecast_metrics(...) output}`, the model first by convention.
        split: The split scored, named in the line.
        metric: One of `FORECAST_METRICS`; MASE is added after it.

    Returns:
        E.g. `"test RMSE 27.80 (seasonal naive 50.70, naive 61.20); MASE 0.412"`.

    Raises:
        ConfigError: If `results` is malformed, has no `"model"`, or `metric` is unknown.
    """
    _check_results(results)
    if metric not in FORECAST_METRICS:
        raise ConfigError(f"`metric` must be one of {list(FORECAST_METRICS)}; received {metric!r}.")
    model = _pick(results, "model", "model")
    values = {name: scores["overall"][metric] for name, scores in results.items()}
    digits = _decimals(list(values.values()))
    others = ", ".join(
        f"{name.replace('_', ' ')} {_cell(value, digits)}" for name, value in values.items() if name != model
    )
    line = f"{split} {METRIC_LABELS[metric].split()[0]} {_cell(values[model], digits)}"
    if others:
        line += f" ({others})"
    if metric != "mase":
        line += f"; MASE {_cell(results[model]['overall'].get('mase'), 3)}"
    return line


def comparison_table(
    results: Mapping[str, Mapping[str, Any]],
    *,
    model: str = "model",
    baseline: str | None = None,
    metric: str = "rmse",
) -> str:
    """Formats overall metrics side by side, with a one-line verdict.

    Rows are metrics (MAE, RMSE, MAPE %, sMAPE %, MASE), columns are
    forecasters in the order of `results`; see the module docstring for an
    example. Undefined values show as `n/a`.

    Args:
        results: `{forecaster name: forecast_metrics(...) output}`, all on
            the same windows.
        model: Key of the model, judged in the verdict.
        baseline: Key the model is judged against; default
            `"seasonal_naive"` if present, else `"naive"`.
        metric: Metric the verdict uses.

    Returns:
        Multi-line text without a trailing newline.

    Raises:
        ConfigError: If `results` is empty or malformed, or a name is not in
            it.
    """
    _check_results(results)
    names = list(results)
    rows = []
    for key in FORECAST_METRICS:
        values = [results[name]["overall"][key] for name in names]
        digits = _decimals(values)
        rows.append([METRIC_LABELS[key], *(_cell(v, digits) for v in values)])
    first = results[names[0]]
    title = "Test metrics, original units"
    if {"n_windows", "horizon"} <= set(first):
        title += f" ({first['n_windows']} windows x {first['horizon']} steps)"
    table = _render(["metric", *names], rows)
    line = verdict(results, model=model, baseline=baseline, metric=metric)
    return f"{title}\n{table}\n{line}"


def horizon_table(
    results: Mapping[str, Mapping[str, Any]], *, metric: str = "rmse"
) -> str:
    """Formats one metric per horizon step, forecasters side by side.

    Shows where in the horizon a model gains or loses against the baselines
    (a recurrent model often wins on later steps only).

    Args:
        results: `{forecaster name: forecast_metrics(...) output}`.
        metric: One of `FORECAST_METRICS`.

    Returns:
        Multi-line text: a title, a header, one row per step (1-based).

    Raises:
        ConfigError: If `results` is empty or malformed, `metric` is unknown,
            or the forecasters' horizons differ.
    """
    _check_results(results)
    if metric not in FORECAST_METRICS:
        raise ConfigError(
            f"`metric` must be one of {list(FORECAST_METRICS)}; received {metric!r}."
        )
    names = list(results)
    columns = [results[name]["per_step"][metric] for name in names]
    if len({len(c) for c in columns}) != 1:
        lengths = {name: len(c) for name, c in zip(names, columns, strict=True)}
        raise ConfigError(
            f"Every forecaster must cover the same horizon; received {lengths}. "
            "Score them on the same windows."
        )
    digits = _decimals([v for column in columns for v in column])
    rows = [
        [str(step + 1), *(_cell(column[step], digits) for column in columns)]
        for step in range(len(columns[0]))
    ]
    return f"{METRIC_LABELS[metric]} by horizon step\n" + _render(
        ["step", *names], rows
    )


def classification_table(metrics: Mapping[str, Any]) -> str:
    """Formats accuracy, the confusion matrix and each class's precision, recall and F1.

    Args:
        metrics: The dict `classification_metrics` returns.

    Returns:
        Multi-line text: accuracy, macro F1 and balanced accuracy, then the confusion matrix with
        true classes as rows and predicted classes as columns, followed by each
        class's precision, recall and F1.

    Example output:

    ```
    accuracy 0.8000, macro F1 0.7917, balanced accuracy 0.8333 (5 samples)
    true \\ predicted  cat  dog  precision  recall      f1
    cat                2    0     0.6667  1.0000  0.8000
    dog                1    2     1.0000  0.6667  0.8000
    ```
    """
    names = list(metrics["class_names"])
    per_class = metrics["per_class"]
    rows = [
        [name, *(str(c) for c in counts), *(_cell(v, 4) for v in (p, r, f))]
        for name, counts, p, r, f in zip(
            names,
            metrics["confusion_matrix"],
            per_class["precision"],
            per_class["recall"],
            per_class["f1"],
            strict=True,
        )
    ]
    head = (
        f"accuracy {metrics['accuracy']:.4f}, macro F1 {_cell(metrics['macro_f1'], 4)}"
        + (f", balanced accuracy {metrics['balanced_accuracy']:.4f}" if "balanced_accuracy" in metrics else "")
        + f" ({metrics['n_samples']} samples)"
    )
    return head + "\n" + _render(["true \\ predicted", *names, "precision", "recall", "f1"], rows)


LANGUAGE_MODEL_ROWS = (
    ("cross-entropy (nats/token)", "cross_entropy"),
    ("perplexity", "perplexity"),
    ("bits per {unit}", "bits_per_token"),
    ("accuracy %", "accuracy"),
)
"""Rows of `language_model_table`: display label and metric key."""


def language_model_table(results: Mapping[str, Mapping[str, Any]], *, level: str = "char") -> str:
    """Formats a language model's scores next to its baselines, one column each.

    Args:
        results: `{"model": token_metrics(...), "unigram": unigram_baseline(...)}`;
            a key missing from one column (the baseline has no accuracy) shows `n/a`.
        level: `char` or `word`: bits per token are labelled bits per character
            or per word.

    Returns:
        The table, then a line saying whether the model beats the last column
        on perplexity.

    Example output:

    ```
    metric                      model  unigram
    cross-entropy (nats/token)  1.660    3.180
    perplexity                   5.26    24.05
    bits per character          2.395    4.588
    accuracy %                  51.32      n/a
    model beats unigram on perplexity (5.26 vs 24.05)
    ```
    """
    if not results:
        raise ConfigError("`results` is empty; pass at least the model's scores.")
    names = list(results)
    unit = "character" if level == "char" else "word"
    rows = []
    for label, key in LANGUAGE_MODEL_ROWS:
        values = [results[name].get(key) for name in names]
        if key == "accuracy":
            values = [None if v is None else 100.0 * v for v in values]
        decimals = _decimals([v for v in values if v is not None])
        rows.append([label.format(unit=unit), *(_cell(v, decimals) for v in values)])
    model, baseline = names[0], names[-1]
    ours, theirs = results[model]["perplexity"], results[baseline]["perplexity"]
    better = "beats" if ours < theirs else "does not beat"
    line = f"{model} {better} {baseline} on perplexity ({ours:.2f} vs {theirs:.2f})"
    return _render(["metric", *names], rows) + "\n" + line


def _grouped(groups: Sequence[tuple[str, int]], header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """`_render` with a line above the header naming groups of columns (`(label, columns it spans)`)."""
    table = _render(header, rows).split("\n")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line, column = "", 0
    for label, span in groups:
        width = sum(widths[column : column + span]) + 2 * (span - 1)
        line += ("  " if column else "") + (label.center(width) if label else " " * width)
        column += span
    return "\n".join([line.rstrip(), *table])


def fold_table(folds: Sequence[Mapping[str, Any]], *, metrics: Sequence[str] = ("rmse", "mae", "mase")) -> str:
    """Formats a backtest's folds: one row per fold, each forecaster's metrics side by side.

    Args:
        folds: Per-fold records with `fold`, `origin` (printable), `train_rows`
            (a count) and `results` (`evaluate_forecast` output on the fold's test windows).
        metrics: The metric keys shown for each forecaster.

    Returns:
        Multi-line text, e.g.

        ```
                                       model              seasonal_naive
        fold  origin      train rows   RMSE    MAE   MASE   RMSE    MAE   MASE
        1     1955-01-01          48  14.20  11.03  0.612  20.95  18.75  1.041
        ```
    """
    names = list(folds[0]["results"])
    header = ["fold", "origin", "train rows"] + [METRIC_LABELS[key].split()[0] for _ in names for key in metrics]
    digits = {
        key: _decimals([fold["results"][name]["overall"][key] for fold in folds for name in names]) for key in metrics
    }
    rows = [
        [str(fold["fold"]), str(fold["origin"]), str(fold["train_rows"])]
        + [_cell(fold["results"][name]["overall"][key], digits[key]) for name in names for key in metrics]
        for fold in folds
    ]
    return _grouped([("", 3), *((name, len(metrics)) for name in names)], header, rows)


def aggregate_table(aggregate: Mapping[str, Any], *, metrics: Sequence[str] = ("rmse", "mae", "mase")) -> str:
    """Formats a backtest's aggregate: each metric's mean and spread over the folds, and the model's wins.

    Args:
        aggregate: `{"folds": K, "mean": {forecaster: {metric: v}}, "std": {...},
            "wins": {baseline: {metric: count}}}`.
        metrics: The metric keys shown.

    Returns:
        Multi-line text: a row per metric (`mean ± std`), then a row of wins on MASE
        against each baseline out of K, e.g. `wins (MASE)  -  6/6  5/6`.
    """
    names = list(aggregate["mean"])
    rows = []
    for key in metrics:
        means = [aggregate["mean"][name][key] for name in names]
        spreads = [aggregate["std"][name][key] for name in names]
        digits = _decimals(means)
        rows.append(
            [METRIC_LABELS[key]]
            + [f"{_cell(m, digits)} ± {_cell(s, digits)}" for m, s in zip(means, spreads, strict=True)]
        )
    k = aggregate["folds"]
    wins = aggregate["wins"]
    rows.append(["wins (MASE)"] + [f"{wins[name]['mase']}/{k}" if name in wins else "-" for name in names])
    return _render([f"mean ± std over {k} folds", *names], rows)


def step_table(aggregate: Mapping[str, Any], *, metrics: Sequence[str] = ("mae", "rmse")) -> str:
    """Formats a backtest's error per horizon step: how it grows with the step, forecasters side by side.

    Args:
        aggregate: `{"folds": K, "per_step": {forecaster: {metric: [v] * horizon}}}`,
            each value the mean over the folds at that step.
        metrics: The metric keys shown for each forecaster.

    Returns:
        Multi-line text: a title, then a row per step (1-based), e.g.

        ```
        per horizon step, mean over 6 folds
                 model        seasonal_naive
        step    MAE   RMSE    MAE   RMSE
        1     12.03  12.03  30.17  30.17
        ```
    """
    per_step = aggregate["per_step"]
    names = list(per_step)
    horizon = len(per_step[names[0]][metrics[0]])
    header = ["step"] + [METRIC_LABELS[key].split()[0] for _ in names for key in metrics]
    digits = {key: _decimals([v for name in names for v in per_step[name][key] if v is not None]) for key in metrics}
    rows = [
        [str(step + 1)] + [_cell(per_step[name][key][step], digits[key]) for name in names for key in metrics]
        for step in range(horizon)
    ]
    title = f"per horizon step, mean over {aggregate['folds']} folds"
    return f"{title}\n{_grouped([('', 1), *((name, len(metrics)) for name in names)], header, rows)}"


def quantile_table(results: Mapping[str, Mapping[str, Any]]) -> str:
    """Formats quantile scores side by side: weighted quantile loss, then each interval's coverage and width.

    Args:
        results: `{forecaster name: quantile_metrics(...) output}`, all on the
            same windows (`evaluate_quantiles`).

    Returns:
        Multi-line text without a trailing newline; e.g.

    ```
    Quantile forecasts, original units (37 windows x 3 steps; levels 0.1, 0.5, 0.9)
    metric                         model  seasonal_naive
    wQL (mean over levels)         0.215           0.391
    80% interval coverage %        78.38           81.08
    80% interval width             61.22           98.47
    ```

    Raises:
        ConfigError: If `results` is empty.
    """
    if not results:
        raise ConfigError("`results` is empty; pass {name: quantile_metrics(...)} for the model and its baseline.")
    names = list(results)
    first = results[names[0]]
    rows = []
    wql = [results[name]["wql"] for name in names]
    rows.append(["wQL (mean over levels)", *(_cell(v, _decimals(wql)) for v in wql)])
    for k, interval in enumerate(first["intervals"]):
        label = f"{100 * interval['nominal']:g}% interval"
        coverage = [100 * results[name]["intervals"][k]["coverage"] for name in names]
        width = [results[name]["intervals"][k]["width"] for name in names]
        rows.append([f"{label} coverage %", *(_cell(v, 2) for v in coverage)])
        rows.append([f"{label} width", *(_cell(v, _decimals(width)) for v in width)])
    levels = ", ".join(f"{q:g}" for q in first["quantiles"])
    title = (
        f"Quantile forecasts, original units ({first['n_windows']} windows x {first['horizon']} steps; "
        f"levels {levels})"
    )
    return f"{title}\n{_render(['metric', *names], rows)}"


def interval_label(interval: Mapping[str, Any]) -> str:
    """A central interval's nominal coverage in percent as the keys and columns name it: `80` for 0.1-0.9."""
    return f"{100 * interval['nominal']:g}"


def quantile_fold_table(folds: Sequence[Mapping[str, Any]]) -> str:
    """Formats a quantile backtest's folds: one row per fold, wQL and each interval's coverage and width.

    Args:
        folds: Per-fold records with `fold`, `origin` (printable), `test_windows`
            and `quantiles` (`evaluate_quantiles` output on the fold's test windows).

    Returns:
        Multi-line text: a title, then a row per fold, each forecaster's columns
        side by side (coverage in percent), e.g.

        ```
        quantile forecasts per fold (test split, original units; levels 0.1, 0.5, 0.9)
                                                   model                     seasonal_naive
        fold      origin  test windows     wQL  80% cov %  80% width     wQL  80% cov %  80% width
        1     1909-01-01            38  0.1840      92.11      58.18  0.2446      87.72      69.22
        ```
    """
    names = list(folds[0]["quantiles"])
    intervals = folds[0]["quantiles"][names[0]]["intervals"]
    columns = ["wQL"] + [f"{interval_label(i)}% {kind}" for i in intervals for kind in ("cov %", "width")]
    header = ["fold", "origin", "test windows"] + [column for _ in names for column in columns]

    def values(fold: Mapping[str, Any], name: str) -> list[float]:
        scores = fold["quantiles"][name]
        return [scores["wql"]] + [v for i in scores["intervals"] for v in (100 * i["coverage"], i["width"])]

    table = [[values(fold, name) for name in names] for fold in folds]
    digits = [
        2 if c % 2 == 1 else _decimals([row[n][c] for row in table for n in range(len(names))])
        for c in range(len(columns))
    ]
    rows = [
        [str(fold["fold"]), str(fold["origin"]), str(fold["test_windows"])]
        + [_cell(v, digits[c]) for per in row for c, v in enumerate(per)]
        for fold, row in zip(folds, table, strict=True)
    ]
    levels = ", ".join(f"{q:g}" for q in folds[0]["quantiles"][names[0]]["quantiles"])
    title = f"quantile forecasts per fold (test split, original units; levels {levels})"
    return f"{title}\n{_grouped([('', 3), *((name, len(columns)) for name in names)], header, rows)}"


def quantile_aggregate_table(aggregate: Mapping[str, Any]) -> str:
    """Formats a quantile backtest's aggregate: mean ± std over the folds, and the pooled coverage and width.

    Args:
        aggregate: A backtest aggregate's `quantiles`: `{"folds": K, "values": N,
            "intervals": [...], "mean": {forecaster: {key: v}}, "std": {...},
            "pooled": {forecaster: {key: v}}}` with keys `wql`, `coverage_80`, `width_80`, ...

    Returns:
        Multi-line text: a row per score (coverage in percent), then a line saying
        what "pooled" counts, e.g.

        ```
        quantiles over 6 folds                model   seasonal_naive
        wQL, mean ± std             0.1851 ± 0.0088  0.2559 ± 0.0119
        80% coverage %, mean ± std    72.08 ± 10.38    72.37 ± 10.54
        80% coverage %, pooled                72.08            72.37
        80% width, mean ± std          48.09 ± 5.20     68.01 ± 1.96
        80% width, pooled                     48.09            68.01
        pooled: counted over all 684 forecast values of the 6 folds' test windows (...)
        ```
    """
    names = list(aggregate["mean"])
    mean, std, pooled = aggregate["mean"], aggregate["std"], aggregate["pooled"]

    def spread(key: str, scale: float, digits: int | None = None) -> list[str]:
        means = [None if mean[n][key] is None else scale * mean[n][key] for n in names]
        spreads = [None if std[n][key] is None else scale * std[n][key] for n in names]
        digits = _decimals(means) if digits is None else digits
        return [f"{_cell(m, digits)} ± {_cell(s, digits)}" for m, s in zip(means, spreads, strict=True)]

    rows = [["wQL, mean ± std", *spread("wql", 1.0)]]
    for interval in aggregate["intervals"]:
        label = interval_label(interval)
        coverage, width = f"coverage_{label}", f"width_{label}"
        widths = [pooled[n][width] for n in names]
        rows += [
            [f"{label}% coverage %, mean ± std", *spread(coverage, 100.0, 2)],
            [f"{label}% coverage %, pooled", *(_cell(100 * pooled[n][coverage], 2) for n in names)],
            [f"{label}% width, mean ± std", *spread(width, 1.0)],
            [f"{label}% width, pooled", *(_cell(w, _decimals(widths)) for w in widths)],
        ]
    k = aggregate["folds"]
    note = (
        f"pooled: counted over all {aggregate['values']} forecast values of the {k} folds' test windows "
        "(the folds' test windows overlap when the step is shorter than the test split)"
    )
    return f"{_render([f'quantiles over {k} folds', *names], rows)}\n{note}"


def panel_table(summary: Mapping[str, Any], *, split: str = "test") -> str:
    """The summary as text: mean (median) per metric and forecaster, wins per baseline, the worst series."""
    mean, median = summary["mean"], summary["median"]
    names = list(mean)
    rows = []
    for key in FORECAST_METRICS:
        values = [mean[name][key] for name in names] + [median[name][key] for name in names]
        digits = _decimals([v for v in values if math.isfinite(v)] or [1.0])
        rows.append([
            METRIC_LABELS[key],
            *(f"{_cell(mean[name][key], digits)} ({_cell(median[name][key], digits)})" for name in names),
        ])
    n = summary["n_series"]
    lines = [
        f"{split.capitalize()} metrics per series, original units: mean (median) over {n} series "
        "(MAE and RMSE in each series' own units)",
        _render(["metric", *names], rows),
    ]
    for name, record in summary["beats"].items():
        lines.append(
            f"model beats {name} on MASE in {record['series']} of {n} series ({100 * record['share']:.0f}%)"
        )
    worst = ", ".join(
        f"{record['series']} {_cell(record['model'], 3)}"
        + "".join(f" / {name.replace('_', ' ')} {_cell(record[name], 3)}" for name in names if name != "model")
        for record in summary["worst"]
    )
    lines.append(f"worst {len(summary['worst'])} series by model MASE (model / baselines): {worst}")
    return "\n".join(lines)
