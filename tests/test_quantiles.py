"""Quantile forecasts: the pinball and weighted quantile losses, non-crossing outputs, intervals, a real run.

The loss values are worked out by hand in the comments; the run trains a tiny
GRU for two epochs on a CSV and reads its `metrics.json` and `predict` CSV.
"""

from __future__ import annotations

import json

import keras
import numpy as np
import pandas as pd
import pytest

from seqkit import ModelConfig, SequenceSpec, build_model
from seqkit.cli import main
from seqkit.config.loading import config_from_dict
from seqkit.config.model import ForecastHeadConfig
from seqkit.errors import ConfigError, DataError
from seqkit.evaluation import pinball_loss, quantile_metrics, quantile_table, seasonal_naive_quantiles
from seqkit.evaluation.metrics import central_intervals
from seqkit.models import MonotoneQuantiles, PinballLoss, predict_windows
from seqkit.training import train

LEVELS = [0.1, 0.5, 0.9]
# One window, two steps, one target: actuals 3 and 0.
Y_TRUE = np.array([[[3.0], [0.0]]])
# Quantile forecasts (0.1, 0.5, 0.9) of each step.
Y_Q = np.array([[[[1.0, 2.0, 4.0]], [[-1.0, 0.5, 2.0]]]])
# Pinball max(q e, (q - 1) e), e = y - y_q:
#   step 1: e = 2, 1, -1   -> 0.2, 0.5, 0.1
#   step 2: e = 1, -0.5, -2 -> 0.1, 0.25, 0.2
# per level (mean of the two steps): 0.15, 0.375, 0.15; all together 0.225.


def test_pinball_loss_per_level_equals_the_hand_computed_values():
    np.testing.assert_allclose(pinball_loss(Y_TRUE, Y_Q, LEVELS), [0.15, 0.375, 0.15], rtol=0, atol=1e-12)


def test_the_keras_pinball_loss_is_the_mean_over_levels_and_elements():
    loss = PinballLoss(LEVELS)(Y_TRUE.astype("float32"), Y_Q.astype("float32"))
    assert float(keras.ops.convert_to_numpy(loss)) == pytest.approx(0.225, abs=1e-6)
    # The median level alone is half the absolute error: (|3 - 2| + |0 - 0.5|) / 2 / 2.
    median = PinballLoss([0.5])(Y_TRUE.astype("float32"), Y_Q[..., 1:2].astype("float32"))
    assert float(keras.ops.convert_to_numpy(median)) == pytest.approx(0.375, abs=1e-6)


def test_weighted_quantile_loss_equals_the_hand_computed_values():
    # wQL_q = 2 * sum(pinball terms) / sum|y|, sum|y| = 3:
    #   q0.1: 2 * 0.3 / 3 = 0.2, q0.5: 2 * 0.75 / 3 = 0.5, q0.9: 2 * 0.3 / 3 = 0.2; mean 0.3.
    m = quantile_metrics(Y_TRUE, Y_Q, LEVELS)
    np.testing.assert_allclose(m["wql_per_quantile"], [0.2, 0.5, 0.2], rtol=0, atol=1e-12)
    assert m["wql"] == pytest.approx(0.3, abs=1e-12)
    # At 0.5 the wQL is the WAPE: sum|e| / sum|y| = (1 + 0.5) / 3.
    assert m["wql_per_quantile"][1] == pytest.approx(1.5 / 3, abs=1e-12)
    np.testing.assert_allclose(m["pinball"], [0.15, 0.375, 0.15], atol=1e-12)


def test_coverage_and_width_of_the_central_interval_are_hand_checked():
    # Four actuals against [q0.1, q0.9]: 3 in [1, 4]; 0 in [-1, 2]; 10 on the upper end of
    # [8, 10] (ends count as inside); 5 below [6, 8]. Coverage 3/4; widths 3, 3, 2, 2 -> 2.5.
    y_true = np.array([[[3.0], [0.0]], [[10.0], [5.0]]])
    y_q = np.array([[[[1.0, 2.0, 4.0]], [[-1.0, 0.5, 2.0]]], [[[8.0, 9.0, 10.0]], [[6.0, 7.0, 8.0]]]])
    m = quantile_metrics(y_true, y_q, LEVELS)
    assert m["intervals"] == [{"lower": 0.1, "upper": 0.9, "nominal": 0.8, "coverage": 0.75, "width": 2.5}]
    # Intervals pair q with 1 - q, widest first; a level without a partner (0.3) forms none.
    assert central_intervals([0.05, 0.1, 0.3, 0.5, 0.9, 0.95]) == [(0, 5), (1, 4)]
    # wQL: pinball sums per level 1.4, 2.25, 0.6 over sum|y| = 18: 2 * 4.25 / 18 / 3 = 0.1574.
    assert m["wql"] == pytest.approx(8.5 / 54, abs=1e-12)
    assert quantile_table({"model": m, "seasonal_naive": m}) == (
        "Quantile forecasts, original units (2 windows x 2 steps; levels 0.1, 0.5, 0.9)\n"
        "metric                    model  seasonal_naive\n"
        "wQL (mean over levels)   0.1574          0.1574\n"
        "80% interval coverage %   75.00           75.00\n"
        "80% interval width        2.500           2.500"
    )


def test_quantile_metrics_refuse_a_forecast_without_one_value_per_level():
    with pytest.raises(DataError, match=r"`y_quantiles` must have shape \(1, 2, 1, 3\).*received shape \(1, 2, 1, 2\)"):
        quantile_metrics(Y_TRUE, Y_Q[..., :2], LEVELS)


@pytest.mark.parametrize("median_index", [0, 2, 4])
def test_the_monotone_layer_never_crosses_and_keeps_the_median_raw(median_index):
    raw = (20 * np.random.default_rng(median_index).standard_normal((64, 3, 2, 5))).astype("float32")
    out = keras.ops.convert_to_numpy(MonotoneQuantiles(median_index)(raw))
    assert out.shape == raw.shape
    assert np.all(np.diff(out, axis=-1) >= 0)
    np.testing.assert_array_equal(out[..., median_index], raw[..., median_index])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_randomly_initialised_quantile_model_never_crosses_on_random_data(seed):
    keras.utils.set_random_seed(seed)
    config = ModelConfig(cell="gru", layers=[8], head=ForecastHeadConfig(quantiles=[0.05, 0.1, 0.5, 0.9, 0.95]))
    model = build_model(config, SequenceSpec(lookback=6, n_features=2, horizon=4, n_targets=2))
    assert model.output_shape == (None, 4, 2, 5)
    # Big inputs and big output weights, so the raw increments range far below and above zero.
    dense = model.get_layer("forecast_flat")
    kernel, bias = dense.get_weights()
    dense.set_weights([50 * kernel, 50 * np.random.default_rng(seed).standard_normal(bias.shape)])
    x = (10 * np.random.default_rng(seed).standard_normal((256, 6, 2))).astype("float32")
    out = keras.ops.convert_to_numpy(model(x, training=False))
    assert np.all(np.diff(out, axis=-1) >= 0)
    assert np.ptp(out) > 100  # the check above covered a wide range, not a collapsed output


def test_the_baseline_interval_adds_the_training_residual_quantiles_to_seasonal_naive():
    # Period 2, training rows [0, 10, 1, 12, 3, 13]; their errors two steps back are 1, 2, 2, 1,
    # whose quantiles 0, 0.5, 1 are 1, 1.5, 2. The window after row 5 forecasts rows 6 and 7
    # with rows 4 and 5 (3 and 13).
    series = np.array([0.0, 10, 1, 12, 3, 13, 4, 15])
    out = seasonal_naive_quantiles(series, np.array([6]), 2, quantiles=[0.0, 0.5, 1.0], train_len=6, period=2)
    np.testing.assert_allclose(out, [[[[4.0, 4.5, 5.0]], [[14.0, 14.5, 15.0]]]])
    with pytest.raises(DataError, match=r"The training split has 2 rows, but the baseline interval needs the errors "
                                         r"of the forecast made 2 steps back \(period 2, horizon 2, gap 0\)"):
        seasonal_naive_quantiles(series, np.array([6]), 2, quantiles=[0.5], train_len=2, period=2)


BASE = {"data": {"dataset": "airline", "lookback": 24, "horizon": 12}}


@pytest.mark.parametrize(
    ("head", "data", "message"),
    [
        ({"quantiles": [0.1, 0.9]}, {}, r"model.head.quantiles: the levels must include 0.5: the median is the point "
                                        r"forecast .*add it, e.g. \[0.1, 0.5, 0.9\] \(got \[0.1, 0.9\]\)"),
        ({"quantiles": [0, 0.5, 1]}, {}, r"model.head.quantiles: quantile levels must lie strictly between 0 and 1; "
                                         r"\[0.0, 1.0\] do not"),
        ({"quantiles": [0.9, 0.5, 0.1]}, {}, r"model.head.quantiles: list each quantile level once, in ascending "
                                             r"order, e.g. \[0.1, 0.5, 0.9\]"),
        ({"quantiles": [0.1, 0.5, 0.5]}, {}, r"model.head.quantiles: list each quantile level once"),
        ({"quantiles": [0.1, 0.5], "loss": "mse"}, {}, r"model.head.loss: 'mse', but a head with `quantiles` trains "
                                                       r"with the pinball \(quantile\) loss"),
        ({"loss": "pinball"}, {}, r"model.head.loss: 'pinball' trains quantiles; give `quantiles`"),
        ({"quantiles": [0.1, 0.5, 0.9]}, {"transform": {"steps": ["log", "diff"]}},
         r"data.transform.steps: `diff` cannot be combined with `model.head.quantiles`: undoing differences sums"),
        ({"quantiles": [0.1, 0.5, 0.9]}, {"window_norm": {"type": "last", "mode": "divide"}},
         r"data.window_norm.mode: 'divide' cannot be combined with `model.head.quantiles`"),
    ],
)
def test_bad_quantile_configs_name_the_field(head, data, message):
    raw = {"data": {**BASE["data"], **data}, "model": {"head": {"type": "forecast", **head}}}
    with pytest.raises(ConfigError, match=message):
        config_from_dict(raw)


def test_quantiles_resolve_the_pinball_loss_and_the_cli_refuses_bad_levels(write_yaml, capsys):
    head = config_from_dict({**BASE, "model": {"head": {"type": "forecast", "quantiles": LEVELS}}}).model.head
    assert (head.loss, head.quantiles) == ("pinball", LEVELS)
    path = write_yaml("data: {dataset: airline, lookback: 24, horizon: 12}\n"
                      "model: {head: {type: forecast, quantiles: [0.2, 0.8]}}\n")
    assert main(["validate", str(path)]) == 2
    assert "model.head.quantiles: the levels must include 0.5" in capsys.readouterr().err


def monthly(n: int) -> pd.DataFrame:
    t = np.arange(n, dtype=np.float64)
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "Date": pd.date_range("2000-01-01", periods=n, freq="MS").strftime("%Y-%m"),
        "load": 50 + 10 * np.sin(2 * np.pi * t / 12) + 0.2 * t + rng.normal(0, 1, n),
    })


CONFIG = """
name: quantile_run
data:
  path: series.csv
  time_column: Date
  time_format: "%Y-%m"
  lookback: 12
  horizon: 3
  period: 12
  split: {type: steps, val: 12, test: 18}
model:
  cell: gru
  layers: [4]
  head: {type: forecast, quantiles: [0.1, 0.5, 0.9]}
train: {epochs: 2, batch_size: 16}
"""


def test_a_quantile_run_scores_its_levels_and_predicts_one_column_per_level(tmp_path, write_yaml):
    monthly(120).to_csv(tmp_path / "series.csv", index=False)
    run = train(write_yaml(CONFIG), runs_dir=tmp_path / "runs", verbose=0)
    metrics = json.loads((run.path / "metrics.json").read_text())
    scores = metrics["quantiles"]
    assert list(scores) == ["model", "seasonal_naive"]
    assert [i["nominal"] for i in scores["model"]["intervals"]] == [0.8]
    assert "Quantile forecasts, original units (16 windows x 3 steps; levels 0.1, 0.5, 0.9)" in metrics["report"]

    # The saved scores are those of every level mapped back on its own; the point metrics are the median's.
    test = run._prepared.test
    raw = predict_windows(run.model, test, batch_size=16)
    assert raw.shape == (16, 3, 1, 3) and np.all(np.diff(raw, axis=-1) >= 0)
    y_q = np.stack([test.to_original(raw[..., k]) for k in range(3)], axis=-1)
    expected = quantile_metrics(test.targets_original(), y_q, LEVELS)
    assert scores["model"]["wql"] == pytest.approx(expected["wql"], rel=1e-9)
    assert scores["model"]["intervals"][0] == pytest.approx(expected["intervals"][0])
    median_mae = np.mean(np.abs(y_q[..., 1] - test.targets_original()))
    assert metrics["results"]["model"]["overall"]["mae"] == pytest.approx(median_mae, rel=1e-9)

    monthly(120).tail(30).to_csv(tmp_path / "recent.csv", index=False)
    out = tmp_path / "forecast.csv"
    assert main(["predict", str(run.path), "--input", str(tmp_path / "recent.csv"), "--output", str(out)]) == 0
    forecast = pd.read_csv(out)
    assert list(forecast.columns) == ["Date", "load_q0.1", "load", "load_q0.9"]
    assert list(forecast["Date"].str[:7]) == ["2010-01", "2010-02", "2010-03"]
    assert np.all(forecast["load_q0.1"] <= forecast["load"]) and np.all(forecast["load"] <= forecast["load_q0.9"])
    assert (run.path / "plots" / "forecast.png").stat().st_size > 0


def test_the_readme_shows_the_baseline_interval_the_sunspots_quantile_config_gets():
    """The README's quantile table: its seasonal-naive column is what the data gives, without training."""
    from pathlib import Path

    import seqkit
    from seqkit.evaluation import evaluate_quantiles

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    shown = readme[readme.index("### Quantile forecasts") :].split("```")[1].splitlines()
    config = seqkit.load_config(root / "configs" / "sunspots_quantiles.yaml")
    task = seqkit.task_for(config)
    prepared = task.prepare()
    test = prepared.test
    scores = evaluate_quantiles(
        prepared.targets_original,
        np.repeat(test.targets_original()[..., np.newaxis], 3, axis=-1),  # a stand-in model: the actuals
        test.target_starts,
        config.model.head.quantiles,
        train_len=prepared.train_length,
        gap=config.data.gap,
        period=task.seasonal_period(prepared),
    )
    table = quantile_table(scores).splitlines()
    assert table[0] in shown
    for row in table[2:]:
        label, baseline = row.rsplit(maxsplit=2)[0], row.split()[-1]
        printed = next(line for line in shown if line.startswith(label + " "))
        assert printed.split()[-1] == baseline, label
