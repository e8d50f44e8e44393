"""Files in a run directory, written so that a crash never leaves a torn one.

Every file a run writes (the resolved config, `model.keras`, the preprocessing
state, `history.csv`, `metrics.json`, plots, the manifest) goes through this
module. A write first fills a temporary file in the destination's folder, then
flushes and fsyncs it, renames it over the destination with `os.replace`
(atomic on POSIX and Windows when both names are on one file system) and
finally fsyncs the folder so the rename itself survives a power cut. A run
killed at any moment therefore leaves either the old file or the new one under
the real name, never half of one.

Temporary files are named `.partial-<token>-<name>`: hidden, recognisable, and
ending with the destination's own name so libraries that check the suffix
(Keras insists on `.keras`) accept them. A process killed with SIGKILL cannot
remove its temporary file; `remove_partial_files` clears such leftovers, and no
seqkit command ever reads a file by a `.partial-` name.

Example:

```python
atomic_write_json(run_dir / "metrics.json", metrics)
with atomic_path(run_dir / "model.keras") as tmp:
    model.save(tmp)
```
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import hashlib
import importlib.metadata
import io
import json
import math
import os
import platform
import secrets
import shlex
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from seqkit.errors import DataError, RunError

PARTIAL_PREFIX = ".partial-"
"""Name prefix of the temporary files this module creates."""

_CHUNK_BYTES = 1 << 20


def _partial_path(path: Path) -> Path:
    return path.with_name(f"{PARTIAL_PREFIX}{secrets.token_hex(6)}-{path.name}")


def _fsync_file(path: Path) -> None:
    # "r+b" rather than "rb": Windows refuses to flush a read-only handle.
    with open(path, "r+b") as f:
        os.fsync(f.fileno())


def _fsync_dir(folder: Path) -> None:
    # Makes the rename durable. Windows cannot open a folder for fsync and
    # some file systems refuse it; the rename is still atomic there.
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yields a temporary path that replaces `path` only if the block succeeds.

    For libraries that open the file themselves (`keras.Model.save`,
    `matplotlib.figure.Figure.savefig`). The temporary path lies in the same
    folder as `path` and ends with the same name, so suffix checks pass. When
    the block exits normally the file is fsynced and renamed over `path`; when
    it raises, the temporary file is removed and `path` is left untouched.

    Args:
        path: Destination file. Its folder must exist.

    Yields:
        The temporary `Path` to write to. It does not exist yet.

    Raises:
        RunError: If the block finished without creating the temporary file,
            or created a folder there (only single files are supported).

    Example:

    ```python
    with atomic_path("runs/airline/model.keras") as tmp:
        model.save(tmp)
    ```
    """
    path = Path(path)
    tmp = _partial_path(path)
    try:
        yield tmp
        if not tmp.is_file():
            what = "a folder" if tmp.is_dir() else "nothing"
            raise RunError(
                f"`atomic_path` expected the block to write one file at {tmp} "
                f"for {path}, but found {what}. Write the file to the yielded "
                "path (folders are not supported)."
            )
        _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise
    _fsync_dir(path.parent)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Writes `data` to `path` atomically.

    Args:
        path: Destination file. Its folder must exist.
        data: The complete new contents.

    Raises:
        OSError: If the folder is missing or not writable; `path` is unchanged.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        # O_EXCL: never write through a name another process created; mode
        # 0o666 lets the umask decide permissions, as for a plain open().
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Writes `text` to `path` atomically, encoded as UTF-8 with `\\n` newlines.

    Args:
        path: Destination file. Its folder must exist.
        text: The complete new contents.
    """
    atomic_write_bytes(path, text.encode("utf-8"))


def _strict_json(obj: Any) -> Any:
    # Strict JSON has no NaN or Infinity; null is what pandas' to_json and
    # most readers use for a missing number.
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, np.generic):
        return _strict_json(obj.item())
    if isinstance(obj, np.ndarray):
        return _strict_json(obj.tolist())
    if isinstance(obj, Mapping):
        return {k: _strict_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_strict_json(v) for v in obj]
    return obj


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Writes `obj` to `path` as indented, strict JSON, atomically.

    NumPy scalars and arrays are converted to plain numbers and lists. NaN and
    infinities, which strict JSON cannot represent, are written as `null`.
    The object is serialised completely before anything touches the disk, so
    an unserialisable value raises with `path` unchanged.

    Args:
        path: Destination file. Its folder must exist.
        obj: A JSON-serialisable object.

    Raises:
        TypeError: If `obj` holds a value JSON cannot represent.
    """
    text = json.dumps(_strict_json(obj), indent=2, allow_nan=False) + "\n"
    atomic_write_text(path, text)


def read_json_object(path: str | os.PathLike[str], *, holds: str, otherwise: str) -> dict:
    """Reads back a JSON object written by `atomic_write_json`.

    Args:
        path: The file; it must exist.
        holds: What the object is, for the message (e.g. "a run's manifest").
        otherwise: What follows from a bad file, for the message (e.g.
            "the run cannot be trusted").

    Raises:
        RunError: The file is not UTF-8 JSON, or holds something other than an object.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RunError(f"{path} is not valid JSON ({error}); {otherwise}") from error
    if not isinstance(data, dict):
        raise RunError(f"{path} does not hold {holds} (a JSON object); {otherwise}")
    return data


def remove_partial_files(folder: str | os.PathLike[str]) -> list[Path]:
    """Deletes temporary files left in `folder` by writes that were killed.

    Only names starting with `PARTIAL_PREFIX` are touched, and only directly
    inside `folder`. Call it when resuming a run, before writing again.

    Args:
        folder: A run directory.

    Returns:
        The paths that were removed, sorted.
    """
    removed = sorted(Path(folder).glob(f"{PARTIAL_PREFIX}*"))
    for p in removed:
        _remove(p)
    return removed


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Returns the SHA-256 of a file's bytes as 64 lowercase hex digits.

    Equals the output of `sha256sum path`, so a user can check it by hand.

    Args:
        path: The file to hash; read in 1 MiB chunks.
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK_BYTES), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_array(array: np.ndarray) -> str:
    """Returns a SHA-256 fingerprint of an in-memory array.

    The hash covers the dtype, the shape and the values in C order, so the
    same numbers reshaped or cast give a different hash. It is a fingerprint
    for data that never was a file (a shipped dataset, a generated series); it
    is not the hash of any file on disk.

    Args:
        array: A numeric, boolean or fixed-width string array of any shape.

    Raises:
        DataError: If `array` has dtype object, whose bytes are pointers.
    """
    array = np.asarray(array)
    if array.dtype.hasobject:
        raise DataError(
            "`sha256_array` cannot hash an array of dtype object (received "
            f"shape {array.shape}): its bytes are memory addresses. Convert it "
            "to a numeric or fixed-width string dtype first, e.g. "
            "`df.to_numpy(dtype='float64')`."
        )
    h = hashlib.sha256()
    h.update(f"{array.dtype.str}|{array.shape}|".encode())
    h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()


def _version(module: str, *distributions: str) -> str | None:
    # An imported module knows its own version; otherwise ask the installed
    # metadata rather than importing TensorFlow just to read a string.
    loaded = sys.modules.get(module)
    if loaded is not None and isinstance(getattr(loaded, "__version__", None), str):
        return loaded.__version__
    for dist in distributions or (module,):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            return importlib.metadata.version(dist)
    return None


def environment_manifest(
    seed: int | None,
    command: Sequence[str] | str | None,
    data_sha256: str | None,
    device: str | None,
) -> dict[str, Any]:
    """Describes what a run needs to be reproduced, as a JSON-ready dict.

    Args:
        seed: The global seed the run used, or None if it was not seeded.
        command: The command that reproduces the run, as an argv list (shell
            quoted into one line here) or an already formatted string.
        data_sha256: SHA-256 of the input data (`sha256_file` or
            `sha256_array`), or None for data seqkit did not read itself.
        device: What the model ran on, e.g. `"GPU:0 (NVIDIA H100)"` or
            `"CPU"`.

    Returns:
        A dict with keys `seqkit`, `keras`, `keras_backend`, `tensorflow`,
        `numpy`, `python` (versions, None when not installed; the backend is
        None until Keras is imported), `platform`, `device`, `seed`,
        `data_sha256`, `command` and `created` (UTC, ISO 8601, seconds).

    Raises:
        DataError: If `seed` is not an int or `data_sha256` is not 64 hex
            digits.
    """
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise DataError(
            f"`seed` must be an int or None; received {seed!r} of type "
            f"{type(seed).__name__}. Pass the integer seed the run used."
        )
    if data_sha256 is not None and (
        len(data_sha256) != 64 or any(c not in "0123456789abcdef" for c in data_sha256)
    ):
        raise DataError(
            "`data_sha256` must be 64 lowercase hex digits; received "
            f"{data_sha256!r}. Use `sha256_file` or `sha256_array`."
        )
    if command is not None and not isinstance(command, str):
        command = shlex.join(str(part) for part in command)
    import seqkit

    keras = sys.modules.get("keras")
    backend = keras.config.backend() if keras is not None else None
    return {
        "seqkit": seqkit.__version__,
        "keras": _version("keras"),
        "keras_backend": backend,
        "tensorflow": _version(
            "tensorflow",
            "tensorflow",
            "tensorflow-cpu",
            "tensorflow-macos",
            "tf-nightly",
        ),
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": device,
        "seed": seed,
        "data_sha256": data_sha256,
        "command": command,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def write_history_csv(
    history: Mapping[str, Sequence[float]],
    path: str | os.PathLike[str],
    *,
    initial_epoch: int = 0,
) -> None:
    """Writes a Keras training history to CSV atomically, `epoch` column first.

    The layout matches `keras.callbacks.CSVLogger`: 0-based epochs, one row per
    epoch, then one column per history key in the order given. Values are
    written with full float precision.

    Args:
        history: `keras.callbacks.History.history`, e.g.
            `{"loss": [0.9, 0.5], "val_loss": [1.0, 0.7]}`; every list one
            value per epoch.
        path: Destination CSV file. Its folder must exist.
        initial_epoch: Number of the first row's epoch, as passed to
            `Model.fit` when a run resumes.

    Raises:
        DataError: If the lists differ in length (e.g. `val_loss` recorded
            only every `validation_freq` epochs) or a key is named `epoch`.
    """
    if "epoch" in history:
        raise DataError(
            "`history` must not have a key named 'epoch' (received keys "
            f"{list(history)}); the epoch column is written from "
            "`initial_epoch`. Remove the key."
        )
    lengths = {key: len(values) for key, values in history.items()}
    if len(set(lengths.values())) > 1:
        raise DataError(
            "Every list in `history` must have one value per epoch; received "
            f"lengths {lengths}. Record every metric each epoch (e.g. "
            "`validation_freq=1`) or drop the shorter lists."
        )
    n_epochs = next(iter(lengths.values()), 0)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["epoch", *history])
    for i in range(n_epochs):
        writer.writerow(
            [initial_epoch + i, *(repr(float(v[i])) for v in history.values())]
        )
    atomic_write_text(path, buffer.getvalue())


def read_history_csv(
    path: str | os.PathLike[str],
) -> tuple[dict[str, list[float]], int]:
    """Reads a file written by `write_history_csv`.

    Args:
        path: A `history.csv` file.

    Returns:
        `(history, initial_epoch)`: the per-epoch lists without the `epoch`
        column, and the first row's epoch (0 for an empty file).

    Raises:
        RunError: If the file does not start with an `epoch` column or a value
            is not a number.
    """
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0][:1] != ["epoch"]:
        raise RunError(
            f"{path} is not a seqkit history file: its first column must be "
            f"'epoch'; received header {rows[0] if rows else 'nothing'}. "
            "Delete it to start the history afresh."
        )
    keys = rows[0][1:]
    history: dict[str, list[float]] = {key: [] for key in keys}
    try:
        initial_epoch = int(rows[1][0]) if len(rows) > 1 else 0
        for row in rows[1:]:
            for key, value in zip(keys, row[1:], strict=True):
                history[key].append(float(value))
    except ValueError as e:
        raise RunError(
            f"{path} has a malformed row ({e}). Delete it to start the history afresh."
        ) from e
    return history, initial_epoch
