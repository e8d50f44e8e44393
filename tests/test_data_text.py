"""Text for language models: vocabulary, next-token windows against np.arange, splits, TBPTT order, scores."""

import json
import time

import keras
import numpy as np
import pytest
from pydantic import ValidationError

from seqkit.config.data import DataConfig, TextConfig
from seqkit.data import TokenWindows, Vocabulary, prepare_text
from seqkit.errors import ConfigError, DataError
from seqkit.evaluation import token_metrics, unigram_baseline


def text_config(**kwargs) -> DataConfig:
    kwargs.setdefault("text", {})
    return DataConfig(**kwargs)


# ----------------------------------------------------------------------------- vocabulary


def test_ids_are_padding_unk_then_descending_frequency_then_lexicographic():
    vocab = Vocabulary.fit("abracadabra")
    assert vocab.tokens == ("<pad>", "<unk>", "a", "b", "r", "c", "d")  # a:5, b:2, r:2, c:1, d:1
    assert vocab.size == len(vocab) == 7
    np.testing.assert_array_equal(vocab.encode("cab!"), np.array([5, 2, 3, 1], np.int32))
    assert vocab.encode("cab!").dtype == np.int32
    # Same counts in another order give the same ids.
    assert Vocabulary.fit("dcrrbbaaaaa") == vocab


def test_word_level_splits_punctuation_lowercases_by_default_and_decodes_with_spaces():
    config = TextConfig(level="word")
    assert config.lowercase is True and TextConfig().lowercase is False
    vocab = Vocabulary.fit("The cat, the hat. Don't!", config)
    assert vocab.tokenize("The cat, the hat. Don't!") == ["the", "cat", ",", "the", "hat", ".", "don't", "!"]
    assert vocab.tokens == ("<pad>", "<unk>", "the", "!", ",", ".", "cat", "don't", "hat")
    assert vocab.decode(vocab.encode("The hat, the dog.")) == "the hat , the <unk> ."
    cased = Vocabulary.fit("The the", TextConfig(level="word", lowercase=False))
    assert cased.tokens[2:] == ("The", "the")


def test_max_vocab_counts_reserved_ids_and_min_count_drops_rare_tokens():
    capped = Vocabulary.fit("aaabbc", TextConfig(max_vocab=4))
    assert capped.tokens == ("<pad>", "<unk>", "a", "b")
    np.testing.assert_array_equal(capped.encode("abc"), [2, 3, 1])
    assert Vocabulary.fit("aaabbc", TextConfig(min_count=2)).tokens == ("<pad>", "<unk>", "a", "b")


def test_encode_decode_round_trip_and_json_state():
    text = "Hello, world!\nÜnïcödé ok."
    vocab = Vocabulary.fit(text)
    assert vocab.decode(vocab.encode(text)) == text
    assert vocab.decode([0, *vocab.encode("He"), 0]) == "He"  # padding is skipped
    assert vocab.decode(vocab.encode("Hz")) == "H\ufffd"  # <unk> keeps one character per id
    restored = Vocabulary.from_json(json.loads(json.dumps(vocab.to_json())))
    assert restored == vocab
    np.testing.assert_array_equal(restored.encode(text), vocab.encode(text))
    with pytest.raises(DataError, match="version"):
        Vocabulary.from_json({**vocab.to_json(), "version": 99})
    with pytest.raises(DataError, match="outside this vocabulary's ids 0 to"):
        vocab.decode([vocab.size])


def test_vocabulary_is_fitted_on_the_training_block_only():
    text = "ab" * 20 + "abzabzabza"  # 'z' only in the last 10 characters: the test block
    data = prepare_text(text_config(lookback=3, split={"type": "steps", "test": 10}), text=text)
    assert "z" not in data.vocabulary.tokens
    assert data.spans == {"train": (0, 40), "test": (40, 50)}
    np.testing.assert_array_equal(data.ids[40:], data.vocabulary.encode("abzabzabza"))
    assert (data.ids[40:] == 1).sum() == 3 and data.vocabulary.decode(data.ids[40:]) == "ab\ufffdab\ufffdab\ufffda"


def test_a_given_vocabulary_is_reused_and_must_match_the_level():
    vocab = Vocabulary.fit("xyz")
    data = prepare_text(text_config(lookback=2, split={"type": "steps"}), text="zyxzyx", vocabulary=vocab)
    assert data.vocabulary is vocab
    np.testing.assert_array_equal(data.ids, vocab.encode("zyxzyx"))
    with pytest.raises(DataError, match="char-level with lowercase=False, but `data.text` asks for word-level"):
        prepare_text(text_config(lookback=2, text={"level": "word"}), text="a b c", vocabulary=vocab)


# ----------------------------------------------------------------------------- windows


def test_docstring_example_windows():
    windows = TokenWindows(np.arange(10), name="train", lookback=3, stride=2)
    np.testing.assert_array_equal(windows.inputs(), [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 8]])
    np.testing.assert_array_equal(windows.targets(), [[1, 2, 3], [3, 4, 5], [5, 6, 7], [7, 8, 9]])
    assert windows.inputs().dtype == np.int32 and len(windows) == 4


@pytest.mark.parametrize("lookback", [1, 3, 5])
@pytest.mark.parametrize("stride", [1, 2, 5])
@pytest.mark.parametrize("first,stop", [(0, 30), (4, 23)])
def test_windows_match_np_arange(lookback, stride, first, stop):
    ids = np.arange(30)
    windows = TokenWindows(ids, name="x", lookback=lookback, stride=stride, first_start=first, stop=stop)
    starts = list(range(first, stop - lookback, stride))  # every s with s + lookback + 1 <= stop
    assert len(windows) == len(starts)
    np.testing.assert_array_equal(windows.starts, starts)
    np.testing.assert_array_equal(windows.inputs(), [ids[s : s + lookback] for s in starts])
    np.testing.assert_array_equal(windows.targets(), [ids[s + 1 : s + lookback + 1] for s in starts])
    assert windows.targets().max() < stop  # never reads past the split's end
    assert np.shares_memory(windows.ids, windows._rows)  # zero-copy


def test_with_stride_gives_non_overlapping_windows_of_the_same_block():
    windows = TokenWindows(np.arange(20), name="test", lookback=3, first_start=4, stop=17)
    tiled = windows.with_stride(3)
    np.testing.assert_array_equal(tiled.inputs(), [[4, 5, 6], [7, 8, 9], [10, 11, 12], [13, 14, 15]])


def test_split_blocks_with_embargo_and_no_window_crosses_a_boundary():
    text = "".join(chr(ord("A") + k) for k in range(50))  # 50 distinct characters
    config = text_config(lookback=4, split={"type": "steps", "val": 10, "test": 10, "embargo": 2})
    data = prepare_text(config, text=text)
    assert data.spans == {"train": (0, 28), "val": (30, 38), "test": (40, 50)}
    for windows, (begin, end), count in ((data.train, (0, 28), 24), (data.val, (30, 38), 4), (data.test, (40, 50), 6)):
        assert len(windows) == count
        np.testing.assert_array_equal(windows.starts, np.arange(begin, end - 4))
        assert windows.starts.min() == begin and windows.starts.max() + 4 + 1 == end
        np.testing.assert_array_equal(windows.targets(), [data.ids[s + 1 : s + 5] for s in windows.starts])
    # Every character is distinct, so an embargoed or later character is <unk> outside train.
    assert data.vocabulary.decode(data.ids[:28]) == text[:28]
    assert set(data.ids[28:].tolist()) == {1}


def test_fraction_split_counts_tokens_and_stride_applies_to_every_split():
    data = prepare_text(text_config(lookback=3, stride=3, split={"type": "fraction", "val": 0.2, "test": 0.2}),
                        text="abcde" * 10)
    assert data.spans == {"train": (0, 30), "val": (30, 40), "test": (40, 50)}
    np.testing.assert_array_equal(data.train.starts, np.arange(0, 27, 3))
    np.testing.assert_array_equal(data.val.starts, [30, 33, 36])


def test_word_level_prepare_decodes_windows_to_words():
    config = text_config(lookback=3, split={"type": "steps", "test": 4}, text={"level": "word"})
    data = prepare_text(config, text="One fish, two fish. Red fish, blue fish.")
    assert data.spec.level == "word" and data.spans == {"train": (0, 8), "test": (8, 12)}
    assert data.vocabulary.decode(data.train.inputs()[0]) == "one fish ,"
    assert data.vocabulary.decode(data.test.targets()[-1]) == "<unk> fish ."  # 'blue' only appears in test


# ----------------------------------------------------------------------------- tf.data


def test_dataset_batches_have_int32_shapes_and_a_shuffled_epoch_covers_every_window_once():
    windows = TokenWindows(np.arange(30), name="train", lookback=3)  # 27 windows
    dataset = windows.dataset(4, shuffle=True, seed=7)
    epochs = []
    for _ in range(2):
        xs = []
        for x, y in dataset:
            assert x.dtype == y.dtype == "int32" and x.shape[1:] == y.shape[1:] == (3,)
            np.testing.assert_array_equal(y.numpy(), x.numpy() + 1)
            xs.append(x.numpy())
        assert [len(x) for x in xs] == [4] * 6 + [3]
        epochs.append(np.concatenate(xs)[:, 0])
        np.testing.assert_array_equal(np.sort(epochs[-1]), np.arange(27))
    assert not np.array_equal(epochs[0], epochs[1])  # a new order each epoch
    again = np.concatenate([x.numpy() for x, _ in windows.dataset(4, shuffle=True, seed=7)])[:, 0]
    np.testing.assert_array_equal(again, epochs[0])  # reproducible from the seed
    ordered = np.concatenate([x.numpy() for x, _ in windows.dataset(5, shuffle=False, drop_remainder=True)])
    np.testing.assert_array_equal(ordered, windows.inputs()[:25])
    assert windows.dataset(5, shuffle=False, drop_remainder=True).element_spec[0].shape == (5, 3)


def test_stream_order_continues_each_row_across_batches():
    windows = TokenWindows(np.arange(41), name="train", lookback=4, stride=4)  # starts 0, 4, ..., 36
    assert len(windows) == 10
    streams = windows.stream_order(3)  # K = 3; window 9 (start 36) is dropped
    np.testing.assert_array_equal(streams.starts, [0, 12, 24, 4, 16, 28, 8, 20, 32])
    batches = [x.numpy() for x, _ in streams.dataset(3, shuffle=False, drop_remainder=True)]
    np.testing.assert_array_equal(batches[0][:, 0], [0, 12, 24])
    np.testing.assert_array_equal(batches[1][:, 0], [4, 16, 28])
    np.testing.assert_array_equal(batches[2][:, 0], [8, 20, 32])
    for before, after in zip(batches, batches[1:], strict=False):
        np.testing.assert_array_equal(after[:, 0], before[:, -1] + 1)  # each row is contiguous text
    rows = np.concatenate(batches, axis=1)
    np.testing.assert_array_equal(rows, np.arange(36).reshape(3, 12))
    # 11 windows, 4 streams of K = 2 (window 8..10 dropped): batch 0 = windows 0 2 4 6, batch 1 = 1 3 5 7.
    np.testing.assert_array_equal(TokenWindows(np.arange(12), name="t", lookback=1).stream_order(4).starts,
                                  [0, 2, 4, 6, 1, 3, 5, 7])
    with pytest.raises(DataError, match="has 10 window\\(s\\), fewer than `batch_size` \\(11\\) streams"):
        windows.stream_order(11)


# ----------------------------------------------------------------------------- config and sources


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"horizon": 2}, "predicts the next token at every step"),
        ({"gap": 1}, "`horizon` must be 1 and `gap` 0"),
        ({"split": {"type": "date", "test_start": "2020-01-01"}}, "A date split needs timestamps"),
        ({"split": {"type": "random"}, "allow_random_split": True}, "random split would put test tokens"),
        ({"features": ["a"]}, "`features` cannot be set together with `text`"),
        ({"transform": {"scaler": "none"}, "time_column": "t"}, "`time_column`, `transform` cannot be set"),
        ({"path": "corpus.csv"}, "UTF-8 `.txt` file"),
        ({"text": {"max_vocab": 2}}, "greater than or equal to 3"),
    ],
)
def test_config_refuses_what_makes_no_sense_for_text(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        text_config(lookback=3, **kwargs)


def test_prepare_text_needs_the_text_section():
    with pytest.raises(ConfigError, match="`prepare_text` needs `data.text`"):
        prepare_text(DataConfig(lookback=3), text="abc")


def test_too_short_text_states_the_minimum_length():
    # round(0.1 n) >= 6 needs n >= 55 (round(5.5) == 6), and then train has 43 tokens.
    with pytest.raises(DataError, match="lookback \\+ 1 = 6 tokens.*has 10 char tokens.*at least 55 tokens"):
        prepare_text(text_config(lookback=5), text="abcdefghij")
    with pytest.raises(DataError, match="gives train 95, val 5, test 0 .*raise `split.val` to at least 11 steps"):
        prepare_text(text_config(lookback=10, split={"type": "steps", "val": 5}), text="a" * 100)
    data = prepare_text(text_config(lookback=5), text="x" * 55)
    assert data.spans == {"train": (0, 43), "val": (43, 49), "test": (49, 55)}


def test_text_file_relative_to_the_config_folder(tmp_path):
    (tmp_path / "corpus.txt").write_bytes("\ufeffline one\r\nline two\r\n".encode())
    data = prepare_text(text_config(path="corpus.txt", lookback=3, split={"type": "steps"}), base_dir=tmp_path)
    assert data.vocabulary.decode(data.ids) == "line one\nline two\n"  # BOM dropped, newlines normalised
    (tmp_path / "bad.txt").write_bytes(b"ok \xff")
    with pytest.raises(DataError, match="not valid UTF-8: byte 3"):
        prepare_text(text_config(path="bad.txt", lookback=1), base_dir=tmp_path)
    with pytest.raises(ValidationError, match="stay inside it"):
        text_config(path="../corpus.txt", lookback=3)


def test_pydoc_topics_prepares_quickly_at_char_level():
    began = time.perf_counter()
    data = prepare_text(text_config(dataset="pydoc_topics", lookback=100))
    elapsed = time.perf_counter() - began
    assert elapsed < 5.0, f"{elapsed:.2f}s"  # about 0.05 s on one CPU core
    n = len(data.ids)
    assert data.spans["test"][1] == n and len(data.train) == data.spans["train"][1] - 100
    assert 50 < data.spec.vocab_size < 200 and data.spec.lookback == 100
    assert data.vocabulary.tokens[2] == " "  # the most frequent character
    baseline = unigram_baseline(data.ids[: data.spans["train"][1]], data.test.with_stride(100).targets(),
                                data.spec.vocab_size)
    assert 2.5 < baseline["cross_entropy"] < 4.0


def test_tiny_lstm_language_model_fits_on_the_windows():
    data = prepare_text(text_config(lookback=16, stride=8, split={"type": "fraction", "val": 0.2, "test": 0.0}),
                        text="the quick brown fox jumps over the lazy dog. " * 20)
    vocab_size = data.spec.vocab_size
    model = keras.Sequential([
        keras.Input((data.spec.lookback,), dtype="int32"),
        keras.layers.Embedding(vocab_size, 8),
        keras.layers.LSTM(8, return_sequences=True),
        keras.layers.Dense(vocab_size, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(data.train.dataset(16, shuffle=True, seed=0), validation_data=data.val.dataset(16, shuffle=False),
                        epochs=1, verbose=0, shuffle=False)  # the dataset shuffles itself
    assert np.isfinite(history.history["loss"][0]) and np.isfinite(history.history["val_loss"][0])
    probabilities = model.predict(data.val.dataset(16, shuffle=False), verbose=0)
    assert probabilities.shape == (len(data.val), 16, vocab_size)
    scores = token_metrics(data.val.targets(), probabilities)
    assert scores["cross_entropy"] == pytest.approx(history.history["val_loss"][0], rel=1e-3)
