"""Panel forecasting: one global model over many series, every series scored on its own scale."""

from __future__ import annotations

import numpy as np

from seqkit.errors import RunError
from seqkit.models.spec import SequenceSpec
from seqkit.tasks.base import Evaluation, Task, count, split_counts
from seqkit.tasks.forecast import ForecastTask

NOT_BACKTESTED = (
    "backtesting a panel (`data.series_column`) is not supported yet: its folds would need rolling origins within "
    "every series. Score it on its test split (`seqkit train`), or backtest one series of it"
)
"""Why a panel is not backtested (said by `seqkit.backtest` before any fold, and by `prepare` for a fold's rows)."""


class PanelForecastTask(ForecastTask):
    """Forecast every series of a panel (`data.series_column`) with one model.

    Data: each series of the long table windowed on its own (no window
    crosses series), scaled per series or globally (`transform.scope`), the
    windows of every series shuffled together for training. With
    `model.series_embedding` each window carries its series' position, which
    the model turns into a learned vector.

    Scores: every series next to its own naive and seasonal-naive forecasts,
    with its own MASE scale; then the mean and median over series, the share
    of series where the model beats each baseline, and the five worst series.

    Prediction: the next `horizon` steps of every series in the new long
    table, one row per series and step.
    """

    name = "forecast_panel"
    title = "panel forecast"
    preprocessing_noun = "a transform per series"

    @property
    def preprocessing_type(self):
        from seqkit.data.panel import PanelPreprocessing

        return PanelPreprocessing

    @property
    def _series_index(self) -> bool:
        return self.config.model.series_embedding is not None

    def prepare(self, *, data=None, preprocessing=None, rows=None):
        """As `Task.prepare`, for every series of the long table.

        Raises:
            ConfigError: `rows` (a backtest fold): backtesting a panel is not supported yet.
        """
        from seqkit.data.panel import prepare_panel
        from seqkit.errors import ConfigError
        from seqkit.evaluation.comparison import check_season

        if rows is not None:
            raise ConfigError(NOT_BACKTESTED)
        prepared = prepare_panel(
            self.config.data, frame=data, base_dir=self.config.base_dir, preprocessing=preprocessing,
            series_index=self._series_index,
        )
        if prepared.period and preprocessing is None:
            for series in prepared.series:
                check_season(series.train_length, prepared.period)
        return prepared

    def spec(self, prepared) -> SequenceSpec:
        base = self._from_series_spec(prepared.spec)
        if not self._series_index:
            return base
        import dataclasses

        return dataclasses.replace(base, n_series=len(prepared.preprocessing.series))

    def spec_from_data_config(self) -> SequenceSpec:
        return self.spec(self.prepare())

    def preprocessing_of(self, prepared):
        return prepared.preprocessing

    def transform_of(self, preprocessing):
        raise RunError(
            "a panel run has one transform per series, not one series transform; forecast it with `predict` "
            "on a long table of every series"
        )

    def describe(self, prepared, spec: SequenceSpec) -> str:
        lengths = [series.n_time for series in prepared.series]
        shortest, longest = min(lengths), max(lengths)
        rows = f"{shortest} rows each" if shortest == longest else f"{shortest}-{longest} rows"
        scope = prepared.preprocessing.scope.replace("_", " ")
        choice = prepared.preprocessing.reference.window_norm_choice
        return (
            f"{len(prepared.ids)} series ({rows}, scaled {scope}): {split_counts(prepared)} (lookback "
            f"{spec.lookback}, horizon "
            f"{spec.horizon}, {count(prepared.spec.n_features, 'feature')}, {count(spec.n_targets, 'target')}"
            + (f", series embedding {self.config.model.series_embedding.dim}" if self._series_index else "")
            + ")"
            + (f"; window_norm auto: {choice}" if choice else "")
        )

    @staticmethod
    def seasonal_period(prepared) -> int | None:
        """As `ForecastTask.seasonal_period`, where the inferred period must fit every series' training rows."""
        from seqkit.evaluation import infer_season

        if prepared.period:
            return prepared.period
        inferred = infer_season(prepared.frequency)
        return inferred if inferred is not None and inferred < prepared.train_lengths.min() else None

    def evaluate_split(self, model, prepared, windows, split: str) -> Evaluation:
        from seqkit.evaluation import evaluate_forecast, panel_summary, panel_table

        y_pred, _ = self._levels_to_original(self.predict_windows(model, windows), windows.to_original)
        period = self.seasonal_period(prepared)
        per_series = {}
        for name, series, part, forecast in zip(
            windows.ids, prepared.series, windows.parts, windows.by_series(y_pred), strict=True
        ):
            per_series[name] = evaluate_forecast(
                series.targets_original, forecast, part.target_starts,
                train_len=series.train_length, gap=self.config.data.gap, period=period,
            )
        summary = panel_summary(per_series)
        report = f"{split} split:\n{panel_table(summary, split=split)}"
        metrics = {
            "split": split, "seasonal_period": period, "aggregate": summary, "per_series": per_series,
            "report": report,
        }
        return Evaluation(metrics, {"y_pred": y_pred, "windows": windows, "prepared": prepared})

    def predict(self, model, preprocessing, data):
        """The next `horizon` steps after the end of every series in `data`, in original units.

        Args:
            data: A long table (DataFrame or CSV/Parquet path) with the series
                column, the time column (if the run has one) and the run's columns;
                its series must be ones the run was trained on, unless it scaled
                them globally without a series embedding.

        Returns:
            A DataFrame with one row per series and forecast step: the series id,
            the timestamp (or step number), and one column per target (per target
            and level for a quantile run, as `ForecastTask.predict`).

        Raises:
            DataError: As training data is refused, naming the series; a series
                the run cannot scale or embed; a series shorter than the lookback.
        """
        import pandas as pd

        from seqkit.data.panel import series_origin, split_panel
        from seqkit.data.sources import sentence
        from seqkit.errors import DataError
        from seqkit.models import predict_array

        config = self.config.data.model_copy(update={"dataset": None, "path": None})
        groups, origin, _ = split_panel(config, self.read_data(data))
        inputs, contexts, transforms = [], [], []
        for name, rows in groups:
            transform = preprocessing.transform_for(name)
            number = preprocessing.index_of(name)
            if transform is None or (self._series_index and number is None):
                raise DataError(
                    f"{sentence(series_origin(name, origin))} is not a series the run was trained on, so it has no "
                    f"{'fitted scaler' if transform is None else 'series embedding'}. Known series: "
                    f"{', '.join(preprocessing.series[:5])}{' ...' if len(preprocessing.series) > 5 else ''}."
                )
            where = series_origin(name, origin)
            table, future = transform.load_new(config, rows, origin=where)
            x, context = transform.inputs_at_end(table.values, table.time_index, origin=sentence(where), future=future)
            if self._series_index:
                x = np.concatenate([x, np.full((*x.shape[:2], 1), number, dtype=np.float32)], axis=2)
            inputs.append(x)
            contexts.append(context)
            transforms.append(transform)
        y_model = predict_array(model, np.concatenate(inputs))
        frames = []
        for k, (name, _) in enumerate(groups):
            frame = self.forecast_frame(transforms[k], self.forecast_of(transforms[k], y_model[k : k + 1], contexts[k]))
            frame.insert(0, preprocessing.series_column, name)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def figures(self, history: dict, evaluation: Evaluation, preprocessing, *, best_epoch=None) -> dict:
        """The loss curves, and `forecast_worst.png`, `forecast_median.png`, `forecast_best.png`.

        Each draws one series' test forecasts as `ForecastTask` draws a series' (every
        origin's whole horizon next to the baselines'): the series where the model's
        MASE is highest, the median series, and the lowest.
        """
        figures = Task.figures(self, history, evaluation, preprocessing, best_epoch=best_epoch)
        if evaluation.plot is None:
            return figures
        windows, prepared = evaluation.plot["windows"], evaluation.plot["prepared"]
        per_series = evaluation.metrics["per_series"]
        mase = np.array([per_series[name]["model"]["overall"]["mase"] for name in windows.ids])
        order = np.argsort(-np.nan_to_num(mase, nan=np.inf), kind="stable")
        forecasts = windows.by_series(evaluation.plot["y_pred"])
        for rank, k in (("worst", order[0]), ("median", order[len(order) // 2]), ("best", order[-1])):
            name = windows.ids[k]
            one = Evaluation(
                {"split": evaluation.metrics["split"], "seasonal_period": evaluation.metrics["seasonal_period"],
                 "results": per_series[name]},
                {"y_pred": forecasts[k], "windows": windows.parts[k], "series": prepared.series[k].targets_original},
            )
            figures[f"forecast_{rank}.png"] = self.forecast_figure(
                one, list(preprocessing.reference.targets), label=f"{rank} series by MASE, {name!r}"
            )
        return figures
