"""Chronological splits: exact window starts, no straddling, embargo, minimum-length errors, random split."""

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from seqkit.config.data import DataConfig
from seqkit.data import prepare
from seqkit.data.splits import plan_splits
from seqkit.errors import DataError


def config(**kwargs):
    kwargs.setdefault("transform", {"scaler": "none"})
    return DataConfig(**kwargs)


def test_steps_split_exact_targets_with_history_context():
    data = prepare(config(lookback=4, horizon=2, split={"type": "steps", "val": 4, "test": 4}), frame=np.arange(30.0))
    # rows 0-21 train, 22-25 val, 26-29 test
    np.testing.assert_array_equal(data.train.target_starts, np.arange(4, 21))
    np.testing.assert_array_equal(data.val.target_starts, [22, 23, 24])
    np.testing.assert_array_equal(data.test.target_starts, [26, 27, 28])
    np.testing.assert_array_equal(data.test.inputs()[0, :, 0], [22, 23, 24, 25])  # inputs from earlier rows
    np.testing.assert_array_equal(data.test.targets()[:, :, 0], [[26, 27], [27, 28], [28, 29]])
    assert data.train_length == 22


@pytest.mark.parametrize("stride,gap,embargo", [(1, 0, 0), (3, 1, 2), (2, 2, 1), (5, 0, 3)])
def test_no_window_straddles_a_boundary(stride, gap, embargo):
    n = 200
    cfg = config(lookback=7, horizon=3, gap=gap, stride=stride,
                 split={"type": "fraction", "val": 0.2, "test": 0.2, "embargo": embargo})
    data = prepare(cfg, frame=np.arange(float(n)))
    a, b = 120, 160
    train_last = data.train.target_starts + 3 - 1
    assert train_last.max() < a - embargo
    assert data.val.target_starts.min() >= a and (data.val.target_starts + 2).max() < b - embargo
    assert data.test.target_starts.min() == b and (data.test.target_starts + 2).max() < n
    # targets really are those rows
    np.testing.assert_array_equal(data.val.targets()[:, :, 0], data.val.target_starts[:, None] + np.arange(3))
    assert np.all(np.diff(data.val.target_starts) == stride)


def test_split_context_keeps_inputs_inside_the_split():
    cfg = config(lookback=3, horizon=2, split={"type": "steps", "val": 0, "test": 8, "context": "split"})
    data = prepare(cfg, frame=np.arange(40.0))
    np.testing.assert_array_equal(data.test.starts, [32, 33, 34, 35])
    assert data.val is None


def test_date_split():
    times = pd.date_range("2020-01-01", periods=60, freq="D")
    frame = pd.DataFrame({"t": times, "v": np.arange(60.0)})
    cfg = config(lookback=5, horizon=1, time_column="t",
                 split={"type": "date", "val_start": "2020-02-01", "test_start": "2020-02-20"})
    data = prepare(cfg, frame=frame)
    assert data.val.target_starts[0] == 31 and data.val.target_starts[-1] == 49
    assert data.test.target_starts[0] == 50 and data.test.target_starts[-1] == 59
    assert data.test.target_times[0, 0] == np.datetime64("2020-02-20")
    assert data.frequency == "D"


def test_date_split_with_one_date_has_no_other_split():
    times = pd.date_range("2020-01-01", periods=60, freq="D")
    frame = pd.DataFrame({"t": times, "v": np.arange(60.0)})
    only_val = prepare(config(lookback=5, horizon=1, time_column="t", split={"type": "date", "val_start": "2020-02-20"}),
                       frame=frame)
    assert only_val.test is None and only_val.val.target_starts[0] == 50 and only_val.val.target_starts[-1] == 59
    only_test = prepare(config(lookback=5, horizon=1, time_column="t", split={"type": "date", "test_start": "2020-02-20"}),
                        frame=frame)
    assert only_test.val is None and only_test.test.target_starts[0] == 50


def test_too_short_split_states_the_minimum_length():
    cfg = config(lookback=24, horizon=12, split={"type": "steps", "val": 12, "test": 12})
    with pytest.raises(DataError, match=r"train split has 26 target row\(s\) but one window needs 36 .*at least 60"):
        prepare(cfg, frame=np.arange(50.0))
    prepare(cfg, frame=np.arange(60.0))  # the stated minimum is enough


def test_too_short_with_split_context_names_lookback_gap_horizon():
    cfg = config(lookback=10, horizon=3, gap=2, split={"type": "fraction", "val": 0.0, "test": 0.1, "context": "split"})
    with pytest.raises(DataError, match=r"test split has 10 .*needs 15 \(`lookback` 10 \+ `gap` 2 \+ `horizon` 3\)"):
        prepare(cfg, frame=np.arange(100.0))


def test_random_split_is_refused_with_a_leakage_message():
    with pytest.raises(ValidationError, match="leaks into training"):
        DataConfig(lookback=4, split={"type": "random"})


def test_random_split_allowed_when_explicitly_asked():
    cfg = config(lookback=4, horizon=1, split={"type": "random", "val": 0.2, "test": 0.2, "seed": 3},
                 allow_random_split=True)
    data = prepare(cfg, frame=np.arange(104.0))
    starts = np.concatenate([data.train.starts, data.val.starts, data.test.starts])
    assert sorted(starts.tolist()) == list(range(100))
    assert len(data.test) == 20 and len(data.val) == 20
    assert data.train_length == 104


def test_plan_without_val_or_test():
    plan = plan_splits(50, config(lookback=5, horizon=2, split={"type": "steps"}))
    assert plan.val is None and plan.test is None and plan.train.count == 44 and plan.fit_rows == slice(0, 50)


@pytest.mark.parametrize(
    "stride,val_starts,test_starts",
    [
        (4, [36, 40], [48, 52]),  # the example: test starts were 45, 49, 53
        (3, [36, 39, 42], [48, 51, 54]),
        (5, [36, 41], [48, 53]),
    ],
)
def test_split_context_starts_every_stride_from_the_splits_first_row(stride, val_starts, test_starts):
    # 60 rows: train 0-35, val 36-47, test 48-59; a window spans lookback 4 + horizon 1 rows.
    cfg = config(lookback=4, horizon=1, stride=stride,
                 split={"type": "steps", "val": 12, "test": 12, "context": "split"})
    data = prepare(cfg, frame=np.arange(60.0))
    np.testing.assert_array_equal(data.test.starts, test_starts)
    np.testing.assert_array_equal(data.val.starts, val_starts)
    np.testing.assert_array_equal(data.test.inputs()[:, :, 0], np.array(test_starts)[:, None] + np.arange(4))
    np.testing.assert_array_equal(data.train.starts, np.arange(0, 32, stride))
