"""Sequence sets (`data.sequences`): reading, stratified splits, scaling on training only, padding and masking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import seqkit
from seqkit.config.loading import config_from_dict
from seqkit.config.recipe import SEQUENCE_PAD
from seqkit.data.sequences import from_python, parse_ts, prepare_sequences, read_wide_csv, stratified_split
from seqkit.errors import ConfigError, DataError
from seqkit.evaluation.baselines import nearest_neighbour_labels
from seqkit.tasks import task_for

TS = """# a comment
@problemName tiny
@univariate false
@dimensions 2
@equalLength false
@classLabel true a b
@data
1,2,3:4,5,6:a
7,8:9,10:b
"""


def test_ts_files_are_read_dimension_by_dimension():
    raw = parse_ts(TS, "tiny.ts")
    assert raw.labels == ["a", "b"]
    np.testing.assert_array_equal(raw.sequences[0], [[1, 4], [2, 5], [3, 6]])
    np.testing.assert_array_equal(raw.sequences[1], [[7, 9], [8, 10]])
    with pytest.raises(DataError, match=r"tiny.ts, line 3: expected 2 dimensions of equal length"):
        parse_ts("@data\n1,2:3,4:a\n1,2:3:b\n", "tiny.ts")
    with pytest.raises(DataError, match=r"line 2: a value is not a number"):
        parse_ts("@data\n1,?,3:a\n", "tiny.ts")


def test_a_wide_csv_row_is_one_sequence_and_empty_trailing_cells_shorten_it(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("id,label,t0,t1,t2\n1,x,0.5,1.5,2.5\n2,y,3,4,\n")
    raw = read_wide_csv(path, "label", "id")
    assert raw.labels == ["x", "y"]
    np.testing.assert_array_equal(raw.sequences[0][:, 0], [0.5, 1.5, 2.5])
    np.testing.assert_array_equal(raw.sequences[1][:, 0], [3, 4])
    path.write_text("label,t0,t1,t2\nx,1,,3\n")
    with pytest.raises(DataError, match=r"row 2: an empty or non-numeric cell inside the sequence"):
        read_wide_csv(path, "label", None)
    with pytest.raises(DataError, match=r"no label column 'class'"):
        read_wide_csv(path, "class", None)


def test_stratified_split_holds_out_each_class_in_proportion():
    labels = ["a"] * 10 + ["b"] * 5 + ["c"]
    kept, held = stratified_split(labels, 0.4, seed=3)
    held_labels = [labels[i] for i in held]
    assert held_labels.count("a") == 4 and held_labels.count("b") == 2 and held_labels.count("c") == 0
    assert sorted([*kept, *held]) == list(range(16))
    np.testing.assert_array_equal(stratified_split(labels, 0.4, seed=3)[1], held)  # the seed repeats it
    assert not np.array_equal(stratified_split(labels, 0.4, seed=4)[1], held)


def _data(**sequences):
    return config_from_dict({"data": {"sequences": sequences}}, source="test").data


def test_the_scaler_sees_training_sequences_only_and_padding_follows_each_sequence():
    # Class a and b, two sequences each in training; the test sequences hold sentinels the scaler must not see.
    x = [np.array([[1.0], [3.0]]), np.array([[5.0]]), np.array([[7.0], [9.0], [11.0]]), np.array([[2.0]]),
         np.array([[1e6], [1e6]]), np.array([[-1e6]])]
    y = ["a", "a", "b", "b", "a", "b"]
    prepared = prepare_sequences(_data(val=0.0, test_fraction=0.0), frame=(x[:4], y[:4]))
    scaler = prepared.preprocessing.scaler
    steps = np.array([1, 3, 5, 7, 9, 11, 2], dtype=float)
    assert scaler.mean == pytest.approx((steps.mean(),)) and scaler.std == pytest.approx((steps.std(),))
    test = prepared.preprocessing.transform(from_python((x[4:], y[4:])), "test")
    assert prepared.preprocessing.scaler == scaler  # unchanged by the sentinels
    np.testing.assert_array_equal(test.lengths, [2, 1])
    assert test.x.shape == (2, 2, 1) and test.x[1, 1, 0] == SEQUENCE_PAD
    np.testing.assert_allclose(test.x[0, :, 0], (1e6 - steps.mean()) / steps.std(), rtol=1e-6)
    np.testing.assert_array_equal(prepared.train.x[1, 1:, 0], [SEQUENCE_PAD, SEQUENCE_PAD])  # [[5]] padded to 3
    np.testing.assert_array_equal(test.labels(), [0, 1])


def test_one_nearest_neighbour_is_the_brute_force_answer():
    rng = np.random.default_rng(0)
    data = _data(val=0.0, test_fraction=0.0)
    train = prepare_sequences(data, frame=(rng.normal(size=(30, 5, 2)), rng.integers(0, 3, 30))).train
    query = prepare_sequences(data, frame=(rng.normal(size=(7, 4, 2)), rng.integers(0, 3, 7))).train
    a = np.pad(np.where(train.x == SEQUENCE_PAD, 0, train.x), ((0, 0), (0, 0), (0, 0))).reshape(30, -1)
    b = np.pad(np.where(query.x == SEQUENCE_PAD, 0, query.x), ((0, 0), (0, 1), (0, 0))).reshape(7, -1)
    distances = ((b[:, None, :] - a[None, :, :]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(nearest_neighbour_labels([train], query), train.labels()[distances.argmin(1)])


def test_sequence_config_rules():
    with pytest.raises(ConfigError, match=r"`data.lookback` cannot be set with `sequences`"):
        config_from_dict({"data": {"dataset": "japanese_vowels", "lookback": 5, "sequences": {}}}, source="t")
    with pytest.raises(ConfigError, match=r"data.sequences classifies sequences; set model.head to \{type: classify\}"):
        config_from_dict({"data": {"sequences": {}}, "model": {"head": {"type": "forecast"}}}, source="t")
    with pytest.raises(ConfigError, match=r"has 1 problem:\n  data.sequences: `data.transform` cannot be set"):
        config_from_dict({"data": {"sequences": {}, "transform": {"scaler": "minmax"}}}, source="t")
    with pytest.raises(ConfigError, match=r"sequence files must be relative"):
        config_from_dict({"data": {"sequences": {"train": "../x.ts"}}}, source="t")
    config = config_from_dict({"data": {"dataset": "basic_motions", "sequences": {}}}, source="t")
    assert (config.model.head.type, config.model.masking, config.model.mask_value) == ("classify", True, SEQUENCE_PAD)
    assert config.data.window_norm.type == "none"  # the forecasting recipe is not applied
    with pytest.raises(DataError, match=r"Unknown sequence set 'vowels'"):
        task_for(config_from_dict({"data": {"dataset": "vowels", "sequences": {}}}, source="t")).prepare()


def test_shipped_sets_read_as_the_archive_describes_them():
    vowels = task_for(config_from_dict({"data": {"dataset": "japanese_vowels", "sequences": {}}}, source="t"))
    prepared = vowels.prepare()
    assert (len(prepared.train) + len(prepared.val), len(prepared.test)) == (270, 370)
    lengths = np.concatenate([prepared.train.lengths, prepared.val.lengths, prepared.test.lengths])
    assert (lengths.min(), lengths.max(), prepared.preprocessing.n_features) == (7, 29, 12)
    assert prepared.labels.classes == tuple(str(i) for i in range(1, 10))
    assert vowels.spec(prepared).lookback is None  # the model reads any length
    motions = task_for(config_from_dict({"data": {"dataset": "basic_motions", "sequences": {}}}, source="t"))
    prepared = motions.prepare()
    assert (len(prepared.train) + len(prepared.val), len(prepared.test)) == (40, 40)
    assert prepared.train.lookback == 100 and (prepared.test.lengths == 100).all()
    assert prepared.preprocessing.n_features == 6


def _tiny_run(tmp_path, x, y):
    config = {"data": {"sequences": {"val": 0.25, "test_fraction": 0.25}}, "model": {"layers": [8]},
              "train": {"epochs": 3, "batch_size": 8}}
    return seqkit.train(config_from_dict(config, source="tiny"), frame=(x, y), runs_dir=tmp_path, verbose=0)


def test_padding_does_not_change_a_prediction(tmp_path):
    rng = np.random.default_rng(1)
    lengths = rng.integers(3, 12, 48)
    y = np.arange(48) % 2
    x = [rng.normal(loc=label, size=(n, 2)) for n, label in zip(lengths, y, strict=True)]
    run = _tiny_run(tmp_path, x, y)
    one = x[0][:4]
    alone = run.task.predict(run.model, run.preprocessing, [one])  # padded to 4 steps: none
    beside = run.task.predict(run.model, run.preprocessing, [one, np.zeros((20, 2))])  # padded to 20
    np.testing.assert_allclose(alone.iloc[0, 1:].to_numpy(float), beside.iloc[0, 1:].to_numpy(float), atol=1e-5)
    assert list(beside.columns) == ["class", "p_0", "p_1"]


def test_a_sequence_run_reports_the_model_next_to_both_yardsticks_and_reloads(tmp_path):
    rng = np.random.default_rng(2)
    y = np.arange(40) % 2
    x = rng.normal(loc=y[:, None, None] * 2.0, size=(40, 6, 1))  # fixed length, separable
    run = _tiny_run(tmp_path, x, y)
    results = run.metrics["results"]
    assert set(results) == {"model", "majority_class", "nearest_neighbour"}
    assert results["model"]["n_samples"] == 10 and "balanced_accuracy" in results["model"]
    assert "1-nearest-neighbour (Euclidean)" in run.metrics["report"]
    loaded = seqkit.load_run(run.path)
    expected = run.task.predict(run.model, run.preprocessing, x[:5])
    pd.testing.assert_frame_equal(loaded.task.predict(loaded.model, loaded.preprocessing, x[:5]), expected)


def test_cli_predict_writes_a_class_per_sequence_of_a_wide_csv(tmp_path, capsys):
    from seqkit.cli import main

    rng = np.random.default_rng(3)
    y = np.arange(40) % 2
    run = _tiny_run(tmp_path / "runs", rng.normal(loc=y[:, None, None] * 2.0, size=(40, 6, 1)), y)
    wide = tmp_path / "new.csv"
    wide.write_text("label,t0,t1,t2\n?,2.1,1.9,2.2\n?,0.1,-0.2,\n")
    assert main(["predict", str(run.path), "--input", str(wide)]) == 0
    table = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert list(table.columns) == ["class", "p_0", "p_1"] and len(table) == 2
    np.testing.assert_allclose(table[["p_0", "p_1"]].sum(axis=1), 1.0, rtol=1e-4)
    assert main(["predict", str(run.path), "--input", str(tmp_path / "missing.csv")]) != 0
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["japanese_vowels", "basic_motions"])
def test_shipped_files_are_the_copies_their_source_notes_record(name):
    import gzip
    import hashlib
    from importlib import resources

    from seqkit.data.datasets.registry import SEQUENCE_SETS

    folder = resources.files("seqkit.data.datasets")
    note = (folder / f"{name}.SOURCE.txt").read_text()
    train = SEQUENCE_SETS[name].file
    for file in (train, train.replace("_TRAIN", "_TEST")):
        digest = hashlib.sha256(gzip.decompress((folder / file).read_bytes())).hexdigest()
        assert f"{digest}  {file.removesuffix('.gz')}" in note


def test_a_long_csv_groups_rows_by_id_orders_them_by_time_and_takes_labels_from_a_file(tmp_path):
    from seqkit.config.data import SequencesConfig
    from seqkit.data.sequences import read_file

    table = tmp_path / "long.csv"
    table.write_text("id,t,a,b\ns2,1,20,21\ns1,2,12,13\ns1,1,10,11\ns2,0,18,19\n")
    (tmp_path / "labels.csv").write_text("id,label\ns1,up\ns2,down\n")
    options = SequencesConfig(layout="long", id_column="id", time_column="t", labels="labels.csv")
    raw = read_file(table, options, tmp_path)
    assert raw.labels == ["down", "up"]  # the order ids first appear in
    np.testing.assert_array_equal(raw.sequences[0], [[18, 19], [20, 21]])
    np.testing.assert_array_equal(raw.sequences[1], [[10, 11], [12, 13]])
    (tmp_path / "labels.csv").write_text("id,label\ns1,up\n")
    with pytest.raises(DataError, match=r"gives no label for sequence 's2'"):
        read_file(table, options, tmp_path)
    assert read_file(table, options, tmp_path, labelled=False).labels == ["", ""]  # new data: no labels read
    inline = tmp_path / "inline.csv"
    inline.write_text("id,label,a\n1,x,0.5\n1,y,0.7\n")
    with pytest.raises(DataError, match=r"sequence '1' has more than one label"):
        read_file(inline, SequencesConfig(layout="long", id_column="id"), tmp_path)
    with pytest.raises(ConfigError, match=r"`layout: long` has one row per time step, so it needs the column"):
        config_from_dict({"data": {"sequences": {"layout": "long"}}}, source="t")
