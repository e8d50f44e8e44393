"""Stateful training: batch rows continue each other, and a stateful config trains."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import seqkit
from seqkit.config import DataConfig
from seqkit.data import prepare
from seqkit.errors import DataError


def test_stream_order_makes_each_batch_row_continue_the_row_before():
    series = np.arange(44, dtype=np.float32)
    data = prepare(
        DataConfig(lookback=4, stride=4, horizon=1, split={"type": "fraction", "val": 0.0, "test": 0.0},
                   transform={"scaler": "none"}),
        frame=series,
    )
    assert len(data.train) == 10  # windows start at 0, 4, ..., 36
    streams = data.train.stream_order(2)
    assert len(streams) == 10
    np.testing.assert_array_equal(streams.starts, [0, 20, 4, 24, 8, 28, 12, 32, 16, 36])
    batches = list(streams.dataset(2, shuffle=False, drop_remainder=True).as_numpy_iterator())
    assert len(batches) == 5
    for previous, current in zip(batches, batches[1:], strict=False):
        # Row j of this batch starts right where row j of the previous one ended.
        np.testing.assert_array_equal(current[0][:, 0, 0], previous[0][:, -1, 0] + 1)
    np.testing.assert_array_equal(batches[0][0][:, :, 0], [[0, 1, 2, 3], [20, 21, 22, 23]])
    np.testing.assert_array_equal(batches[0][1][:, 0, 0], [4, 24])
    with pytest.raises(DataError, match=r"has 10 window\(s\), fewer than `batch_size` \(16\) streams"):
        data.train.stream_order(16)


def test_the_stateful_config_trains(tmp_path):
    run = seqkit.train("configs/stateful_lstm.yaml", overrides=["train.epochs=2"], runs_dir=tmp_path, verbose=0)
    assert (run.path / "manifest.json").exists()
    assert np.isfinite(run.metrics["results"]["model"]["overall"]["rmse"])
    forecast = run.predict(seqkit.data.load_dataset("synthetic").iloc[:100])
    assert len(forecast) == 1


def _stateful_run(tmp_path, frame=None):
    config = seqkit.ExperimentConfig.model_validate({
        "data": {"dataset": "synthetic", "synthetic": {"length": 480, "period": 60, "seed": 1}, "lookback": 12,
                 "stride": 12, "split": {"type": "fraction", "val": 0.2, "test": 0.2}},
        "model": {"layers": [8], "stateful": True},
        "train": {"epochs": 2, "batch_size": 4, "shuffle": False, "early_stopping": None},
        "evaluate": {"plots": False},
    })
    return seqkit.train(config, runs_dir=tmp_path, verbose=0)


def test_a_stateful_models_splits_are_read_as_it_is_used_warmed_on_the_rows_before(tmp_path):
    from seqkit.models.predict import predict_streaming, reset_states, score_streaming, warm_up_starts

    run = _stateful_run(tmp_path)
    prepared = run.task.prepare(preprocessing=run.preprocessing)
    test = prepared.test
    starts = warm_up_starts(test)
    assert starts[-1] + 12 == test.starts[0] and (np.diff(np.r_[starts, test.starts]) == 12).all()
    # The reference: one stream from the series' start through the test windows, read from row 0 of the batch.
    reset_states(run.model)
    outputs = []
    for start in [*starts, *test.starts]:
        x, _ = test.gather([start])
        # A direct call carries the state on every backend (JAX's predict_on_batch does not write it back).
        outputs.append(keras.ops.convert_to_numpy(run.model(np.repeat(x, 4, axis=0), training=False))[:1])
    expected = np.concatenate(outputs[len(starts):])
    np.testing.assert_allclose(predict_streaming(run.model, test, batch_size=4), expected, atol=1e-6)
    # A zero state at the split (what evaluation did before) gives other forecasts: the history matters.
    reset_states(run.model)
    cold = np.concatenate([keras.ops.convert_to_numpy(run.model(np.repeat(test.gather([s])[0], 4, 0), training=False))[:1]
                           for s in test.starts])
    assert not np.allclose(cold, expected, atol=1e-4)
    # The run's logged validation loss at its kept epoch is this same reading of the validation split.
    best = min(run_history(run)["val_loss"])
    assert score_streaming(run.model, prepared.val, batch_size=4)["loss"] == pytest.approx(best, rel=1e-5)


def run_history(run) -> dict:
    from seqkit.files import read_history_csv

    return read_history_csv(run.path / "history.csv")[0]
