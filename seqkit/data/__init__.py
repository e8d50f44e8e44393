"""Data preparation (interim: shapes from the config alone, until the data pipeline lands)."""

from __future__ import annotations

from types import SimpleNamespace


def describe_spec(config, base_dir=None):
    """Shapes from the config's declared columns (interim)."""
    n_features = len(config.features) if config.features else 1
    n_targets = len(config.targets) if config.targets else n_features
    return SimpleNamespace(lookback=config.lookback, n_features=n_features, horizon=config.horizon, n_targets=n_targets)
