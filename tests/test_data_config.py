"""DataConfig: variants by `type`, defaults, and cross-field rules with clear messages."""

import pytest
from pydantic import ValidationError

from seqkit.config.data import DataConfig, DateSplit, DiffStep, LogStep, StepsSplit


def test_yaml_shaped_section_parses_into_typed_variants():
    cfg = DataConfig.model_validate(
        {
            "dataset": "airline",
            "lookback": 24,
            "horizon": 12,
            "period": 12,
            "split": {"type": "steps", "test": 12, "embargo": 0},
            "transform": {"steps": ["log", {"type": "diff", "lag": 1}], "scaler": "none"},
            "window_norm": {"type": "last"},
        }
    )
    assert isinstance(cfg.split, StepsSplit) and cfg.split.test == 12
    assert isinstance(cfg.transform.steps[0], LogStep) and isinstance(cfg.transform.steps[1], DiffStep)
    assert cfg.transform.for_column("Passengers").scaler == "none"


def test_unknown_keys_and_types_are_refused():
    with pytest.raises(ValidationError, match="extra"):
        DataConfig(lookback=3, lookbak=4)
    with pytest.raises(ValidationError, match="'fraction', 'steps', 'date', 'random'"):
        DataConfig(lookback=3, split={"type": "kfold"})


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"dataset": "airline", "path": "a.csv"}, "either `dataset`"),
        ({"transform": {"steps": ["seasonal_diff"]}}, "Set `data.period`"),
        ({"gap": 2, "transform": {"steps": ["diff"]}}, "values inside the gap"),
        ({"split": {"type": "fraction", "val": 0.5, "test": 0.5}}, "must be below 1"),
        ({"split": {"type": "date", "val_start": "2020-02-01", "test_start": "2020-01-01"}}, "must be before"),
        ({"synthetic": {"length": 10}}, "need `dataset: synthetic`"),
        ({"features": ["a", "a"]}, "lists a column twice"),
        ({"window_norm": {"type": "robust", "mode": "divide"}}, "so `mode` does not apply"),
    ],
)
def test_cross_field_rules(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        DataConfig(lookback=3, **kwargs)


def test_date_split_parses_dates():
    cfg = DataConfig(lookback=3, time_column="t", split={"type": "date", "test_start": "1960-01-01"})
    assert isinstance(cfg.split, DateSplit) and cfg.split.test_start.year == 1960
