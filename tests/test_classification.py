"""Sequence classification: one class per window from a label column, accuracy and confusion matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import seqkit
from seqkit.config import DataConfig, ExperimentConfig, ModelConfig, TrainConfig
from seqkit.data.labels import prepare_labels
from seqkit.errors import DataError
from seqkit.training import load_run, train


def labelled_frame(n=300, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    # The class of row t is decided by the sign of x at t-1: learnable from the window.
    label = np.where(np.roll(x, 1) > 0, "up", "down")
    return pd.DataFrame({"x": x, "noise": rng.normal(size=n), "kind": label})


def test_each_window_gets_the_class_at_its_target_row():
    frame = pd.DataFrame({"x": np.arange(20.0), "kind": ["a", "b", "c", "d"] * 5})
    config = DataConfig(label="kind", lookback=3, gap=1, split={"type": "steps", "val": 0, "test": 0},
                        transform={"scaler": "none"})
    data = prepare_labels(config, frame=frame)
    assert data.labels.classes == ("a", "b", "c", "d")
    # Window k reads rows k..k+2 and is labelled with row k+3+1 (one step of gap).
    np.testing.assert_array_equal(data.train.target_starts[:3], [4, 5, 6])
    np.testing.assert_array_equal(data.train.labels()[:4], [0, 1, 2, 3])
    x, y = next(iter(data.train.dataset(4, shuffle=False).as_numpy_iterator()))
    np.testing.assert_array_equal(x[:, :, 0], [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]])
    np.testing.assert_array_equal(y, [0, 1, 2, 3])
    assert y.dtype == np.int32


def test_a_class_the_training_rows_never_show_is_named():
    frame = labelled_frame(100)
    frame.loc[95, "kind"] = "sideways"
    config = DataConfig(label="kind", lookback=5, split={"type": "fraction", "val": 0.0, "test": 0.2})
    with pytest.raises(DataError, match=r"row 96 of column 'kind' is 'sideways'.*never show"):
        prepare_labels(config, frame=frame)


def test_classes_come_from_the_training_rows_only():
    frame = labelled_frame(100)
    frame.loc[90:, "kind"] = "late"
    config = DataConfig(label="kind", lookback=5, split={"type": "fraction", "val": 0.0, "test": 0.2})
    with pytest.raises(DataError, match="'late'"):
        prepare_labels(config, frame=frame)


def numeric_label_frame(n=60):
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    # A numeric class column: were it an input, the answer would be in the window.
    return pd.DataFrame({"x": x, "noise": rng.normal(size=n), "cls": (np.roll(x, 1) > 0).astype(int)})


def test_a_numeric_label_column_is_never_a_default_feature(tmp_path):
    frame = numeric_label_frame()
    frame.to_csv(tmp_path / "classes.csv", index=False)
    config = DataConfig(path="classes.csv", label="cls", lookback=3)
    spec = seqkit.data.describe_spec(config, base_dir=tmp_path)
    assert spec.feature_names == ("x", "noise") and spec.target_names == ("x", "noise")
    data = prepare_labels(config, base_dir=tmp_path)
    assert data.spec.feature_names == ("x", "noise") and data.spec.n_features == 2
    assert data.values.shape == (60, 2)
    assert prepare_labels(config, frame=frame).spec.feature_names == ("x", "noise")
    shipped = DataConfig(dataset="seattle_weather", label="precipitation", lookback=3)
    assert seqkit.data.describe_spec(shipped).feature_names == ("temp_max", "temp_min", "wind")


@pytest.mark.parametrize("role", ["features", "targets"])
def test_listing_the_label_as_an_input_or_target_is_a_config_error(role, write_yaml):
    message = (
        rf"`label` 'cls' is the class each window predicts, so it is never an input or a forecast target, "
        rf"but `{role}` lists it \(\['x', 'cls'\]\)\. Remove it from `{role}`"
    )
    with pytest.raises(ValueError, match=message):
        DataConfig(path="classes.csv", label="cls", lookback=3, **{role: ["x", "cls"]})
    path = write_yaml(
        f"data: {{path: classes.csv, label: cls, lookback: 3, {role}: [x, cls]}}\nmodel: {{head: {{type: classify}}}}\n"
    )
    with pytest.raises(seqkit.ConfigError, match=r"1 problem:\n  data: " + message):
        seqkit.load_config(path)


@pytest.mark.parametrize(
    ("model", "data", "expected"),
    [
        ({"head": {"type": "forecast"}}, {"label": "kind"}, r"model.head.type: data.label classifies windows"),
        ({"head": {"type": "classify"}}, {}, r"data.label: a classifier needs a class column"),
        ({"head": {"type": "classify"}}, {"label": "kind", "horizon": 2}, r"`horizon` must be 1"),
        ({"head": {"type": "classify"}}, {"label": "kind", "features": ["kind"]}, r"`features` lists it \(\['kind'\]\)"),
    ],
)
def test_classification_config_rules(model, data, expected):
    with pytest.raises(ValueError, match=expected):
        ExperimentConfig(data=DataConfig(dataset="seattle_weather", lookback=7, **data), model=ModelConfig(**model))


def test_a_classification_run_reports_accuracy_and_a_confusion_matrix(tmp_path):
    config = ExperimentConfig(
        name="updown",
        data=DataConfig(label="kind", lookback=4, split={"type": "fraction", "val": 0.15, "test": 0.15}),
        model=ModelConfig(cell="gru", layers=[8], head={"type": "classify"}),
        train=TrainConfig(epochs=30, batch_size=16, optimizer={"learning_rate": 0.01}),
    )
    frame = labelled_frame(400)
    run = train(config, frame=frame, runs_dir=tmp_path, verbose=0)
    results = run.metrics["results"]
    assert set(results) == {"model", "majority_class"}
    assert len(results["model"]["confusion_matrix"]) == 2
    assert sum(map(sum, results["model"]["confusion_matrix"])) == len(run._prepared.test)
    assert results["model"]["accuracy"] > 0.8 > results["majority_class"]["accuracy"]
    assert "confusion" in run.metrics["report"] or "true \\ predicted" in run.metrics["report"]

    loaded = load_run(run.path)
    forecast = loaded.predict(frame.iloc[:50])
    assert list(forecast.columns) == ["kind", "p_down", "p_up"]
    assert forecast[["p_down", "p_up"]].sum(axis=1).iloc[0] == pytest.approx(1.0, abs=1e-5)
    expected = "up" if frame["x"].iloc[49] > 0 else "down"
    assert forecast["kind"].iloc[0] == expected
    assert loaded.evaluate(frame)["results"]["model"]["accuracy"] == pytest.approx(results["model"]["accuracy"])


def test_the_weather_type_config_summarises(capsys):
    from seqkit.cli import main

    assert main(["summary", "configs/weather_type.yaml"]) == 0
    assert "classes" in capsys.readouterr().out
    spec = seqkit.task_for(seqkit.load_config("configs/weather_type.yaml")).spec_from_config()
    assert spec.n_classes == 5
