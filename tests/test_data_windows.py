"""Exact window contents against np.arange inputs, zero-copy views, and tf.data batches."""

import itertools

import numpy as np
import pytest

from seqkit.data import TokenWindows, WindowSet
from seqkit.data.labels import LabelWindows
from seqkit.data.windows import window_rows
from seqkit.errors import DataError


def expected_windows(n, lookback, horizon, gap, stride, first=0):
    xs, ys = [], []
    s = first
    while s + lookback + gap + horizon <= n:
        xs.append(list(range(s, s + lookback)))
        ys.append(list(range(s + lookback + gap, s + lookback + gap + horizon)))
        s += stride
    return np.array(xs, np.float32), np.array(ys, np.float32)


@pytest.mark.parametrize(
    "stride,horizon,gap", list(itertools.product([1, 2, 3, 5], [1, 2, 4], [0, 1, 3]))
)
def test_window_contents_match_arange_for_every_stride_horizon_gap(stride, horizon, gap):
    n, lookback = 31, 4
    series = np.arange(n, dtype=np.float32)
    windows = WindowSet(series, name="train", lookback=lookback, horizon=horizon, gap=gap, stride=stride)
    want_x, want_y = expected_windows(n, lookback, horizon, gap, stride)
    assert len(windows) == len(want_x)
    np.testing.assert_array_equal(windows.inputs()[:, :, 0], want_x)
    np.testing.assert_array_equal(windows.targets()[:, :, 0], want_y)
    np.testing.assert_array_equal(windows.target_starts, want_y[:, 0].astype(int))


def test_docstring_worked_example():
    windows = WindowSet(np.arange(10, dtype=np.float32), name="train", lookback=3, horizon=2, gap=1, stride=2)
    np.testing.assert_array_equal(windows.inputs()[:, :, 0], [[0, 1, 2], [2, 3, 4], [4, 5, 6]])
    np.testing.assert_array_equal(windows.targets()[:, :, 0], [[4, 5], [6, 7], [8, 9]])
    np.testing.assert_array_equal(windows.target_starts, [4, 6, 8])


def test_multivariate_features_and_target_columns():
    n = 20
    series = np.stack([np.arange(n), 100 + np.arange(n), 200 + np.arange(n)], axis=1).astype(np.float32)
    # features: columns 0, 1; target: column 2 only (a target that is not a feature)
    windows = WindowSet(series, name="train", lookback=3, horizon=2, n_features=2, target_index=[2, 0])
    x, y = windows.inputs(), windows.targets()
    assert x.shape == (16, 3, 2) and y.shape == (16, 2, 2)
    np.testing.assert_array_equal(x[5], [[5, 105], [6, 106], [7, 107]])
    np.testing.assert_array_equal(y[5], [[208, 8], [209, 9]])


def test_window_views_share_memory_with_the_series():
    series = np.arange(1000, dtype=np.float32)[:, None]
    windows = WindowSet(series, name="train", lookback=50, horizon=5)
    assert windows.series is series
    assert np.shares_memory(windows._input_rows, series)
    assert windows._input_rows.nbytes > series.nbytes  # a view, not a copy: no memory is allocated


@pytest.mark.parametrize("kind,mode", [("last", "subtract"), ("mean", "subtract"), ("last", "divide")])
def test_window_normalisation_uses_each_input_window(kind, mode):
    series = (np.arange(12, dtype=np.float32) + 1)[:, None]
    windows = WindowSet(series, name="train", lookback=3, horizon=2, window_norm=kind, window_norm_mode=mode)
    x, y = windows.inputs()[0, :, 0], windows.targets()[0, :, 0]
    ref = 3.0 if kind == "last" else 2.0
    if mode == "subtract":
        np.testing.assert_allclose(x, [1 - ref, 2 - ref, 3 - ref])
        np.testing.assert_allclose(y, [4 - ref, 5 - ref])
    else:
        np.testing.assert_allclose(x, [1 / 3, 2 / 3, 1.0], rtol=1e-6)
        np.testing.assert_allclose(y, [4 / 3, 5 / 3], rtol=1e-6)


def test_robust_and_standard_window_scaling_by_hand():
    series = np.array([1, 2, 4, 10, 7, 8, 5, 5, 5, 5, 9, 6], dtype=np.float32)[:, None]
    robust = WindowSet(series, name="train", lookback=4, horizon=2, window_norm="robust", window_norm_mode="scale")
    # window [1, 2, 4, 10]: median 3, |x - 3| = [2, 1, 1, 7], MAD 1.5; targets [7, 8]
    np.testing.assert_allclose(robust.inputs()[0, :, 0], [-4 / 3, -2 / 3, 2 / 3, 14 / 3], rtol=1e-6)
    np.testing.assert_allclose(robust.targets()[0, :, 0], [8 / 3, 10 / 3], rtol=1e-6)
    # a flat window [5, 5, 5, 5] (start 6) has no spread at all: divided by 1, its targets [9, 6] minus 5
    np.testing.assert_allclose(robust.inputs()[6, :, 0], [0, 0, 0, 0])
    np.testing.assert_allclose(robust.targets()[6, :, 0], [4, 1])
    standard = WindowSet(series, name="train", lookback=4, horizon=2, window_norm="standard",
                         window_norm_mode="scale")
    window = np.array([1, 2, 4, 10.0])
    np.testing.assert_allclose(standard.inputs()[0, :, 0], (window - 4.25) / window.std(), rtol=1e-6)
    np.testing.assert_allclose(standard.targets()[0, :, 0], (np.array([7, 8]) - 4.25) / window.std(), rtol=1e-6)


def test_robust_window_spread_of_zero_falls_back_to_the_standard_deviation():
    from seqkit.data.transforms import window_scale

    block = np.array([[5, 5, 5, 9, 5]], dtype=np.float32)[:, :, None]  # MAD 0, std 1.6
    ref = window_scale(block, "robust")
    np.testing.assert_allclose(ref[0, :, 0], [5.0, 1.6 * 0.6744897501960817], rtol=1e-6)


def test_dataset_batches_cover_every_window_once_and_reshuffle_each_epoch():
    series = np.arange(200, dtype=np.float32)
    windows = WindowSet(series, name="train", lookback=5, horizon=2)
    ds = windows.dataset(16, shuffle=True, seed=1)
    epochs = []
    for _ in range(2):
        firsts = []
        for x, y in ds:
            assert x.shape[1:] == (5, 1) and y.shape[1:] == (2, 1)
            np.testing.assert_array_equal(y.numpy()[:, 0, 0], x.numpy()[:, -1, 0] + 1)
            firsts.extend(x.numpy()[:, 0, 0].astype(int).tolist())
        assert sorted(firsts) == list(range(len(windows)))
        epochs.append(firsts)
    assert epochs[0] != epochs[1]
    assert epochs[0] != sorted(epochs[0])
    again = [int(v) for x, _ in windows.dataset(16, shuffle=True, seed=1) for v in x.numpy()[:, 0, 0]]
    assert again == epochs[0]  # the same seed gives the same first epoch


def test_unshuffled_dataset_keeps_order_and_static_batch_with_drop_remainder():
    windows = WindowSet(np.arange(50, dtype=np.float32), name="val", lookback=4, horizon=1)
    firsts = [int(v) for x, _ in windows.dataset(8, shuffle=False) for v in x.numpy()[:, 0, 0]]
    assert firsts == list(range(len(windows)))
    ds = windows.dataset(8, shuffle=False, drop_remainder=True)
    assert ds.element_spec[0].shape.as_list() == [8, 4, 1]
    assert sum(1 for _ in ds) == len(windows) // 8


def test_dataset_needs_at_least_one_batch():
    windows = WindowSet(np.arange(10, dtype=np.float32), name="val", lookback=4, horizon=1)
    with pytest.raises(DataError, match="6 window.*batch of 8.*drop_remainder"):
        windows.dataset(8, shuffle=False, drop_remainder=True)


def test_datasets_switch_off_the_autotuner_their_fixed_pipeline_does_not_use():
    # With the autotuner on, the end of an epoch waited for its model thread's next wake
    # (doubling intervals): a 4 s epoch of 10M windows took 5.1 s, or 10.2 s
    # (benchmarks/windowing.py). Series and token windows share the pipeline.
    import tensorflow as tf

    series = WindowSet(np.arange(50, dtype=np.float32), name="train", lookback=4, horizon=1)
    tokens = TokenWindows(np.arange(30), name="train", lookback=3)
    for dataset in (series.dataset(8, shuffle=True, seed=0), tokens.dataset(4, shuffle=False)):
        assert dataset.options().autotune.enabled is False
        assert dataset.with_options(tf.data.Options()).options().autotune.enabled is False  # kept when merged


def test_model_fit_consumes_the_dataset_directly():
    import keras

    windows = WindowSet(np.sin(np.arange(120) / 5).astype(np.float32), name="train", lookback=8, horizon=3)
    model = keras.Sequential([keras.Input((8, 1)), keras.layers.LSTM(4), keras.layers.Dense(3), keras.layers.Reshape((3, 1))])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(windows.dataset(16, shuffle=True, seed=0), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def _window_sets():
    series = WindowSet(np.arange(40, dtype=np.float32), name="train", lookback=4, horizon=2, stride=3)
    return {
        "series": series,
        "tokens": TokenWindows(np.arange(40), name="train", lookback=4, stride=3),
        "labels": LabelWindows(series, (np.arange(40) % 5).astype(np.int32)),
    }


@pytest.mark.parametrize("kind", ["series", "tokens", "labels"])
def test_every_window_set_shares_batches_stream_order_and_arrays(kind):
    windows = _window_sets()[kind]
    assert len(windows) == 12  # starts 0, 3, ..., 33
    np.testing.assert_array_equal(windows.starts, np.arange(0, 34, 3))
    x, y = windows.inputs(), windows.targets()
    np.testing.assert_array_equal(x[:, 0].reshape(-1), windows.starts)  # the series and ids are np.arange
    np.testing.assert_array_equal(windows.target_starts, windows.starts + {"tokens": 1}.get(kind, 4))
    batches = list(windows.dataset(5, shuffle=False))
    np.testing.assert_array_equal(np.concatenate([bx.numpy() for bx, _ in batches]), x)
    np.testing.assert_array_equal(np.concatenate([by.numpy() for _, by in batches]), y)
    streams = windows.stream_order(3)  # K = 4 windows per stream
    order = [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]
    assert type(streams) is type(windows) and len(streams) == 12
    np.testing.assert_array_equal(streams.starts, windows.starts[order])
    np.testing.assert_array_equal(streams.target_starts, windows.target_starts[order])
    np.testing.assert_array_equal(streams.inputs(), x[order])
    np.testing.assert_array_equal(streams.targets(), y[order])
    if kind == "labels":
        np.testing.assert_array_equal(y, (windows.starts + 4) % 5)
        np.testing.assert_array_equal(streams.labels(), y[order])


@pytest.mark.parametrize("count", [1, 2, 3, 7, 256, 1000, 65_537, 200_003])
def test_epoch_order_is_a_permutation_that_changes_with_the_key(count):
    from seqkit.data.windows import _EpochOrder

    order = _EpochOrder(count)
    first = np.concatenate([order.positions(11, b, min(b + 300, count)) for b in range(0, count, 300)])
    np.testing.assert_array_equal(np.sort(first), np.arange(count))
    if count >= 256:
        second = order.positions(12, 0, count)
        assert not np.array_equal(first, second)
        assert abs(np.corrcoef(np.arange(count), first)[0, 1]) < 0.2  # not close to chronological


@pytest.mark.parametrize("shape", [(40,), (40, 3)])
def test_window_rows_items_are_the_windows_of_a_strided_view(shape):
    array = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    rows = window_rows(array, 2, 30, 7)
    starts = np.array([0, 29, 5, 5, 13])
    got = rows[starts].view(np.float32).reshape(len(starts), 7, *shape[1:])
    expected = np.stack([array[2 + s : 2 + s + 7] for s in starts])
    np.testing.assert_array_equal(got, expected)
    assert np.shares_memory(rows, array) and not rows.flags.writeable
    with pytest.raises(IndexError):
        rows[30]  # `count` items, no more
    assert window_rows(array, 50, -3, 7).shape == (0,)


@pytest.mark.parametrize("shuffle", [True, False])
def test_every_batch_of_an_epoch_stays_intact_while_all_are_held(monkeypatch, shuffle):
    import seqkit.data.windows as windows_module

    # Chunks of 4 batches filled 3 windows per gather: the epoch's 25 chunks (and its last,
    # smaller batch) each get their own arrays, and every batch is kept alive to the end.
    monkeypatch.setattr(windows_module, "_CALL_BYTES", 4 * 8 * (6 + 2) * 4)
    monkeypatch.setattr(windows_module, "_GATHER_WINDOWS", 3)
    series = np.arange(810, dtype=np.float32)
    windows = WindowSet(series, name="train", lookback=6, horizon=2, gap=1)
    held = list(windows.dataset(8, shuffle=shuffle, seed=3))
    assert len(held) == -(-len(windows) // 8) and len(held[-1][0]) == len(windows) % 8
    firsts = np.concatenate([x.numpy()[:, 0, 0] for x, _ in held]).astype(int)
    if shuffle:
        assert sorted(firsts.tolist()) == list(range(len(windows))) and firsts.tolist() != sorted(firsts.tolist())
    else:
        np.testing.assert_array_equal(firsts, np.arange(len(windows)))
    for x, y in held:
        starts = x.numpy()[:, :1, :1]
        np.testing.assert_array_equal(x.numpy(), starts + np.arange(6)[None, :, None])
        np.testing.assert_array_equal(y.numpy(), starts + 7 + np.arange(2)[None, :, None])


def test_seasonal_naive_window_norm_by_hand():
    # lookback 4, horizon 3, period 2: target step j is normalised by input position [2, 3, 2][j],
    # the seasonal-naive forecast; inputs by their last value, as with `last`.
    series = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3], dtype=np.float32)
    windows = WindowSet(series, name="train", lookback=4, horizon=3, window_norm="seasonal_naive",
                        window_norm_period=2)
    np.testing.assert_array_equal(
        windows.inputs()[:, :, 0],
        [[3 - 1, 1 - 1, 4 - 1, 0], [1 - 5, 4 - 5, 1 - 5, 0], [4 - 9, 1 - 9, 5 - 9, 0], [1 - 2, 5 - 2, 9 - 2, 0]],
    )
    np.testing.assert_array_equal(
        windows.targets()[:, :, 0],
        [[5 - 4, 9 - 1, 2 - 4], [9 - 1, 2 - 5, 6 - 1], [2 - 5, 6 - 9, 5 - 5], [6 - 9, 5 - 2, 3 - 9]],
    )
    # `naive` measures every target step from the last input value: the same numbers as `last`.
    naive = WindowSet(series, name="train", lookback=4, horizon=3, window_norm="naive")
    np.testing.assert_array_equal(naive.targets()[:, :, 0], [[4, 8, 1], [4, -3, 1], [-7, -3, -4], [4, 3, 1]])
    np.testing.assert_array_equal(naive.inputs(), windows.inputs())


@pytest.mark.parametrize("lookback,horizon,gap,period", [(4, 3, 0, 2), (4, 3, 1, 2), (12, 13, 0, 12), (7, 9, 3, 5),
                                                         (5, 2, 4, 5), (6, 6, 0, 1)])
def test_seasonal_naive_positions_are_the_baselines_forecast(lookback, horizon, gap, period):
    from seqkit.data.transforms import seasonal_naive_positions
    from seqkit.evaluation import seasonal_naive_forecast

    series = np.arange(60.0)
    starts = np.arange(lookback + gap, 60 - horizon + 1)  # target rows of windows whose inputs begin at 0, 1, ...
    expected = seasonal_naive_forecast(series, starts, horizon, period=period, gap=gap)[:, :, 0]
    got = (starts - lookback - gap)[:, None] + seasonal_naive_positions(lookback, horizon, gap, period)
    np.testing.assert_array_equal(got, expected)
    windows = WindowSet(series.astype(np.float32), name="train", lookback=lookback, horizon=horizon, gap=gap,
                        window_norm="seasonal_naive", window_norm_period=period)
    np.testing.assert_array_equal(windows.targets()[:, :, 0], series[starts[:, None] + np.arange(horizon)] - expected)
