"""Tests for seqkit.files: atomic writes, hashes, manifest, history."""

from __future__ import annotations

import hashlib
import json
import shlex

import numpy as np
import pytest

from seqkit import files as run_files
from seqkit.errors import DataError, RunError
from seqkit.files import (
    PARTIAL_PREFIX,
    atomic_path,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    environment_manifest,
    read_history_csv,
    remove_partial_files,
    sha256_array,
    sha256_file,
    write_history_csv,
)


def test_atomic_write_bytes_and_text_replace_contents(tmp_path):
    path = tmp_path / "a.txt"
    atomic_write_bytes(path, b"old")
    atomic_write_text(path, "new \u00e9\n")
    assert path.read_bytes() == "new \u00e9\n".encode()
    assert list(tmp_path.iterdir()) == [path]


def test_atomic_write_json_strict_and_numpy(tmp_path):
    path = tmp_path / "m.json"
    atomic_write_json(
        path,
        {"a": np.float32(1.5), "b": np.arange(3), "c": float("nan"), "d": (1, np.inf)},
    )
    assert json.loads(path.read_text()) == {
        "a": 1.5,
        "b": [0, 1, 2],
        "c": None,
        "d": [1, None],
    }


def test_unserialisable_json_leaves_old_file_and_no_temp(tmp_path):
    path = tmp_path / "metrics.json"
    atomic_write_json(path, {"rmse": 1.0})
    with pytest.raises(TypeError):
        atomic_write_json(path, {"rmse": object()})
    assert json.loads(path.read_text()) == {"rmse": 1.0}
    assert list(tmp_path.iterdir()) == [path]


def test_atomic_path_failure_midway_keeps_old_file(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"good model")
    with pytest.raises(KeyboardInterrupt), atomic_path(path) as tmp:
        assert tmp.parent == tmp_path
        assert tmp.name.startswith(PARTIAL_PREFIX)
        assert tmp.name.endswith("model.keras")
        tmp.write_bytes(b"half a mod")
        raise KeyboardInterrupt
    assert path.read_bytes() == b"good model"
    assert list(tmp_path.iterdir()) == [path]


def test_atomic_path_success_replaces(tmp_path):
    path = tmp_path / "plot.png"
    path.write_bytes(b"old")
    with atomic_path(path) as tmp:
        assert not tmp.exists()
        tmp.write_bytes(b"new")
    assert path.read_bytes() == b"new"
    assert list(tmp_path.iterdir()) == [path]


def test_atomic_path_block_that_writes_nothing_raises(tmp_path):
    nothing = "expected the block to write one file.*found nothing"
    with pytest.raises(RunError, match=nothing), atomic_path(tmp_path / "x.bin"):
        pass
    with (
        pytest.raises(RunError, match="found a folder"),
        atomic_path(tmp_path / "x.bin") as tmp,
    ):
        (tmp / "sub").mkdir(parents=True)
    assert list(tmp_path.iterdir()) == []


def test_failure_in_fsync_step_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    path.write_text("{}")

    def broken(_):
        raise OSError("disk full")

    monkeypatch.setattr(run_files, "_fsync_file", broken)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(path, '{"x": 1}')
    assert path.read_text() == "{}"
    assert list(tmp_path.iterdir()) == [path]


def test_remove_partial_files(tmp_path):
    (tmp_path / f"{PARTIAL_PREFIX}abc-model.keras").write_bytes(b"x")
    (tmp_path / "model.keras").write_bytes(b"y")
    removed = remove_partial_files(tmp_path)
    assert [p.name for p in removed] == [f"{PARTIAL_PREFIX}abc-model.keras"]
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_sha256_file_matches_hashlib(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"abc")
    assert sha256_file(path) == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_sha256_array_covers_dtype_shape_and_values():
    a = np.arange(6, dtype=np.float64)
    assert sha256_array(a) == sha256_array(a.copy())
    assert sha256_array(a) == sha256_array(np.repeat(a, 2)[::2])  # non-contiguous
    assert sha256_array(a) != sha256_array(a.reshape(2, 3))
    assert sha256_array(a) != sha256_array(a.astype(np.float32))
    b = a.copy()
    b[5] = 5.5
    assert sha256_array(a) != sha256_array(b)
    expected = hashlib.sha256(b"<f8|(6,)|" + a.tobytes()).hexdigest()
    assert sha256_array(a) == expected
    with pytest.raises(DataError, match="dtype object"):
        sha256_array(np.array([1, "a"], dtype=object))


def test_environment_manifest_fields():
    digest = "0" * 64
    m = environment_manifest(7, ["seqkit", "train", "my config.yaml"], digest, "CPU")
    assert m["seed"] == 7
    assert m["data_sha256"] == digest
    assert m["device"] == "CPU"
    assert m["command"] == "seqkit train 'my config.yaml'"
    assert shlex.split(m["command"]) == ["seqkit", "train", "my config.yaml"]
    assert m["seqkit"] == "0.1.0"
    assert m["numpy"] == np.__version__
    assert m["keras"] and m["tensorflow"] and m["python"] and m["platform"]
    assert m["created"].endswith("+00:00")
    json.dumps(m)
    assert environment_manifest(None, "seqkit train c.yaml", None, None)["command"] == (
        "seqkit train c.yaml"
    )


def test_environment_manifest_rejects_bad_values():
    with pytest.raises(DataError, match=r"`seed` must be an int or None; received '7'"):
        environment_manifest("7", None, None, None)
    with pytest.raises(DataError, match="`data_sha256` must be 64 lowercase hex"):
        environment_manifest(1, None, "abc", None)


def test_history_csv_round_trip(tmp_path):
    path = tmp_path / "history.csv"
    history = {"loss": [0.5, 0.25], "val_loss": [0.75, 0.125]}
    write_history_csv(history, path, initial_epoch=3)
    assert path.read_text() == "epoch,loss,val_loss\n3,0.5,0.75\n4,0.25,0.125\n"
    assert read_history_csv(path) == (history, 3)


def test_history_csv_rejects_ragged_lists(tmp_path):
    with pytest.raises(DataError, match=r"lengths \{'loss': 2, 'val_loss': 1\}"):
        write_history_csv({"loss": [1.0, 2.0], "val_loss": [1.0]}, tmp_path / "h.csv")
    assert not (tmp_path / "h.csv").exists()


def test_read_history_csv_rejects_foreign_file(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("loss\n1.0\n")
    with pytest.raises(RunError, match="first column must be 'epoch'"):
        read_history_csv(path)
