"""Streaming forecasts (`Run.stream`): one observation at a time, the same numbers as `predict` on the history."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import seqkit
from seqkit.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def airline_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stream")
    return seqkit.train("configs/quickstart.yaml", overrides=["train.epochs=1"], runs_dir=folder, verbose=0)


def test_each_streamed_forecast_is_predict_on_the_history_so_far(airline_run):
    history = seqkit.data.load_dataset("airline")
    live = airline_run.stream()
    need = live.need
    live.update(history.iloc[: need - 1])  # a chunk, one short of a forecast
    assert not live.ready
    with pytest.raises(DataError, match="has 23 observation.*Send 1 more"):
        live.forecast()
    for end in range(need, need + 6):  # then one row at a time, as a dict
        live.update(history.iloc[end - 1].to_dict())
        streamed = live.forecast()
        expected = airline_run.predict(history.iloc[:end])
        assert streamed["Date"].tolist() == expected["Date"].tolist()
        np.testing.assert_allclose(streamed["Passengers"], expected["Passengers"], rtol=1e-5)
    assert live.seen == need + 5 and len(live._rows) == need  # only the rows a forecast reads are kept
    live.reset()
    assert not live.ready and live.seen == 0


def test_forecast_array_is_predict_on_the_same_history_as_numbers(airline_run):
    history = seqkit.data.load_dataset("airline")
    live = airline_run.stream()
    need = live.need
    live.update(history["Passengers"].to_numpy()[: need - 1, None])  # arrays too: `(n, n_columns)`, then one row
    for end in range(need, need + 3):
        live.update(history["Passengers"].to_numpy()[end - 1 : end])
        streamed = live.forecast_array()
        assert streamed.shape == (12, 1) and streamed.dtype == np.float64
        expected = airline_run.predict(history.iloc[:end])["Passengers"].to_numpy()
        np.testing.assert_allclose(streamed[:, 0], expected, rtol=1e-5)
    np.testing.assert_array_equal(live.forecast()["Passengers"].to_numpy(), streamed[:, 0])
    with pytest.raises(ValueError, match=r"shape \(1, 24, 1\); received \(1, 12, 1\)"):
        live._call(np.zeros((1, 12, 1)))  # compiled for one window's shape, and says so


def test_a_stream_refuses_gaps_and_bad_cells_naming_the_observation(airline_run):
    live = airline_run.stream()
    live.update({"Date": "1950-01", "Passengers": 115})
    with pytest.raises(DataError, match="observation 2 is at 1950-03-01.*next one at 1950-02-01"):
        live.update({"Date": "1950-03", "Passengers": 120})
    with pytest.raises(DataError, match="observation 2 has 'n/a' in column 'Passengers'"):
        live.update({"Date": "1950-02", "Passengers": "n/a"})
    with pytest.raises(DataError, match="lack column"):
        live.update({"Date": "1950-02"})


def test_the_cli_prints_a_forecast_line_per_row_once_the_window_is_full(airline_run, tmp_path, capsys, monkeypatch):
    from seqkit.cli import main

    history = seqkit.data.load_dataset("airline").iloc[:30]
    monkeypatch.setattr("sys.stdin", io.StringIO(history.to_csv(index=False)))
    assert main(["predict", str(airline_run.path), "--input", "-", "--stream"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert len(table) == 30 - 24 + 1 and list(table.columns[:3]) == ["Date", "Passengers_1", "Passengers_2"]
    assert table["Date"].iloc[-1] == "1951-06"
    np.testing.assert_allclose(table.iloc[-1, 1:].to_numpy(float), airline_run.predict(history)["Passengers"],
                               rtol=1e-5)
    assert main(["predict", str(airline_run.path), "--input", str(tmp_path / "none.csv"), "--stream"]) != 0
    assert "does not exist" in capsys.readouterr().err


def test_runs_that_do_not_stream_say_why(tmp_path):
    config = {"data": {"dataset": "synthetic", "synthetic": {"length": 600}, "lookback": 8, "stride": 8},
              "model": {"layers": [4], "stateful": True}, "train": {"epochs": 1, "batch_size": 4, "shuffle": False},
              "evaluate": {"plots": False}}
    run = seqkit.train(seqkit.ExperimentConfig.model_validate(config), runs_dir=tmp_path, verbose=0)
    with pytest.raises(ConfigError, match="stateful"):
        run.stream()
