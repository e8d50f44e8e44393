"""The `tune:` section: the search space in YAML, checked at load time against the config it searches."""

from __future__ import annotations

import pytest
import yaml

from seqkit.config import load_config
from seqkit.config.space import with_values
from seqkit.errors import ConfigError

BASE = """
data:
  dataset: airline
  lookback: 24
  horizon: 12
  split: {type: steps, val: 12, test: 12}
model: {cell: lstm, layers: [8]}
train: {epochs: 2, batch_size: 16}
"""

ISSUE_SPACE = """
tune:
  algorithm: hyperband
  objective: val_loss
  max_trials: 20
  max_epochs: 30
  space:
    model.cell: {choice: [lstm, gru]}
    model.layers: {choice: [[32], [64], [64, 32]]}
    model.dropout: {float: [0.0, 0.4], step: 0.1}
    train.optimizer.learning_rate: {float: [1.0e-4, 1.0e-2], sampling: log}
    data.lookback: {int: [12, 48], step: 12}
    model.bidirectional: {bool: true}
"""


def _load(write_yaml, tune: str):
    return load_config(write_yaml(BASE + tune, "search.yaml"))


def _problems(write_yaml, tune: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        _load(write_yaml, tune)
    return str(info.value).splitlines()


def test_the_issue_space_loads_and_saves_as_written(write_yaml):
    cfg = _load(write_yaml, ISSUE_SPACE)
    assert cfg.tune.objective.name == "val_loss" and cfg.tune.objective.direction == "min"
    assert cfg.tune.space["data.lookback"].candidates() == [("the low end 12", 12), ("the high end 48", 48)]
    # The saved config (what a run writes) reads back as the same space.
    dumped = cfg.model_dump(mode="json")["tune"]["space"]
    assert dumped == yaml.safe_load(ISSUE_SPACE)["tune"]["space"]


def test_unknown_paths_are_named_with_did_you_mean(write_yaml):
    lines = _problems(
        write_yaml,
        """
tune:
  space:
    model.cel: {choice: [lstm]}
    train.optimizer.learnig_rate: {float: [1.0e-4, 1.0e-2]}
    evaluate.plots: {bool: true}
""",
    )
    assert lines == [
        f"{lines[0].split(' has ')[0]} has 3 problems:",
        "  tune.space.model.cel: unknown setting 'model.cel' (did you mean 'model.cell'?)",
        "  tune.space.train.optimizer.learnig_rate: unknown setting 'train.optimizer.learnig_rate' "
        "(did you mean 'train.optimizer.learning_rate'?)",
        "  tune.space.evaluate.plots: only model, train and data settings can be searched, not 'evaluate'",
    ]


def test_values_a_setting_refuses_are_named_by_dimension(write_yaml):
    lines = _problems(
        write_yaml,
        """
tune:
  space:
    model.cell: {choice: [lstmm, gru]}
    data.lookback: {int: [-12, 48]}
    model.dropout: {float: [0.0, 1.5]}
""",
    )
    assert lines[1:] == [
        "  tune.space.model.cell: the choice 'lstmm' is not a value model.cell accepts: model.cell: must be "
        "'rnn', 'lstm' or 'gru' (got 'lstmm') (did you mean 'lstm'?)",
        "  tune.space.data.lookback: the low end -12 is not a value data.lookback accepts: data.lookback: must be "
        "greater than 0 (got -12)",
        "  tune.space.model.dropout: the high end 1.5 is not a value model.dropout accepts: model.dropout: must be "
        "less than 1 (got 1.5)",
    ]


def test_a_combination_forbidden_at_every_point_is_an_error(write_yaml):
    lines = _problems(
        write_yaml,
        """
tune:
  space:
    model.stateful: {choice: [true]}
    model.bidirectional: {choice: [true]}
""",
    )
    assert lines[1:] == [
        "  tune.space: every point of the search space breaks a config rule, e.g. model.stateful=True, "
        "model.bidirectional=True: model.bidirectional: a bidirectional model cannot be stateful: the backward "
        "pass would need steps that have not arrived yet; set stateful or bidirectional to false. Change the "
        "searched values or the settings they combine with"
    ]


def test_a_value_forbidden_wherever_it_is_tried_is_named(write_yaml):
    lines = _problems(
        write_yaml,
        """
tune:
  space:
    model.stateful: {bool: true}
    model.bidirectional: {choice: [true]}
""",
    )
    assert lines[1:] == [
        "  tune.space.model.stateful: true breaks a config rule wherever it is tried, e.g. model.stateful=True, "
        "model.bidirectional=True: model.bidirectional: a bidirectional model cannot be stateful: the backward "
        "pass would need steps that have not arrived yet; set stateful or bidirectional to false"
    ]


def test_a_value_allowed_by_another_dimension_is_accepted(write_yaml):
    # A stateful model needs data.stride equal to data.lookback (24): searched beside it, true is usable.
    cfg = _load(write_yaml, "tune:\n  space:\n    model.stateful: {bool: true}\n    data.stride: {choice: [1, 24]}\n")
    assert cfg.tune.space["model.stateful"].kind == "bool"
    lines = _problems(write_yaml, "tune:\n  space:\n    model.stateful: {bool: true}\n")
    assert lines[1:] == [
        "  tune.space.model.stateful: true breaks a config rule wherever it is tried: data.stride: a stateful model "
        "carries its state from one window into the next, so each window must continue the previous one: set "
        "data.stride to data.lookback (24), got 1"
    ]


def test_dimension_shapes_are_checked(write_yaml):
    lines = _problems(
        write_yaml,
        """
tune:
  space:
    model.cell: {choise: [lstm]}
    model.dropout: {float: [0.4, 0.1]}
    model.layers: {choice: []}
    data.lookback: {int: [12, 48], stp: 12}
    train.optimizer.learning_rate: {float: [0.0, 0.1], sampling: log}
""",
    )
    assert lines[1:] == [
        "  tune.space.model.cell: unknown key 'choise' (did you mean 'choice'?); it must be one of {choice: [a, b]}, "
        "{int: [low, high]}, {float: [low, high]} or {bool: true} (got {'choise': ['lstm']})",
        "  tune.space.model.dropout: `float` must be [low, high] with low below high; swap them or use a choice "
        "(got {'float': [0.4, 0.1]})",
        "  tune.space.model.layers: `choice` must list at least one value, e.g. {choice: [lstm, gru]} "
        "(got {'choice': []})",
        "  tune.space.data.lookback: unknown key 'stp' in the int dimension (did you mean 'step'?); it takes int, "
        "step, sampling (got {'int': [12, 48], 'stp': 12})",
        "  tune.space.train.optimizer.learning_rate: `sampling: log` needs a low end above 0 "
        "(got {'float': [0.0, 0.1], 'sampling': 'log'})",
    ]


@pytest.mark.parametrize(
    ("objective", "expected"),
    [
        ("val_loss", ("val_loss", "min")),
        ("val_accuracy", ("val_accuracy", "max")),
        ("{name: val_rmse, direction: min}", ("val_rmse", "min")),
        ("{name: val_score, direction: max}", ("val_score", "max")),
    ],
)
def test_objective_with_direction(write_yaml, objective, expected):
    cfg = _load(write_yaml, f"tune:\n  objective: {objective}\n  space:\n    model.cell: {{choice: [gru]}}\n")
    assert (cfg.tune.objective.name, cfg.tune.objective.direction) == expected


def test_objective_must_be_a_validation_metric_with_a_known_direction(write_yaml):
    space = "  space:\n    model.cell: {choice: [gru]}\n"
    assert _problems(write_yaml, "tune:\n  objective: loss\n" + space)[1:] == [
        "  tune.objective: must be a validation metric, `val_` and the metric's name, e.g. 'val_loss'; a search "
        "chooses on the validation split, never on training or test scores (got 'loss')"
    ]
    assert _problems(write_yaml, "tune:\n  objective: val_score\n" + space)[1:] == [
        "  tune.objective: the direction of 'val_score' is not known; write {name: val_score, direction: min} "
        "(lower is better) or direction: max (got 'val_score')"
    ]


def test_a_search_needs_a_validation_split(write_yaml):
    path = write_yaml(
        BASE.replace("val: 12, ", "") + "tune:\n  space:\n    model.cell: {choice: [gru]}\n", "noval.yaml"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).splitlines()[1:] == [
        "  tune.objective: val_loss is scored on the validation split, but data.split has none; give data.split "
        "a validation part (`val`, or `val_start` for a date split)"
    ]


def test_grid_search_needs_a_step_on_float_ranges(write_yaml):
    lines = _problems(write_yaml, "tune:\n  algorithm: grid\n  space:\n    model.dropout: {float: [0.0, 0.4]}\n")
    assert lines[1:] == ["  tune.space.model.dropout: grid search tries every value, so a float range needs a `step`"]


def test_search_settings_have_bounds(write_yaml):
    lines = _problems(write_yaml, "tune:\n  executions_per_trial: 0\n  max_failed_trials: -1\n  algorithm: grdi\n")
    assert lines[1:] == [
        "  tune.algorithm: must be 'hyperband', 'random', 'bayesian' or 'grid' (got 'grdi') (did you mean 'grid'?)",
        "  tune.executions_per_trial: must be greater than 0 (got 0)",
        "  tune.max_failed_trials: must be greater than or equal to 0 (got -1)",
    ]


def test_a_point_of_the_space_is_an_ordinary_config(write_yaml):
    cfg = _load(write_yaml, ISSUE_SPACE)
    point = with_values(cfg, {"model.cell": "gru", "model.layers": [64, 32], "data.lookback": 36,
                              "train.optimizer.learning_rate": 0.002})
    assert (point.model.cell, point.model.layers, point.data.lookback) == ("gru", [64, 32], 36)
    assert point.train.optimizer.learning_rate == 0.002
    assert point.tune.space == {} and point.run_name == "search"
    with pytest.raises(ConfigError, match=r"this trial's config has 1 problem:\n  data.lookback: must be greater"):
        with_values(cfg, {"data.lookback": 0})


def test_set_reaches_a_dimension_whose_name_is_a_dotted_path(write_yaml):
    cfg = load_config(write_yaml(BASE + ISSUE_SPACE, "search.yaml"),
                      ["tune.space.model.layers={choice: [[4], [4, 4]]}", "tune.max_trials=3"])
    assert cfg.tune.space["model.layers"].values == [[4], [4, 4]] and cfg.tune.max_trials == 3
    assert list(cfg.tune.space)[:2] == ["model.cell", "model.layers"]  # replaced in place, the others kept
