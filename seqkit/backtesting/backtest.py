"""`backtest`: a forecasting config trained and scored at the last K forecast origins.

One held-out split is one verdict, and for a short series one window of it: a
backtest asks the same question at K origins. The fold arithmetic is the data
layer's (`seqkit.data.splits.backtest_folds`): each fold is a chronological
split of an expanding (or sliding) part of the series, and its task prepares
it from those rows alone, so its scaler and transforms are fitted on the
fold's training rows and never see a value at or after its origin. The model
is fitted as a run fits it (`seqkit.training.trainer.fit_without_files`: the
same datasets, schedule and best-epoch weights, no run directory), and each
fold is scored by the task next to its baselines on the fold's test windows,
with one MASE scale from the fold's training rows.

The backtest directory, `RUNS_DIR/<name>/backtest-<timestamp>/`, is written
once every fold has been scored (a refused or interrupted backtest leaves
nothing): `config.yaml` (the config as run), `backtest.json` (every fold's
rows, origin and scores, and the aggregate; a quantile run's folds also carry their
interval coverage, width and wQL, and the aggregate their mean, spread and pooled
coverage), `backtest.csv` (a row per fold),
`backtest_steps.csv` (a row per horizon step: how the error grows with it) and
`backtest.png` (every fold's forecasts against the actual series).

With `workers=N` (N > 1) and `refit="every"` the folds train in up to N child
processes at once (`multiprocessing`'s `spawn` start method, so each child
starts TensorFlow afresh with `max(1, cores // N)` threads, capped through the
environment as the tuning supervisor caps its workers). A child prepares,
fits and scores one fold exactly as the serial loop does (a fresh session
seeded with `train.seed`), so the records are the serial backtest's, in fold
order. Each child runs in its own process group, so Ctrl-C reaches the parent
alone, which stops them; when `backtest` returns or raises, every child has
exited.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import multiprocessing
import os
from multiprocessing.connection import wait as wait_for
from pathlib import Path
from typing import Any

import keras
import numpy as np
import yaml

from seqkit.backend import choose_backend
from seqkit.config.experiment import ExperimentConfig
from seqkit.config.loading import load_config
from seqkit.errors import ConfigError, RunError, SeqkitError
from seqkit.files import atomic_write_json, atomic_write_text
from seqkit.tasks import task_for
from seqkit.training.distribution import refuse_distribution
from seqkit.training.folders import new_run_dir, resolved_config
from seqkit.training.runtime import configure_runtime
from seqkit.training.trainer import epoch_cap, fit_without_files
from seqkit.tuning.supervise import describe_exit, scoped_environment, thread_environment, threads_per_process

BACKTEST_JSON, BACKTEST_CSV, BACKTEST_PLOT = "backtest.json", "backtest.csv", "backtest.png"
BACKTEST_STEPS_CSV = "backtest_steps.csv"
REFITS = ("every", "once")
#: Seconds a stopped child process gets to exit after SIGTERM before it is killed.
_STOP_SECONDS = 10


@dataclasses.dataclass
class BacktestResult:
    """What a backtest found.

    Attributes:
        path: The backtest directory.
        config: The config as run (epochs capped by `SEQKIT_MAX_EPOCHS` if set).
        folds: One record per fold, earliest origin first, as in `backtest.json`:
            `fold` (1-based), `origin` (row of the first test target), `origin_time`,
            `rows`, `train_rows`, `val_rows`, `test_rows`, `fit_rows` (`[lo, hi)` of
            the series), `test_windows`, `model_fold` (the fold whose training rows
            the model was fitted on), `epochs`, `best_epoch` (None on folds that
            re-applied an earlier fold's model), `results` (`evaluate_forecast`) and, for a
            quantile run, `quantiles` (`evaluate_quantiles`: the model's and the baseline
            interval's wQL, and each central interval's coverage and width).
        aggregate: `folds` (K), `mean` and `std` (numpy's, ddof 0) of each metric per
            forecaster over the folds, `per_step`: per forecaster and metric, the mean
            over the folds at each horizon step (a list, step 1 first), and `wins`: per
            baseline, in how many folds the model's metric was lower. A quantile run adds
            `quantiles`: `levels`, `intervals`, `values` (forecast values over all folds),
            `mean` and `std` over the folds of `wql`, `coverage_80`, `width_80` (one pair
            per central interval, coverage a fraction) per forecaster, and `pooled`: each
            interval's coverage and width over every forecast value of every fold
            (`covered_80`: how many values it covered).
        fits: How many models were trained.
        report: The printed per-fold table and aggregate.
    """

    path: Path
    config: ExperimentConfig
    folds: list[dict]
    aggregate: dict
    fits: int
    report: str
    _plot: dict | None = dataclasses.field(default=None, repr=False)

    def figure(self):
        """`backtest.png` as a matplotlib Figure: every fold's forecasts against the actual series."""
        from seqkit.evaluation.plots import plot_backtest

        if self._plot is None:
            raise RunError("this backtest result holds no forecasts to draw")
        return plot_backtest(**self._plot)


def backtest(
    config: ExperimentConfig | str | Path,
    *,
    folds: int = 6,
    step: int | None = None,
    window: str = "expanding",
    refit: str | int = "every",
    frame=None,
    runs_dir: str | Path = "runs",
    overrides: list[str] | tuple[str, ...] = (),
    verbose: int | str = "auto",
    workers: int = 1,
) -> BacktestResult:
    """Train and score a forecasting config at the last `folds` forecast origins.

    Args:
        config: An `ExperimentConfig`, or the path of a YAML file.
        folds: How many forecast origins (folds), at least 1.
        step: Rows between consecutive origins (default: `data.horizon`).
        window: `expanding` (each fold trains on every row before it) or `sliding`
            (every fold trains on as many rows as the first).
        refit: `every` (a model trained per fold), `once` (trained on the first fold,
            then applied to each later fold with that fold's own preprocessing), or
            N (retrained every N folds: on folds 1, N+1, 2N+1, ...).
        frame: A DataFrame or array to use instead of the config's dataset or path.
        runs_dir: Folder under which `<name>/backtest-<timestamp>/` is created.
        overrides: `key=value` overrides, when `config` is a path.
        verbose: 0: nothing; 1 or `auto`: a line per fold and the tables; 2: also
            Keras' line per epoch.
        workers: Processes that train folds at once; above 1 (with `refit="every"`)
            the folds train in that many child processes, with the same results
            as one after another.

    Returns:
        A `BacktestResult`.

    Raises:
        ConfigError: Not a forecasting config, or `folds`, `step`, `window`, `refit`,
            `workers` out of range (or `workers` above 1 without `refit="every"`), or
            a split without test rows.
        DataError: The data cannot be read, or the earliest fold leaves too few
            training rows (the message says how many folds fit).
        RunError: `runs_dir` cannot hold the backtest directory, or a fold's child
            process failed or ended before reporting (the message names the fold).
    """
    if not isinstance(config, ExperimentConfig):
        config = load_config(config, overrides)
    refuse_distribution(config.train, "a backtest")
    choose_backend(config.train.backend)  # Keras is imported: a config naming another backend is refused in words
    every = _refit_every(refit)
    workers = _workers(workers, every)
    if config.data is None and frame is None:
        raise ConfigError("the config has no data section; add `data:` with a dataset or path, and a lookback")
    task = task_for(config)
    if task.name == "forecast_panel":
        from seqkit.tasks.panel import NOT_BACKTESTED

        raise ConfigError(NOT_BACKTESTED)
    if task.name != "forecast":
        raise ConfigError(
            f"backtesting is for forecasting tasks, but this config trains a {task.title} model "
            f"(`model.head.type: {config.model.head.type}`); backtest a config with `model.head: {{type: forecast}}`"
        )
    config, epoch_note = epoch_cap(config)
    say = (lambda message: None) if verbose == 0 else (lambda message: print(message, flush=True))
    runtime = configure_runtime(config.train)
    try:
        whole = task.prepare(data=frame)
        plan = _folds(config, whole, folds=folds, step=step, window=window)
        processes = min(workers, len(plan))
        say(
            f"backtest: {len(plan)} folds, {window} window, origins {_step(plan, step, config)} rows apart, "
            f"refit {refit}; device: {runtime.description}"
            + (f"; folds in {processes} processes, {threads_per_process(processes)} thread(s) each"
               if processes > 1 else "")
        )
        if epoch_note:
            say(epoch_note)
        if processes > 1:
            records, forecasts, fits = _run_folds_in_processes(config, plan, whole, frame, processes, say, verbose)
        else:
            records, forecasts, fits = _run_folds(config, plan, whole, frame, every, say, verbose)
    finally:
        if runtime.mixed_precision:
            keras.mixed_precision.set_global_policy("float32")
    aggregate = _aggregate(records)
    report = _report(records, aggregate)
    say(report)
    path, _ = new_run_dir(Path(runs_dir), config.run_name, prefix="backtest-")
    x = whole.time_index if whole.time_index is not None else np.arange(whole.n_time)
    drawing = {
        "times_or_steps": np.asarray(x), "actual": whole.targets_original, "forecasts": forecasts,
        "origins": [fold.origin for fold in plan], "target_names": list(whole.spec.target_names),
    }
    result = BacktestResult(path, config, records, aggregate, fits, report, drawing)
    _write(result, whole, plan, forecasts, window=window, step=step, refit=refit)
    say(f"saved: {path}")
    return result


def _refit_every(refit: str | int) -> int:
    """Folds between refits: 1 for `every`, none after the first for `once`.

    Raises:
        ConfigError: Anything but `every`, `once` or a whole number of at least 1.
    """
    if refit == "every":
        return 1
    if refit == "once":
        return 0
    try:
        every = int(refit)
    except (TypeError, ValueError):
        every = 0
    if every < 1 or isinstance(refit, bool) or (isinstance(refit, float) and not refit.is_integer()):
        raise ConfigError(
            f"--refit (refit= in Python) is `every`, `once` or a whole number of folds of at least 1, got {refit!r}"
        )
    return every


def _workers(workers: int, every: int) -> int:
    """The number of fold processes, checked.

    Raises:
        ConfigError: Not a whole number of at least 1, or above 1 with a refit
            other than `every` (a re-applied model is an earlier fold's, so those
            folds cannot train apart).
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(
            f"--workers (workers= in Python) is how many processes train folds at once, a whole number of at "
            f"least 1, got {workers!r}"
        )
    if workers > 1 and every != 1:
        raise ConfigError(
            f"--workers {workers} trains the folds in parallel, which needs --refit every: with --refit once or N "
            "a later fold applies an earlier fold's model; give --refit every, or drop --workers"
        )
    return workers


def _folds(config: ExperimentConfig, whole, *, folds: int, step: int | None, window: str):
    from seqkit.data.splits import backtest_folds

    return backtest_folds(
        whole.n_time,
        config.data,
        folds=folds,
        step=step,
        window=window,
        time_index=whole.time_index,
        first_valid=whole.transform.first_valid,
        min_train=whole.period + 1 if whole.period else 0,  # MASE's seasonal scale needs a season of training rows
    )


def _run_folds(config, plan, whole, frame, every: int, say, verbose):
    """Prepare, (re)fit and score every fold; returns the records, each fold's forecasts and the fit count."""
    records, forecasts, model, model_fold, fits = [], [], None, None, 0
    for fold in plan:
        fold_config = config.model_copy(update={"data": fold.config})
        task = task_for(fold_config)
        trains = model is None or (every and fold.index % every == 0)
        if trains:
            _fresh_session(fold_config)
        prepared = task.prepare(data=frame, rows=fold.rows)
        origin_time = _origin_time(whole, fold)
        history, best = None, None
        say(
            _fold_line(fold, len(plan), origin_time, prepared)
            + ("" if trains else f"; the model of fold {model_fold + 1}, with this fold's preprocessing")
        )
        if trains:
            model = task.build_model(task.spec(prepared))
            history, best = fit_without_files(fold_config, prepared, model, verbose=2 if verbose == 2 else 0)
            model_fold, fits = fold.index, fits + 1
        record, forecast = _score_fold(task, model, prepared, fold, origin_time, model_fold, history, best)
        records.append(record)
        forecasts.append(forecast)
    return records, forecasts, fits


def _fresh_session(fold_config: ExperimentConfig) -> None:
    """Each fold trains as `seqkit train` would on its rows, from a fresh session and train.seed.

    Not from wherever the folds before it left the random streams.
    """
    keras.backend.clear_session()
    keras.utils.set_random_seed(fold_config.train.seed)


def _origin_time(whole, fold) -> str | None:
    return None if whole.time_index is None else _time_text(whole.time_index[fold.origin])


def _fold_line(fold, n_folds: int, origin_time: str | None, prepared) -> str:
    """The line printed for a fold: its origin, training rows and windows."""
    return (
        f"fold {fold.index + 1}/{n_folds}: origin {origin_time or 'row ' + str(fold.origin)}, "
        f"{fold.fit_rows[1] - fold.fit_rows[0]} training rows, {len(prepared.train)} training windows, "
        f"{len(prepared.test)} test"
    )


def _score_fold(task, model, prepared, fold, origin_time, model_fold: int, history, best):
    """A fold's record (as in `backtest.json`) and its forecasts `(series rows, values)` for the plot."""
    evaluation = task.evaluate_split(model, prepared, prepared.test, "test")
    windows = evaluation.plot["windows"]
    forecast = (windows.target_starts[:, None] + np.arange(fold.config.horizon) + fold.start,
                evaluation.plot["y_pred"])
    record = {
        "fold": fold.index + 1,
        "origin": fold.origin,
        "origin_time": origin_time,
        "rows": [fold.start, fold.end],
        "train_rows": list(fold.train_rows),
        "val_rows": None if fold.val_rows is None else list(fold.val_rows),
        "test_rows": list(fold.test_rows),
        "fit_rows": list(fold.fit_rows),
        "test_windows": len(prepared.test),
        "model_fold": model_fold + 1,
        "epochs": None if history is None else len(history.get("loss", [])),
        "best_epoch": None if best is None else best["epoch"],
        "seasonal_period": evaluation.metrics["seasonal_period"],
        "results": evaluation.metrics["results"],
        **({"quantiles": evaluation.metrics["quantiles"]} if "quantiles" in evaluation.metrics else {}),
    }
    return record, forecast


def _run_folds_in_processes(config, plan, whole, frame, workers: int, say, verbose):
    """`_run_folds` with `refit every`, each fold in a child process, up to `workers` at once.

    Children are started with the `spawn` method and the thread caps of
    `thread_environment` in their environment, so TensorFlow starts in each
    with its share of the cores. Each fold's line is printed once it and every
    fold before it have finished, so the output keeps the folds' order.

    Raises:
        RunError: A child raised, or ended without reporting its fold.
    """
    context = multiprocessing.get_context("spawn")
    environment = thread_environment(threads_per_process(workers))
    waiting, running, finished, printed = list(plan), {}, {}, 0
    try:
        while waiting or running:
            while waiting and len(running) < workers:
                fold = waiting.pop(0)
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(
                    target=_fold_in_process,
                    args=(sender, config, frame, fold, len(plan), _origin_time(whole, fold), verbose),
                    name=f"seqkit-backtest-fold-{fold.index + 1}",
                    daemon=True,
                )
                with scoped_environment(environment):
                    process.start()
                sender.close()  # the child holds the only writing end: its exit reads as the end of the pipe
                running[receiver] = (fold, process)
            for receiver in wait_for(list(running)):
                fold, process = running.pop(receiver)
                try:
                    report = receiver.recv()
                except EOFError:
                    report = None
                finally:
                    receiver.close()
                process.join()
                finished[fold.index] = _child_result(fold, process, report)
            while printed in finished:
                say(finished[printed][0])
                printed += 1
    finally:
        _stop([process for _, process in running.values()])
        for receiver in running:
            receiver.close()
    ordered = [finished[fold.index] for fold in plan]
    return [record for _, record, _ in ordered], [forecast for _, _, forecast in ordered], len(plan)


def _child_result(fold, process, report):
    """A child's `(line, record, forecast)`, or the error its report or exit stands for."""
    name = f"fold {fold.index + 1}"
    if report is None:
        raise RunError(
            f"{name}'s process ended with {describe_exit(process.exitcode)} before reporting its scores "
            "(out of memory, or a crash in the backend?); run the backtest without --workers to see the fold's error"
        )
    if report[0] == "error":
        _, kind, message, bad_input = report
        if bad_input:
            raise RunError(f"{name}: {message}")
        raise RunError(f"{name} failed in its process: {kind}: {message}; run without --workers for the traceback")
    return report[1:]


def _fold_in_process(sender, config, frame, fold, n_folds: int, origin_time, verbose) -> None:
    """A child process: prepare, fit and score one fold as `_run_folds` does; send what it found, or its error."""
    if hasattr(os, "setpgrp"):
        os.setpgrp()  # Ctrl-C reaches the parent alone, which stops this process
    try:
        configure_runtime(config.train)
        fold_config = config.model_copy(update={"data": fold.config})
        task = task_for(fold_config)
        _fresh_session(fold_config)
        prepared = task.prepare(data=frame, rows=fold.rows)
        model = task.build_model(task.spec(prepared))
        history, best = fit_without_files(fold_config, prepared, model, verbose=2 if verbose == 2 else 0)
        record, forecast = _score_fold(task, model, prepared, fold, origin_time, fold.index, history, best)
        sender.send(("ok", _fold_line(fold, n_folds, origin_time, prepared), record, forecast))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which names the fold
        sender.send(("error", type(exc).__name__, str(exc), isinstance(exc, SeqkitError)))
    finally:
        sender.close()


def _stop(processes) -> None:
    """Terminate the child processes still running and wait for them (killed if SIGTERM is not enough)."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(_STOP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()


def _step(plan, step: int | None, config: ExperimentConfig) -> int:
    """Rows between consecutive origins."""
    return plan[1].origin - plan[0].origin if len(plan) > 1 else (step or config.data.horizon)


def _time_text(stamp) -> str:
    """A timestamp as a date when it falls on midnight, else in full."""
    return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()


def _aggregate(records: list[dict]) -> dict:
    """Mean and spread of every metric per forecaster over the folds, and the model's wins against each baseline."""
    names = list(records[0]["results"])
    keys = list(records[0]["results"]["model"]["overall"])
    values = {name: {key: [r["results"][name]["overall"][key] for r in records] for key in keys} for name in names}
    per_step = {
        name: {key: np.mean([r["results"][name]["per_step"][key] for r in records], axis=0) for key in keys}
        for name in names
    }
    aggregate = {
        "folds": len(records),
        "mean": {name: {key: _finite(np.mean(v)) for key, v in per.items()} for name, per in values.items()},
        "std": {name: {key: _finite(np.std(v)) for key, v in per.items()} for name, per in values.items()},
        "per_step": {name: {key: [_finite(v) for v in steps] for key, steps in per.items()}
                     for name, per in per_step.items()},
        "wins": {name: {key: _wins(values["model"][key], values[name][key]) for key in keys}
                 for name in names if name != "model"},
    }
    if "quantiles" in records[0]:
        aggregate["quantiles"] = _aggregate_quantiles(records)
    return aggregate


def _quantile_scores(quantiles: dict) -> dict[str, dict[str, float]]:
    """A fold's `evaluate_quantiles` output as `{forecaster: {"wql", "coverage_80", "width_80", ...}}`."""
    from seqkit.evaluation.report import interval_label

    return {
        name: {"wql": scores["wql"]}
        | {f"{kind}_{interval_label(i)}": i[kind] for i in scores["intervals"] for kind in ("coverage", "width")}
        for name, scores in quantiles.items()
    }


def _aggregate_quantiles(records: list[dict]) -> dict:
    """Mean and spread of each quantile score over the folds, and each interval's coverage and width pooled.

    Pooled counts every forecast value of every fold's test windows once per fold: the
    covered values of all folds over all their values (a fold's coverage is its covered
    count over its `n_windows * horizon * n_targets` values, so the count is recovered
    exactly by rounding), and the mean width over the same values. It is the folds'
    coverages weighted by their test windows, not their plain mean.
    """
    from seqkit.evaluation.report import interval_label

    first = records[0]["quantiles"]
    names = list(first)
    intervals = [{key: i[key] for key in ("lower", "upper", "nominal")} for i in first["model"]["intervals"]]
    scores = [_quantile_scores(r["quantiles"]) for r in records]
    keys = list(scores[0]["model"])
    counts = [
        {name: s["n_windows"] * s["horizon"] * s["n_targets"] for name, s in r["quantiles"].items()} for r in records
    ]
    pooled = {}
    for name in names:
        total = sum(c[name] for c in counts)
        pooled[name] = {}
        for k, interval in enumerate(intervals):
            label = interval_label(interval)
            per_fold = [(r["quantiles"][name]["intervals"][k], c[name]) for r, c in zip(records, counts, strict=True)]
            covered = sum(round(i["coverage"] * n) for i, n in per_fold)
            pooled[name][f"coverage_{label}"] = covered / total
            pooled[name][f"width_{label}"] = sum(i["width"] * n for i, n in per_fold) / total
            pooled[name][f"covered_{label}"] = covered
    return {
        "folds": len(records),
        "levels": first["model"]["quantiles"],
        "intervals": intervals,
        "values": sum(c["model"] for c in counts),
        "mean": {name: {key: _finite(np.mean([s[name][key] for s in scores])) for key in keys} for name in names},
        "std": {name: {key: _finite(np.std([s[name][key] for s in scores])) for key in keys} for name in names},
        "pooled": pooled,
    }


def _wins(model: list[float], baseline: list[float]) -> int:
    """Folds where the model's value is lower than the baseline's (an undefined value is no win)."""
    return sum(m < b for m, b in zip(model, baseline, strict=True))


def _finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _report(records: list[dict], aggregate: dict) -> str:
    from seqkit.evaluation.report import (
        aggregate_table,
        fold_table,
        interval_label,
        quantile_aggregate_table,
        quantile_fold_table,
        step_table,
    )

    rows = [
        {**r, "origin": r["origin_time"] or r["origin"], "train_rows": r["fit_rows"][1] - r["fit_rows"][0]}
        for r in records
    ]
    baseline = "seasonal_naive" if "seasonal_naive" in aggregate["wins"] else "naive"
    mean = aggregate["mean"]
    line = (
        f"model beats {baseline} on MASE in {aggregate['wins'][baseline]['mase']} of {aggregate['folds']} folds; "
        f"mean MASE {_number(mean['model']['mase'])} vs {_number(mean[baseline]['mase'])}"
    )
    report = (
        f"per fold (test split, original units):\n{fold_table(rows)}\n\n{aggregate_table(aggregate)}\n{line}\n\n"
        f"{step_table(aggregate)}"
    )
    quantiles = aggregate.get("quantiles")
    if quantiles is None:
        return report
    lines = [
        f"model's {interval_label(i)}% interval: covered {100 * quantiles['pooled']['model'][key]:.2f}% of the "
        f"{quantiles['values']} test values pooled over the folds (the folds' mean: "
        f"{_percent(quantiles['mean']['model'][key])}); nominal {interval_label(i)}%"
        for i in quantiles["intervals"]
        for key in [f"coverage_{interval_label(i)}"]
    ]
    return f"{report}\n\n{quantile_fold_table(rows)}\n\n{quantile_aggregate_table(quantiles)}\n" + "\n".join(lines)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f}%"


def _csv_number(value: float | None) -> str:
    """A float as `repr` gives it (every digit), an undefined one as an empty cell."""
    return "" if value is None else repr(value)


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _folds_csv(folds: list[dict], names: list[str]) -> str:
    """`backtest.csv`: a row per fold, each forecaster's point metrics, then (a quantile run) its quantile scores."""
    from seqkit.evaluation.metrics import FORECAST_METRICS

    quantiles = [_quantile_scores(r["quantiles"]) for r in folds] if "quantiles" in folds[0] else None
    quantile_columns = [] if quantiles is None else [(name, key) for name in quantiles[0] for key in quantiles[0][name]]
    header = ["fold", "origin", "origin_time", "train_rows", "test_windows", "model_fold"] + [
        f"{name}_{key}" for name in names for key in FORECAST_METRICS
    ] + [f"{name}_{key}" for name, key in quantile_columns]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    for k, r in enumerate(folds):
        writer.writerow(
            [r["fold"], r["origin"], r["origin_time"] or "", r["fit_rows"][1] - r["fit_rows"][0], r["test_windows"],
             r["model_fold"]]
            + [repr(r["results"][name]["overall"][key]) for name in names for key in FORECAST_METRICS]
            + [_csv_number(_finite(quantiles[k][name][key])) for name, key in quantile_columns]
        )
    return text.getvalue()


def _write(result: BacktestResult, whole, plan, forecasts, *, window: str, step, refit) -> None:
    """config.yaml, backtest.json, backtest.csv and backtest.png, each written atomically."""
    from seqkit.evaluation.metrics import FORECAST_METRICS
    from seqkit.evaluation.plots import save_figure

    path = result.path
    atomic_write_text(path / "config.yaml", yaml.safe_dump(resolved_config(result.config, path), sort_keys=False))
    document: dict[str, Any] = {
        "n_folds": len(plan),
        "step": _step(plan, step, result.config),
        "window": window,
        "refit": refit,
        "fits": result.fits,
        "series_rows": whole.n_time,
        "folds": result.folds,
        "aggregate": result.aggregate,
    }
    atomic_write_json(path / BACKTEST_JSON, document)
    names = list(result.folds[0]["results"])
    atomic_write_text(path / BACKTEST_CSV, _folds_csv(result.folds, names))
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["step"] + [f"{name}_{key}" for name in names for key in FORECAST_METRICS])
    per_step = result.aggregate["per_step"]
    for k in range(result.config.data.horizon):
        writer.writerow([k + 1] + [_csv_number(per_step[name][key][k]) for name in names for key in FORECAST_METRICS])
    atomic_write_text(path / BACKTEST_STEPS_CSV, text.getvalue())
    if result.config.evaluate.plots:
        save_figure(result.figure(), path / BACKTEST_PLOT)
