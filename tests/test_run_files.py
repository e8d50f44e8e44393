"""A damaged run directory is a clear error: hashed files, unreadable models, configs that no longer fit."""

from __future__ import annotations

import json

import keras
import pytest

from seqkit.cli import main
from seqkit.errors import RunError
from seqkit.files import sha256_file
from seqkit.inference import load_run

HASHED = ("config.yaml", "preprocessing.json", "model.keras")


def _manifest(run):
    return json.loads((run / "manifest.json").read_text())


def _as_legacy(run):
    """Drop the `files` hashes, as in a manifest written before they were recorded."""
    manifest = _manifest(run)
    manifest.pop("files", None)
    (run / "manifest.json").write_text(json.dumps(manifest))
    return run


def _flip_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_the_manifest_records_the_hash_of_every_file_a_run_is_loaded_from(finished_run):
    files = _manifest(finished_run)["files"]
    assert files == {name: sha256_file(finished_run / name) for name in HASHED}


def test_a_run_whose_files_are_intact_loads_and_predicts(run_copy):
    forecast = load_run(run_copy).predict(run_copy.parent / "series.csv")
    assert len(forecast) == 3


EDITS = {
    "config.yaml": lambda p: p.write_text(p.read_text() + "# edited by hand\n"),
    "preprocessing.json": lambda p: p.write_text(json.dumps(json.loads(p.read_text()), indent=4)),
    "model.keras": _flip_byte,
}


@pytest.mark.parametrize("name", HASHED)
def test_a_file_changed_after_training_is_named_and_the_run_is_not_trusted(run_copy, name):
    EDITS[name](run_copy / name)
    with pytest.raises(RunError, match=rf"{name} .*has changed since the run was saved.*cannot be trusted"):
        load_run(run_copy)


@pytest.mark.parametrize("name", HASHED)
def test_a_hashed_file_that_is_gone_is_named(run_copy, name):
    (run_copy / name).unlink()
    with pytest.raises(RunError, match=rf"has no {name}"):
        load_run(run_copy)


def test_a_run_from_before_the_hashes_loads_without_the_check(run_copy):
    _as_legacy(run_copy)
    (run_copy / "config.yaml").write_text((run_copy / "config.yaml").read_text() + "# edited by hand\n")
    assert len(load_run(run_copy).predict(run_copy.parent / "series.csv")) == 3


def _empty(path):
    path.write_bytes(b"")


def _truncate(path):
    path.write_bytes(path.read_bytes()[:1000])


def _scramble_preprocessing(path):
    path.write_text(json.dumps({"task": "forecast", "state": {"version": 1, "columns": 3}}))


LEGACY_DAMAGE = [
    ("missing preprocessing", lambda r: (r / "preprocessing.json").unlink(), r"has no preprocessing.json"),
    ("preprocessing not JSON", lambda r: (r / "preprocessing.json").write_text("{bad"), r"is not valid JSON"),
    ("preprocessing garbled", lambda r: _scramble_preprocessing(r / "preprocessing.json"),
     r"preprocessing.json does not hold .*fitted .*cannot be used"),
    ("model emptied", lambda r: _empty(r / "model.keras"), r"model.keras is not a Keras model file \(0 bytes"),
    ("model truncated", lambda r: _truncate(r / "model.keras"),
     r"model.keras is not a Keras model file \(1000 bytes.*truncated or damaged"),
    ("model byte flipped", lambda r: _flip_byte(r / "model.keras"), r"model.keras is damaged .*cannot be used"),
    ("config lookback edited", lambda r: _edit_config(r, "lookback: 12", "lookback: 20"),
     r"config.yaml no longer fits model.keras: .*`data.lookback` is 20.*12 steps"),
    ("config horizon edited", lambda r: _edit_config(r, "horizon: 3", "horizon: 5"),
     r"config.yaml no longer fits model.keras: .*`data.horizon` is 5.*3 steps"),
    ("manifest not JSON", lambda r: (r / "manifest.json").write_text("{"), r"manifest.json is not valid JSON"),
]


def _edit_config(run, old, new):
    path = run / "config.yaml"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))


@pytest.mark.parametrize(("damage", "pattern"), [d[1:] for d in LEGACY_DAMAGE], ids=[d[0] for d in LEGACY_DAMAGE])
def test_a_damaged_run_is_a_clear_error(run_copy, damage, pattern):
    damage(_as_legacy(run_copy))
    with pytest.raises(RunError, match=pattern):
        load_run(run_copy)


@pytest.mark.parametrize(("damage", "pattern"), [d[1:] for d in LEGACY_DAMAGE], ids=[d[0] for d in LEGACY_DAMAGE])
def test_the_cli_answers_a_damaged_run_with_status_2(run_copy, damage, pattern, capsys):
    damage(_as_legacy(run_copy))
    assert main(["predict", str(run_copy), "--input", str(run_copy.parent / "series.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "internal error" not in err


def _lambda_model(path):
    inputs = keras.Input((12, 2))
    outputs = keras.layers.Dense(2)(keras.layers.Lambda(lambda x: x[:, -3:, :] * 2.0)(inputs))
    keras.Model(inputs, outputs).save(path)


@pytest.mark.parametrize("legacy", [False, True], ids=["hash updated", "no hashes"])
def test_a_model_keras_safe_mode_refuses_is_never_loaded_unsafely(run_copy, legacy, capsys):
    _lambda_model(run_copy / "model.keras")
    manifest = _manifest(run_copy)
    manifest["files"]["model.keras"] = sha256_file(run_copy / "model.keras")
    (run_copy / "manifest.json").write_text(json.dumps(manifest))
    if legacy:
        _as_legacy(run_copy)
    message = r"refused by Keras safe mode.*seqkit never loads models unsafely"
    with pytest.raises(RunError, match=message):
        load_run(run_copy)
    assert main(["evaluate", str(run_copy)]) == 2
    err = capsys.readouterr().err
    assert "refused by Keras safe mode" in err and "bug in seqkit" not in err
    assert "safe_mode=False" not in err, "seqkit does not advise loading unsafely"
