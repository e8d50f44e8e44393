"""The default forecasting recipe: what a forecasting config gets for the settings it leaves out.

A forecasting config that gives only its data (a dataset or file, a lookback and
a horizon) trains with this recipe. It was chosen on rolling-origin backtests of
the shipped series next to Darts and NeuralForecast (`benchmarks/peers.py`; the
README's "The default forecasting recipe" has the table):

- `data.window_norm: {type: auto}`, chosen from each fit's training rows:
  `seasonal_naive` when the config sets `data.period`, one period fits in the
  lookback and the targets' seasonal strength on the training rows is at least
  0.7 (the model then forecasts its correction to last season's value of each
  step, so it starts from the seasonal-naive forecast: airline); `robust`
  otherwise (each window shifted by its input median and divided by its input
  median absolute deviation, its forecast scaled back: NeuralForecast's default
  `scaler_type`, so level and spread look the same in every window however the
  series drifts: sunspots, whose 11-year cycle drifts, and daily temperature,
  whose year does not fit a 4-week window). Correcting last season scored MASE
  1.36 on sunspots against robust scaling's 0.86-0.89, and 0.74-0.77 on airline
  against 1.11-1.31, on the benchmark's folds.
- `model.head.loss: mae` (the `ForecastHeadConfig` default): the median forecast,
  unmoved by a few wild training targets.
- `train: {epochs: 300, batch_size: 32, early_stopping: {patience: 100}}`: small
  series have few windows per epoch, so a model needs hundreds of epochs, and a
  short validation split is noisy, so a shorter patience stopped on an early
  lucky epoch (seeds whose best epoch came before 40); the run keeps the best
  validation epoch's weights.

Each part applies only where the config leaves its setting out: a config that
sets `data.window_norm`, `train.epochs`, `train.batch_size` or
`train.early_stopping` (even to null) keeps its own. It applies to forecasting
configs only (a forecast head, no `data.label` or `data.text`) and not to
stateful models, whose windows carry state from one to the next and so must
share one scale. The resolved config a run saves states every value used, so it
re-runs the same way.
"""

from __future__ import annotations

from typing import Any

#: What a forecasting config gets for each setting it leaves out: (section, key) -> value.
FORECAST_RECIPE: dict[tuple[str, str], Any] = {
    ("data", "window_norm"): {"type": "auto"},
    ("train", "epochs"): 300,
    ("train", "batch_size"): 32,
    ("train", "early_stopping"): {"patience": 100},
}


def with_forecast_recipe(raw: Any) -> Any:
    """`raw` (an `ExperimentConfig`'s input) with the recipe filled in where it applies.

    Args:
        raw: The mapping `ExperimentConfig` is validated from; its sections may be
            mappings or section objects. Anything else is returned unchanged.

    Returns:
        A new mapping (the input is not modified), or `raw` itself when the recipe
        does not apply.
    """
    if not isinstance(raw, dict) or not _is_forecasting(raw):
        return raw
    out = dict(raw)
    for (section, key), value in FORECAST_RECIPE.items():
        current = out.get(section) or {}
        if isinstance(current, dict):
            if key not in current:
                out[section] = {**current, key: value}
        elif key not in current.model_fields_set:
            # A section object (from Python): validated again with the value, as YAML would give it.
            out[section] = type(current).model_validate({**current.model_dump(exclude_unset=True), key: value})
    return out


def _get(section: Any, key: str, default: Any = None) -> Any:
    if section is None:
        return default
    if isinstance(section, dict):
        return section.get(key, default)
    return getattr(section, key, default)


def _is_forecasting(raw: dict) -> bool:
    """Whether `raw` describes a stateless forecasting run with data (the recipe's scope)."""
    data, model = raw.get("data"), raw.get("model")
    if data is None or not isinstance(data, dict) and not hasattr(data, "model_fields_set"):
        return False
    if any(_get(data, key) is not None for key in ("label", "text", "sequences")):
        return False
    if _get(model, "stateful", False) or _get(model, "embedding") is not None:
        return False
    return _get(_get(model, "head"), "type", "forecast") == "forecast"


#: The value a sequence set's padded steps hold, masked by the model (no real scaled value comes near it).
SEQUENCE_PAD = -1.0e9

#: What a sequence-set config (`data.sequences`) gets for each model setting it leaves out.
SEQUENCE_DEFAULTS: dict[str, Any] = {"head": {"type": "classify"}, "masking": True, "mask_value": SEQUENCE_PAD}


def with_sequence_defaults(raw: Any) -> Any:
    """`raw` with a classify head and masking of the padded steps, where a sequence-set config leaves them out.

    Sequences of different lengths are padded at their end with `SEQUENCE_PAD`;
    masking keeps those steps out of the recurrent state.
    """
    if not isinstance(raw, dict) or _get(raw.get("data"), "sequences") is None:
        return raw
    model = raw.get("model") or {}
    if not isinstance(model, dict):
        missing = {key: value for key, value in SEQUENCE_DEFAULTS.items() if key not in model.model_fields_set}
        if not missing:
            return raw
        return {**raw, "model": type(model).model_validate({**model.model_dump(exclude_unset=True), **missing})}
    return {**raw, "model": {**SEQUENCE_DEFAULTS, **model}}


def with_defaults(raw: Any) -> Any:
    """`raw` with every default a config's kind brings: a sequence set's, then the forecasting recipe.

    Applied by `ExperimentConfig` before validation, and to the stand-ins the
    loader judges cross-field rules on when a field is broken, so both see the same config.
    """
    return with_forecast_recipe(with_sequence_defaults(raw))
