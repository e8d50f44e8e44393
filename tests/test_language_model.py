"""Language models: text runs, evaluation against unigram frequencies, generation with carried state."""

from __future__ import annotations

import numpy as np
import pytest

import seqkit
from seqkit.cli import main
from seqkit.config import DataConfig, ExperimentConfig, ModelConfig, TrainConfig
from seqkit.errors import ConfigError, RunError
from seqkit.inference import sample_next, stepping_model
from seqkit.training import load_run, train

TEXT = "the cat sat on the mat. the dog sat on the log. " * 40


def lm_config(**train):
    return ExperimentConfig(
        name="lm",
        data=DataConfig(dataset="pydoc_topics", text={"level": "char"}, lookback=20, stride=20,
                        split={"type": "fraction", "val": 0.1, "test": 0.1}),
        model=ModelConfig(cell="gru", layers=[16], embedding={"dim": 8}, head={"type": "language_model"}),
        train=TrainConfig(epochs=train.get("epochs", 3), batch_size=16, optimizer={"learning_rate": 0.01}),
    )


@pytest.fixture(scope="module")
def lm_run(tmp_path_factory):
    return train(lm_config(epochs=6), frame=TEXT, runs_dir=tmp_path_factory.mktemp("runs"), verbose=0)


def test_a_text_run_is_complete_and_beats_unigram_frequencies(lm_run):
    for name in ("config.yaml", "model.keras", "preprocessing.json", "history.csv", "metrics.json", "manifest.json"):
        assert (lm_run.path / name).is_file(), name
    results = lm_run.metrics["results"]
    assert set(results) == {"model", "unigram"}
    assert results["model"]["perplexity"] < results["unigram"]["perplexity"]
    assert "unigram" in lm_run.metrics["report"]


def test_stepping_one_token_at_a_time_matches_the_full_model(lm_run):
    vocabulary = lm_run.vocabulary
    ids = vocabulary.encode("the dog sat on the")
    full = np.asarray(lm_run.model.predict(ids[None, :], verbose=0))[0]
    step = stepping_model(lm_run.model, lm_run.config.model, vocabulary.size)
    np.testing.assert_allclose(step(ids[:5]), full[4], atol=1e-5)
    for position in range(5, len(ids)):  # then one token per call, state carried
        np.testing.assert_allclose(step(ids[position : position + 1]), full[position], atol=1e-5)


def test_generation_is_repeatable_and_survives_reload(lm_run):
    first = lm_run.generate("the ", 30, seed=1)
    assert len(first) == 30
    assert first == lm_run.generate("the ", 30, seed=1)
    reloaded = load_run(lm_run.path)
    assert reloaded.generate("the ", 30, seed=1) == first
    greedy = reloaded.generate("the cat sat on the", 5, temperature=0)
    assert greedy == reloaded.generate("the cat sat on the", 5, temperature=0)


def test_generation_errors_and_wrong_kind(lm_run):
    with pytest.raises(ConfigError, match="`prompt` is empty"):
        lm_run.generate("", 5)
    with pytest.raises(ConfigError, match="`temperature` must be 0 or more"):
        lm_run.generate("the", 5, temperature=-1)
    with pytest.raises(RunError, match="use `generate"):
        lm_run.predict(None)


def test_sampling_never_draws_padding_or_unknown():
    rng = np.random.default_rng(0)
    p = np.array([0.5, 0.4, 0.05, 0.05])
    draws = {sample_next(p, 1.0, rng) for _ in range(200)}
    assert draws == {2, 3}
    assert sample_next(np.array([0.9, 0.0, 0.01, 0.09]), 0, rng) == 3


def test_cli_generate(lm_run, capsys):
    assert main(["generate", str(lm_run.path), "--prompt", "the ", "--length", "12", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("the ") and len(out.rstrip("\n")) == 16


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"bidirectional": True}, r"a bidirectional language model reads the token it must predict"),
        ({"head": {"type": "forecast"}, "embedding": None}, r"model.head.type: data.text trains a language model"),
    ],
)
def test_language_model_config_rules(options, expected):
    model = {"cell": "gru", "layers": [8], "embedding": {"dim": 4}, "head": {"type": "language_model"}, **options}
    with pytest.raises(ValueError, match=expected):
        ExperimentConfig(data=DataConfig(dataset="pydoc_topics", text={}, lookback=10), model=ModelConfig(**model))


def test_a_language_model_needs_text_data():
    with pytest.raises(ValueError, match="data.text: a language model trains on text"):
        ExperimentConfig(
            data=DataConfig(dataset="airline", lookback=10),
            model=ModelConfig(embedding={"dim": 4}, head={"type": "language_model"}),
        )


def test_the_char_lm_config_summarises_with_the_corpus_vocabulary(capsys):
    assert main(["summary", "configs/char_lm.yaml"]) == 0
    assert "next_token" in capsys.readouterr().out
    assert seqkit.task_for(seqkit.load_config("configs/char_lm.yaml")).spec_from_config().vocab_size > 50
