"""Config loading: safe YAML, overrides, and messages that list every problem."""

from __future__ import annotations

import pytest

from seqkit.config import (
    DataConfig,
    ExperimentConfig,
    ModelConfig,
    TrainConfig,
    apply_overrides,
    config_from_dict,
    load_config,
)
from seqkit.errors import ConfigError, SeqkitError

GOOD = """
data: {dataset: airline, lookback: 24, horizon: 12}
model:
  cell: lstm
  layers: [64, 32]
train: {epochs: 3, batch_size: 16}
"""


def test_loads_a_good_config_with_defaults(write_yaml):
    cfg = load_config(write_yaml(GOOD, "airline_lstm.yaml"))
    assert cfg.model.layers == [64, 32]
    assert cfg.model.head.type == "forecast"
    assert cfg.train.optimizer.type == "adam"
    assert cfg.train.epochs == 3
    assert cfg.run_name == "airline_lstm"
    assert cfg.shuffle is True


def test_the_three_headline_errors_come_in_one_message(write_yaml):
    path = write_yaml(
        """
data: {dataset: airline, lookback: 24, stride: 24}
model:
  layres: [64]
  layers: [64, -4]
  stateful: true
"""
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "has 3 problems" in message
    assert "model.layres: unknown key (did you mean 'layers'?)" in message
    assert "model.layers.1: must be greater than 0 (got -4)" in message
    assert "train.batch_size: a stateful model needs a fixed batch size" in message


RUN_NAME_RULE = (
    r"name: `name` names the run's folder runs/<name>/, so it must not be '\.' or '\.\.' nor start with a "
    r"dot \(which would leave runs/ or hide the folder\)\. Start it with a letter, digit, '_' or '-', "
    r"e\.g\. 'airline_lstm' \(got '{}'\)"
)


@pytest.mark.parametrize("name", ["..", ".", ".hidden"])
def test_a_run_name_cannot_leave_runs_or_hide_in_it(name, write_yaml):
    expected = RUN_NAME_RULE.format(name.replace(".", r"\."))
    with pytest.raises(ConfigError, match=expected):
        load_config(write_yaml(f'name: "{name}"\n' + GOOD))
    with pytest.raises(ConfigError, match=expected):
        load_config(write_yaml(GOOD), [f"name={name}"])
    with pytest.raises(ValueError, match="must not be '.' or '..' nor start with a dot"):
        ExperimentConfig(name=name)
    assert load_config(write_yaml(GOOD), ["name=a..b"]).run_name == "a..b"


def test_a_config_file_name_that_would_leave_runs_needs_a_name(write_yaml):
    path = write_yaml(GOOD, "...yaml")  # its stem is '..'
    with pytest.raises(ConfigError, match=r"name: the config file's name gives the run name '\.\.'.*Set `name`"):
        load_config(path)
    assert load_config(path, ["name=airline"]).run_name == "airline"


def test_config_error_is_also_a_value_error():
    assert issubclass(ConfigError, ValueError)
    assert issubclass(ConfigError, SeqkitError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("model: {cell: lstn}", r"model.cell: must be 'rnn', 'lstm' or 'gru' \(got 'lstn'\) \(did you mean 'lstm'\?\)"),
        ("model: {head: {type: forcast}}", r"model.head.type: must be one of .*\(did you mean 'forecast'\?\)"),
        ("model: {dropout: 1.5}", r"model.dropout: must be less than 1 \(got 1.5\)"),
        ("train: {use_cudnn: true}", r"train.use_cudnn: unknown key \(did you mean 'model.use_cudnn'\?\)"),
        ("modle: {}", r"modle: unknown key \(did you mean 'model'\?\)"),
        ("model: {layers: []}", r"model.layers: List should have at least 1 item"),
        ("model: {bidirectional: true, stateful: true}\ntrain: {batch_size: 8}", r"a bidirectional model cannot be stateful"),
        ("model: {attention: true, head: {type: language_model}, embedding: {dim: 8}}", r"attention pooling collapses the time axis"),
        ("model: {head: {type: language_model}}", r"model.embedding: a language model reads token ids"),
        ("model: {use_cudnn: true, recurrent_dropout: 0.2}", r"model.use_cudnn: true, but cuDNN cannot run this model: recurrent_dropout"),
        ("model: {cell: lstm, reset_after: false}", r"model.reset_after: applies to cell 'gru' only"),
        ("model: {stateful: true}\ntrain: {batch_size: 4, shuffle: true}", r"train.shuffle: a stateful model carries state"),
        ("data: {dataset: synthetic, lookback: 8}\nmodel: {stateful: true}\ntrain: {batch_size: 4}", r"data.stride: a stateful model carries its state .* set data.stride to data.lookback \(8\), got 1"),
        ("data: {dataset: synthetic, lookback: 8, stride: 2}\nmodel: {stateful: true, layres: [3]}\ntrain: {batch_size: 4}", r"(?s)model.layres: unknown key.*data.stride: a stateful model"),
        ("train: {optimizer: {clipnorm: 1.0, clipvalue: 0.5}}", r"train.optimizer.clipvalue: set either clipnorm or clipvalue"),
        ("train: {optimizer: {type: adam, momentum: 0.9}}", r"train.optimizer.momentum: applies to type 'sgd' only"),
        ("train: {epochs: ten}", r"train.epochs: must be a valid integer"),
        ("data: {dataset: airline}", r"data.lookback: required, but missing"),
        ("data: {lookback: 0}", r"data.lookback: must be greater than 0 \(got 0\)"),
        ("data: {dataset: airline, lookback: 6, period: 12, window_norm: {type: seasonal_naive}}",
         r"data.window_norm: `type: seasonal_naive` needs one whole season inside each input window, but "
         r"`data.period` \(12\) is longer than `data.lookback` \(6\). Set `data.lookback` to at least 12"),
        ("data: {dataset: airline, lookback: 24, window_norm: {type: seasonal_naive}}",
         r"data.window_norm: `type: seasonal_naive` .* needs the seasonal period: set `data.period`"),
        ("data: {dataset: airline, lookback: 24, period: 12, window_norm: {type: seasonal_naive, mode: divide}}",
         r"data.window_norm.mode: `type: seasonal_naive` has the model forecast its correction .* received 'divide'"),
        ("data: {dataset: airline, lookback: 24, window_norm: {type: naive, mode: divide}}",
         r"data.window_norm.mode: `type: naive` .* Use `mode: subtract`"),
        ("data: {dataset: seattle_weather, lookback: 8, label: weather, window_norm: {type: naive}}",
         r"data.window_norm: `type: naive` measures forecast targets from a baseline forecast, but with `data.label`"),
    ],
)
def test_each_rule_has_a_message_naming_its_path(write_yaml, text, expected):
    with pytest.raises(ConfigError, match=expected):
        load_config(write_yaml(text))


def test_duplicate_keys_are_refused(write_yaml):
    path = write_yaml("model:\n  cell: lstm\n  cell: gru\n")
    with pytest.raises(ConfigError, match=r"duplicate key 'cell' on line 3 \(first on line 2\)"):
        load_config(path)


def test_unsafe_yaml_tags_are_refused(write_yaml):
    path = write_yaml("model: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)


def test_missing_file_and_non_mapping(tmp_path, write_yaml):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="must hold a mapping of sections"):
        load_config(write_yaml("- a\n- b\n"))


def test_overrides_parse_values_as_yaml(write_yaml):
    cfg = load_config(
        write_yaml(GOOD),
        ["model.layers=[16,8,4]", "train.epochs=7", "model.cell=gru", "train.optimizer.learning_rate=0.01"],
    )
    assert cfg.model.layers == [16, 8, 4]
    assert cfg.train.epochs == 7
    assert cfg.model.cell == "gru"
    assert cfg.train.optimizer.learning_rate == 0.01


def test_override_creates_missing_sections_and_does_not_mutate_input():
    raw = {"model": {"layers": [4]}}
    out = apply_overrides(raw, ["train.batch_size=8"])
    assert out == {"model": {"layers": [4]}, "train": {"batch_size": 8}}
    assert raw == {"model": {"layers": [4]}}


@pytest.mark.parametrize("bad", ["model.layers", "=3", "model..x=1", "1model=2"])
def test_malformed_overrides_are_explained(bad):
    with pytest.raises(ConfigError, match="must look like 'section.key=value'"):
        apply_overrides({}, [bad])


def test_override_errors_are_reported_like_file_errors(write_yaml):
    with pytest.raises(ConfigError, match=r"model.layers.0: must be greater than 0 \(got -1\)"):
        load_config(write_yaml(GOOD), ["model.layers=[-1]"])


def test_configs_build_in_python_without_yaml():
    cfg = ExperimentConfig(
        data=DataConfig(dataset="airline", lookback=24, horizon=12),
        model=ModelConfig(cell="gru", layers=[32, 16], bidirectional=True),
        train=TrainConfig(epochs=2),
    )
    assert cfg.model.cell == "gru"
    assert cfg.run_name == "experiment"


def test_python_construction_checks_the_same_rules():
    with pytest.raises(ValueError, match="a stateful model needs a fixed batch size"):
        ExperimentConfig(model=ModelConfig(stateful=True))
    with pytest.raises(ValueError, match="cannot be stateful"):
        ModelConfig(stateful=True, bidirectional=True)


def test_config_from_dict_names_the_source():
    with pytest.raises(ConfigError, match=r"^my dict has 1 problem:\n  model.cell"):
        config_from_dict({"model": {"cell": "transformer"}}, source="my dict")


def test_stateful_defaults_to_no_shuffling():
    cfg = ExperimentConfig(model=ModelConfig(stateful=True), train=TrainConfig(batch_size=4))
    assert cfg.shuffle is False


def test_cudnn_blockers_name_each_setting():
    assert ModelConfig().cudnn_blockers() == []
    reasons = ModelConfig(cell="gru", activation="relu", recurrent_dropout=0.1, reset_after=False).cudnn_blockers()
    assert len(reasons) == 3
    assert any("activation 'relu'" in r for r in reasons)
