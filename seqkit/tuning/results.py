"""A finished search's results, read from its tuning directory alone (no tuner in memory).

`write_results` reads KerasTuner's `oracle.json` and `trial_<id>/trial.json`
files and seqkit's `seqkit.json` beside each, and writes:

- `leaderboard.csv` (and prints it): rank, trial id, every searched value,
  the objective, status, epochs, seconds and a failed trial's message;
- `best.yaml`: the best trial as a complete, ordinary config (`seqkit train best.yaml`);
- `objective.png`: the objective per trial with the running best;
- `runs/<name>/<timestamp>/`: best.yaml trained as an ordinary run, its test
  metrics next to the task's baselines as `seqkit train` reports them.

The validation split chooses the best trial; the test split is only reported.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from pathlib import Path
from typing import Any

import yaml

from seqkit.config.experiment import ExperimentConfig
from seqkit.config.loading import load_config, set_path
from seqkit.config.space import base_mapping
from seqkit.errors import RunError
from seqkit.files import atomic_write_text, read_json_object

CONFIG = "config.yaml"
PROJECT = "search"
RECORD = "seqkit.json"
LEADERBOARD = "leaderboard.csv"
BEST = "best.yaml"
PLOT = "objective.png"


@dataclasses.dataclass
class TrialResult:
    """One trial as its files record it.

    Attributes:
        trial_id: KerasTuner's id (`00`, `01`, ...), also its folder `search/trial_<id>/`.
        values: Searched setting (dotted path) -> config value.
        objective: The trial's best objective value (None unless COMPLETED).
        status: KerasTuner's status: COMPLETED, FAILED, INVALID, RUNNING, ...
        epochs: The last epoch it reached (None when it never trained).
        budget: Epochs it was given.
        seconds: Wall time of the trial.
        message: Why it failed.
    """

    trial_id: str
    values: dict[str, Any]
    objective: float | None
    status: str
    epochs: int | None = None
    budget: int | None = None
    seconds: float | None = None
    message: str | None = None


@dataclasses.dataclass
class TuneResult:
    """What a search found.

    Attributes:
        path: The tuning directory.
        objective: The objective's name; `direction`: `min` or `max`.
        trials: Every trial, in the order they were created.
        best: The best completed trial (None when none completed).
        best_config: `best.yaml` as a config (None without a best trial).
        run: The best config trained as an ordinary run (None when not trained).
        leaderboard: The printed leaderboard.
    """

    path: Path
    objective: str
    direction: str
    trials: list[TrialResult]
    best: TrialResult | None
    best_config: ExperimentConfig | None
    run: Any = None
    leaderboard: str = ""


def check_state(folder: str | Path) -> None:
    """Check that a tuning directory's KerasTuner state can be reloaded.

    Raises:
        RunError: `oracle.json` or a `trial.json` is missing, truncated or not
            KerasTuner's; the message says how to start over.
    """
    folder = Path(folder)
    for path in _state_files(folder):
        state = read_json_object(path, holds="KerasTuner's search state", otherwise=_start_over(folder))
        needed = ("trial_id", "status", "hyperparameters") if path.name == "trial.json" else ("ongoing_trials",)
        missing = [key for key in needed if key not in state]
        if missing:
            raise RunError(
                f"{path} lacks {', '.join(missing)}, so it is not KerasTuner's search state; {_start_over(folder)}"
            )


def _start_over(folder: Path) -> str:
    config = folder / CONFIG
    return (
        f"the search in '{folder}' cannot be continued. Start over with `seqkit tune {config}` (a new tuning "
        f"directory), or delete the broken trial's folder under {folder / PROJECT} and resume again"
    )


def _state_files(folder: Path) -> list[Path]:
    project = folder / PROJECT
    files = sorted(project.glob("trial_*/trial.json"))
    oracle = project / "oracle.json"
    if oracle.exists() or files:
        files.insert(0, oracle)
        if not oracle.exists():
            raise RunError(f"{oracle} is missing; {_start_over(folder)}")
    return files


def read_trials(folder: str | Path, config: ExperimentConfig) -> list[TrialResult]:
    """Every trial recorded in a tuning directory, in id order.

    Raises:
        RunError: A state file is corrupt (as `check_state`).
    """
    from seqkit.tuning.hypermodel import searched_values

    folder = Path(folder)
    check_state(folder)
    trials = []
    for path in sorted((folder / PROJECT).glob("trial_*/trial.json")):
        state = json.loads(path.read_text(encoding="utf-8"))
        record_file = path.with_name(RECORD)
        record = read_json_object(record_file, holds="a trial's record", otherwise=_start_over(folder)) if (
            record_file.exists()) else {}
        score = state.get("score")
        status = state["status"]
        completed = status == "COMPLETED" and score is not None and math.isfinite(score)
        trials.append(
            TrialResult(
                trial_id=state["trial_id"],
                values=searched_values(config, state["hyperparameters"].get("values", {})),
                objective=float(score) if completed else None,
                status=status,
                epochs=record.get("epochs"),
                budget=record.get("budget"),
                seconds=record.get("seconds"),
                # A worker's trial reaches the chief without its message (KerasTuner's gRPC Trial has no
                # field for it); seqkit's own record beside it keeps the message.
                message=(state.get("message") or record.get("message")) if not completed else None,
            )
        )
    return trials


def best_trial(trials: list[TrialResult], direction: str) -> TrialResult | None:
    """The completed trial with the best objective (the first such on ties)."""
    done = [t for t in trials if t.objective is not None]
    if not done:
        return None
    sign = 1 if direction == "min" else -1
    return min(done, key=lambda t: sign * t.objective)


def write_results(
    tuning_dir: str | Path,
    config: ExperimentConfig | str | Path | None = None,
    *,
    train_best: bool = True,
    verbose: int = 1,
) -> TuneResult:
    """Write a search's leaderboard, best config, plot and the best config's test report.

    Args:
        tuning_dir: The tuning directory (its `search/` folder holds KerasTuner's state).
        config: The searched config; default the directory's `config.yaml`.
        train_best: Train `best.yaml` as an ordinary run under `tuning_dir/runs/`
            and report its test metrics next to the baselines.
        verbose: 0 silent, 1 print the leaderboard and the run's report.

    Returns:
        The `TuneResult`.

    Raises:
        RunError: The directory has no readable search state.
    """
    from seqkit.evaluation import plot_search

    folder = Path(tuning_dir)
    if config is None or not isinstance(config, ExperimentConfig):
        config = load_config(config if config is not None else folder / CONFIG)
    say = print if verbose else (lambda *_a, **_k: None)
    objective = config.tune.objective
    trials = read_trials(folder, config)
    if not trials:
        raise RunError(f"the search in '{folder}' has no trials yet; nothing to report")
    best = best_trial(trials, objective.direction)
    table, rows = leaderboard(trials, config, best)
    atomic_write_text(folder / LEADERBOARD, _csv(rows))
    say(table)
    say(f"leaderboard: {folder / LEADERBOARD}")
    plot_search([t.objective for t in trials], folder / PLOT, objective=objective.name,
                direction=objective.direction, labels=[t.trial_id for t in trials])
    result = TuneResult(folder, objective.name, objective.direction, trials, best, None, leaderboard=table)
    if best is None:
        say("no trial completed, so there is no best config")
        return result
    result.best_config = write_best_config(folder, config, best)
    say(f"best: trial {best.trial_id}, {objective.name} {best.objective:.5g} (validation) -> {folder / BEST}")
    if train_best:
        from seqkit.training import train

        say("training the best config as an ordinary run (its test metrics next to the baselines):")
        result.run = train(folder / BEST, runs_dir=folder / "runs", verbose="auto" if verbose else 0,
                           command=f"seqkit train {folder / BEST}")
    return result


def write_best_config(folder: Path, config: ExperimentConfig, best: TrialResult) -> ExperimentConfig:
    """Write `best.yaml`: the searched config with the best trial's values, and no search section.

    `train.epochs` is the epochs the trial was given, so `seqkit train best.yaml`
    trains it as the search did (early stopping included).
    """
    raw = base_mapping(config)
    for path, value in best.values.items():
        raw = set_path(raw, path, value)
    if best.budget is not None:
        raw = set_path(raw, "train.epochs", best.budget)
    header = (
        f"# Best trial ({best.trial_id}) of the search in {folder}: {config.tune.objective.name} "
        f"{best.objective:.6g} on the validation split.\n# Re-run it with: seqkit train {folder / BEST}\n"
    )
    atomic_write_text(folder / BEST, header + yaml.safe_dump(raw, sort_keys=False))
    return load_config(folder / BEST)


def leaderboard(trials: list[TrialResult], config: ExperimentConfig, best: TrialResult | None):
    """The printed table and the CSV rows: completed trials best first, then the others."""
    objective = config.tune.objective
    sign = 1 if objective.direction == "min" else -1
    done = sorted((t for t in trials if t.objective is not None), key=lambda t: sign * t.objective)
    others = [t for t in trials if t.objective is None]
    paths = list(config.tune.space)
    header = ["rank", "trial", *paths, objective.name, "status", "epochs", "seconds", "message"]
    rows = [header]
    for rank, trial in enumerate(done + others, start=1):
        rows.append(
            [
                rank if trial.objective is not None else "",
                trial.trial_id,
                *[format_value(trial.values.get(p)) for p in paths],
                f"{trial.objective:.6g}" if trial.objective is not None else "",
                trial.status,
                "" if trial.epochs is None else trial.epochs,
                "" if trial.seconds is None else f"{trial.seconds:.1f}",
                trial.message or "",
            ]
        )
    shown = [row[:-1] for row in rows]
    widths = [max(len(str(row[i])) for row in shown) for i in range(len(header) - 1)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in shown]
    lines += [f"trial {t.trial_id} failed: {t.message}" for t in others if t.message]
    return "\n".join(lines), rows


def format_value(value: Any) -> str:
    """A searched value as the leaderboard shows it: YAML's flow style (`[64, 32]`, `gru`, `0.001`)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return yaml.safe_dump(value, default_flow_style=True, width=1000).strip().removesuffix("...").strip()


def _csv(rows: list[list]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()
