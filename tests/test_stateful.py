"""Stateful training: batch rows continue each other, and a stateful config trains."""

from __future__ import annotations

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
