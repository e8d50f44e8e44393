"""Language-model scores: hand-computed cross-entropy, perplexity and the unigram baseline."""

import math

import numpy as np
import pytest

from seqkit.errors import DataError
from seqkit.evaluation import language_model_table, token_metrics, unigram_baseline


def test_unigram_baseline_hand_computed():
    # Add-one over ids 1..3: p(1) = 1/6, p(2) = 3/6, p(3) = 2/6; targets 2, 3 (padding ignored).
    scores = unigram_baseline(np.array([2, 2, 3]), np.array([[2, 3, 0]]), vocab_size=4)
    assert scores["cross_entropy"] == pytest.approx(math.log(6) / 2)
    assert scores["perplexity"] == pytest.approx(math.sqrt(6))
    assert scores["tokens"] == 2
    with pytest.raises(DataError, match="outside 0 to 3"):
        unigram_baseline(np.array([4]), np.array([2]), vocab_size=4)


def test_token_metrics_hand_computed_and_padding_ignored():
    y = np.array([[1, 2, 0]])
    probabilities = np.tile(np.array([0.0, 0.5, 0.25, 0.25]), (1, 3, 1))
    scores = token_metrics(y, probabilities)
    assert scores["cross_entropy"] == pytest.approx(1.5 * math.log(2))
    assert scores["bits_per_token"] == pytest.approx(1.5)
    assert scores["accuracy"] == 0.5 and scores["tokens"] == 2
    with pytest.raises(DataError, match="must have shape"):
        token_metrics(y, probabilities[:, :2])




def test_language_model_table_labels_bits_per_character_and_says_who_wins():
    results = {
        "model": {"cross_entropy": math.log(4), "perplexity": 4.0, "bits_per_token": 2.0, "accuracy": 0.5},
        "unigram": {"cross_entropy": math.log(16), "perplexity": 16.0, "bits_per_token": 4.0},
    }
    table = language_model_table(results, level="char")
    lines = table.splitlines()
    assert lines[0].split() == ["metric", "model", "unigram"]
    assert lines[2].split() == ["perplexity", "4.00", "16.00"]
    assert lines[3].split() == ["bits", "per", "character", "2.000", "4.000"]
    assert lines[4].split() == ["accuracy", "%", "50.00", "n/a"]
    assert lines[-1] == "model beats unigram on perplexity (4.00 vs 16.00)"
    assert "bits per word" in language_model_table(results, level="word")
