"""Run directories: a new `<runs>/<name>/<timestamp>/` folder, its removal, and the config saved in it.

Free of Keras, so that a command that only lays out folders (a supervised
search's parent process) does not start TensorFlow.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

from seqkit.config.experiment import ExperimentConfig
from seqkit.errors import DataError, RunError

#: Data files up to this size are copied into the run so its config re-runs as is.
COPY_DATA_LIMIT = 50 * 1024 * 1024


def new_run_dir(runs_dir: Path, name: str, *, prefix: str = "") -> tuple[Path, Path]:
    """Create `runs_dir/name/<prefix><timestamp>/` (and the folders above it), never reusing one.

    Returns:
        The run directory, and the highest folder this call created (to remove
        all of it if the run is refused).

    Raises:
        RunError: `runs_dir` cannot be created or written.
    """
    stamp = prefix + dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = runs_dir / name / stamp
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{stamp}-{n}")
    created = [folder for folder in [path, *path.parents] if not folder.exists()][-1]
    try:
        path.mkdir(parents=True)
    except OSError as error:
        blocker = next((p for p in [runs_dir, *runs_dir.parents] if p.exists()), None)
        why = f"'{blocker}' is a file" if blocker is not None and not blocker.is_dir() else error.strerror or error
        raise RunError(
            f"cannot create a run directory in the runs folder '{runs_dir}' ({why}). "
            "Give a folder you can write with --runs-dir (runs_dir= in Python)."
        ) from error
    return path, created


def remove_new_run_dir(run_dir: Path, created: Path) -> None:
    """Delete a run directory this process made, and the folders above it that it made and left empty."""
    shutil.rmtree(run_dir, ignore_errors=True)
    if run_dir == created:
        return
    for folder in run_dir.parents:
        try:
            folder.rmdir()  # only when empty: another run may have started there meanwhile
        except OSError:
            return
        if folder == created:
            return


def resolved_config(config: ExperimentConfig, run_dir: Path) -> dict:
    """The config as the run used it, with its data file placed in the run's `data/` folder.

    A file up to `COPY_DATA_LIMIT` is copied; a larger one is hard-linked (no
    copy, no extra disk), so the saved config re-runs and `--resume` finds its
    data either way.

    Raises:
        DataError: A file over the limit on another file system than the runs folder.
    """
    data = config.model_dump(mode="json")
    data["name"] = config.run_name
    path = config.data.path if config.data is not None else None
    if path is not None:
        source = (config.base_dir / path).resolve()
        target = run_dir / "data" / source.name
        if source.parent != run_dir.resolve() / "data":
            target.parent.mkdir(exist_ok=True)
            size = source.stat().st_size
            if size <= COPY_DATA_LIMIT:
                shutil.copyfile(source, target)
            else:
                try:
                    os.link(source, target)
                except OSError as error:
                    raise DataError(
                        f"data file '{source}' is {size / 2**20:.0f} MiB, over the {COPY_DATA_LIMIT // 2**20} MiB "
                        f"seqkit copies into a run, and it cannot be linked into '{run_dir}' ({error.strerror}). "
                        "Put the runs folder (--runs-dir) on the same file system as the data."
                    ) from error
            data["data"]["path"] = f"data/{source.name}"
    return data
