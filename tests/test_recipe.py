"""The default forecasting recipe: filled in where a forecasting config leaves a setting out, nowhere else."""

import pytest

from seqkit.config import DataConfig, ExperimentConfig, ModelConfig, TrainConfig
from seqkit.config.loading import config_from_dict
from seqkit.config.recipe import FORECAST_RECIPE

AIRLINE = {"dataset": "airline", "lookback": 24, "horizon": 12}


def _recipe(config: ExperimentConfig) -> tuple:
    return (config.data.window_norm.type, config.train.epochs, config.train.batch_size,
            None if config.train.early_stopping is None else config.train.early_stopping.patience,
            config.model.head.loss)


def test_a_config_with_only_its_data_gets_the_recipe():
    config = config_from_dict({"data": AIRLINE})
    assert _recipe(config) == ("auto", 300, 32, 100, "mae")
    assert FORECAST_RECIPE[("train", "epochs")] == 300


@pytest.mark.parametrize(
    "data,want",
    [
        ({**AIRLINE, "period": 12}, "seasonal_naive"),  # strong, stable seasonality
        ({"dataset": "sunspots", "lookback": 33, "horizon": 3, "period": 11}, "robust"),  # a drifting cycle
        ({**AIRLINE, "period": 36}, "robust"),  # the period does not fit the lookback
        (AIRLINE, "robust"),  # no period given
    ],
)
def test_auto_window_norm_chooses_from_the_training_rows(data, want):
    from seqkit.tasks import task_for

    config = config_from_dict({"data": {**data, "split": {"type": "steps", "val": 12, "test": 24}}})
    assert config.data.window_norm.type == "auto"
    task = task_for(config)
    prepared = task.prepare()
    assert prepared.transform.window_norm == want
    assert prepared.transform.window_norm_choice.startswith(want)
    assert f"; window_norm auto: {want}" in task.describe(prepared, task.spec(prepared))  # the run log says so


def test_the_recipe_from_python_section_objects_too():
    config = ExperimentConfig(data=DataConfig(**AIRLINE), model=ModelConfig(layers=[8]))
    assert _recipe(config) == ("auto", 300, 32, 100, "mae")
    kept = ExperimentConfig(data=DataConfig(**AIRLINE, window_norm={"type": "last"}),
                            train=TrainConfig(epochs=5, early_stopping=None))
    assert _recipe(kept) == ("last", 5, 32, None, "mae")


@pytest.mark.parametrize(
    "given,want",
    [
        ({"data": {**AIRLINE, "window_norm": {"type": "none"}}}, ("none", 300, 32, 100, "mae")),
        ({"data": AIRLINE, "train": {"epochs": 7}}, ("auto", 7, 32, 100, "mae")),
        ({"data": AIRLINE, "train": {"early_stopping": None}}, ("auto", 300, 32, None, "mae")),
        ({"data": AIRLINE, "train": {"early_stopping": {"patience": 3}, "batch_size": 8}},
         ("auto", 300, 8, 3, "mae")),
        ({"data": AIRLINE, "model": {"head": {"type": "forecast", "loss": "mse"}}}, ("auto", 300, 32, 100, "mse")),
    ],
)
def test_every_setting_a_config_gives_is_kept(given, want):
    assert _recipe(config_from_dict(given)) == want


@pytest.mark.parametrize(
    "raw",
    [
        {"data": {"dataset": "seattle_weather", "lookback": 7, "label": "weather"},
         "model": {"head": {"type": "classify"}}},
        {"data": {"dataset": "pydoc_topics", "lookback": 20, "text": {"level": "char"}},
         "model": {"embedding": {"dim": 8}, "head": {"type": "language_model"}}},
        {"data": {**AIRLINE, "stride": 24}, "model": {"stateful": True}, "train": {"batch_size": 1}},
    ],
    ids=["classify", "language_model", "stateful"],
)
def test_no_recipe_outside_stateless_forecasting(raw):
    config = config_from_dict(raw)
    assert config.data.window_norm.type == "none"
    assert config.train.epochs == TrainConfig().epochs == 50


def test_a_saved_config_loads_back_equal():
    config = config_from_dict({"data": AIRLINE})
    again = config_from_dict(config.model_dump(mode="json"))
    assert again == config
