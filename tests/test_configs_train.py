"""Every shipped config trains, and the forecasting configs beat their baselines."""

from __future__ import annotations

from pathlib import Path

import pytest

import seqkit

CONFIGS = sorted((Path(__file__).parent.parent / "configs").glob("*.yaml"))


@pytest.mark.slow
@pytest.mark.parametrize("config", CONFIGS, ids=[c.stem for c in CONFIGS])
def test_every_shipped_config_trains_an_epoch(config, tmp_path):
    run = seqkit.train(config, overrides=["train.epochs=1"], runs_dir=tmp_path, verbose=0)
    assert (run.path / "manifest.json").exists()
    assert run.metrics["results"]["model"]


def _overall(run, name):
    return run.metrics["results"][name]["overall"]


@pytest.mark.slow
def test_quickstart_beats_seasonal_naive_on_the_final_12_months(tmp_path):
    run = seqkit.train("configs/quickstart.yaml", runs_dir=tmp_path, verbose=0)
    model, seasonal = _overall(run, "model"), _overall(run, "seasonal_naive")
    assert seasonal["rmse"] == pytest.approx(50.7, abs=0.05)  # 1960 forecast by repeating 1959
    assert model["rmse"] < seasonal["rmse"]
    assert model["mase"] < 1


@pytest.mark.slow
def test_sunspots_beats_naive_and_the_11_year_seasonal_naive(tmp_path):
    run = seqkit.train("configs/sunspots.yaml", runs_dir=tmp_path, verbose=0)
    assert run.metrics["seasonal_period"] == 11
    model = _overall(run, "model")
    assert model["rmse"] < _overall(run, "naive")["rmse"]
    assert model["rmse"] < _overall(run, "seasonal_naive")["rmse"]
