"""Language models: text runs, evaluation against unigram frequencies, generation with carried state."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import seqkit
from seqkit.cli import main
from seqkit.config import DataConfig, ExperimentConfig, ModelConfig, TrainConfig
from seqkit.errors import ConfigError, RunError
from seqkit.evaluation.language import token_metrics
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


def test_validation_and_test_are_each_scored_and_reported_in_bits_per_character(lm_run):
    # The last two tenths differ, so a split scored twice or swapped would show.
    text = "the cat sat on the mat. " * 64 + "a dog, a log; a cat on a mat. " * 8 + "the dog sat on the log. " * 8
    metrics = lm_run.evaluate(text)
    prepared = lm_run.task.prepare(data=text, preprocessing=lm_run.preprocessing)
    scores = {}
    for split, windows in (("validation", prepared.val), ("test", prepared.test)):
        x, y = windows.gather(windows.with_stride(windows.lookback).starts)
        scores[split] = token_metrics(y, lm_run.model.predict(x, verbose=0))
    assert metrics["split"] == "test"
    for split, key in (("validation", "validation_results"), ("test", "results")):
        assert metrics[key]["model"]["bits_per_token"] == pytest.approx(scores[split]["bits_per_token"], rel=1e-5)
        assert metrics[key]["model"]["tokens"] == scores[split]["tokens"]
        assert set(metrics[key]) == {"model", "unigram"}
    assert abs(scores["validation"]["bits_per_token"] - scores["test"]["bits_per_token"]) > 1e-3
    report = metrics["report"]
    assert report.index("validation split") < report.index("test split")
    assert report.endswith(
        f"bits per character: validation {scores['validation']['bits_per_token']:.3f}, "
        f"test {scores['test']['bits_per_token']:.3f}"
    )
    assert "bits per character: validation" in lm_run.metrics["report"] and "validation_results" in lm_run.metrics


def test_a_word_model_reports_validation_and_test_perplexity_and_one_split_alone():
    def task(test):
        return seqkit.task_for(ExperimentConfig(
            name="words",
            data=DataConfig(dataset="alice", text={"level": "word"}, lookback=8, stride=8,
                            split={"type": "fraction", "val": 0.1, "test": test}),
            model=ModelConfig(cell="gru", layers=[4], embedding={"dim": 4}, head={"type": "language_model"}),
        ))

    both, alone = task(0.1), task(0)
    prepared = both.prepare()
    model = both.build_model(both.spec(prepared))  # untrained: reporting only
    metrics = both.evaluate(model, prepared).metrics
    validation, test = metrics["validation_results"]["model"], metrics["results"]["model"]
    assert metrics["report"].splitlines()[-1] == (
        f"perplexity: validation {validation['perplexity']:.2f}, test {test['perplexity']:.2f}"
    )
    assert "bits per word" in metrics["report"]
    only = alone.evaluate(model, alone.prepare(preprocessing=prepared.vocabulary)).metrics
    assert only["split"] == "validation" and "validation_results" not in only


def test_a_stateful_language_model_reads_validation_and_test_as_it_is_used(tmp_path):
    from seqkit.models.predict import predict_streaming

    text = "the cat sat on the mat. " * 24 + "a dog, a log; a cat on a mat. " * 4 + "the dog sat on the log. " * 4
    config = ExperimentConfig.model_validate({
        "data": {"dataset": "pydoc_topics", "text": {"level": "char"}, "lookback": 40, "stride": 40,
                 "split": {"type": "fraction", "val": 0.15, "test": 0.15}},
        "model": {"cell": "gru", "layers": [4], "embedding": {"dim": 4}, "stateful": True,
                  "head": {"type": "language_model"}},
        "train": {"epochs": 1, "batch_size": 2, "early_stopping": None},
        "evaluate": {"plots": False},
    })
    run = train(config, frame=text, runs_dir=tmp_path, verbose=0)
    test = run.task.prepare(data=text, preprocessing=run.preprocessing).test
    # The test split is one stream warmed on the text before it (`predict_streaming`), as in training ...
    expected = token_metrics(test.targets(), predict_streaming(run.model, test, batch_size=2))
    assert run.metrics["results"]["model"]["cross_entropy"] == pytest.approx(expected["cross_entropy"], rel=1e-6)
    # ... and so is validation: its score is the loss logged in training (`StreamValidation`), not a zero-state one.
    logged = float(next(csv.DictReader((run.path / "history.csv").open()))["val_loss"])
    assert run.metrics["validation_results"]["model"]["cross_entropy"] == pytest.approx(logged, rel=1e-4)


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
    with pytest.raises(ConfigError, match=r"`temperature` \(--temperature\) must be 0 or more; received -1"):
        lm_run.generate("the", 5, temperature=-1)
    with pytest.raises(ConfigError, match=r"`top_k` \(--top-k\) must be a whole number of at least 1"):
        lm_run.generate("the", 5, top_k=0)
    with pytest.raises(RunError, match="use `generate"):
        lm_run.predict(None)


def test_greedy_generation_is_the_eager_reference_token_for_token(lm_run):
    vocabulary, prompt = lm_run.vocabulary, "the cat sat on the"
    step = stepping_model(lm_run.model, lm_run.config.model, vocabulary.size)
    probabilities, expected = step(vocabulary.encode(prompt)), []
    for _ in range(40):
        expected.append(int(np.argmax(probabilities[2:])) + 2)
        probabilities = step(np.array(expected[-1:]))
    assert lm_run.generate(prompt, 40, temperature=0) == vocabulary.decode(np.array(expected, dtype=np.int32))


def test_sampled_generation_is_the_numpy_rule_on_the_seeds_draws(lm_run):
    vocabulary = lm_run.vocabulary
    step = stepping_model(lm_run.model, lm_run.config.model, vocabulary.size)
    draws = np.random.default_rng(7).random(25).astype(np.float32)  # what `seed=7` hands the loop
    rng = iter(draws.tolist())

    class Draws:
        def random(self):
            return next(rng)

    probabilities, expected = step(vocabulary.encode("the ")), []
    for _ in range(25):
        expected.append(sample_next(probabilities, 0.9, Draws(), top_k=6, top_p=0.95))
        probabilities = step(np.array(expected[-1:]))
    text = lm_run.generate("the ", 25, temperature=0.9, top_k=6, top_p=0.95, seed=7)
    assert text == vocabulary.decode(np.array(expected, dtype=np.int32))


def test_num_samples_come_back_as_a_list_sampled_side_by_side(lm_run):
    texts = lm_run.generate("the ", 20, num_samples=4, seed=5)
    assert isinstance(texts, list) and len(texts) == 4 and all(len(text) == 20 for text in texts)
    assert texts == lm_run.generate("the ", 20, num_samples=4, seed=5)
    assert texts[0] == lm_run.generate("the ", 20, seed=5)  # the first row takes the first draws
    assert len(set(texts)) > 1
    assert lm_run.generate("the ", 0) == "" and lm_run.generate("the ", 0, num_samples=2) == ["", ""]


def test_the_run_builds_its_sampling_loop_once_and_stops_tracing(lm_run):
    import keras

    lm_run._generator = None  # a loop of its own: other tests of the module may have traced the shared one
    lm_run.generate("the ", 3)
    generator = lm_run._generator
    # Every padded size new (prompt 4 -> 32 characters, length 3 -> 20, 1 -> 2 samples): traced with unknown sizes.
    lm_run.generate("a quick brown fox jumps over it", 20, temperature=0.5, top_k=3, num_samples=2)
    tensorflow = keras.backend.backend() == "tensorflow"
    traces = generator.loop.predict_function.experimental_get_tracing_count() if tensorflow else None
    for prompt, length, num_samples in [("the dog ", 11, 3), ("on the mat", 5, None), ("x", 40, 16)]:
        lm_run.generate(prompt, length, temperature=0.5, top_k=3, top_p=0.9, num_samples=num_samples, seed=1)
    assert lm_run._generator is generator
    if traces is not None:
        assert generator.loop.predict_function.experimental_get_tracing_count() == traces


def test_the_cli_and_the_python_api_share_every_generation_default():
    import inspect

    from seqkit.cli import build_parser
    from seqkit.inference import Run, generate_text

    parsed = build_parser().parse_args(["generate", "RUN_DIR", "--prompt", "x"])
    for function in (Run.generate, generate_text):
        parameters = inspect.signature(function).parameters
        for name in ("length", "temperature", "top_k", "top_p", "num_samples", "seed"):
            assert getattr(parsed, name) == parameters[name].default, (function.__qualname__, name)


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
    argv = ["generate", str(lm_run.path), "--prompt", "the ", "--length", "9", "--seed", "3", "--num-samples", "3"]
    assert main([*argv, "--top-k", "4", "--top-p", "0.9", "--temperature", "0.7"]) == 0
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if line.startswith("--- sample")] == [
        f"--- sample {number} of 3 ---" for number in (1, 2, 3)
    ]
    assert main(["generate", str(lm_run.path), "--prompt", "the ", "--top-p", "0"]) == 2
    assert "`top_p` (--top-p) must be above 0 and at most 1" in capsys.readouterr().err


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
