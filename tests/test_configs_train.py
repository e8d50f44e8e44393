"""Every shipped config trains, and the forecasting configs beat their baselines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import seqkit

# char_lm.yaml trains an epoch in tests/test_notebooks.py (notebook 03 trains it as shipped): not twice in CI.
CONFIGS = sorted(c for c in (Path(__file__).parent.parent / "configs").glob("*.yaml") if c.stem != "char_lm")


@pytest.mark.slow
@pytest.mark.parametrize("config", CONFIGS, ids=[c.stem for c in CONFIGS])
def test_every_shipped_config_trains_an_epoch(config, tmp_path):
    run = seqkit.train(config, overrides=["train.epochs=1"], runs_dir=tmp_path, verbose=0)
    assert (run.path / "manifest.json").exists()
    # A panel scores every series on its own; its summary stands for the one table of the others.
    assert run.metrics["results"]["model"] if "results" in run.metrics else run.metrics["aggregate"]["mean"]["model"]


def _overall(run, name):
    return run.metrics["results"][name]["overall"]


@pytest.mark.slow
def test_quickstart_beats_seasonal_naive_at_its_13_test_origins(tmp_path):
    """The test split is the final 24 months: 13 forecasts of 12 months, from 1959-01 to 1960-01."""
    from seqkit.data import load_dataset

    run = seqkit.train("configs/quickstart.yaml", runs_dir=tmp_path, verbose=0)
    results = run.metrics["results"]
    assert [results[name]["n_windows"] for name in ("model", "naive", "seasonal_naive")] == [13, 13, 13]
    # NumPy reference: origin o (first forecast row, 120..132) is forecast by repeating rows o-12..o-1;
    # MASE divides by the mean seasonal (lag-12) absolute change over the 108 training rows.
    passengers = load_dataset("airline")["Passengers"].to_numpy(float)
    origins = np.arange(120, 133)
    errors = np.stack([passengers[o : o + 12] - passengers[o - 12 : o] for o in origins])
    scale = np.mean(np.abs(passengers[12:108] - passengers[:96]))
    model, seasonal = _overall(run, "model"), _overall(run, "seasonal_naive")
    assert seasonal["rmse"] == pytest.approx(np.sqrt(np.mean(errors**2)), rel=1e-9)  # 53.37
    assert seasonal["mase"] == pytest.approx(np.mean(np.abs(errors)) / scale, rel=1e-9)  # 1.683
    assert model["rmse"] < seasonal["rmse"]
    assert model["mase"] < 1


@pytest.mark.slow
def test_sunspots_beats_naive_and_the_11_year_seasonal_naive(tmp_path):
    run = seqkit.train("configs/sunspots.yaml", runs_dir=tmp_path, verbose=0)
    assert run.metrics["seasonal_period"] == 11
    model = _overall(run, "model")
    assert model["rmse"] < _overall(run, "naive")["rmse"]
    assert model["rmse"] < _overall(run, "seasonal_naive")["rmse"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["japanese_vowels", "basic_motions"])
def test_the_sequence_set_configs_beat_the_majority_class_and_one_nearest_neighbour(name, tmp_path):
    run = seqkit.train(f"configs/{name}.yaml", runs_dir=tmp_path, verbose=0)
    results = run.metrics["results"]
    assert run.metrics["split"] == "test" and results["model"]["n_samples"] == {"japanese_vowels": 370,
                                                                                 "basic_motions": 40}[name]
    assert results["model"]["accuracy"] > results["nearest_neighbour"]["accuracy"]
    assert results["model"]["accuracy"] > results["majority_class"]["accuracy"]


@pytest.mark.slow
def test_the_panel_config_beats_naive_in_most_series_and_on_average(tmp_path):
    run = seqkit.train("configs/panel.yaml", runs_dir=tmp_path, verbose=0)
    summary = run.metrics["aggregate"]
    assert summary["n_series"] == 22
    assert summary["mean"]["model"]["mase"] < summary["mean"]["naive"]["mase"]
    assert summary["median"]["model"]["mase"] < summary["median"]["naive"]["mase"]
    assert summary["beats"]["naive"]["share"] > 0.5 and summary["beats"]["seasonal_naive"]["share"] > 0.9
