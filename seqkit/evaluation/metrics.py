"""Forecast and classification metrics, as JSON-ready dicts.

Forecast metrics are computed in original units (after inverse scaling), over
every window of the held-out split, overall and per horizon step. The same
function scores the model and the baselines, so their numbers compare like for
like; pass the same `scale` to every call.

Definitions, with `e = y_pred - y_true` over all windows, steps and targets:

- MAE   = mean(|e|)
- RMSE  = sqrt(mean(e**2))
- MAPE  = 100 * mean(|e| / |y_true|) over the elements whose actual is not
  zero (a zero actual has no percentage error); NaN if every actual is zero.
- sMAPE = 100 * mean(2 |e| / (|y_true| + |y_pred|)), in [0, 200]; an element
  whose actual and forecast are both zero counts as a perfect 0.
- MASE  = mean over targets of MAE_target / scale_target, where `scale` is the
  in-sample MAE of the seasonal naive forecast on the training series
  (`mase_scale`; Hyndman and Koehler, 2006). MASE < 1 means the forecast's
  errors are smaller than those of the one-season-back forecast made inside
  the training data. A target whose scale is zero (a training series that
  repeats itself exactly) has no MASE: its value, and the mean over targets,
  is NaN.

Per-horizon-step values apply the same formulas to the windows' step `h`
only. When targets have different units, MAE and RMSE mix them; MAPE, sMAPE
and MASE are unit-free.

Quantile forecasts (`quantile_metrics`), with `y_q` the forecast of level `q`:

- pinball_q = mean(max(q (y_true - y_q), (q - 1) (y_true - y_q)))
- wQL_q = 2 * sum(pinball terms of level q) / sum(|y_true|), and wQL the mean
  over the levels: GluonTS' `weighted_quantile_loss` and `mean_wQuantileLoss`
  (gluonts.evaluation.metrics, whose `quantile_loss` is
  `2 * sum(|(y_q - y) * ((y <= y_q) - q)|)`), the same as AutoGluon's `WQL`.
  Averaged over many levels it approximates the CRPS scaled by `sum(|y|)`;
  lower is better, and at the single level 0.5 it is the WAPE (sum|e| / sum|y|).
- coverage of the central interval `[y_q, y_(1-q)]` = share of actuals inside
  it, ends included (nominal `1 - 2q`: 0.1 and 0.9 give an 80% interval), and
  its width = mean(y_(1-q) - y_q), in original units. Coverage near the
  nominal value with a narrower width is better.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from seqkit.errors import DataError

FORECAST_METRICS = ("mae", "rmse", "mape", "smape", "mase")
"""Keys of the forecast metrics, in display order."""


def _as_block(name: str, value: Any) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 2:
        array = array[:, :, np.newaxis]
    if array.ndim != 3 or array.size == 0:
        raise DataError(
            f"`{name}` must be a non-empty array of shape (n_windows, horizon, "
            f"n_targets), or (n_windows, horizon) for one target; received "
            f"shape {array.shape}."
        )
    bad = int(np.count_nonzero(~np.isfinite(array)))
    if bad:
        raise DataError(
            f"`{name}` must be finite; received {bad} NaN or infinite values "
            f"out of {array.size}. Check the data for gaps, or the model for "
            "divergence, before evaluating."
        )
    return array


def require_positive_int(name: str, value, advice: str) -> None:
    """Raise `DataError` unless `value` is a positive int (bools refused).

    Raises:
        DataError: naming `name`, the value received, and `advice`.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise DataError(f"`{name}` must be a positive int; received {value!r}. {advice}")


def mase_scale(train_series: np.ndarray, season: int = 1) -> np.ndarray:
    """Returns the MASE denominator: in-sample MAE of the seasonal naive.

    `scale[j] = mean(|y[t, j] - y[t - season, j]|)` for `t` in
    `season .. n_train - 1`. With `season=1` it is the MAE of the plain naive
    (last value) forecast.

    Args:
        train_series: float `(n_train,)` or `(n_train, n_targets)`: the
            training part of the target series, in original units.
        season: Seasonal period in steps; 1 for non-seasonal data.

    Returns:
        float64 `(n_targets,)`. May contain zeros for a series that repeats
        exactly; `forecast_metrics` reports NaN MASE for such targets.

    Raises:
        DataError: If `season` is not a positive int, or the series has no
            more than `season` steps.

    Example:
        >>> mase_scale(np.array([1.0, 2.0, 4.0, 7.0]))
        array([2.])
    """
    require_positive_int("season", season, "Use 1 for non-seasonal data.")
    series = np.asarray(train_series, dtype=np.float64)
    if series.ndim == 1:
        series = series[:, np.newaxis]
    if series.ndim != 2:
        raise DataError(
            "`train_series` must have shape (n_train,) or (n_train, n_targets); "
            f"received shape {series.shape}."
        )
    if series.shape[0] <= season:
        raise DataError(
            f"`train_series` has {series.shape[0]} steps, but the MASE scale "
            f"with `season` {season} needs at least {season + 1}. Use a longer "
            "training split or a shorter season."
        )
    return np.mean(np.abs(series[season:] - series[:-season]), axis=0)


def _floats(values: np.ndarray) -> list[float]:
    return [float(v) for v in values]


def forecast_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, *, scale: np.ndarray | float
) -> dict[str, Any]:
    """Scores a block of forecasts against the actuals, in original units.

    See the module docstring for the definitions.

    Args:
        y_true: float `(n_windows, horizon, n_targets)` actuals, or
            `(n_windows, horizon)` for one target.
        y_pred: Forecasts of the same shape.
        scale: float `(n_targets,)` (or a scalar for one target) from
            `mase_scale` on the training series.

    Returns:
        A dict of plain Python values:

        - `"overall"`: `{metric: float}` over every element.
        - `"per_step"`: `{metric: [float] * horizon}`.
        - `"per_target"`: `{metric: [float] * n_targets}`.
        - `"n_windows"`, `"horizon"`, `"n_targets"`: ints.

        Metric keys are `FORECAST_METRICS`; MAPE and sMAPE are percentages.
        Undefined values (MAPE with all-zero actuals, MASE with a zero scale)
        are `float("nan")`.

    Raises:
        DataError: If the shapes differ or are not 2-D/3-D, a value is NaN or
            infinite, or `scale` has the wrong length or a negative entry.

    Example:
        >>> m = forecast_metrics([[1.0, 2.0], [3.0, 4.0]],
        ...                      [[2.0, 2.0], [3.0, 6.0]], scale=1.0)
        >>> m["overall"]["mae"], m["per_step"]["mae"]
        (0.75, [0.5, 1.0])
    """
    y_true = _as_block("y_true", y_true)
    y_pred = _as_block("y_pred", y_pred)
    if y_true.shape != y_pred.shape:
        raise DataError(
            "`y_true` and `y_pred` must have the same shape; received "
            f"{y_true.shape} and {y_pred.shape}."
        )
    n_windows, horizon, n_targets = y_true.shape
    scale = np.atleast_1d(np.asarray(scale, dtype=np.float64))
    if scale.shape != (n_targets,) or np.any(scale < 0) or np.any(np.isnan(scale)):
        raise DataError(
            f"`scale` must hold {n_targets} non-negative value(s), one per "
            f"target; received {scale.tolist()}. Compute it with "
            "`mase_scale(series[:train_len], season)`."
        )

    abs_err = np.abs(y_pred - y_true)
    sq_err = abs_err**2
    nonzero = y_true != 0
    ape = np.divide(abs_err, np.abs(y_true), out=np.zeros_like(abs_err), where=nonzero)
    denom = np.abs(y_true) + np.abs(y_pred)
    # Both zero means a perfect forecast of zero: 0 error, not 0/0.
    sape = np.divide(2 * abs_err, denom, out=np.zeros_like(abs_err), where=denom > 0)
    safe_scale = np.where(scale > 0, scale, np.nan)

    def summarise(axes: tuple[int, ...]) -> dict[str, np.ndarray]:
        count = np.sum(nonzero, axis=axes)
        mape_sum = np.sum(ape, axis=axes)
        return {
            "mae": np.mean(abs_err, axis=axes),
            "rmse": np.sqrt(np.mean(sq_err, axis=axes)),
            "mape": 100
            * np.divide(
                mape_sum,
                count,
                out=np.full(np.shape(count), np.nan),
                where=count > 0,
            ),
            "smape": 100 * np.mean(sape, axis=axes),
        }

    overall = summarise((0, 1, 2))
    per_step = summarise((0, 2))
    per_target = summarise((0, 1))
    # MASE is a ratio per target, then averaged: errors of targets in
    # different units must be scaled before they are combined.
    per_target["mase"] = per_target["mae"] / safe_scale
    overall["mase"] = np.mean(per_target["mase"])
    per_step["mase"] = np.mean(np.mean(abs_err, axis=0) / safe_scale, axis=1)

    return {
        "overall": {k: float(overall[k]) for k in FORECAST_METRICS},
        "per_step": {k: _floats(per_step[k]) for k in FORECAST_METRICS},
        "per_target": {k: _floats(per_target[k]) for k in FORECAST_METRICS},
        "n_windows": int(n_windows),
        "horizon": int(horizon),
        "n_targets": int(n_targets),
    }


def classification_metrics(
    y_true_labels: np.ndarray,
    y_pred_proba: np.ndarray,
    class_names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Scores class predictions: accuracy, confusion matrix, per-class precision, recall and F1 (scikit-learn).

    Args:
        y_true_labels: int `(n_samples,)` class indices in `0 .. n_classes - 1`,
            or one-hot `(n_samples, n_classes)`.
        y_pred_proba: float `(n_samples, n_classes)` scores (softmax output;
            the predicted class is the argmax), or `(n_samples,)` /
            `(n_samples, 1)` sigmoid probabilities of class 1 for a binary
            task (class 1 when >= 0.5).
        class_names: Optional names, one per class; default `"0"`, `"1"`, ...

    Returns:
        A dict of plain Python values:

        - `"accuracy"`: float, share of samples whose predicted class is right.
        - `"n_samples"`: int.
        - `"class_names"`: list of str.
        - `"confusion_matrix"`: `list[list[int]]`, `[true][predicted]` counts.
        - `"macro_f1"`: float, the mean F1 over the classes present.
        - `"balanced_accuracy"`: float, the mean recall over the classes present
          (scikit-learn's `balanced_accuracy_score`).
        - `"per_class"`: `{"precision": [...], "recall": [...], "f1": [...],
          "support": [...]}` from scikit-learn; precision is NaN for a class
          never predicted, recall and F1 for a class never present.

    Raises:
        DataError: If the arrays are empty, their lengths differ, or a label
            is not a class index.

    Example:
        >>> m = classification_metrics([0, 1, 1], [[0.9, 0.1], [0.6, 0.4],
        ...                                        [0.2, 0.8]])
        >>> m["accuracy"], m["confusion_matrix"]
        (0.6666666666666666, [[1, 0], [1, 1]])
    """
    proba = np.asarray(y_pred_proba, dtype=np.float64)
    if proba.ndim == 2 and proba.shape[1] == 1:
        proba = proba[:, 0]
    if proba.ndim == 1:
        n_classes = 2
        predicted = (proba >= 0.5).astype(np.int64)
    elif proba.ndim == 2:
        n_classes = proba.shape[1]
        predicted = np.argmax(proba, axis=1)
    else:
        raise DataError(
            "`y_pred_proba` must have shape (n_samples, n_classes), or "
            f"(n_samples,) for a binary task; received shape {proba.shape}."
        )

    labels = np.asarray(y_true_labels)
    if labels.ndim == 2 and labels.shape[1] > 1:
        labels = np.argmax(labels, axis=1)
    labels = labels.reshape(-1) if labels.ndim == 2 else labels
    if labels.ndim != 1 or labels.shape[0] != proba.shape[0] or labels.size == 0:
        raise DataError(
            "`y_true_labels` and `y_pred_proba` must describe the same, "
            f"non-empty set of samples; received shapes {np.shape(y_true_labels)} "
            f"and {np.shape(y_pred_proba)}."
        )
    as_int = labels.astype(np.int64)
    invalid = (as_int != labels) | (as_int < 0) | (as_int >= n_classes)
    if np.any(invalid):
        raise DataError(
            f"`y_true_labels` must be class indices 0..{n_classes - 1}; received "
            f"{labels[invalid][:5].tolist()} (first invalid values). Encode the "
            "labels with the same class list the model was trained on."
        )

    if class_names is None:
        class_names = [str(i) for i in range(n_classes)]
    class_names = [str(name) for name in class_names]
    if len(class_names) != n_classes:
        raise DataError(
            f"`class_names` must have one name per class ({n_classes}); "
            f"received {len(class_names)}: {class_names}."
        )

    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    classes = np.arange(n_classes)
    confusion = confusion_matrix(as_int, predicted, labels=classes)
    precision, recall, f1, support = precision_recall_fscore_support(
        as_int, predicted, labels=classes, average=None, zero_division=np.nan
    )
    # A class never present has no recall and so no F1; the macro mean is over classes with a defined F1.
    f1 = np.where(confusion.sum(axis=1) > 0, f1, np.nan)
    defined = f1[np.isfinite(f1)]
    return {
        "accuracy": float(np.trace(confusion) / as_int.size),
        "n_samples": int(as_int.size),
        "class_names": class_names,
        "confusion_matrix": confusion.tolist(),
        "macro_f1": float(defined.mean()) if defined.size else float("nan"),
        "balanced_accuracy": float(np.nanmean(np.where(confusion.sum(axis=1) > 0, recall, np.nan))),
        "per_class": {
            "precision": _floats(precision),
            "recall": _floats(recall),
            "f1": _floats(f1),
            "support": [int(s) for s in support],
        },
    }


def pinball_loss(y_true: np.ndarray, y_quantiles: np.ndarray, quantiles: Sequence[float]) -> np.ndarray:
    """Mean pinball (quantile) loss of each level.

    Args:
        y_true: float `(n_windows, horizon, n_targets)` actuals (or `(n_windows, horizon)`).
        y_quantiles: float `(n_windows, horizon, n_targets, n_quantiles)` forecasts
            (or `(n_windows, horizon, n_quantiles)` for one target).
        quantiles: The `n_quantiles` levels, in the order of the last axis.

    Returns:
        float64 `(n_quantiles,)`: `mean(max(q e, (q - 1) e))` with `e = y_true - y_q`.

    Raises:
        DataError: If the shapes disagree or a value is NaN or infinite.

    Example:
        >>> pinball_loss([[3.0]], [[[1.0, 2.0, 4.0]]], [0.1, 0.5, 0.9]).round(4)
        array([0.2, 0.5, 0.1])
    """
    y_true, y_q, levels = _quantile_block(y_true, y_quantiles, quantiles)
    return np.mean(_pinball_terms(y_true, y_q, levels), axis=(0, 1, 2))


def _pinball_terms(y_true: np.ndarray, y_q: np.ndarray, levels: np.ndarray) -> np.ndarray:
    error = y_true[..., np.newaxis] - y_q
    return np.maximum(levels * error, (levels - 1) * error)


def _quantile_block(y_true, y_quantiles, quantiles) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y_true = _as_block("y_true", y_true)
    y_q = np.asarray(y_quantiles, dtype=np.float64)
    if y_q.ndim == 3:
        y_q = y_q[:, :, np.newaxis, :]
    levels = np.asarray(quantiles, dtype=np.float64)
    if levels.ndim != 1 or y_q.shape != (*y_true.shape, levels.size):
        raise DataError(
            f"`y_quantiles` must have shape {(*y_true.shape, levels.size)}: the shape of `y_true` and one "
            f"forecast per level of `quantiles` ({levels.tolist()}); received shape {y_q.shape}."
        )
    _as_block("y_quantiles", y_q.reshape(y_q.shape[0], y_q.shape[1], -1))
    return y_true, y_q, levels


def central_intervals(quantiles: Sequence[float]) -> list[tuple[int, int]]:
    """Index pairs `(i, j)` of the levels `q` and `1 - q` (`q < 0.5`), widest first.

    Example:
        >>> central_intervals([0.05, 0.1, 0.5, 0.9, 0.95])
        [(0, 4), (1, 3)]
    """
    levels = [float(q) for q in quantiles]
    pairs = []
    for i, q in enumerate(levels):
        if q < 0.5:
            partners = [j for j, p in enumerate(levels) if np.isclose(p, 1 - q)]
            if partners:
                pairs.append((i, partners[0]))
    return pairs


def quantile_metrics(y_true: np.ndarray, y_quantiles: np.ndarray, quantiles: Sequence[float]) -> dict[str, Any]:
    """Scores quantile forecasts: pinball loss, weighted quantile loss, interval coverage and width.

    See the module docstring for the definitions.

    Args:
        y_true: float `(n_windows, horizon, n_targets)` actuals (or `(n_windows, horizon)`).
        y_quantiles: float `(n_windows, horizon, n_targets, n_quantiles)` forecasts in
            original units, ascending along the last axis.
        quantiles: The levels, ascending.

    Returns:
        A dict of plain Python values:

        - `"quantiles"`: the levels.
        - `"wql"`: the mean weighted quantile loss over the levels (NaN when every actual is 0).
        - `"wql_per_quantile"`, `"pinball"`: one value per level.
        - `"intervals"`: one `{"lower", "upper", "nominal", "coverage", "width"}`
          per central interval (levels `q` and `1 - q`), widest first; `nominal`
          and `coverage` are fractions, `width` is in the data's units.
        - `"n_windows"`, `"horizon"`, `"n_targets"`: ints.

    Raises:
        DataError: If the shapes disagree or a value is NaN or infinite.

    Example:
        >>> m = quantile_metrics([[1.0], [5.0]], [[[0.0, 1.0, 2.0]], [[2.0, 3.0, 4.0]]], [0.1, 0.5, 0.9])
        >>> m["intervals"][0]["coverage"], m["intervals"][0]["width"]
        (0.5, 2.0)
    """
    y_true, y_q, levels = _quantile_block(y_true, y_quantiles, quantiles)
    terms = _pinball_terms(y_true, y_q, levels)
    total = float(np.sum(np.abs(y_true)))
    per_level = 2 * np.sum(terms, axis=(0, 1, 2)) / total if total > 0 else np.full(levels.size, np.nan)
    intervals = []
    for i, j in central_intervals(levels):
        low, high = y_q[..., i], y_q[..., j]
        intervals.append(
            {
                "lower": float(levels[i]),
                "upper": float(levels[j]),
                "nominal": float(round(levels[j] - levels[i], 10)),
                "coverage": float(np.mean((y_true >= low) & (y_true <= high))),
                "width": float(np.mean(high - low)),
            }
        )
    n_windows, horizon, n_targets = y_true.shape
    return {
        "quantiles": _floats(levels),
        "wql": float(np.mean(per_level)),
        "wql_per_quantile": _floats(per_level),
        "pinball": _floats(np.mean(terms, axis=(0, 1, 2))),
        "intervals": intervals,
        "n_windows": int(n_windows),
        "horizon": int(horizon),
        "n_targets": int(n_targets),
    }
