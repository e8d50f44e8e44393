"""Language-model scores: cross-entropy, perplexity and bits per token, next to the unigram baseline.

Token id 0 is padding (`seqkit.data.text.PAD_ID`) and is never scored.
"""

from __future__ import annotations

import math

import numpy as np

from seqkit.errors import DataError

PAD_ID = 0
# Targets handled per step when scoring.
_CHUNK = 4096


def _scores(cross_entropy: float, tokens: int, **extra: float) -> dict:
    return {
        "cross_entropy": cross_entropy,
        "perplexity": math.exp(cross_entropy),
        "bits_per_token": cross_entropy / math.log(2.0),
        **extra,
        "tokens": tokens,
    }


def unigram_baseline(train_ids: np.ndarray, test_targets: np.ndarray, vocab_size: int) -> dict:
    """Score the training-frequency unigram model on test targets: the baseline a language model must beat.

    `p(w) = (count_train(w) + 1) / (n_train + vocab_size - 1)` for every id `w` in
    `1 .. vocab_size - 1` (add-one smoothing; padding, id 0, is never predicted and is
    ignored in both inputs).

    Args:
        train_ids: Token ids of the training text (e.g. `data.ids[slice(*data.spans["train"])]`).
        test_targets: Target ids to score, any shape (e.g. `data.test.with_stride(lookback).targets()`).
        vocab_size: `data.spec.vocab_size`.

    Returns:
        `cross_entropy` (nats per token), `perplexity` (`exp(cross_entropy)`),
        `bits_per_token` and `tokens` (targets scored).

    Raises:
        DataError: ids outside `[0, vocab_size)`, or no target to score.
    """
    train = _check_ids(train_ids, vocab_size, "train_ids")
    targets = _check_ids(test_targets, vocab_size, "test_targets")
    train, targets = train[train != PAD_ID], targets[targets != PAD_ID]
    if targets.size == 0:
        raise DataError("`test_targets` holds no token (only padding). Give the targets to score.")
    counts = np.bincount(train, minlength=vocab_size).astype(np.float64)
    log_p = np.log(counts + 1.0) - math.log(train.size + vocab_size - 1)
    return _scores(float(-log_p[targets].mean()), int(targets.size))


class TokenScores:
    """Cross-entropy and accuracy of next-token distributions, accumulated batch by batch.

    A language model's outputs are `(windows, length, vocab_size)` floats, far more
    than its targets: scoring a split one batch at a time keeps memory O(batch).
    `token_metrics` is one `add` and `result`.
    """

    def __init__(self) -> None:
        self.log_sum, self.hits, self.count = 0.0, 0, 0

    def add(self, y_true_ids: np.ndarray, probabilities: np.ndarray) -> TokenScores:
        """Score one batch: int `(...)` target ids (padding, 0, ignored) and float `(..., vocab_size)` outputs.

        Raises:
            DataError: shapes that do not match, or ids outside the vocabulary.
        """
        probabilities = np.asarray(probabilities)
        y = np.asarray(y_true_ids)
        if probabilities.ndim < 1 or probabilities.shape[:-1] != y.shape:
            raise DataError(
                f"`probabilities` must have shape {y.shape} + (vocab_size,), one distribution per target id; "
                f"received {probabilities.shape}."
            )
        vocab_size = probabilities.shape[-1]
        y = _check_ids(y, vocab_size, "y_true_ids")
        flat = probabilities.reshape(-1, vocab_size)
        keep = np.flatnonzero(y != PAD_ID)
        for begin in range(0, keep.size, _CHUNK * 16):
            rows = keep[begin : begin + _CHUNK * 16]
            block, truth = flat[rows], y[rows]
            self.log_sum += float(
                np.log(np.maximum(block[np.arange(len(rows)), truth].astype(np.float64), 1e-12)).sum()
            )
            self.hits += int((block.argmax(axis=1) == truth).sum())
        self.count += int(keep.size)
        return self

    def result(self) -> dict:
        """`cross_entropy`, `perplexity`, `bits_per_token`, `accuracy` and `tokens` over every batch added.

        Raises:
            DataError: No target was scored.
        """
        if self.count == 0:
            raise DataError("`y_true_ids` holds no token (only padding). Give the targets to score.")
        return _scores(-self.log_sum / self.count, self.count, accuracy=self.hits / self.count)


def token_metrics(y_true_ids: np.ndarray, probabilities: np.ndarray) -> dict:
    """Cross-entropy, perplexity and accuracy of predicted next-token distributions.

    Args:
        y_true_ids: int `(...)` target ids, e.g. `(n_windows, lookback)`; padding (0) is ignored.
        probabilities: float `(..., vocab_size)` the model's softmax output for each target.

    Returns:
        `cross_entropy` (mean nats per token; probabilities are floored at 1e-12),
        `perplexity`, `bits_per_token`, `accuracy` (arg-max equals the target) and `tokens`.

    Raises:
        DataError: shapes that do not match, ids outside the vocabulary, or no target.
    """
    return TokenScores().add(y_true_ids, probabilities).result()


def _check_ids(ids: np.ndarray, vocab_size: int, name: str) -> np.ndarray:
    ids = np.asarray(ids)
    if ids.size and ids.dtype.kind not in "iu":
        raise DataError(f"`{name}` must hold integer token ids; received dtype {ids.dtype}.")
    ids = ids.reshape(-1).astype(np.int64, copy=False)
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise DataError(
            f"`{name}` holds id {int(ids[(ids < 0) | (ids >= vocab_size)][0])}, outside 0 to {vocab_size - 1} "
            "(the vocabulary size). Use ids from the same vocabulary."
        )
    return ids
