"""The `seqkit` command: parses arguments, calls the public API, nothing else.

Exit status: 0 on success, 2 for bad input (config, data, run directory,
arguments), 1 for an unexpected internal error (a bug in seqkit), 130 when
interrupted. Standard output closing early (`seqkit train CONFIG | head -2`)
is not an error: the rest of the output is dropped and the command finishes.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import seqkit
from seqkit.errors import SeqkitError

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def _set_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. --set model.layers=[64,32] (repeatable)",
    )


def _config_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="YAML experiment file")
    _set_arg(parser)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every `seqkit` command."""
    # The generation defaults are the Python API's; that module is light (no Keras).
    from seqkit.inference.generation import DEFAULT_LENGTH, DEFAULT_TEMPERATURE, DEFAULT_TOP_P

    parser = argparse.ArgumentParser(
        prog="seqkit",
        description="Recurrent sequence models (RNN, LSTM, GRU) for Keras 3, driven by YAML configs.",
    )
    parser.add_argument("--version", action="version", version=f"seqkit {seqkit.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    validate = commands.add_parser(
        "validate",
        help="check a config file and its data; list every problem",
        description="Check a config as `seqkit train` would before fitting: every field, then its data "
        "(the file or dataset opens, and every requested split has a window). Prints `ok` or the problems.",
    )
    _config_args(validate)
    validate.add_argument("--no-data", action="store_true", help="check the config alone, without opening its data")
    validate.set_defaults(handler=_validate)

    summary = commands.add_parser("summary", help="build a config's model and print its layers and size")
    _config_args(summary)
    summary.set_defaults(handler=_summary)

    train = commands.add_parser(
        "train",
        help="train, evaluate against baselines, and save a run directory",
        description="Train the model a config describes, evaluate it next to the naive and seasonal-naive "
        "baselines on the held-out test split, and save everything under RUNS_DIR/<name>/<timestamp>/.",
    )
    train.add_argument("config", nargs="?", help="YAML experiment file")
    _set_arg(train)
    train.add_argument(
        "--data",
        metavar="FILE",
        help="train on this CSV/TSV/Parquet file (.txt for a language model) instead of the config's data.path "
        "or data.dataset; a path as typed, relative to the current folder",
    )
    train.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run from its last completed epoch")
    train.add_argument("--runs-dir", default="runs", help="folder for run directories (default: runs)")
    train.add_argument("--quiet", action="store_true", help="print only the saved run directory, and errors")
    train.set_defaults(handler=_train)

    tune = commands.add_parser(
        "tune",
        help="search the config's tune.space with KerasTuner; write a leaderboard and best.yaml",
        description="Search the settings in the config's `tune.space` with KerasTuner, one trial after another, "
        "choosing on the validation split. Writes TUNING_DIR/<name>/<timestamp>/ with leaderboard.csv, best.yaml "
        "(an ordinary config) and objective.png, then trains best.yaml as an ordinary run and prints its test "
        "metrics next to the baselines. Exit status 2 also when more trials fail than tune.max_failed_trials.",
    )
    tune.add_argument("config", nargs="?", help="YAML experiment file with a tune section")
    _set_arg(tune)
    tune.add_argument("--tuning-dir", metavar="DIR",
                      help="folder for tuning directories (default: tuning); with --role, the shared search folder")
    tune.add_argument("--resume", metavar="DIR", help="continue an interrupted search; completed trials are kept")
    tune.add_argument("--role", choices=["chief", "worker"],
                      help="one process of a search over several machines (with --oracle and a shared --tuning-dir)")
    tune.add_argument("--oracle", metavar="HOST:PORT",
                      help="the chief's address, with --role; with --workers, where the chief binds "
                      "(default 127.0.0.1 on a free port)")
    tune.add_argument("--worker-id", metavar="ID", help="a worker's id, with --role worker")
    tune.add_argument("--replaceable", action="store_true",
                      help="with --role worker: once its memory has grown past tune.worker_memory_growth, end "
                      "after reporting a trial with exit status 75, to be started again (--workers does this)")
    tune.add_argument("--workers", type=int, metavar="N",
                      help="run a chief and N worker processes on this machine, supervised; logs in DIR/logs/")
    tune.add_argument("--timeout", type=float, metavar="SECONDS",
                      help="with --workers: stop every process after this (exit status 2; continue with --resume)")
    tune.add_argument("--quiet", action="store_true", help="print nothing but errors")
    tune.set_defaults(handler=_tune)

    backtest = commands.add_parser(
        "backtest",
        help="train and score a forecasting config at the last K forecast origins",
        description="Rolling-origin backtest: the last K forecast origins, STEP rows apart, each fold with its own "
        "chronological train/validation/test split and preprocessing fitted on its training rows only. Prints a "
        "table per fold (model next to the naive and seasonal-naive baselines), the mean, spread and wins over "
        "the folds and the error per forecast step (a quantile head: also each fold's interval coverage, width and "
        "wQL, their mean and spread, and the coverage pooled over every fold's test values), and writes "
        "RUNS_DIR/<name>/backtest-<timestamp>/ with "
        "backtest.json, backtest.csv, backtest_steps.csv and backtest.png.",
    )
    _config_args(backtest)
    backtest.add_argument("--folds", type=int, default=6, metavar="K", help="forecast origins (default 6)")
    backtest.add_argument("--step", type=int, metavar="S", help="rows between origins (default: the horizon)")
    backtest.add_argument("--window", choices=["expanding", "sliding"], default="expanding",
                          help="expanding: train on every earlier row; sliding: as many rows as the first fold")
    backtest.add_argument("--refit", default="every", metavar="every|once|N",
                          help="train a model per fold (every), once on the first fold, or every N folds")
    backtest.add_argument("--workers", type=int, default=1, metavar="N",
                          help="train the folds in N processes at once, each with cores/N threads (needs --refit "
                          "every; the results are those of one process)")
    backtest.add_argument("--runs-dir", default="runs", help="folder for the backtest directory (default: runs)")
    backtest.add_argument("--quiet", action="store_true", help="print only the saved directory, and errors")
    backtest.set_defaults(handler=_backtest)

    evaluate = commands.add_parser("evaluate", help="score a finished run on its test split, or on new data")
    evaluate.add_argument("run_dir", help="a run directory made by `seqkit train`")
    evaluate.add_argument("--data", metavar="FILE", help="CSV or Parquet file to evaluate on instead of the run's data")
    evaluate.set_defaults(handler=_evaluate)

    predict = commands.add_parser(
        "predict", help="forecast the next horizon (or --steps N) steps after the end of an input file"
    )
    predict.add_argument("run_dir", help="a run directory made by `seqkit train`")
    predict.add_argument("--input", required=True, metavar="FILE", help="CSV or Parquet file with the run's columns")
    predict.add_argument(
        "--steps",
        metavar="N",
        help="forecast N steps (default: the horizon); past the horizon the model is fed its own forecasts, "
        "and covariates need future rows in FILE (targets empty, covariates filled)",
    )
    predict.add_argument("--output", metavar="FILE", help="write the forecast as CSV here (default: print it)")
    predict.add_argument(
        "--stream",
        action="store_true",
        help="read FILE (`-`: standard input) one CSV row at a time as rows arrive and print a forecast line "
        "after each row, once enough rows have come: the row's time (or number), then every target's steps",
    )
    predict.set_defaults(handler=_predict)

    generate = commands.add_parser("generate", help="continue a prompt with a trained language model")
    generate.add_argument("run_dir", help="a language-model run directory made by `seqkit train`")
    generate.add_argument("--prompt", required=True, help="text to continue")
    generate.add_argument(
        "--length", type=int, default=DEFAULT_LENGTH, help=f"tokens to generate (default {DEFAULT_LENGTH})"
    )
    generate.add_argument(
        "--temperature",
        type=float,
        default=DEFAULT_TEMPERATURE,
        help=f"0 greedy, 1 as trained, below 1 more conservative (default {DEFAULT_TEMPERATURE:g})",
    )
    generate.add_argument(
        "--top-k", type=int, default=None, metavar="K", help="sample only from the K most likely tokens (default: all)"
    )
    generate.add_argument(
        "--top-p",
        type=float,
        default=DEFAULT_TOP_P,
        metavar="P",
        help=f"sample only from the most likely tokens holding P of the probability (default {DEFAULT_TOP_P:g}: all)",
    )
    generate.add_argument(
        "--num-samples",
        type=int,
        default=None,
        metavar="N",
        help="sample N continuations at once, each printed after a `--- sample i of N ---` line",
    )
    generate.add_argument("--seed", type=int, default=None, help="make the sampling repeatable")
    generate.set_defaults(handler=_generate)

    datasets = commands.add_parser("datasets", help="list the datasets shipped with seqkit")
    datasets.set_defaults(handler=_datasets)
    return parser


def _validate(args: argparse.Namespace) -> int:
    seqkit.validate(args.config, overrides=args.overrides, data=not args.no_data)
    print("ok")
    return EXIT_OK


def _summary(args: argparse.Namespace) -> int:
    from seqkit.models import cudnn_report
    from seqkit.tasks import model_from_config

    cfg = seqkit.load_config(args.config, args.overrides)
    model = model_from_config(cfg)
    model.summary(print_fn=lambda line, **_: print(line))
    print(f"parameters: {model.count_params():,}")
    for line in cudnn_report(cfg.model):
        print(f"  {line}")
    return EXIT_OK


def _train(args: argparse.Namespace) -> int:
    from seqkit.training import resume, train  # neither imports Keras before the config's backend is set

    verbose = 0 if args.quiet else "auto"
    command = "seqkit " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:] else None
    if args.resume:
        if args.config or args.overrides or args.data:
            raise UsageError(
                "--resume continues a run with its saved config and data; give no CONFIG, --set or --data with it"
            )
        run = resume(args.resume, verbose=verbose, command=command)
    else:
        if not args.config:
            raise UsageError("give a CONFIG file to train, or --resume RUN_DIR")
        run = train(
            args.config,
            data=args.data,
            overrides=args.overrides,
            runs_dir=args.runs_dir,
            verbose=verbose,
            command=command,
        )
    if getattr(sys.stdout, "closed_early", False):
        print(f"saved: {run.path}", file=sys.stderr)  # the reader of stdout left before the last line
    elif args.quiet:
        print(f"saved: {run.path}")  # the one line a script needs: where the run is
    return EXIT_OK


def _backend_of(config_path: str | None, overrides) -> None:
    """Set the backend a search's or backtest's config names before they import Keras (`auto`: TensorFlow).

    The measured `auto` rule (`seqkit.backend.auto_backend`) applies to training runs; searches and
    backtests run on TensorFlow unless the config or `KERAS_BACKEND` names JAX.
    """
    if config_path is None:
        return
    from seqkit.backend import choose_backend
    from seqkit.config.loading import load_config

    choose_backend(load_config(config_path, overrides).train.backend)


def _tune(args: argparse.Namespace) -> int:
    if not args.resume:
        _backend_of(args.config, args.overrides)
    from seqkit.tuning import tune

    if args.workers is not None or args.timeout is not None:
        if args.role or args.worker_id is not None:
            raise UsageError("--workers runs its own chief and workers; give no --role or --worker-id with it")
        if args.workers is None:
            raise UsageError("--timeout applies to a search with --workers N")
        if args.workers < 1:
            raise UsageError(f"--workers must be at least 1 (got {args.workers})")
        from seqkit.tuning.supervise import parse_oracle, supervise

        host, port = parse_oracle(args.oracle) if args.oracle else ("127.0.0.1", None)
        supervise(args.config, args.overrides, args.tuning_dir, workers=args.workers, timeout=args.timeout,
                  resume=args.resume, host=host, port=port, verbose=0 if args.quiet else 1)
        return EXIT_OK
    if (args.oracle or args.worker_id is not None) and not args.role:
        raise UsageError("--oracle and --worker-id belong to --role chief|worker")
    if args.replaceable and args.role != "worker":
        raise UsageError("--replaceable belongs to --role worker")
    if args.role and not args.oracle:
        raise UsageError(f"--role {args.role} needs --oracle HOST:PORT, the chief's address")
    from seqkit.tuning.supervise import EXIT_REPLACE, WorkerReplaced

    try:
        tune(
            args.config,
            overrides=args.overrides,
            tuning_dir=args.tuning_dir,
            resume=args.resume,
            role=args.role,
            oracle=args.oracle,
            worker_id=args.worker_id,
            replaceable=args.replaceable,
            verbose=0 if args.quiet else 1,
        )
    except WorkerReplaced:
        return EXIT_REPLACE  # the supervisor starts a fresh worker under the same id
    return EXIT_OK


def _backtest(args: argparse.Namespace) -> int:
    _backend_of(args.config, args.overrides)
    from seqkit.backtesting import backtest

    refit = int(args.refit) if args.refit.strip().isdigit() else args.refit
    result = backtest(
        args.config,
        overrides=args.overrides,
        folds=args.folds,
        step=args.step,
        window=args.window,
        refit=refit,
        runs_dir=args.runs_dir,
        verbose=0 if args.quiet else "auto",
        workers=args.workers,
    )
    if args.quiet:
        print(f"saved: {result.path}")
    return EXIT_OK


def _evaluate(args: argparse.Namespace) -> int:
    from seqkit.inference import load_run

    metrics = load_run(args.run_dir).evaluate(args.data)
    print(metrics.get("report") or metrics.get("note"))
    return EXIT_OK


def _predict(args: argparse.Namespace) -> int:
    from seqkit.files import atomic_write_text
    from seqkit.inference import load_run

    if args.stream:
        if args.steps is not None or args.output:
            raise UsageError("--stream prints a forecast line per input row; it takes neither --steps nor --output")
        return _stream(load_run(args.run_dir), args.input)

    if args.output:
        folder = Path(args.output).parent
        if not folder.is_dir():
            raise UsageError(f"`--output` folder '{folder}' does not exist; create it first or write elsewhere")
    steps = None
    if args.steps is not None:
        try:
            steps = int(args.steps)
        except ValueError:
            raise UsageError(
                f"--steps is a whole number of forecast steps of at least 1; received {args.steps!r}"
            ) from None
    forecast = load_run(args.run_dir).predict(args.input, steps=steps)
    text = forecast.to_csv(index=False)
    if args.output:
        try:
            atomic_write_text(args.output, text)
        except OSError as error:
            raise UsageError(f"cannot write `--output` {args.output}: {error.strerror or error}") from error
        print(f"wrote {len(forecast)} forecast steps to {args.output}")
    else:
        print(text, end="")
    return EXIT_OK


def _stream(run, source: str) -> int:
    """`predict --stream`: a forecast line per CSV row of `source` (a file, or `-` for standard input)."""
    import csv

    import numpy as np

    live = run.stream()
    if source != "-" and not Path(source).is_file():
        raise UsageError(f"--input {source} does not exist (use `-` to read standard input)")
    handle = sys.stdin if source == "-" else open(source, newline="", encoding="utf-8")  # noqa: SIM115
    try:
        rows = csv.reader(handle)
        header = next(rows, None)
        if header is None:
            raise UsageError(f"--input {source} is empty; it needs a header row naming the run's columns")
        time_column = run.preprocessing.time_column
        # A point forecast is read as an array (`forecast_array`: no timestamps, no DataFrame, several times
        # faster); a quantile run's levels come from the DataFrame.
        levels = getattr(run.config.model.head, "quantiles", None) is not None
        wrote_header = False
        for number, row in enumerate(rows, 1):
            if not row:
                continue
            observation = dict(zip(header, row, strict=False))
            live.update(observation)
            if not live.ready:
                continue
            if levels:
                forecast = live.forecast()
                names, values = list(forecast.columns[1:]), forecast.iloc[:, 1:].to_numpy(np.float64)
            else:
                names, values = run.preprocessing.targets, live.forecast_array()
            if not wrote_header:
                steps = range(1, len(values) + 1)
                print(",".join([time_column or "row", *(f"{name}_{k}" for name in names for k in steps)]))
                wrote_header = True
            when = observation.get(time_column, "") if time_column else str(number)
            print(",".join([when, *(repr(float(v)) for v in values.T.ravel())]), flush=True)
    finally:
        if handle is not sys.stdin:
            handle.close()
    return EXIT_OK


def _generate(args: argparse.Namespace) -> int:
    from seqkit.inference import load_run

    run = load_run(args.run_dir)
    texts = run.generate(
        args.prompt,
        args.length,
        temperature=args.temperature,
        top_k=args.top_k,
        top_p=args.top_p,
        num_samples=args.num_samples,
        seed=args.seed,
    )
    if args.num_samples is None:
        print(args.prompt + texts)
        return EXIT_OK
    for number, text in enumerate(texts, 1):
        print(f"--- sample {number} of {len(texts)} ---")
        print(args.prompt + text)
    return EXIT_OK


def _datasets(args: argparse.Namespace) -> int:
    from seqkit.data import list_datasets

    rows = []
    for info in list_datasets():
        unit = {"text": "characters", "sequences": "sequences"}.get(info.kind, "rows")
        size = f"{info.rows:,} {unit}" if info.rows is not None else "configurable"
        rows.append((info.name, size, info.description))
    name_width = max(len(r[0]) for r in rows)
    size_width = max(len(r[1]) for r in rows)
    for name, size, description in rows:
        print(f"{name:<{name_width}}  {size:<{size_width}}  {description}")
    return EXIT_OK


class UsageError(SeqkitError, ValueError):
    """The command line's arguments do not fit together."""


class _TolerantStdout:
    """Standard output that drops what it cannot write once its reader has gone.

    `seqkit train CONFIG | head -2` closes the pipe after two lines; the next
    write (seqkit's or Keras' progress) would raise BrokenPipeError and kill a
    training run that has nothing wrong with it. After the first failed write
    the rest of the output is dropped, `closed_early` is set, and descriptor 1
    points at the null device so the interpreter's last flush stays quiet too.
    """

    def __init__(self, stream) -> None:
        self._stream = stream
        self.closed_early = False

    def _lost(self) -> None:
        self.closed_early = True
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self._stream.fileno())
            os.close(null)
        except (OSError, ValueError, AttributeError):  # not a real file (a test's capture): nothing to quiet
            pass

    def write(self, text: str) -> int:
        if not self.closed_early:
            try:
                return self._stream.write(text)
            except (BrokenPipeError, ValueError):  # ValueError: the stream itself was closed
                self._lost()
        return len(text)

    def flush(self) -> None:
        if not self.closed_early:
            try:
                self._stream.flush()
            except (BrokenPipeError, ValueError):
                self._lost()

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _plain_warning(message, category, filename, lineno, line=None) -> str:
    return f"warning: {message}\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `seqkit` command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    previous_format, warnings.formatwarning = warnings.formatwarning, _plain_warning
    previous_stdout = sys.stdout
    if sys.stdout is not None:
        sys.stdout = _TolerantStdout(sys.stdout)
    try:
        return args.handler(args)
    except SeqkitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:
        start = "\n" if sys.stdout is not None and sys.stdout.isatty() else ""  # end a progress bar's line first
        print(start + (str(exc) or "interrupted"), file=sys.stderr)  # seqkit's say what was kept and how to resume
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the last line of defence for a readable CLI
        if os.environ.get("SEQKIT_DEBUG"):
            raise
        print(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in seqkit; run again with SEQKIT_DEBUG=1 for the traceback.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    finally:
        if sys.stdout is not None:
            sys.stdout.flush()
        sys.stdout = previous_stdout
        warnings.formatwarning = previous_format


if __name__ == "__main__":
    sys.exit(main())
