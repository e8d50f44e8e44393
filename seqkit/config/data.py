"""The `data:` section: where the series comes from, how it is split, transformed and windowed."""

from __future__ import annotations

import datetime as _dt
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from seqkit.config.base import Section
from seqkit.config.problems import ConfigProblems

# ----------------------------------------------------------------------------- splits


class FractionSplit(Section):
    """Chronological split by fraction of the rows: train first, then validation, then test.

    Attributes:
        val: Fraction of rows whose targets form the validation split.
        test: Fraction of rows (the most recent) whose targets form the test split.
        embargo: Rows left out at the end of train (and of validation) so no
            target of an earlier split sits right next to a later one.
        context: `history`: a validation/test window may take its inputs from
            earlier rows (only its targets must lie inside the split);
            `split`: inputs and targets must both lie inside the split.
    """

    type: Literal["fraction"] = "fraction"
    val: float = Field(default=0.1, ge=0.0, lt=1.0)
    test: float = Field(default=0.1, ge=0.0, lt=1.0)
    embargo: int = Field(default=0, ge=0)
    context: Literal["history", "split"] = "history"

    @model_validator(mode="after")
    def _fractions_leave_training_rows(self) -> FractionSplit:
        if self.val + self.test >= 1.0:
            raise ValueError(
                f"`split.val` ({self.val}) plus `split.test` ({self.test}) must be below 1 "
                "so rows remain for training. Lower one of them."
            )
        return self


class StepsSplit(Section):
    """Chronological split by row counts: the last `test` rows are test, the `val` rows before them validation.

    Attributes: as `FractionSplit`, with `val` and `test` counted in rows (time steps).
    """

    type: Literal["steps"] = "steps"
    val: int = Field(default=0, ge=0)
    test: int = Field(default=0, ge=0)
    embargo: int = Field(default=0, ge=0)
    context: Literal["history", "split"] = "history"


class DateSplit(Section):
    """Chronological split by date: validation targets start at `val_start`, test targets at `test_start`.

    Needs a time column. Either date may be omitted (no validation / no test split).
    """

    type: Literal["date"] = "date"
    val_start: _dt.datetime | None = None
    test_start: _dt.datetime | None = None
    embargo: int = Field(default=0, ge=0)
    context: Literal["history", "split"] = "history"

    @model_validator(mode="after")
    def _dates_in_order(self) -> DateSplit:
        if self.val_start and self.test_start and self.val_start >= self.test_start:
            raise ValueError(
                f"`split.val_start` ({self.val_start}) must be before `split.test_start` "
                f"({self.test_start}). Swap them or drop one."
            )
        return self


class RandomSplit(Section):
    """Random assignment of windows to train/validation/test (leaks; needs `allow_random_split: true`).

    The scaler is fitted on the whole series, since no chronological training part exists.
    """

    type: Literal["random"] = "random"
    val: float = Field(default=0.1, ge=0.0, lt=1.0)
    test: float = Field(default=0.1, ge=0.0, lt=1.0)
    seed: int = 0

    @model_validator(mode="after")
    def _fractions_leave_training_windows(self) -> RandomSplit:
        if self.val + self.test >= 1.0:
            raise ValueError(
                f"`split.val` ({self.val}) plus `split.test` ({self.test}) must be below 1. Lower one of them."
            )
        return self


SplitConfig = Annotated[FractionSplit | StepsSplit | DateSplit | RandomSplit, Field(discriminator="type")]

# ----------------------------------------------------------------------------- transforms


class LogStep(Section):
    """Natural logarithm; every value must be positive."""

    type: Literal["log"] = "log"


class Log1pStep(Section):
    """`log(1 + x)`; every value must be above -1 (suits counts and rainfall with zeros)."""

    type: Literal["log1p"] = "log1p"


class DiffStep(Section):
    """First differencing `x[t] - x[t - lag]`; the first `lag` rows cannot be used as window starts."""

    type: Literal["diff"] = "diff"
    lag: int = Field(default=1, gt=0)


class SeasonalDiffStep(Section):
    """Seasonal differencing `x[t] - x[t - period]`; `period` defaults to `data.period`."""

    type: Literal["seasonal_diff"] = "seasonal_diff"
    period: int | None = Field(default=None, gt=0)


StepConfig = Annotated[LogStep | Log1pStep | DiffStep | SeasonalDiffStep, Field(discriminator="type")]


def _step_shorthand(value: object) -> object:
    """Accept `log` for `{type: log}` in YAML step lists."""
    if isinstance(value, list):
        return [{"type": item} if isinstance(item, str) else item for item in value]
    return value


class ColumnTransformConfig(Section):
    """Transforms of one column, applied in order, then a scaler fitted on the training rows only.

    Attributes:
        steps: `log`, `log1p`, `diff`, `seasonal_diff` (strings or `{type: ...}` mappings).
        scaler: `standard` (zero mean, unit variance), `minmax` (to [0, 1]), `robust`
            (minus the median, divided by the interquartile range: scikit-learn's
            `RobustScaler`, unmoved by a few outliers) or `none`.
    """

    steps: list[StepConfig] = Field(default_factory=list)
    scaler: Literal["standard", "minmax", "robust", "none"] = "standard"

    _steps_shorthand = field_validator("steps", mode="before")(_step_shorthand)


class TransformConfig(ColumnTransformConfig):
    """Default column transform for every column, with per-column overrides in `columns`.

    Attributes:
        columns: Per-column overrides of `steps` and `scaler`.
        scope: With `data.series_column` (a panel of many series): `per_series` fits
            each series' scalers on that series' own training rows (the default: a
            series of thousands and one of tens then both reach the model near unit
            scale); `global` fits one scaler per column on the training rows of
            every series together (the series keep their relative levels). Without
            `series_column` only `per_series` (one series is its own scope).
    """

    columns: dict[str, ColumnTransformConfig] = Field(default_factory=dict)
    scope: Literal["per_series", "global"] = "per_series"

    def for_column(self, name: str) -> ColumnTransformConfig:
        """The transform of column `name`: its override, else the default."""
        if name in self.columns:
            return self.columns[name]
        return ColumnTransformConfig(steps=self.steps, scaler=self.scaler)


#: Window normalisations that subtract a location and divide by a spread, both measured on the inputs.
SCALING_WINDOW_NORMS = ("robust", "standard")


class WindowNormConfig(Section):
    """Per-window normalisation applied after scaling (NeuralForecast's window scalers, RevIN).

    `last` and `mean`: each input window, and the targets forecast from it, are
    shifted (`subtract`) or divided (`divide`) by the window's last input value or
    its input mean, per column.

    `naive` and `seasonal_naive`: the inputs are normalised by their last value as
    with `last`, and each target step by the baseline's forecast of that step from
    the window: the last input value (`naive`, the same numbers as `last`) or the
    input value whole seasons of `data.period` before it (`seasonal_naive`, the
    forecast of `seqkit.evaluation.seasonal_naive_forecast`). The model then learns
    its correction to the baseline, so a model whose output is 0 forecasts the
    baseline itself (in original units when the column steps are pointwise:
    scalers, `log`, `log1p`). Only `mode: subtract`. `seasonal_naive` helps when
    the seasonality is strong and stable, so that last season is already a good
    forecast; it needs `data.period` no longer than `lookback`.

    `divide` suits positive series with `scaler: none`; a reference of (almost) zero is
    replaced by 1 so the transform stays invertible.

    `robust` and `standard` scale each window: its inputs, and the targets forecast
    from it, minus the window's input median and divided by its input median absolute
    deviation (`robust`, NeuralForecast's default `scaler_type`), or minus its input
    mean and divided by its input standard deviation (`standard`, RevIN without the
    learned affine). A window's level and spread are then the same for every window,
    however the series drifts. A spread of zero (a flat window) is replaced as
    NeuralForecast replaces it: by 0.674 standard deviations, else 1. `mode` stays
    at its default (`divide` is refused).

    `auto` (the default forecasting recipe's) chooses between these two from the
    training rows, once per fit: `seasonal_naive` when `data.period` is set, fits
    in the lookback, and every target column's seasonal strength on the training
    rows (`seqkit.data.transforms.seasonal_strength`) is at least 0.7, so last
    season is a forecast worth correcting; `robust` otherwise (a quasi-cycle such
    as the sunspots' drifts too much from one cycle to the next). The choice is
    saved with the fitted preprocessing and printed with the run's data line.
    """

    type: Literal["none", "last", "mean", "naive", "seasonal_naive", "robust", "standard", "auto"] = "none"
    mode: Literal["subtract", "divide"] = "subtract"


class SyntheticConfig(Section):
    """Options of the `synthetic` dataset: sine waves plus noise and a linear trend.

    Series `k` is `amplitude * sin(2 pi t / period_k + phase_k) + trend * t + noise * N(0, 1)`,
    with `period_k = period * (1 + k / n_series)` and random phases.
    """

    length: int = Field(default=1000, gt=0)
    n_series: int = Field(default=1, gt=0)
    seed: int = 0
    period: float = Field(default=50.0, gt=0)
    amplitude: float = 1.0
    trend: float = 0.0
    noise: float = Field(default=0.1, ge=0.0)


class TextConfig(Section):
    """Tokenisation and vocabulary of a text corpus for a language model (`data.text`).

    Attributes:
        level: `char` (every character is a token) or `word` (words and punctuation
            marks are separate tokens, found by the regex `\\w+(?:'\\w+)*|[^\\w\\s]`).
        lowercase: Lower-case the text before tokenising. Default: false at `char`
            level (case is part of what a character model learns to write), true at
            `word` level (as Keras' `Tokenizer`; it shrinks the vocabulary).
        max_vocab: Largest vocabulary size, counting the padding id 0 and `<unk>` (so
            it is the `Embedding` input size and the softmax width, as Keras'
            `TextVectorization(max_tokens=...)`): the `max_vocab - 2` most frequent
            training tokens are kept, the rest map to `<unk>`. None: keep every token.
        min_count: Tokens seen fewer times than this in the training text map to `<unk>`.
    """

    level: Literal["char", "word"] = "char"
    lowercase: bool = False
    max_vocab: int | None = Field(default=None, ge=3)
    min_count: int = Field(default=1, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _lowercase_default_follows_level(cls, data: object) -> object:
        # Resolved here, so the saved config states the value that was used.
        if isinstance(data, dict) and data.get("lowercase") is None and data.get("level") == "word":
            return {**data, "lowercase": True}
        return data


# ----------------------------------------------------------------------------- covariates

#: Calendar features `data.calendar` derives from the timestamps, and each one's cycle length.
CALENDAR_FEATURES = {
    "minute": "60 minutes",
    "hour": "24 hours",
    "day_of_week": "7 days, Monday first",
    "day_of_month": "the month's days",
    "day_of_year": "the year's days",
    "week_of_year": "52 ISO weeks",
    "month": "12 months",
    "quarter": "4 quarters",
}
CalendarFeature = Literal[
    "minute", "hour", "day_of_week", "day_of_month", "day_of_year", "week_of_year", "month", "quarter"
]


# ----------------------------------------------------------------------------- the section


def _is_unsafe_path(path: str) -> bool:
    for pure in (PurePosixPath(path), PureWindowsPath(path)):
        if pure.is_absolute() or pure.anchor or ".." in pure.parts:
            return True
    return False


def _inside_config_folder(value: str | None, what: str, instead: str) -> str | None:
    """`value` when it is a path relative to the config's folder that stays inside it (or None)."""
    if value is not None and _is_unsafe_path(value):
        raise ValueError(
            f"{what} must be relative to the config file's folder and stay inside it; received "
            f"{value!r}. Move the file next to the config, or {instead}."
        )
    return value


class SequencesConfig(Section):
    """Many independent sequences with one class each (`data.sequences`), instead of one series.

    The data is a shipped set (`data.dataset: japanese_vowels`), files
    (`train`, and `test` or a held-out fraction), or Python's
    `frame=(X, y)`. Every sequence is scaled by the per-feature mean and
    standard deviation of the training sequences' time steps, padded at its
    end to the longest sequence of its batch set and masked, so a padded
    step never reaches the recurrent state.

    Attributes:
        train: The training sequences: a UCR/UEA `.ts` file, or a wide CSV (one
            row per sequence: `label_column`, optionally `id_column`, then its
            values, a univariate sequence; empty trailing cells shorten it), relative
            to the config's folder.
        test: The test sequences, in the same layout; without it, `test_fraction`
            of the training sequences is held out, stratified by class.
        layout: How a CSV holds its sequences: `wide` (one row per sequence) or
            `long` (one row per time step: `id_column`, optionally `time_column`,
            then the value columns; the label from `label_column`, constant within
            each id, or from the `labels` file).
        label_column: The class column (wide; long: a column of the table or of `labels`).
        id_column: The sequence id column (long: required; wide: optional, kept out of the values).
        time_column: A long CSV's column ordering the steps within each sequence (default: file order).
        labels: A long CSV's labels as a separate CSV of `id_column` and `label_column`.
        val: Share of the training sequences held out for validation (early
            stopping, best epoch), stratified by class.
        test_fraction: Share held out for testing when no `test` is given.
        seed: Seed of the stratified draws.
    """

    train: str | None = None
    test: str | None = None
    layout: Literal["wide", "long"] = "wide"
    label_column: str = "label"
    id_column: str | None = None
    time_column: str | None = None
    labels: str | None = None
    val: float = Field(default=0.2, ge=0.0, lt=1.0)
    test_fraction: float = Field(default=0.25, ge=0.0, lt=1.0)
    seed: int = 0

    @model_validator(mode="after")
    def _long_needs_ids(self) -> SequencesConfig:
        if self.layout == "long" and self.id_column is None:
            raise ConfigProblems([(
                "data.sequences.id_column",
                "`layout: long` has one row per time step, so it needs the column naming each row's sequence",
            )])
        if self.layout == "wide" and (self.time_column is not None or self.labels is not None):
            raise ConfigProblems([(
                "data.sequences.layout",
                "`time_column` and `labels` describe a long CSV (one row per time step); set `layout: long`",
            )])
        return self

    @field_validator("train", "test", "labels")
    @classmethod
    def _paths_stay_in_config_folder(cls, value: str | None) -> str | None:
        return _inside_config_folder(value, "sequence files", "pass `frame=(X, y)` from Python")


class DataConfig(Section):
    """Source, checks, split, transforms and windowing of the data a model is trained on.

    Attributes:
        dataset: Name of a dataset shipped inside seqkit (see `seqkit datasets`).
        path: A CSV or Parquet file, relative to the config file's folder (no
            absolute paths, no `..`); pass a DataFrame from Python for other places.
        time_column: Column parsed as datetime and used for timestamps.
        time_format: `strftime` format of the time column (e.g. `%Y` for years).
        features: Input columns; default: every numeric column but the time column
            and the `label` column.
        targets: Columns to forecast; default: the features. Neither may list `label`.
        lookback: Time steps in each input window.
        horizon: Time steps forecast from each window.
        stride: Steps between the starts of consecutive windows.
        gap: Steps between the last input step and the first target step.
        period: Seasonal period in steps (e.g. 12 for monthly data), used by
            `seasonal_diff`, `window_norm: {type: seasonal_naive}` and seasonal baselines.
        missing: `error` (default), `interpolate`, `ffill` or `drop` for NaN / empty
            cells and for time steps missing from the time column's grid (missing
            steps are inserted and filled; `drop` lets windows span them, with a
            warning). The same policy applies to new data given to `predict` and
            `evaluate --data`. Infinite and non-numeric cells are always errors. `interpolate`
            is linear within each chronological split (train, validation, test,
            embargo rows), never from a later split: a split's leading gap takes its
            first value, a trailing gap carries the last value forward. Within a
            split a gap is still filled from both its neighbours there, so a test
            input may hold part of a later test value; use `ffill` for strictly
            causal filling.
        split: How rows are divided into train/validation/test (`type`: fraction,
            steps, date, random).
        allow_random_split: Must be true for `split.type: random`.
        transform: Column transforms and scaler, with per-column overrides.
        window_norm: Per-window normalisation.
        synthetic: Options of the `synthetic` dataset.
        label: A categorical column to classify: each window's target is the class
            at its target step (`horizon` 1), e.g. tomorrow's weather type from the
            last weeks of measurements. Classes are taken from the training rows.
        text: Set it to train a language model on text instead of a series. Then
            `dataset` names a text corpus (`pydoc_topics`, `alice`) or `path` a UTF-8 `.txt`
            file; `lookback` is the sequence length, and window `k` has input tokens
            `[s_k, s_k + lookback)` and next-token targets `[s_k + 1, s_k + lookback + 1)`;
            `horizon` stays 1 and `gap` 0; `stride: lookback` gives non-overlapping
            windows (the default 1 starts one at every token); `split` is `fraction` or
            `steps`, counted in tokens: contiguous blocks of the token stream, train
            first, then validation, then test. Column, time and transform options are
            refused.
        series_column: Read a panel of many series from one long table (one row per
            series and time step, e.g. `store_id`): the column naming each row's
            series. Each series is checked, split (the same `split` per series; a
            date split cuts every series at the same dates), transformed (see
            `transform.scope`) and windowed on its own, so no window crosses from
            one series into the next; one global model learns from the windows of
            every series, shuffled together. Rows of a series follow `time_column`
            (which must increase within each series) or the file's order.
        calendar: Calendar features derived from the timestamps (`minute`, `hour`,
            `day_of_week`, `day_of_month`, `day_of_year`, `week_of_year`, `month`,
            `quarter`), each as two input columns `<name>_sin` and `<name>_cos` (its
            position in its cycle on a circle, so December sits next to January).
            They are known for the forecast period too, so the model reads them
            for the input window and for every forecast step (see `future`). They
            are neither scaled nor window-normalised. Needs a time column.
        future: Columns whose values are known in advance for the forecast period
            (a planned price, a holiday flag). They are inputs (added to `features`
            if missing) and never targets. Beside its input window the model reads
            their values at the `horizon` forecast steps (with the calendar
            features) through a separate branch that joins the recurrent encoding
            before the head; `predict` then needs those values: trailing rows of the
            new data with the targets empty and the `future` columns filled.
            Needs `horizon` no longer than `lookback`.
        sequences: Set it to classify many independent labelled sequences
            (`SequencesConfig`) instead of windows of one series; `dataset` then names a
            shipped sequence set (`japanese_vowels`, `basic_motions`). Lengths come
            from the data, so `lookback` and the series options are refused.
    """

    dataset: str | None = None
    path: str | None = None
    time_column: str | None = None
    time_format: str | None = None
    features: list[str] | None = None
    targets: list[str] | None = None
    lookback: int | None = Field(default=None, gt=0)
    horizon: int = Field(default=1, gt=0)
    stride: int = Field(default=1, gt=0)
    gap: int = Field(default=0, ge=0)
    period: int | None = Field(default=None, gt=1)
    missing: Literal["error", "interpolate", "ffill", "drop"] = "error"
    split: SplitConfig = Field(default_factory=FractionSplit)
    allow_random_split: bool = False
    transform: TransformConfig = Field(default_factory=TransformConfig)
    window_norm: WindowNormConfig = Field(default_factory=WindowNormConfig)
    synthetic: SyntheticConfig | None = None
    text: TextConfig | None = None
    label: str | None = None
    series_column: str | None = None
    calendar: list[CalendarFeature] = Field(default_factory=list)
    future: list[str] = Field(default_factory=list)
    sequences: SequencesConfig | None = None

    @field_validator("path")
    @classmethod
    def _path_stays_in_config_folder(cls, value: str | None) -> str | None:
        return _inside_config_folder(value, "`path`", "pass a DataFrame from Python")

    @model_validator(mode="after")
    def _sequences_rules(self) -> DataConfig:
        if self.sequences is None:
            if self.lookback is None:
                raise ConfigProblems([("data.lookback", "required, but missing: the time steps in each input window")])
            return self
        given = self._set_apart_from_defaults(
            "path", "time_column", "time_format", "features", "targets", "lookback", "horizon", "stride", "gap",
            "period", "missing", "split", "allow_random_split", "transform", "window_norm", "synthetic", "text",
            "label", "series_column", "calendar", "future",
        )
        if given:
            raise ConfigProblems([(
                "data.sequences",
                f"{', '.join(f'`data.{name}`' for name in given)} cannot be set with `sequences`: every sequence "
                "is one sample with one class, its length comes from the data, and its files are named in "
                "`sequences.train` / `sequences.test`. Remove them",
            )])
        if self.dataset is not None and (self.sequences.train or self.sequences.test):
            raise ConfigProblems([(
                "data.sequences",
                f"give either `data.dataset` ({self.dataset!r}) or `sequences.train`/`test` files, not both",
            )])
        if self.sequences.test is not None and self.sequences.train is None:
            raise ConfigProblems([("data.sequences.test", "a `test` file needs its `train` file beside it")])
        return self

    @model_validator(mode="after")
    def _cross_field_rules(self) -> DataConfig:
        if self.sequences is not None:
            return self
        if self.dataset is not None and self.path is not None:
            raise ValueError(
                f"Give either `dataset` ({self.dataset!r}) or `path` ({self.path!r}), not both."
            )
        if self.synthetic is not None and self.dataset != "synthetic":
            raise ValueError(
                f"`synthetic` options need `dataset: synthetic`; received dataset {self.dataset!r}."
            )
        if isinstance(self.split, RandomSplit) and not self.allow_random_split:
            raise ValueError(
                "`split.type: random` assigns forecasting windows to train/validation/test at random. "
                "Neighbouring windows overlap, so the test targets also appear inside training windows "
                "(and the scaler sees the test period): test data leaks into training and the scores are "
                "optimistic. Use `split.type: fraction`, `steps` or `date` (chronological), or set "
                "`allow_random_split: true` if you accept the leakage."
            )
        for name in [None, *self.transform.columns]:
            column = self.transform if name is None else self.transform.columns[name]
            where = "`transform.steps`" if name is None else f"`transform.columns.{name}.steps`"
            has_diff = False
            for step in column.steps:
                if isinstance(step, SeasonalDiffStep) and step.period is None and self.period is None:
                    raise ValueError(
                        f"{where} has `seasonal_diff` without a period. Set `data.period` (e.g. 12 for "
                        "monthly data) or the step's own `period`."
                    )
                has_diff = has_diff or isinstance(step, (DiffStep, SeasonalDiffStep))
            if has_diff and self.gap > 0:
                raise ValueError(
                    f"{where} differences the series, but `gap` is {self.gap}: undoing differences needs "
                    "the values inside the gap, which are unknown when forecasting. Set `gap: 0` or "
                    "drop the differencing step."
                )
        self._window_norm_rules()
        if self.features is not None and len(set(self.features)) != len(self.features):
            raise ValueError(f"`features` lists a column twice: {self.features}. List each column once.")
        if self.targets is not None and len(set(self.targets)) != len(self.targets):
            raise ValueError(f"`targets` lists a column twice: {self.targets}. List each column once.")
        return self

    def _window_norm_rules(self) -> None:
        kind = self.window_norm.type
        if kind in ("naive", "seasonal_naive") and self.label is not None:
            raise ConfigProblems([(
                "data.window_norm",
                f"`type: {kind}` measures forecast targets from a baseline forecast, but with `data.label` the "
                "target is a class. Use `type: last` (or `mean`) to normalise the input windows",
            )])
        if kind in ("naive", "seasonal_naive") and self.window_norm.mode != "subtract":
            raise ConfigProblems([(
                "data.window_norm.mode",
                f"`type: {kind}` has the model forecast its correction to the baseline, which only `subtract` "
                "does (a model output of 0 is then the baseline's forecast); received "
                f"{self.window_norm.mode!r}. Use `mode: subtract`, with `transform.steps: [log]` for a "
                "multiplicative correction",
            )])
        if kind in (*SCALING_WINDOW_NORMS, "auto") and self.window_norm.mode != "subtract":
            raise ConfigProblems([(
                "data.window_norm.mode",
                f"`type: {kind}` both subtracts a location and divides by a spread, so `mode` does not apply; "
                "remove `mode`, or use `type: last` or `mean` to choose between subtract and divide",
            )])
        if kind != "seasonal_naive":
            return
        if self.period is None:
            raise ConfigProblems([(
                "data.window_norm",
                "`type: seasonal_naive` measures each target step from the value one season earlier, so it "
                "needs the seasonal period: set `data.period` (e.g. 12 for monthly data), or use `type: naive`",
            )])
        if self.period > self.lookback:
            raise ConfigProblems([(
                "data.window_norm",
                f"`type: seasonal_naive` needs one whole season inside each input window, but `data.period` "
                f"({self.period}) is longer than `data.lookback` ({self.lookback}). Set `data.lookback` to at "
                f"least {self.period}, or use `type: naive`",
            )])

    @model_validator(mode="after")
    def _panel_rules(self) -> DataConfig:
        if self.series_column is None:
            if self.transform.scope != "per_series":
                raise ConfigProblems([(
                    "data.transform.scope",
                    "`global` pools the training rows of many series, which needs a panel: set "
                    "`data.series_column`, or remove `scope`",
                )])
            return self
        if self.sequences is not None:
            return self  # refused by the sequences rules
        refused = [
            (self.text is not None, "data.text", "a text is one stream of tokens, not a panel of series"),
            (self.label is not None, "data.label", "classifying the windows of a panel is not supported yet; "
             "forecast it, or classify one series at a time"),
            (isinstance(self.split, RandomSplit), "data.split", "a panel is split chronologically within each "
             "series; use `fraction`, `steps` or `date`"),
            (self.synthetic is not None, "data.synthetic", "the synthetic dataset is one table of columns; "
             "give a long table with the series column instead"),
        ]
        problems = [(where, message) for bad, where, message in refused if bad]
        for name in ("features", "targets"):
            listed = getattr(self, name) or []
            if self.series_column in listed:
                problems.append((
                    f"data.{name}",
                    f"{self.series_column!r} is the series column (`data.series_column`), which names each row's "
                    f"series; it is never an input or a target. Remove it from `{name}`",
                ))
        if self.series_column == self.time_column:
            problems.append(("data.series_column", "cannot be the time column too"))
        if problems:
            raise ConfigProblems(problems)
        return self

    @model_validator(mode="after")
    def _covariate_rules(self) -> DataConfig:
        if not (self.calendar or self.future) or self.sequences is not None:
            return self
        problems = []
        if self.text is not None or self.label is not None:
            problems.append((
                "data.future" if self.future else "data.calendar",
                "covariates known in advance feed a forecast's future steps; a language model or a classifier "
                "(`text`, `label`) has none. Remove `calendar` and `future`",
            ))
        for field, names in (("calendar", self.calendar), ("future", self.future)):
            if len(set(names)) != len(names):
                problems.append((f"data.{field}", f"lists a name twice: {names}. List each once"))
        in_targets = [name for name in self.future if name in (self.targets or [])]
        if in_targets:
            problems.append((
                "data.targets",
                f"{in_targets} are `future` columns, known in advance, so they are inputs, never forecast. "
                "Remove them from `targets` or from `future`",
            ))
        if isinstance(self.lookback, int) and self.horizon > self.lookback:
            problems.append((
                "data.horizon",
                f"with `calendar` or `future` the model reads the {self.horizon} forecast steps' covariates beside "
                f"its window of {self.lookback} steps, which must be at least as long; set `lookback` to at least "
                f"{self.horizon}",
            ))
        if problems:
            raise ConfigProblems(problems)
        return self

    @property
    def calendar_columns(self) -> list[str]:
        """The input columns `calendar` adds: `<name>_sin`, `<name>_cos` per feature."""
        return [f"{name}_{part}" for name in self.calendar for part in ("sin", "cos")]

    @property
    def known_in_advance(self) -> list[str]:
        """Every column whose forecast-period values the model reads: `future`, then the calendar columns."""
        return [*self.future, *self.calendar_columns]

    @model_validator(mode="after")
    def _label_rules(self) -> DataConfig:
        if self.label is None:
            return self
        if self.text is not None:
            raise ValueError("`label` classifies windows of a series; it cannot be combined with `text`.")
        if self.horizon != 1:
            raise ValueError(
                f"With `label`, `horizon` must be 1 (one class per window); received {self.horizon}. "
                "Use `gap` to classify a step further ahead."
            )
        for name in ("features", "targets"):
            listed = getattr(self, name) or []
            if self.label in listed:
                raise ValueError(
                    f"`label` {self.label!r} is the class each window predicts, so it is never an input or a "
                    f"forecast target, but `{name}` lists it ({listed}). Remove it from `{name}`; the default "
                    "features already leave the label column out."
                )
        if self.missing == "drop":
            raise ValueError(
                "`missing: drop` removes rows, which would misalign the `label` column; "
                "use `interpolate` or `ffill` for the numeric columns."
            )
        return self

    @model_validator(mode="after")
    def _text_rules(self) -> DataConfig:
        if self.text is None:
            return self
        if self.horizon != 1 or self.gap != 0:
            raise ValueError(
                f"With `text`, `horizon` must be 1 and `gap` 0; received horizon {self.horizon} and gap {self.gap}. "
                "A language model predicts the next token at every step of its window (targets are the inputs "
                "shifted by one), so there is no horizon to choose. Remove `horizon` and `gap`."
            )
        if not isinstance(self.split, (FractionSplit, StepsSplit)):
            raise ValueError(
                f"With `text`, `split.type` must be `fraction` or `steps` (counted in tokens); received "
                f"{self.split.type!r}. A date split needs timestamps, which text has not; a random split would put "
                "test tokens inside overlapping training windows. The token stream is cut into contiguous blocks: "
                "train first, then validation, then test."
            )
        given = self._set_apart_from_defaults(
            "features", "targets", "time_column", "time_format", "period", "missing", "transform", "window_norm",
            "synthetic",
        )
        if given:
            one = len(given) == 1
            raise ValueError(
                f"{', '.join(f'`{name}`' for name in given)} cannot be set together with `text`: "
                f"{'it describes' if one else 'they describe'} a numeric series (columns, timestamps, scaling), "
                f"while a text is one stream of token ids. Remove {'it' if one else 'them'}, or remove `text` "
                "to forecast a series."
            )
        if self.path is not None and not self.path.lower().endswith(".txt"):
            raise ValueError(
                f"With `text`, `path` must name a UTF-8 `.txt` file; received {self.path!r}. Save the text as .txt."
            )
        return self

    def _set_apart_from_defaults(self, *names: str) -> list[str]:
        """The fields among `names` that hold something other than None or their default.

        Values equal to the defaults are accepted where a mode refuses a field: a
        run's resolved config spells every default out.
        """
        fields = type(self).model_fields
        return [
            name for name in names
            if getattr(self, name) not in (None, fields[name].get_default(call_default_factory=True))
        ]

    def seasonal_period(self, step: SeasonalDiffStep) -> int:
        """Period of a `seasonal_diff` step: its own, else `data.period`."""
        period = step.period if step.period is not None else self.period
        assert period is not None  # the validator guarantees it
        return period
