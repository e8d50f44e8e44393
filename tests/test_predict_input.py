"""New data for a trained run (`predict --input`, `evaluate --data`, `Run.predict`, `Run.evaluate`) is checked as training data is.

Each case writes a real file, runs the real command line (`seqkit.cli.main`) or
the public API against a tiny run trained once per module, and pins the message:
the same words training uses, naming the file, the row and the line.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqkit.cli import main
from seqkit.data import DataWarning
from seqkit.errors import DataError
from seqkit.training import load_run, train

N = 96
LOOKBACK = 12


def monthly(n: int = N) -> pd.DataFrame:
    """A monthly series from 2000-01: `load` (the target) and `temp`, Date as 'YYYY-MM'."""
    t = np.arange(n, dtype=np.float64)
    return pd.DataFrame({
        "Date": pd.date_range("2000-01-01", periods=n, freq="MS").strftime("%Y-%m"),
        "load": 50 + 10 * np.sin(t / 3) + 0.1 * t,
        "temp": np.cos(t / 5),
    })


CONFIG = """
data:
  path: series.csv
  time_column: Date
  time_format: "%Y-%m"
  features: [load, temp]
  targets: [load]
  lookback: 12
  horizon: 3
  missing: {missing}
  split: {{type: fraction, val: 0.15, test: 0.15}}
  window_norm: {{type: none}}  # `_expected_forecast` unscales by hand, without window normalisation
model:
  cell: gru
  layers: [4]
train:
  epochs: 1
  batch_size: 16
evaluate: {{plots: false}}
"""


def _train(folder, missing: str):
    monthly().to_csv(folder / "series.csv", index=False)
    (folder / "run.yaml").write_text(CONFIG.format(missing=missing), encoding="utf-8")
    return train(folder / "run.yaml", runs_dir=folder / "runs", verbose=0).path


@pytest.fixture(scope="module")
def strict_run(tmp_path_factory):
    """A forecast run trained with `missing: error` (the default policy)."""
    return _train(tmp_path_factory.mktemp("strict"), "error")


@pytest.fixture(scope="module")
def filling_run(tmp_path_factory):
    """A forecast run trained with `missing: interpolate`."""
    return _train(tmp_path_factory.mktemp("filling"), "interpolate")


def cli(capsys, *argv) -> tuple[int, str, str]:
    status = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def write(tmp_path, name: str, frame: pd.DataFrame):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


LINE = "(line {line} of the file, counting the header)"

# name, how the good history is broken, the exact message (after "error: ").
BROKEN = {
    "descending": (
        lambda f: f.iloc[::-1],
        "File 'descending.csv': the time column must increase, but row 2 (line 3 of the file, counting the header) "
        "(2007-11-01 00:00:00) is earlier than the row before it (2007-12-01 00:00:00). Sort the data by time.",
    ),
    "duplicate_last": (
        lambda f: pd.concat([f, f.iloc[-1:].assign(load=99.0)], ignore_index=True),
        "File 'duplicate_last.csv': the time column has 1 duplicate timestamp(s); the first, 2007-12-01 00:00:00, "
        "is at row 97 (line 98 of the file, counting the header) and the row before it. Aggregate or remove "
        "duplicates so each time step appears once.",
    ),
    "gap": (
        lambda f: f.drop(index=range(86, 92)),
        "File 'gap.csv': the time column skips 6 step(s) of its 'MS' grid; the first missing one, "
        "2007-03-01 00:00:00, belongs after row 86 (line 87 of the file, counting the header) (2007-02-01 00:00:00). "
        "Add the missing rows, or set `data.missing` to 'interpolate' or 'ffill' to fill them (or 'drop' to let "
        "windows span the gap).",
    ),
    "nan_cell": (
        lambda f: f.assign(load=f["load"].mask(f.index == 90)),
        "File 'nan_cell.csv': row 91 (line 92 of the file, counting the header), column 'load' is empty or NaN "
        "(1 missing cell(s) in the selected columns). Fix the data, or set `data.missing` to 'interpolate', "
        "'ffill' or 'drop'.",
    ),
    "text_cell": (
        lambda f: f.astype({"temp": object}).assign(temp=lambda g: g["temp"].where(g.index != 93, "warm")),
        "File 'text_cell.csv': column 'temp' must hold numbers, but row 94 (line 95 of the file, counting the "
        "header) holds 'warm' (1 non-numeric cell(s) in the column). Fix or remove the cell, or leave it empty "
        "and set `data.missing`.",
    ),
    "missing_column": (
        lambda f: f.rename(columns={"temp": "Temp"}),
        "`data.features` names column(s) ['temp'] that file 'missing_column.csv' does not have (did you mean "
        "'Temp'?). Available columns: ['Date', 'load', 'Temp'].",
    ),
    "bad_date": (
        lambda f: f.assign(Date=f["Date"].where(f.index != 95, "2007-13")),
        "File 'bad_date.csv': time column 'Date' could not be read as a date at row 96 (line 97 of the file, "
        "counting the header): '2007-13' (format '%Y-%m'). Fix the cell, or set `data.time_format`.",
    ),
}


@pytest.mark.parametrize("command", ["predict", "evaluate"])
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_the_cli_refuses_broken_new_data_with_the_training_message(strict_run, tmp_path, capsys, command, case):
    breaking, message = BROKEN[case]
    path = write(tmp_path, f"{case}.csv", breaking(monthly()))
    option = "--input" if command == "predict" else "--data"
    status, out, err = cli(capsys, command, strict_run, option, path)
    assert (status, out, err) == (2, "", f"error: {message}\n")


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_the_api_raises_the_same_data_error(strict_run, tmp_path, case):
    breaking, message = BROKEN[case]
    path = write(tmp_path, f"{case}.csv", breaking(monthly()))
    run = load_run(strict_run)
    for call in (run.predict, run.evaluate):
        with pytest.raises(DataError) as raised:
            call(path)
        assert str(raised.value) == message


def test_the_training_data_gets_the_very_same_message(tmp_path, capsys):
    """The check is one code path: training on the file with the gap says what predict says."""
    monthly().drop(index=range(86, 92)).to_csv(tmp_path / "series.csv", index=False)
    (tmp_path / "run.yaml").write_text(CONFIG.format(missing="error"), encoding="utf-8")
    status, _, err = cli(capsys, "train", tmp_path / "run.yaml", "--quiet", "--runs-dir", tmp_path / "runs")
    assert (status, err) == (2, "error: " + BROKEN["gap"][1].replace("gap.csv", "series.csv") + "\n")


def test_a_dataframe_is_checked_too_and_names_its_rows(strict_run):
    frame = monthly().iloc[::-1].reset_index(drop=True)
    with pytest.raises(DataError) as raised:
        load_run(strict_run).predict(frame)
    assert str(raised.value) == (
        "The DataFrame given as data: the time column must increase, but row 2 (position 1) (2007-11-01 00:00:00) is earlier than "
        "the row before it (2007-12-01 00:00:00). Sort the data by time."
    )


def test_a_timestamp_off_the_runs_time_grid_is_named(strict_run):
    frame = monthly().assign(Date=pd.date_range("2000-01-01", periods=N, freq="MS"))  # parsed already
    frame.loc[95, "Date"] = pd.Timestamp("2007-12-15")
    with pytest.raises(DataError) as raised:
        load_run(strict_run).predict(frame)
    assert str(raised.value) == (
        "The DataFrame given as data: row 96 (position 95) holds 2007-12-15 00:00:00, which is not on the run's 'MS' time grid "
        "(counted from 2000-01-01 00:00:00; 1 such row(s)). Fix the timestamp so every row is one step of the grid."
    )
    frame.loc[95, "Date"] = pd.Timestamp("2007-12-01")
    assert list(load_run(strict_run).predict(frame)["Date"].dt.strftime("%Y-%m")) == ["2008-01", "2008-02", "2008-03"]


def test_too_few_rows_says_how_many_are_needed_and_given(strict_run, tmp_path, capsys):
    path = write(tmp_path, "short.csv", monthly().iloc[:5])
    status, out, err = cli(capsys, "predict", strict_run, "--input", path)
    assert (status, out) == (2, "")
    assert err == (
        "error: File 'short.csv' has 5 row(s); forecasting needs at least 12 (`lookback` 12). "
        "Give a longer history.\n"
    )
    status, out, err = cli(capsys, "evaluate", strict_run, "--data", path)
    assert (status, out) == (2, "")
    assert err == (
        "error: The train split has 3 target row(s) but one window needs 15 (`lookback` 12 + `gap` 0 + `horizon` 3). "
        "File 'short.csv' has 5 rows; with this split it needs at least 21. Give more data, shorten "
        "`lookback`/`horizon`, or change `split`.\n"
    )


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_an_empty_file_is_still_bad_input(strict_run, tmp_path, capsys, command):
    path = tmp_path / "empty.csv"
    path.write_text("")
    option = "--input" if command == "predict" else "--data"
    status, out, err = cli(capsys, command, strict_run, option, path)
    assert (status, out, err) == (
        2, "", "error: File 'empty.csv' is empty. Give a file with a header row and data rows.\n"
    )


def _expected_forecast(run_dir, history: pd.DataFrame) -> np.ndarray:
    """The model on the scaled last `lookback` rows, unscaled: no seqkit data code involved."""
    run = load_run(run_dir)
    states = {state.name: state for state in run.preprocessing.states}
    x = np.stack([(history[name].to_numpy()[-LOOKBACK:] - states[name].loc) / states[name].scale
                  for name in ("load", "temp")], axis=-1)[None].astype("float32")
    y = np.asarray(run.model(x))[0, :, 0]
    return y * states["load"].scale + states["load"].loc


def test_a_correct_file_forecasts_as_before(strict_run, tmp_path, capsys):
    history = monthly()
    path = write(tmp_path, "history.csv", history)
    status, out, err = cli(capsys, "predict", strict_run, "--input", path, "--output", tmp_path / "forecast.csv")
    assert (status, out, err) == (0, f"wrote 3 forecast steps to {tmp_path / 'forecast.csv'}\n", "")
    forecast = pd.read_csv(tmp_path / "forecast.csv")
    assert list(forecast.columns) == ["Date", "load"]
    assert list(forecast["Date"]) == ["2008-01-01", "2008-02-01", "2008-03-01"]  # the months after 2007-12
    np.testing.assert_allclose(forecast["load"].to_numpy(), _expected_forecast(strict_run, history), rtol=1e-5)
    status, out, _ = cli(capsys, "evaluate", strict_run, "--data", path)
    assert status == 0 and "test split" in out


def test_a_gap_under_interpolate_forecasts_as_the_filled_history(filling_run, tmp_path, capsys):
    history = monthly()
    gappy = history.drop(index=range(86, 92))
    filled = history.copy()
    # What `interpolate` fills rows 86-91 with: the straight line from row 85 to row 92.
    step = (history.loc[92, ["load", "temp"]] - history.loc[85, ["load", "temp"]]) / 7
    for k, row in enumerate(range(86, 92), start=1):
        filled.loc[row, ["load", "temp"]] = history.loc[85, ["load", "temp"]] + k * step
    status, gap_out, err = cli(capsys, "predict", filling_run, "--input", write(tmp_path, "gap.csv", gappy))
    assert (status, err) == (0, "")
    status, filled_out, _ = cli(capsys, "predict", filling_run, "--input", write(tmp_path, "filled.csv", filled))
    assert status == 0
    assert gap_out == filled_out
    np.testing.assert_allclose(
        pd.read_csv(tmp_path / "gap.csv").shape, (N - 6, 3)
    )  # the file itself kept its gap: the rows were filled in memory
    forecast = load_run(filling_run).predict(tmp_path / "gap.csv")
    np.testing.assert_allclose(forecast["load"].to_numpy(), _expected_forecast(filling_run, filled), rtol=1e-5)


def test_a_gap_under_interpolate_is_evaluated_as_the_filled_history(filling_run, tmp_path):
    history = monthly()
    run = load_run(filling_run)
    gappy = run.evaluate(write(tmp_path, "gap.csv", history.drop(index=range(86, 92))))
    filled = history.copy()
    filled.loc[86:91, ["load", "temp"]] = np.nan
    filled[["load", "temp"]] = filled[["load", "temp"]].interpolate()
    reference = run.evaluate(write(tmp_path, "filled.csv", filled))
    assert gappy["results"]["model"]["overall"] == pytest.approx(reference["results"]["model"]["overall"])


def test_a_gap_under_drop_is_used_as_is_and_said_so(tmp_path, capsys):
    run_dir = _train(tmp_path, "drop")
    path = write(tmp_path, "gap.csv", monthly().drop(index=range(86, 92)))
    with pytest.warns(DataWarning) as warned:  # the command line prints it as "warning: <message>"
        status, out, err = cli(capsys, "predict", run_dir, "--input", path)
    assert (status, err) == (0, "") and out.startswith("Date,load\n2008-01-01,"), out
    assert [str(warning.message) for warning in warned] == [
        "File 'gap.csv': the time column has 6 gap(s) in its 'MS' grid; the first missing timestamp is "
        "2007-03-01 00:00:00. Windows span the gaps as if the rows were adjacent; fill the rows if that matters."
    ]


CLASSIFY = """
data:
  path: labelled.csv
  time_column: Date
  time_format: "%Y-%m-%d"
  label: kind
  lookback: 6
  split: {type: fraction, val: 0.2, test: 0.2}
model:
  cell: gru
  layers: [4]
  head: {type: classify}
train:
  epochs: 1
  batch_size: 16
evaluate: {plots: false}
"""


def labelled(n: int = 80) -> pd.DataFrame:
    x = np.random.default_rng(0).normal(size=n)
    return pd.DataFrame({
        "Date": pd.date_range("2021-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "x": x,
        "kind": np.where(np.roll(x, 1) > 0, "up", "down"),
    })


def test_a_classifier_checks_its_new_data_the_same_way(tmp_path, capsys):
    labelled().to_csv(tmp_path / "labelled.csv", index=False)
    (tmp_path / "classify.yaml").write_text(CLASSIFY, encoding="utf-8")
    run_dir = train(tmp_path / "classify.yaml", runs_dir=tmp_path / "runs", verbose=0).path
    status, out, err = cli(capsys, "predict", run_dir, "--input", write(tmp_path, "new.csv", labelled()))
    assert status == 0 and out.startswith("Date,kind,p_down,p_up\n2021-03-22,"), (out, err)
    status, out, err = cli(capsys, "evaluate", run_dir, "--data", tmp_path / "new.csv")
    assert (status, err) == (0, "") and out.startswith("test split (16 windows):"), out
    status, out, err = cli(capsys, "predict", run_dir, "--input", write(tmp_path, "back.csv", labelled().iloc[::-1]))
    assert (status, out, err) == (
        2, "", "error: File 'back.csv': the time column must increase, but row 2 (line 3 of the file, counting the "
        "header) (2021-03-20 00:00:00) is earlier than the row before it (2021-03-21 00:00:00). Sort the data by "
        "time.\n"
    )
    status, out, err = cli(capsys, "evaluate", run_dir, "--data", write(tmp_path, "gap.csv", labelled().drop(index=[70])))
    assert (status, out, err) == (
        2, "", "error: File 'gap.csv': the time column skips 1 step(s) of its 'D' grid; the first missing one, "
        "2021-03-12 00:00:00, belongs after row 70 (line 71 of the file, counting the header) (2021-03-11 00:00:00). "
        "Add the missing rows, or set `data.missing` to 'interpolate' or 'ffill' to fill them (or 'drop' to let "
        "windows span the gap).\n"
    )


LANGUAGE_MODEL = """
data:
  path: corpus.txt
  text: {level: char}
  lookback: 8
  stride: 8
  split: {type: fraction, val: 0.1, test: 0.1}
model:
  cell: gru
  layers: [4]
  embedding: {dim: 4}
  head: {type: language_model}
train:
  epochs: 1
  batch_size: 16
evaluate: {plots: false}
"""


def test_a_language_model_checks_new_text_as_its_training_text(tmp_path, capsys):
    (tmp_path / "corpus.txt").write_text("the cat sat on the mat. " * 20, encoding="utf-8")
    (tmp_path / "lm.yaml").write_text(LANGUAGE_MODEL, encoding="utf-8")
    run_dir = train(tmp_path / "lm.yaml", runs_dir=tmp_path / "runs", verbose=0).path
    (tmp_path / "latin1.txt").write_bytes("the caf\xe9 sat. ".encode("latin-1") * 20)
    status, out, err = cli(capsys, "evaluate", run_dir, "--data", tmp_path / "latin1.txt")
    assert (status, out, err) == (
        2, "", "error: File 'latin1.txt' is not valid UTF-8: byte 7 (b'\\xe9') cannot be decoded. Re-save the file "
        "as UTF-8.\n"
    )
    (tmp_path / "short.txt").write_text("the cat", encoding="utf-8")
    with pytest.raises(DataError, match=r"but file 'short.txt' has 7 char tokens"):
        load_run(run_dir).evaluate(tmp_path / "short.txt")
    (tmp_path / "more.txt").write_text("the mat sat on the cat. " * 10, encoding="utf-8")
    assert "test split" in load_run(run_dir).evaluate(str(tmp_path / "more.txt"))["report"]


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_a_file_that_is_not_there_is_bad_input(strict_run, tmp_path, capsys, command):
    option = "--input" if command == "predict" else "--data"
    status, out, err = cli(capsys, command, strict_run, option, tmp_path / "nowhere.csv")
    assert (status, out, err) == (
        2, "", f"error: input file '{tmp_path / 'nowhere.csv'}' does not exist. Check the name and folder.\n"
    )
