"""README.md's examples work as printed: its Python runs, its commands parse, the files it names exist.

The Python blocks run in order, in one namespace, from a folder holding a copy
of `configs/` (their runs land there too), with `SEQKIT_MAX_EPOCHS` keeping
their training short: the code a reader copies is the code tested.
"""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
from pathlib import Path

import numpy as np
import pytest

import seqkit
from seqkit.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
#: Folders of this repository; an inline code span starting with one is a path here.
REPO_FOLDERS = ("configs/", "tests/", "benchmarks/", "notebooks/", "seqkit/", ".ci/")
PLACEHOLDER = re.compile(r"[A-Z][A-Z_]*")  # CONFIG, RUN_DIR, N: what a reader fills in


def blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(README) if lang == language]


def prose() -> str:
    """README without its fenced blocks (inline code spans live here)."""
    return FENCE.sub("", README)


def section(title: str) -> str:
    start = README.index(f"\n{title}\n")
    end = README.find("\n#", start + len(title) + 2)
    return README[start:end]


def readme_commands() -> list[str]:
    """Every `seqkit ...` command line in README: in its bash blocks and in inline code."""
    lines = [line for body in blocks("bash") for line in body.splitlines()]
    lines += INLINE.findall(prose())
    commands = []
    for line in lines:
        for part in re.split(r"&&|;", line):
            part = part.split(" | ")[0].strip()  # `seqkit train CONFIG | head -2`: the seqkit side
            if part.startswith("seqkit "):
                commands.append(part)
    return commands


def as_argv(command: str) -> list[str]:
    """Usage text as arguments: `[--length 200]` is given, `...` (more of the same) dropped."""
    return [word for word in shlex.split(command.replace("[", " ").replace("]", " "))[1:] if word != "..."]


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_every_readme_command_names_a_real_subcommand_and_real_options():
    parser = build_parser()
    commands = subcommands(parser)
    found = readme_commands()
    assert "seqkit train configs/quickstart.yaml" in found  # README's main command
    assert {as_argv(command)[0] for command in found} == set(commands), "README documents every subcommand"
    parsed = 0
    for command in found:
        argv = as_argv(command)
        if len(argv) == 1:
            continue  # a sentence naming a command (`seqkit generate` continues ...): checked in the set above
        options = commands[argv[0]]._option_string_actions
        unknown = [word.split("=")[0] for word in argv if word.startswith("--") and word.split("=")[0] not in options]
        assert not unknown, f"README's `{command}` uses options `seqkit {argv[0]}` does not have: {unknown}"
        # A placeholder for a number (`--seed N`) stands for one.
        argv = [
            "1" if PLACEHOLDER.fullmatch(word) and before in options and options[before].type in (int, float) else word
            for before, word in zip(["", *argv[:-1]], argv, strict=True)
        ]
        try:
            parser.parse_args(argv)
        except SystemExit as exit_:
            pytest.fail(f"README's `{command}` does not parse (argparse exit {exit_.code})")
        parsed += 1
    assert parsed >= 8, found  # the commands table alone has eight command lines


def test_every_path_readme_names_exists():
    spans = [span.strip() for span in INLINE.findall(prose())]
    spans += [word for body in blocks("bash") for word in shlex.split(body) if "/" in word]
    paths = {span for span in spans if span.startswith(REPO_FOLDERS) and " " not in span}
    assert "configs/quickstart.yaml" in paths and "notebooks/01_quickstart.ipynb" in paths
    assert [path for path in sorted(paths) if not (ROOT / path).exists()] == []
    table = section("### Example configs")
    rows = [row for row in table.splitlines() if row.startswith("| `")]
    configs = {name for row in rows for name in INLINE.findall(row.split("|")[1])}
    assert len(configs) >= 10 and {"quickstart.yaml", "stateful_lstm.yaml"} <= configs
    assert sorted(name for name in configs if not (ROOT / "configs" / name).is_file()) == []
    assert configs == {path.name for path in (ROOT / "configs").glob("*.yaml")}, "README lists every shipped config"


METRIC_KEYS = {"MAE": "mae", "RMSE": "rmse", "MAPE %": "mape", "sMAPE %": "smape", "MASE": "mase"}


def example_output() -> list[str]:
    start = README.index("The main job takes")
    return next(body for lang, body in FENCE.findall(README[start:]) if lang == "").splitlines()


def test_readme_example_output_shows_what_the_quickstart_config_prints():
    """The lines that do not depend on training: the layer, data and baseline lines."""
    from seqkit.evaluation import comparison_table, evaluate_forecast
    from seqkit.models import cudnn_report

    config = seqkit.load_config(ROOT / "configs" / "quickstart.yaml")
    task = seqkit.task_for(config)
    prepared = task.prepare()
    lines = example_output()
    assert f"  {cudnn_report(config.model)[0]}" in lines
    assert f"data: {task.describe(prepared, task.spec(prepared))}" in lines
    test = prepared.test
    results = evaluate_forecast(
        prepared.targets_original,
        np.zeros_like(test.targets_original()),
        test.target_starts,
        train_len=prepared.train_length,
        gap=config.data.gap,
        period=task.seasonal_period(prepared),
    )
    table = comparison_table(results).splitlines()
    assert table[0] in lines and table[1] in lines  # the title (13 windows x 12 steps) and the columns
    metric_rows = [row for row in table[2:] if row.rsplit(maxsplit=3)[0] in METRIC_KEYS]
    shown = lines[lines.index(table[1]) + 1 :][: len(metric_rows)]
    # Each row's name, and both baselines' values to the digits shown; the model's column is the README run's.
    assert [row.rsplit(maxsplit=3)[0] for row in shown] == [row.rsplit(maxsplit=3)[0] for row in metric_rows]
    assert len(shown) == 5
    for row in shown:
        name, printed = row.rsplit(maxsplit=3)[0], row.split()[-2:]
        baselines = [results[kind]["overall"][METRIC_KEYS[name]] for kind in ("naive", "seasonal_naive")]
        digits = [len(value.partition(".")[2]) for value in printed]
        assert [float(value) for value in printed] == [round(b, d) for b, d in zip(baselines, digits, strict=True)], row


@pytest.mark.slow
def test_readme_python_runs_as_printed(tmp_path, monkeypatch, capsys):
    code = blocks("python")
    assert code, "README has Python examples"
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SEQKIT_MAX_EPOCHS", "2")
    namespace: dict = {}
    for number, source in enumerate(code, 1):
        exec(compile(source, f"README.md python block {number}", "exec"), namespace)  # noqa: S102 - our README

    run, forecast = namespace["run"], namespace["forecast"]
    assert "epochs: 2, capped by SEQKIT_MAX_EPOCHS (the config says 50)" in capsys.readouterr().out.splitlines()
    assert run.path.resolve().parent == tmp_path / "runs" / "quickstart"
    assert len((run.path / "history.csv").read_text().splitlines()) == 1 + 2  # header and two epochs
    assert seqkit.load_config(run.path / "config.yaml").train.epochs == 2  # it re-runs what was trained
    assert list(forecast.columns) == ["Date", "Passengers"]
    assert list(forecast["Date"].dt.strftime("%Y-%m")) == [f"1961-{month:02d}" for month in range(1, 13)]
    reloaded = namespace["same"].predict(namespace["history"])
    np.testing.assert_allclose(reloaded["Passengers"], forecast["Passengers"], rtol=1e-6)
    assert namespace["model"].output_shape == (None, 12, 1)


@pytest.mark.parametrize("value", ["two", "0", "-3", "2.5"])
def test_a_bad_max_epochs_variable_is_bad_input_and_leaves_no_run(value, write_yaml, tmp_path, monkeypatch, capsys):
    config = write_yaml(
        "data: {dataset: synthetic, synthetic: {length: 120}, lookback: 8}\nmodel: {layers: [4]}\n"
        "train: {epochs: 3}\nevaluate: {plots: false}\n"
    )
    monkeypatch.setenv("SEQKIT_MAX_EPOCHS", value)
    assert main(["train", str(config), "--runs-dir", str(tmp_path / "runs")]) == 2
    assert capsys.readouterr().err == (
        f"error: environment variable SEQKIT_MAX_EPOCHS must be a whole number of epochs, at least 1, got "
        f"'{value}'; unset it to train the config's `train.epochs`\n"
    )
    assert list((tmp_path / "runs").glob("*/*")) == []  # no run directory
