"""Rolling-origin backtests: one forecasting config trained and scored at many forecast origins.

Loaded lazily, so that `import seqkit.backtesting` does not start Keras.
"""

from __future__ import annotations

from seqkit.exports import lazy_exports

_EXPORTS = {
    "BacktestResult": "seqkit.backtesting.backtest",
    "backtest": "seqkit.backtesting.backtest",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
