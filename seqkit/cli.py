"""The `seqkit` command: parses arguments, calls the public API, nothing else.

Exit status: 0 on success, 2 for bad input (config, data, arguments), 1 for
an unexpected internal error, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence

import seqkit
from seqkit.errors import SeqkitError

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def _config_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="YAML experiment file")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. --set model.layers=[64,32] (repeatable)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every `seqkit` command."""
    parser = argparse.ArgumentParser(
        prog="seqkit",
        description="Recurrent sequence models (RNN, LSTM, GRU) for Keras 3, driven by YAML configs.",
    )
    parser.add_argument("--version", action="version", version=f"seqkit {seqkit.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    validate = commands.add_parser("validate", help="check a config file and list every problem in it")
    _config_args(validate)
    validate.set_defaults(handler=_validate)

    summary = commands.add_parser("summary", help="build a config's model and print its layers and size")
    _config_args(summary)
    summary.set_defaults(handler=_summary)
    return parser


def _validate(args: argparse.Namespace) -> int:
    seqkit.load_config(args.config, args.overrides)
    print("ok")
    return EXIT_OK


def _summary(args: argparse.Namespace) -> int:
    from seqkit.models import cudnn_report, model_from_config

    cfg = seqkit.load_config(args.config, args.overrides)
    model = model_from_config(cfg)
    model.summary(print_fn=lambda line, **_: print(line))
    print(f"parameters: {model.count_params():,}")
    for line in cudnn_report(cfg.model):
        print(f"  {line}")
    return EXIT_OK


def _plain_warning(message, category, filename, lineno, line=None) -> str:
    return f"warning: {message}\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `seqkit` command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    warnings.formatwarning = _plain_warning
    try:
        return args.handler(args)
    except SeqkitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
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


if __name__ == "__main__":
    sys.exit(main())
