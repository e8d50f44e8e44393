"""The example `data:` sections from the documentation parse and prepare the shipped datasets."""

import numpy as np
import pytest
import yaml

from seqkit.config.data import DataConfig
from seqkit.data import prepare

EXAMPLES = {
"airline": """
data:
  dataset: airline            # 144 months, time column Date, target Passengers
  lookback: 24
  horizon: 12
  period: 12
  split: {type: steps, val: 12, test: 12}   # final 12 months are the test split
  transform:
    steps: [log]
    scaler: none
  window_norm: {type: last, mode: subtract}
""",
"weather": """
data:
  dataset: seattle_weather    # daily, 1461 rows
  features: [precipitation, temp_max, temp_min, wind]
  targets: [temp_max, temp_min]
  lookback: 56
  horizon: 7
  split: {type: date, val_start: 2015-01-01, test_start: 2015-07-01}
  transform:
    scaler: standard
    columns:
      precipitation: {steps: [log1p], scaler: minmax}
""",
"sunspots": """
data:
  dataset: sunspots           # yearly, 1700-2008, SUNACTIVITY
  lookback: 33
  horizon: 11
  period: 11
  split: {type: fraction, val: 0.1, test: 0.15, embargo: 0}
  transform:
    steps: [log1p]
    scaler: standard
""",
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_sections_prepare_and_invert(name):
    config = DataConfig.model_validate(yaml.safe_load(EXAMPLES[name])["data"])
    data = prepare(config)
    for windows in (data.train, data.val, data.test):
        assert len(windows) > 0
        np.testing.assert_allclose(windows.to_original(windows.targets()), windows.targets_original(), rtol=1e-5, atol=1e-4)
    assert data.test.target_times is not None
