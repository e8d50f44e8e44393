"""Sources and bad data: every error names the file, the row and the column."""

import warnings

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from seqkit.config.data import DataConfig
from seqkit.data import DataWarning, describe_spec, prepare
from seqkit.errors import DataError


def weather_csv(tmp_path, n=2000, name="weather.csv"):
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2000-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "temp": 10 + np.sin(np.arange(n) / 10),
            "wind": np.cos(np.arange(n) / 7) + 3,
        }
    )
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path, frame


def test_nan_in_row_1234_of_temp_names_both(tmp_path):
    path, frame = weather_csv(tmp_path)
    frame.loc[1233, "temp"] = np.nan  # data row 1,234 (line 1,235 of the file)
    frame.to_csv(path, index=False)
    cfg = DataConfig(path="weather.csv", time_column="date", lookback=10)
    with pytest.raises(DataError, match=r"File 'weather.csv': row 1234 \(line 1235 .*\), column 'temp' is empty or NaN"):
        prepare(cfg, base_dir=tmp_path)


def test_non_numeric_and_infinite_cells_are_named(tmp_path):
    path, frame = weather_csv(tmp_path)
    frame["wind"] = frame["wind"].astype(object)
    frame.loc[41, "wind"] = "calm"
    frame.to_csv(path, index=False)
    cfg = DataConfig(path="weather.csv", time_column="date", lookback=10)
    with pytest.raises(DataError, match=r"column 'wind' must hold numbers, but row 42 .* holds 'calm'"):
        prepare(cfg, base_dir=tmp_path)
    frame.loc[41, "wind"] = "inf"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"row 42 .*column 'wind' holds inf. Infinite values are never filled"):
        prepare(cfg.model_copy(update={"missing": "interpolate"}), base_dir=tmp_path)


def test_missing_policies(tmp_path):
    path, frame = weather_csv(tmp_path, n=100)
    frame.loc[[5, 6], "temp"] = np.nan
    frame.to_csv(path, index=False)
    base = {"path": "weather.csv", "time_column": "date", "lookback": 5, "transform": {"scaler": "none"}}
    data = prepare(DataConfig(**base, missing="interpolate"), base_dir=tmp_path)
    col = frame["temp"].to_numpy()
    np.testing.assert_allclose(data.values[5:7, 0], [col[4] + (col[7] - col[4]) / 3, col[4] + 2 * (col[7] - col[4]) / 3])
    data = prepare(DataConfig(**base, missing="ffill"), base_dir=tmp_path)
    np.testing.assert_allclose(data.values[5:7, 0], [col[4], col[4]])
    with pytest.warns(DataWarning, match="2 gap"):
        data = prepare(DataConfig(**base, missing="drop"), base_dir=tmp_path)
    assert data.n_time == 98 and data.frequency == "D"


@pytest.mark.parametrize(
    "split",
    [
        {"type": "steps", "val": 10, "test": 10},
        {"type": "date", "val_start": "2020-01-11", "test_start": "2020-01-21"},
    ],
)
def test_interpolation_never_fills_a_split_from_a_later_one(split):
    # Rows 0-9 train, 10-19 validation, 20-29 test.
    v = np.arange(30.0)
    v[9], v[10] = np.nan, 1000.0  # last training row missing, first validation row huge
    v[19], v[20] = np.nan, 2000.0  # last validation row missing, first test row huge
    w = np.arange(30.0) + 100
    w[10] = np.nan  # leading gap of the validation rows
    w[25] = np.nan  # a gap inside the test rows
    w[29] = np.nan  # the last row
    frame = pd.DataFrame({"t": pd.date_range("2020-01-01", periods=30, freq="D"), "v": v, "w": w})
    config = DataConfig(lookback=3, time_column="t", split=split, missing="interpolate", transform={"scaler": "none"})
    data = prepare(config, frame=frame)
    assert data.train_length == 10 and data.values.flags.c_contiguous
    np.testing.assert_array_equal(data.values[9], [8.0, 109.0])  # carried forward, not (8 + 1000) / 2
    np.testing.assert_array_equal(data.values[10], [1000.0, 111.0])  # the next validation value, not 110
    np.testing.assert_array_equal(data.values[19], [18.0, 119.0])  # carried forward, not (18 + 2000) / 2
    np.testing.assert_array_equal(data.values[25], [25.0, 125.0])  # inside the test rows: both neighbours
    np.testing.assert_array_equal(data.values[29], [29.0, 128.0])


def test_interpolation_fills_an_empty_embargo_from_the_past_only():
    v = np.arange(30.0)
    v[8:10] = np.nan  # the whole embargo between train (rows 0-7) and validation (rows 10-19)
    v[10] = 1000.0
    config = DataConfig(
        lookback=3, split={"type": "steps", "val": 10, "test": 10, "embargo": 2}, missing="interpolate",
        transform={"scaler": "none"},
    )
    data = prepare(config, frame=pd.DataFrame({"v": v}))
    np.testing.assert_array_equal(data.values[7:11, 0], [7.0, 7.0, 7.0, 1000.0])


def test_interpolation_needs_a_value_somewhere_before_or_in_the_split():
    v = np.arange(30.0)
    v[:10] = np.nan  # no training value at all
    config = DataConfig(lookback=3, split={"type": "steps", "val": 10, "test": 10}, missing="interpolate")
    with pytest.raises(DataError, match=r"column 'v' has no value in rows 1-10 \(the train split\) nor before them.*Fill them"):
        prepare(config, frame=pd.DataFrame({"v": v}))


def test_ffill_cannot_fill_a_leading_gap():
    frame = pd.DataFrame({"v": [np.nan, 1.0, 2.0] * 10})
    with pytest.raises(DataError, match="row 1 .*no earlier value"):
        prepare(DataConfig(lookback=3, missing="ffill"), frame=frame)


def test_time_column_must_increase_without_duplicates():
    frame = pd.DataFrame({"t": pd.date_range("2020-01-01", periods=30, freq="h"), "v": np.arange(30.0)})
    dup = frame.copy()
    dup.loc[10, "t"] = dup.loc[9, "t"]
    with pytest.raises(DataError, match=r"1 duplicate timestamp.*row 11"):
        prepare(DataConfig(lookback=3, time_column="t"), frame=dup)
    back = frame.iloc[[*range(10), 12, 11, *range(13, 30)]]
    with pytest.raises(DataError, match=r"must increase, but row 12 .*Sort the data by time"):
        prepare(DataConfig(lookback=3, time_column="t"), frame=back)


def test_empty_csv_and_header_only_csv(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="'empty.csv' is empty"):
        prepare(DataConfig(path="empty.csv", lookback=3), base_dir=tmp_path)
    (tmp_path / "header.csv").write_text("a,b\n")
    with pytest.raises(DataError, match="has no rows"):
        prepare(DataConfig(path="header.csv", lookback=3), base_dir=tmp_path)


def test_paths_stay_inside_the_config_folder(tmp_path):
    for bad in ["/etc/passwd", "../data.csv", "sub/../../x.csv"]:
        with pytest.raises(ValidationError, match="must be relative to the config file's folder"):
            DataConfig(path=bad, lookback=3)
    with pytest.raises(DataError, match="does not exist"):
        prepare(DataConfig(path="nothere.csv", lookback=3), base_dir=tmp_path)


def test_parquet_source_and_unknown_columns(tmp_path):
    _, frame = weather_csv(tmp_path, n=200)
    frame.to_parquet(tmp_path / "w.parquet")
    cfg = DataConfig(path="w.parquet", time_column="date", targets=["temp"], lookback=7, horizon=3)
    data = prepare(cfg, base_dir=tmp_path)
    assert data.spec.feature_names == ("temp", "wind") and data.spec.target_names == ("temp",)
    assert describe_spec(cfg, base_dir=tmp_path) == data.spec
    with pytest.raises(DataError, match=r"`data.features` names column\(s\) \['rain'\].*Available columns"):
        prepare(cfg.model_copy(update={"features": ["rain"]}), base_dir=tmp_path)


def test_numeric_time_column_needs_a_format():
    frame = pd.DataFrame({"year": np.arange(1900, 1950), "v": np.arange(50.0)})
    with pytest.raises(DataError, match="time_format"):
        prepare(DataConfig(lookback=3, time_column="year"), frame=frame)
    data = prepare(DataConfig(lookback=3, time_column="year", time_format="%Y"), frame=frame)
    assert data.time_index[0] == pd.Timestamp("1900-01-01") and data.frequency.startswith("YS")


def test_array_source_without_copy():
    series = np.arange(1000, dtype=np.float32)
    data = prepare(DataConfig(lookback=8, transform={"scaler": "none"}), frame=series)
    assert np.shares_memory(data.train.series, series)
    with pytest.raises(DataError, match=r"row 6 \(position 5\), column 'x0' holds NaN"):
        bad = series.copy()
        bad[5] = np.nan
        prepare(DataConfig(lookback=8), frame=bad)


def test_no_warning_for_a_regular_series():
    frame = pd.DataFrame({"t": pd.date_range("2020-01-01", periods=40, freq="MS"), "v": np.arange(40.0)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert prepare(DataConfig(lookback=3, time_column="t"), frame=frame).frequency == "MS"
