"""Shipped datasets: registry, files with SOURCE notes, text corpus, synthetic generator."""

import collections
from importlib import resources

import numpy as np
import pytest

from seqkit.config.data import DataConfig
from seqkit.data import describe_spec, list_datasets, load_dataset, load_text, prepare
from seqkit.errors import DataError


def test_registry_lists_every_dataset_with_source_and_licence():
    infos = {info.name: info for info in list_datasets()}
    assert {"airline", "sunspots", "seattle_weather", "synthetic", "pydoc_topics", "alice"} <= set(infos)
    for info in infos.values():
        assert info.description and info.source and info.licence
        assert (resources.files("seqkit.data.datasets") / f"{info.name}.SOURCE.txt").is_file()
    assert infos["pydoc_topics"].rows > 400_000 and infos["alice"].rows == len(load_text("alice")) == 148_480


@pytest.mark.parametrize(
    "name,rows,features", [("airline", 144, 1), ("sunspots", 309, 1), ("seattle_weather", 1461, 4)]
)
def test_real_datasets_load_and_match_the_registry(name, rows, features):
    frame = load_dataset(name)
    assert len(frame) == rows
    data = prepare(DataConfig(dataset=name, lookback=12, horizon=3))
    assert data.n_time == rows and data.spec.n_features == features
    assert describe_spec(DataConfig(dataset=name, lookback=12, horizon=3)) == data.spec
    assert data.frequency is not None


def test_airline_values():
    data = prepare(DataConfig(dataset="airline", lookback=12))
    assert data.targets_original[:3, 0].tolist() == [112, 118, 132]
    assert data.time_index[-1].strftime("%Y-%m") == "1960-12" and data.frequency == "MS"


def test_synthetic_generator_is_configurable_and_reproducible():
    cfg = DataConfig(dataset="synthetic", lookback=10, synthetic={"length": 300, "n_series": 3, "seed": 7, "trend": 0.01})
    a, b = prepare(cfg), prepare(cfg)
    assert a.n_time == 300 and a.spec.feature_names == ("series_0", "series_1", "series_2")
    np.testing.assert_array_equal(a.values, b.values)
    assert describe_spec(cfg).n_features == 3
    other = prepare(cfg.model_copy(update={"synthetic": cfg.synthetic.model_copy(update={"seed": 8})}))
    assert not np.array_equal(a.values, other.values)


def test_text_corpus():
    text = load_text("pydoc_topics")
    assert len(text) > 400_000 and "assert" in text
    with pytest.raises(DataError, match="Unknown text corpus 'shakespeare'"):
        load_text("shakespeare")


def test_the_alice_corpus_is_the_english_book_its_source_file_records():
    import hashlib
    import re

    text = load_text("alice")
    source = (resources.files("seqkit.data.datasets") / "alice.SOURCE.txt").read_text(encoding="utf-8")
    assert f"{hashlib.sha256(text.encode()).hexdigest()}  alice.txt" in source  # the shipped text, as recorded
    assert "Brotli 1.2.1" in source and "public domain" in source
    assert text.lstrip().startswith("ALICE'S ADVENTURES IN WONDERLAND") and text.rstrip().endswith("THE END")
    assert "\r" not in text and text.count("CHAPTER") == 12
    words = re.findall(r"[a-z]+", text.lower())
    assert len(words) > 25_000 and words.count("alice") > 350
    # Prose, not code: the commonest English words lead, and brackets and operators are rare.
    assert [word for word, _ in collections.Counter(words).most_common(3)] == ["the", "and", "to"]
    assert sum(text.count(mark) for mark in "{}[]=<>_#") < 20


def test_unknown_dataset_lists_the_shipped_ones():
    with pytest.raises(DataError, match="Unknown dataset 'airlines'.*airline"):
        prepare(DataConfig(dataset="airlines", lookback=3))
