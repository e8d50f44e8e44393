"""Forecasting: the next `horizon` steps of one or more target columns, next to the naive baselines."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from seqkit.errors import RunError
from seqkit.models.spec import SequenceSpec
from seqkit.tasks.base import Evaluation, Task, count, split_counts, time_steps

if TYPE_CHECKING:
    import pandas as pd


@dataclasses.dataclass
class Forecast:
    """Forecast steps after the end of a series, in original units (direct, or by recursion past the horizon).

    Attributes:
        point: float64 `(steps, n_targets)`; the median of a quantile run.
        quantiles: float64 `(steps, n_targets, n_levels)`, levels ascending, or None.
        times: The steps' timestamps, or None when the series has none (or no regular grid).
    """

    point: np.ndarray
    quantiles: np.ndarray | None = None
    times: pd.DatetimeIndex | None = None


class ForecastTask(Task):
    """Forecast a series' next `horizon` steps (`model.head: {type: forecast}`).

    Data: windows of the series, scaled with a `Transform` fitted on the
    training rows. Scores: MAE, RMSE, MAPE, sMAPE and MASE in original units
    next to the naive and seasonal-naive forecasts on the same windows.
    Prediction: a DataFrame of the next `horizon` steps after new data's end.

    With `model.head.quantiles` the model forecasts each level; every level is
    mapped back to original units on its own (the config refuses differencing
    and `divide` window normalisation, whose inverses would not keep them
    quantiles), the median is the point forecast scored above, and the levels
    are scored with `evaluate_quantiles` next to the seasonal-naive interval.
    """

    name = "forecast"
    title = "forecast"
    preprocessing_noun = "a series transform"

    @property
    def preprocessing_type(self):
        from seqkit.data import Transform

        return Transform

    def prepare(self, *, data=None, preprocessing=None, rows=None):
        """As `Task.prepare`; `rows` (a backtest fold's) prepares only those rows of the series."""
        from seqkit.data import prepare
        from seqkit.evaluation.comparison import check_season

        prepared = prepare(
            self.config.data, frame=data, base_dir=self.config.base_dir, transform=preprocessing, rows=rows
        )
        if prepared.period:  # before training, not when the test split is scored after it
            check_season(prepared.train_length, prepared.period)
        return prepared

    def spec(self, prepared) -> SequenceSpec:
        return self._from_series_spec(prepared.spec)

    def spec_from_data_config(self) -> SequenceSpec:
        from seqkit.data import describe_spec

        return self._from_series_spec(describe_spec(self.config.data, base_dir=self.config.base_dir))

    def _from_series_spec(self, series_spec) -> SequenceSpec:
        return SequenceSpec(
            lookback=series_spec.lookback,
            n_features=series_spec.n_features,
            horizon=series_spec.horizon,
            n_targets=series_spec.n_targets,
            batch_size=self.fixed_batch,
            n_future=len(series_spec.future_names) or None,
        )

    def check_model(self, model) -> None:
        """Also check that the model forecasts `data.horizon` steps.

        Raises:
            RunError: The model's window length or horizon differs from the config's.
        """
        super().check_model(model)
        steps = time_steps(model.output_shape)
        if steps is not None and steps != self.config.data.horizon:
            raise RunError(
                f"config.yaml no longer fits model.keras: `data.horizon` is {self.config.data.horizon}, but the "
                f"model forecasts {steps} steps. The config was edited after training; restore it or train again."
            )

    def preprocessing_of(self, prepared):
        return prepared.transform

    def transform_of(self, preprocessing):
        return preprocessing

    def data_values(self, prepared) -> np.ndarray:
        return prepared.values

    @staticmethod
    def seasonal_period(prepared) -> int | None:
        """`data.period` or the dataset's, else inferred from the time step.

        None when the data has no natural season, or when the inferred one is
        not shorter than the training rows (MASE's scale needs one season of
        training history): the seasonal-naive baseline is then left out rather
        than the run failing after training. A period set in the config is used
        as given.
        """
        from seqkit.evaluation import infer_season

        if prepared.period:
            return prepared.period
        inferred = infer_season(prepared.frequency)
        return inferred if inferred is not None and inferred < prepared.train_length else None

    def describe(self, prepared, spec: SequenceSpec) -> str:
        period = self.seasonal_period(prepared)
        season = f"seasonal period {period}" if period else "no seasonal period (seasonal naive: one step)"
        choice = prepared.transform.window_norm_choice
        known = prepared.spec.future_names
        return (
            f"{split_counts(prepared)} (lookback {spec.lookback}, horizon {spec.horizon}, "
            f"{count(spec.n_features, 'feature')}, {count(spec.n_targets, 'target')}; {season})"
            + (f"; known for the forecast steps: {', '.join(known)}" if known else "")
            + (f"; window_norm auto: {choice}" if choice else "")
        )

    @property
    def quantiles(self) -> list[float] | None:
        """The head's quantile levels (None: a point forecast)."""
        return getattr(self.config.model.head, "quantiles", None)

    def _levels_to_original(self, y_model: np.ndarray, invert) -> tuple[np.ndarray, np.ndarray | None]:
        """`(point forecast, quantiles or None)` in original units; `invert` maps one `(n, horizon, n_targets)`."""
        if self.quantiles is None:
            return invert(y_model), None
        y_q = np.stack([invert(y_model[..., k]) for k in range(len(self.quantiles))], axis=-1)
        return y_q[..., self.quantiles.index(0.5)], y_q

    def evaluate_split(self, model, prepared, windows, split: str) -> Evaluation:
        from seqkit.evaluation import (
            comparison_table,
            evaluate_forecast,
            evaluate_quantiles,
            horizon_table,
            quantile_table,
        )

        y_pred, y_quantiles = self._levels_to_original(self.predict_windows(model, windows), windows.to_original)
        period = self.seasonal_period(prepared)
        results = evaluate_forecast(
            prepared.targets_original,
            y_pred,
            windows.target_starts,
            train_len=prepared.train_length,
            gap=self.config.data.gap,
            period=period,
        )
        report = f"{split} split:\n{comparison_table(results)}\n\nper horizon step (RMSE):\n{horizon_table(results)}"
        metrics = {"split": split, "seasonal_period": period, "results": results}
        if y_quantiles is not None:
            metrics["quantiles"] = evaluate_quantiles(
                prepared.targets_original,
                y_quantiles,
                windows.target_starts,
                self.quantiles,
                train_len=prepared.train_length,
                gap=self.config.data.gap,
                period=period,
            )
            report += f"\n\n{quantile_table(metrics['quantiles'])}"
        metrics["report"] = report
        plot = {"y_pred": y_pred, "y_quantiles": y_quantiles, "windows": windows, "series": prepared.targets_original}
        return Evaluation(metrics, plot)

    def predict(self, model, preprocessing, data):
        """The next `horizon` steps after the end of `data`, in original units.

        Returns:
            A DataFrame with one row per forecast step: the timestamp (or step
            number) and one column per target. A quantile run has one column per
            target and level, ascending, the median keeping the target's own
            name: `Passengers_q0.1`, `Passengers`, `Passengers_q0.9`.
        """
        from seqkit.data.sources import sentence

        table, future = preprocessing.load_new(self.config.data, self.read_data(data))
        origin = sentence(table.origin)
        forecast = self.forecast_at_end(
            model, preprocessing, table.values, table.time_index, origin=origin, future=future
        )
        return self.forecast_frame(preprocessing, forecast)

    def forecast_at_end(
        self, model, preprocessing, series: np.ndarray, time_index=None, *, origin: str = "The data", future=None
    ) -> Forecast:
        """The model's `horizon` steps after the last row of a checked series, in original units.

        Args:
            model: The trained model.
            preprocessing: The run's fitted `Transform`.
            series: `(n_time, len(preprocessing.columns))` in original units, checked
                as new data is (`load_new_table`).
            time_index: The rows' timestamps, or None.
            origin: The series' name opening a sentence, for messages.
            future: The rows after the last observation, for a run with covariates
                known in advance (`Transform.load_new`).
        """
        from seqkit.models import predict_array

        x, context = preprocessing.inputs_at_end(series, time_index, origin=origin, future=future)
        return self.forecast_of(preprocessing, predict_array(model, x, stateful_batch=self.fixed_batch), context)

    def forecast_of(self, preprocessing, y_model: np.ndarray, context) -> Forecast:
        """One window's model output `(1, horizon, n_targets[, n_levels])` as a `Forecast` in original units.

        Args:
            preprocessing: The fitted `Transform` that made the window (`inputs_at_end`).
            context: Its `ForecastContext`; its `times` become the forecast's.
        """
        point, y_q = self._levels_to_original(y_model, lambda y: preprocessing.to_original(y, context))
        return Forecast(point[0], None if y_q is None else y_q[0], getattr(context, "times", None))

    def forecast_frame(self, preprocessing, forecast: Forecast):
        """A forecast as `predict` returns it: the timestamp (or step number 1, 2, ...), then the targets' columns."""
        import pandas as pd

        if forecast.times is not None:
            columns = {preprocessing.time_column or "time": pd.DatetimeIndex(forecast.times)}
        else:
            columns = {"step": np.arange(1, len(forecast.point) + 1)}
        for j, name in enumerate(preprocessing.targets):
            if forecast.quantiles is None:
                columns[name] = forecast.point[:, j]
                continue
            for k, q in enumerate(self.quantiles):
                columns[name if q == 0.5 else f"{name}_q{q:g}"] = forecast.quantiles[:, j, k]
        return pd.DataFrame(columns)  # built at once: inserting a column after costs more than the whole forecast

    def figures(self, history: dict, evaluation: Evaluation, preprocessing, *, best_epoch=None) -> dict:
        """The loss curves, and `forecast.png`: every test origin's whole forecast over the series.

        The plot shows the recent history (as many rows as the forecast span, and at least the
        lookback and one seasonal period, so the values the seasonal naive copies are in view),
        the actual values, and the model's, naive's and seasonal naive's full `horizon`-step
        forecast from each test window as its own line, the model's central intervals shaded
        when it forecasts quantiles; the title gives the split's RMSE next to the baselines'
        and MASE.
        """
        figures = super().figures(history, evaluation, preprocessing, best_epoch=best_epoch)
        if evaluation.plot is not None:
            figures["forecast.png"] = self.forecast_figure(evaluation, list(preprocessing.targets))
        return figures

    def forecast_figure(self, evaluation: Evaluation, target_names: list[str], *, label: str = ""):
        """One split's forecasts of one series (`evaluation` as `evaluate_split` returns it), as a Figure.

        Args:
            label: Opens the title (a panel's series: its id and rank).
        """
        from seqkit.evaluation.comparison import baseline_forecasts
        from seqkit.evaluation.metrics import central_intervals
        from seqkit.evaluation.plots import plot_forecast
        from seqkit.evaluation.report import headline

        windows, series = evaluation.plot["windows"], evaluation.plot["series"]
        period = evaluation.metrics["seasonal_period"]
        baselines = baseline_forecasts(
            series, windows.target_starts, windows.horizon, gap=self.config.data.gap, period=period
        )
        forecasts = {"model": evaluation.plot["y_pred"]}
        forecasts.update({name.replace("_", " "): values for name, values in baselines.items()})
        y_q = evaluation.plot.get("y_quantiles")
        intervals = {
            f"{100 * (self.quantiles[j] - self.quantiles[i]):g}% interval": (y_q[..., i], y_q[..., j])
            for i, j in (central_intervals(self.quantiles) if y_q is not None else [])
        }
        span = int(windows.target_starts.max() - windows.target_starts.min()) + windows.horizon
        times = windows.time_index
        split = evaluation.metrics["split"]
        return plot_forecast(
            series,
            windows.target_starts,
            forecasts,
            None,
            times=None if times is None else times.to_numpy(),
            history=max(span, self.config.data.lookback, period or 0),
            intervals=intervals,
            title=f"{f'{label}: ' if label else ''}{split.capitalize()} forecasts, "
            f"{count(windows.horizon, 'step')} from each of {len(windows)} origins\n"
            f"{headline(evaluation.metrics['results'], split=split)}",
            target_names=target_names,
        )
