"""Backtest folds: exact origins and row ranges, and preprocessing fitted on each fold's training rows only."""

from __future__ import annotations

import numpy as np
import pytest

from seqkit.config.data import DataConfig
from seqkit.data import prepare
from seqkit.data.splits import backtest_folds
from seqkit.errors import ConfigError, DataError

# 100 rows: validation 10, test 10; windows of lookback 4 and horizon 5.
CONFIG = DataConfig(lookback=4, horizon=5, split={"type": "steps", "val": 10, "test": 10})


def ranges(folds):
    return [(f.origin, (f.start, f.end), f.train_rows, f.val_rows, f.test_rows, f.fit_rows) for f in folds]


def test_expanding_folds_step_back_by_the_horizon_from_the_configs_own_split():
    folds = backtest_folds(100, CONFIG, folds=3)
    assert ranges(folds) == [
        (80, (0, 90), (0, 70), (70, 80), (80, 90), (0, 70)),
        (85, (0, 95), (0, 75), (75, 85), (85, 95), (0, 75)),
        (90, (0, 100), (0, 80), (80, 90), (90, 100), (0, 80)),  # the config's own split
    ]
    # Every test window of a fold forecasts from its origin on: 10 test rows, horizon 5, stride 1.
    assert [(f.plan.test.first_start + f.start, f.plan.test.count) for f in folds] == [(76, 6), (81, 6), (86, 6)]
    assert [f.plan.train.count for f in folds] == [62, 67, 72]


def test_sliding_folds_keep_the_first_folds_length():
    folds = backtest_folds(100, CONFIG, folds=3, step=7, window="sliding")
    assert ranges(folds) == [
        (76, (0, 86), (0, 66), (66, 76), (76, 86), (0, 66)),
        (83, (7, 93), (7, 73), (73, 83), (83, 93), (7, 73)),
        (90, (14, 100), (14, 80), (80, 90), (90, 100), (14, 80)),
    ]
    assert {f.plan.train.count for f in folds} == {58}


def test_a_fraction_split_keeps_the_row_counts_it_gives_the_whole_series():
    cfg = DataConfig(lookback=4, horizon=5, split={"type": "fraction", "val": 0.1, "test": 0.2, "embargo": 2})
    folds = backtest_folds(100, cfg, folds=2, step=10)
    assert [(f.config.split.val, f.config.split.test) for f in folds] == [(10, 20), (10, 20)]
    assert ranges(folds) == [
        (70, (0, 90), (0, 58), (60, 68), (70, 90), (0, 58)),  # embargo 2 before validation and before test
        (80, (0, 100), (0, 68), (70, 78), (80, 100), (0, 68)),
    ]


def test_too_many_folds_say_how_many_fit():
    with pytest.raises(DataError) as error:
        backtest_folds(100, CONFIG, folds=16)
    assert str(error.value) == (
        "16 folds 5 rows apart put the first forecast origin at row 15, leaving its training split 5 row(s) of the "
        "series' 100; a training window needs 9 (`lookback` 4 + `gap` 0 + `horizon` 5). At most 15 fold(s) fit: "
        "ask for --folds 15 (folds= in Python) or fewer, or a smaller --step."
    )
    assert len(backtest_folds(100, CONFIG, folds=15)) == 15
    with pytest.raises(DataError, match="MASE's seasonal scale needs 13. At most 14 fold"):
        backtest_folds(100, CONFIG, folds=15, min_train=13)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"folds": 0}, "number of folds .* at least 1, got 0"),
        ({"folds": 2, "step": 0}, r"step between origins \(--step, step= in Python\) must be at least 1 row, got 0"),
        ({"folds": 2, "window": "rolling"}, "`expanding` or `sliding`, got 'rolling'"),
    ],
)
def test_bad_fold_settings_are_config_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        backtest_folds(100, CONFIG, **kwargs)


def test_a_split_without_test_rows_cannot_be_backtested():
    with pytest.raises(ConfigError, match="leaves no test rows; give it a test size"):
        backtest_folds(100, DataConfig(lookback=4, horizon=5, split={"type": "steps", "val": 10}), folds=2)


@pytest.mark.parametrize("window", ["expanding", "sliding"])
@pytest.mark.parametrize("scaler", ["standard", "minmax", "robust"])
def test_no_folds_scaler_sees_a_value_at_or_after_its_origin(window, scaler):
    cfg = DataConfig(lookback=4, horizon=5, split={"type": "steps", "val": 10, "test": 10},
                     transform={"scaler": scaler})
    base = np.random.default_rng(0).normal(5.0, 2.0, size=100)
    for fold in backtest_folds(100, cfg, folds=4, window=window):
        lo, hi = fold.fit_rows
        assert hi <= fold.origin - 10  # the validation rows lie between the fit rows and the origin
        series = base.copy()
        series[hi : fold.origin] = 1e9  # this fold's validation rows
        series[fold.origin :] = -1e9  # its test rows and everything after its origin
        series[:lo] = 1e12  # a sliding fold's rows before its start
        data = prepare(fold.config, frame=series, rows=fold.rows)
        state = data.transform.states[0]
        train = base[lo:hi]
        q25, median, q75 = np.percentile(train, [25, 50, 75])
        want = {"standard": (train.mean(), train.std()), "minmax": (train.min(), train.max() - train.min()),
                "robust": (median, q75 - q25)}[scaler]
        assert (state.loc, state.scale) == pytest.approx(want, rel=1e-12)
        assert data.train_length == hi - lo and data.n_time == fold.end - fold.start
        assert np.abs(data.train.inputs()).max() < 10
        assert data.test.target_starts.min() == fold.origin - fold.start


def test_interpolation_fills_no_gap_from_past_a_folds_boundaries():
    cfg = DataConfig(lookback=4, horizon=5, split={"type": "steps", "val": 10, "test": 10}, missing="interpolate")
    fold = backtest_folds(100, cfg, folds=3)[0]  # training rows 0-69, validation 70-79, test 80-89
    series = np.arange(100.0)
    series[69] = np.nan  # the last training row: filled from training rows only
    series[70:] = 1e9
    data = prepare(fold.config, frame=series, rows=fold.rows)
    assert data.values[69, 0] == 68.0
