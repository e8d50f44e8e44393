"""Text for language models: tokens -> vocabulary fitted on train -> zero-copy next-token windows.

A text is tokenised once (characters, or words and punctuation marks), cut into
contiguous blocks of the token stream (train first, then validation, then test),
and encoded with a `Vocabulary` fitted on the training block only, so nothing of
the validation or test text leaks into the ids. The result is one int32 array of
token ids for the whole text.

Each split is a `TokenWindows`: like the series `WindowSet` it never stores
windows, only the id array and the start of each window. Window `k` has inputs
`ids[s_k : s_k + lookback]` and per-timestep next-token targets
`ids[s_k + 1 : s_k + lookback + 1]`, so a model with `return_sequences=True` and a
softmax over the vocabulary learns from every position of every window. This
replaces the tutorials' practice of training on every n-gram prefix, pre-padded
to a fixed length, with one target per sequence.

`stream_order` reorders windows for stateful truncated backpropagation through
time (TBPTT). A language model is scored by `seqkit.evaluation.token_metrics`
next to `seqkit.evaluation.unigram_baseline`.

Only `TokenWindows.dataset` touches TensorFlow.
"""

from __future__ import annotations

import collections
import dataclasses
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from seqkit.config.data import DataConfig, TextConfig
from seqkit.data.datasets.registry import load_text
from seqkit.data.sources import input_file, resolve_path
from seqkit.data.splits import SplitWindows, chronological_plan, minimum_length, missing_splits
from seqkit.data.windows import Windows, WindowStarts, take_windows, window_rows
from seqkit.errors import ConfigError, DataError

PAD_ID = 0
UNK_ID = 1
PAD_TOKEN = "<pad>"
UNK_TOKEN = "<unk>"
# Words (letters, digits, underscores, with inner apostrophes: "don't") and every other
# non-space character as a token of its own, so punctuation never sticks to a word.
WORD_PATTERN = re.compile(r"\w+(?:'\w+)*|[^\w\s]")

_JSON_VERSION = 1


# ----------------------------------------------------------------------------- tokens


def _units(text: str, level: str, lowercase: bool) -> np.ndarray | list[str]:
    """The token stream of `text`: Unicode code points (uint32) at char level, token strings at word level."""
    if lowercase:
        text = text.lower()
    if level == "char":
        return np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
    return WORD_PATTERN.findall(text)


def _counts(units: np.ndarray | list[str]) -> dict[str, int]:
    if isinstance(units, np.ndarray):
        codes, counts = np.unique(units, return_counts=True)
        return {chr(code): int(count) for code, count in zip(codes.tolist(), counts.tolist(), strict=True)}
    return dict(collections.Counter(units))


class Vocabulary:
    """Token <-> id mapping fitted on training text.

    Ids: 0 is padding (reserved; `encode` never produces it, `decode` skips it),
    1 is `<unk>` (every token not in the vocabulary), then the training tokens by
    descending frequency, ties broken by code-point order of the token, so the same
    text always gives the same ids.

    Tokenisation: at `char` level every character (Unicode code point) is a token;
    at `word` level the regex `WORD_PATTERN` (`\\w+(?:'\\w+)*|[^\\w\\s]`) finds
    words and single punctuation marks, and whitespace is dropped. With `lowercase`
    the text is lower-cased first.

    Example:
        ```python
        vocab = Vocabulary.fit("abracadabra")
        vocab.tokens           # ('<pad>', '<unk>', 'a', 'b', 'r', 'c', 'd')
        vocab.encode("cab!")   # array([5, 2, 3, 1], dtype=int32)
        vocab.decode([5, 2, 3, 1])  # 'cab\\ufffd'
        ```

    Attributes:
        level: `char` or `word`.
        lowercase: Whether text is lower-cased before tokenising.
    """

    def __init__(self, tokens: Sequence[str], *, level: str = "char", lowercase: bool = False) -> None:
        """A vocabulary with ids `2, 3, ...` for `tokens` (use `fit` to build one from text).

        Raises:
            DataError: unknown level, a repeated or empty token, or (char level) a token
                longer than one character.
        """
        if level not in ("char", "word"):
            raise DataError(f"`level` must be 'char' or 'word'; received {level!r}.")
        tokens = tuple(tokens)
        if len(set(tokens)) != len(tokens):
            repeated = next(t for t, c in collections.Counter(tokens).items() if c > 1)
            raise DataError(f"Vocabulary tokens must be unique; {repeated!r} appears more than once.")
        bad = next((t for t in tokens if not isinstance(t, str) or not t or (level == "char" and len(t) != 1)), None)
        if bad is not None:
            rule = "one character" if level == "char" else "a non-empty string"
            raise DataError(f"Every {level}-level vocabulary token must be {rule}; received {bad!r}.")
        self.level, self.lowercase = level, bool(lowercase)
        self._tokens = (PAD_TOKEN, UNK_TOKEN, *tokens)
        self._index = {token: position + 2 for position, token in enumerate(tokens)}
        # `decode` writes `<unk>` as U+FFFD at char level so decoded text keeps one character per id.
        self._unk_text = "\ufffd" if level == "char" else UNK_TOKEN

    @classmethod
    def fit(cls, text: str, config: TextConfig | None = None) -> Vocabulary:
        """Build the vocabulary of `text` (pass only the training text).

        Args:
            text: The training text.
            config: Level, lower-casing, `max_vocab` and `min_count` (default `TextConfig()`).

        Returns:
            The fitted `Vocabulary`.
        """
        config = config or TextConfig()
        return cls._from_counts(_counts(_units(text, config.level, config.lowercase)), config)

    @classmethod
    def _from_counts(cls, counts: dict[str, int], config: TextConfig) -> Vocabulary:
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        kept = [token for token, count in ranked if count >= config.min_count]
        if config.max_vocab is not None:
            kept = kept[: config.max_vocab - 2]
        return cls(kept, level=config.level, lowercase=config.lowercase)

    # ------------------------------------------------------------------ mapping

    @property
    def size(self) -> int:
        """Number of ids, padding and `<unk>` included: the `Embedding` input size and softmax width."""
        return len(self._tokens)

    def __len__(self) -> int:
        return self.size

    @property
    def tokens(self) -> tuple[str, ...]:
        """Token of each id: `tokens[0] == '<pad>'`, `tokens[1] == '<unk>'`."""
        return self._tokens

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary):
            return NotImplemented
        return (self.level, self.lowercase, self._tokens) == (other.level, other.lowercase, other._tokens)

    def __hash__(self) -> int:
        return hash((self.level, self.lowercase, self._tokens))

    def __repr__(self) -> str:
        return f"Vocabulary(level={self.level!r}, lowercase={self.lowercase}, size={self.size})"

    def tokenize(self, text: str) -> list[str]:
        """The tokens of `text` as this vocabulary sees them (lower-cased if `lowercase`)."""
        units = _units(text, self.level, self.lowercase)
        return list(units) if isinstance(units, list) else [chr(code) for code in units.tolist()]

    def _encode_units(self, units: np.ndarray | list[str]) -> np.ndarray:
        if isinstance(units, np.ndarray):
            # One dictionary look-up per distinct character, then a vectorised gather.
            codes, inverse = np.unique(units, return_inverse=True)
            table = np.array([self._index.get(chr(code), UNK_ID) for code in codes.tolist()], dtype=np.int32)
            return np.ascontiguousarray(table[inverse.reshape(-1)])
        index = self._index
        return np.fromiter((index.get(token, UNK_ID) for token in units), dtype=np.int32, count=len(units))

    def encode(self, text: str) -> np.ndarray:
        """int32 `(n_tokens,)` ids of `text`; tokens not in the vocabulary become 1 (`<unk>`), never 0."""
        return self._encode_units(_units(text, self.level, self.lowercase))

    def decode(self, ids: Iterable[int] | np.ndarray) -> str:
        """The text of `ids`.

        Character tokens are joined directly; word tokens are joined with single spaces
        (so `"Hello, world."` comes back as `"Hello , world ."`, lower-cased if
        `lowercase`). Padding (0) is skipped; `<unk>` is written as U+FFFD at char
        level and as `<unk>` at word level.

        Raises:
            DataError: an id outside `[0, size)`.
        """
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= self.size):
            bad = ids[(ids < 0) | (ids >= self.size)][0]
            raise DataError(f"Token id {bad} is outside this vocabulary's ids 0 to {self.size - 1}.")
        words = [self._unk_text if i == UNK_ID else self._tokens[i] for i in ids.tolist() if i != PAD_ID]
        return "".join(words) if self.level == "char" else " ".join(words)

    # ------------------------------------------------------------------ state

    def to_json(self) -> dict:
        """The vocabulary as JSON-compatible data (no pickle); the tokens are listed in id order from id 2."""
        return {
            "version": _JSON_VERSION,
            "level": self.level,
            "lowercase": self.lowercase,
            "tokens": list(self._tokens[2:]),
        }

    @classmethod
    def from_json(cls, data: dict) -> Vocabulary:
        """Rebuild a `Vocabulary` saved by `to_json`.

        Raises:
            DataError: unknown format version, or malformed tokens.
        """
        version = data.get("version")
        if version != _JSON_VERSION:
            raise DataError(
                f"Vocabulary state has version {version!r}; this seqkit reads version {_JSON_VERSION}. "
                "Re-run the text preparation with this seqkit version."
            )
        return cls(data["tokens"], level=data["level"], lowercase=data["lowercase"])


# ----------------------------------------------------------------------------- windows


class TokenWindows(Windows):
    """Next-token windows of one split, as views on one int32 id array.

    Window `k` has inputs `ids[s_k : s_k + lookback]` and targets
    `ids[s_k + 1 : s_k + lookback + 1]` (the next token at every step), with
    `s_k = first_start + k * stride`; no window reads past `stop`, the end of its split.

    Example (a worked index example, `ids = np.arange(10)`, lookback 3, stride 2):

    ```
    window 0: inputs 0 1 2  targets 1 2 3
    window 1: inputs 2 3 4  targets 3 4 5
    window 2: inputs 4 5 6  targets 5 6 7
    window 3: inputs 6 7 8  targets 7 8 9
    ```

    A fifth window would need a target at position 10, which does not exist.
    `stride == lookback` gives non-overlapping windows (each token is a target once).

    Batches (`dataset`): x int32 `(batch, lookback)` token ids, y int32 `(batch, lookback)`
    the next token at every step (for `SparseCategoricalCrossentropy` on a
    `(batch, lookback, vocab_size)` softmax).

    Attributes:
        ids: int32 `(n_tokens,)` the whole token stream, shared by every split.
        name: `train`, `val` or `test`.
        lookback: Tokens per window.
        stride: Tokens between consecutive window starts.
        stop: End (exclusive) of the split's block of `ids`.
    """

    _target_offset = 1
    _more = "text"

    def __init__(
        self,
        ids: np.ndarray,
        *,
        name: str,
        lookback: int,
        stride: int = 1,
        first_start: int = 0,
        stop: int | None = None,
        count: int | None = None,
        starts: np.ndarray | None = None,
    ) -> None:
        """Describe windows over `ids` without copying it.

        Args:
            ids: Token ids, any integer array (converted to C-contiguous int32 only if needed).
            name: Name for messages.
            lookback, stride: Window geometry.
            first_start: Start of window 0.
            stop: End (exclusive) of the block windows must stay in; default `len(ids)`.
            count: Number of windows; default every window that fits before `stop`.
            starts: Explicit start positions instead of a progression (`stream_order`).

        Raises:
            DataError: `count` or `starts` ask for windows that do not fit.
        """
        ids = np.asarray(ids)
        if ids.dtype != np.int32 or not ids.flags.c_contiguous or ids.ndim != 1:
            ids = np.ascontiguousarray(ids.reshape(-1), dtype=np.int32)
        self.ids, self.name, self.lookback = ids, name, lookback
        self.stop = len(ids) if stop is None else stop
        self._starts = WindowStarts.plan(
            first_start=first_start, count=count, stride=stride, starts=starts, last_start=self.stop - lookback - 1,
            name=name, unit="positions",
        )
        # Item s of `_rows` is ids[s : s + lookback]; targets are item s + 1.
        self._rows = window_rows(ids, 0, len(ids) - lookback + 1, lookback)

    def __repr__(self) -> str:
        return f"TokenWindows({self.name!r}, windows={len(self)}, lookback={self.lookback}, stride={self.stride})"

    @property
    def x_spec(self) -> tuple[str, tuple[int, ...]]:
        return "int32", (self.lookback,)

    @property
    def y_spec(self) -> tuple[str, tuple[int, ...]]:
        return "int32", (self.lookback,)

    def _gather(self, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        inputs = take_windows(self._rows, starts, np.int32, (self.lookback,))
        return inputs, take_windows(self._rows, starts + 1, np.int32, (self.lookback,))

    def with_stride(self, stride: int) -> TokenWindows:
        """The windows of the same block with another stride.

        `with_stride(lookback)` gives non-overlapping windows, so every token of the
        block is scored exactly once: the way to measure perplexity on val/test when
        training used a small stride.
        """
        if self._starts.explicit is not None:
            raise DataError("`with_stride` needs windows in their natural order; call it before `stream_order`.")
        if stride < 1:
            raise DataError(f"`stride` must be at least 1; received {stride}.")
        return TokenWindows(self.ids, name=self.name, lookback=self.lookback, stride=stride,
                            first_start=self._starts.first, stop=self.stop)


# ----------------------------------------------------------------------------- preparation


@dataclasses.dataclass(frozen=True)
class TextSpec:
    """Shapes a language model needs.

    Attributes:
        lookback: Tokens per input window.
        vocab_size: Number of ids (padding and `<unk>` included): `Embedding(input_dim=...)`
            and the width of the softmax.
        level: `char` or `word`.
    """

    lookback: int
    vocab_size: int
    level: str

    @property
    def input_shape(self) -> tuple[int]:
        """`(lookback,)`, the shape of one window of ids."""
        return (self.lookback,)


@dataclasses.dataclass
class PreparedText:
    """Everything training and evaluation of a language model need from the text.

    Attributes:
        train: Training windows (shuffle them, or `stream_order` them for stateful TBPTT).
        val: Validation windows, or None when the validation split is empty.
        test: Test windows, or None when the test split is empty.
        vocabulary: Fitted on the training block only; `to_json()` / `Vocabulary.from_json`.
        spec: Lookback and vocabulary size.
        ids: int32 `(n_tokens,)` the whole text encoded (every split's windows view it).
        spans: `(begin, end)` token positions of each split's block, by name.
    """

    train: TokenWindows
    val: TokenWindows | None
    test: TokenWindows | None
    vocabulary: Vocabulary
    spec: TextSpec
    ids: np.ndarray
    spans: dict[str, tuple[int, int]]


def _read_corpus(config: DataConfig, text: str | Path | None, base_dir: Path | None) -> tuple[str, str]:
    """The text and a name for it in messages; a `Path` (new data for a trained run) is read as `data.path` is."""
    if isinstance(text, Path):
        return _read_text_file(input_file(text), "the input file")
    if text is not None:
        if not isinstance(text, str):
            raise DataError(f"Text given as data must be a str; received {type(text).__name__}. Decode bytes first.")
        return text, "the text passed from Python"
    if config.dataset is not None:
        return load_text(config.dataset), f"text corpus {config.dataset!r}"
    if config.path is not None:
        return _read_text_file(resolve_path(config.path, base_dir), "`data.path`")
    raise DataError(
        "No text to prepare. Set `data.dataset` (e.g. `pydoc_topics`), `data.path` (a .txt file next to the "
        "config), or pass `text=` from Python."
    )


def _read_text_file(file: Path, role: str) -> tuple[str, str]:
    """A UTF-8 `.txt` file's text and its name for messages; every way it can fail is a `DataError`."""
    if file.suffix.lower() != ".txt":
        raise DataError(f"{role} {file.name!r} must be a UTF-8 .txt file for `text`. Save it as .txt.")
    try:
        # utf-8-sig drops a byte-order mark; newlines are read as "\n" whatever the platform wrote.
        return file.read_text(encoding="utf-8-sig"), f"file '{file.name}'"
    except UnicodeDecodeError as error:
        bad = error.object[error.start : error.start + 1]
        raise DataError(
            f"File '{file.name}' is not valid UTF-8: byte {error.start} ({bad!r}) cannot be decoded. "
            "Re-save the file as UTF-8."
        ) from error
    except OSError as error:
        raise DataError(f"File '{file.name}' could not be read: {error}.") from error


def prepare_text(
    config: DataConfig,
    *,
    text: str | Path | None = None,
    base_dir: Path | None = None,
    vocabulary: Vocabulary | None = None,
) -> PreparedText:
    """Tokenise, split, fit the vocabulary on train, encode and window a text for a language model.

    The token stream is cut into contiguous blocks by `config.split` (fraction of, or
    count of, tokens): train first, then validation, then test, with `split.embargo`
    tokens left out at the end of train and of validation. Each window lies wholly
    inside its block (inputs and targets), whatever `split.context`.

    Args:
        config: The `data:` section, with `text` set.
        text: The text from Python, or the `Path` of a UTF-8 `.txt` file (new data
            for a trained run, read and checked as `data.path` is); replaces
            `dataset` / `path`.
        base_dir: Folder of the config file; `config.path` is resolved against it
            (default: the working directory), and may not leave it.
        vocabulary: An already fitted `Vocabulary` (a trained run's) to encode with
            instead of fitting one on the training block.

    Returns:
        `PreparedText` whose `train.dataset(...)` feeds `Model.fit` directly.

    Raises:
        ConfigError: `config.text` is not set.
        DataError: no or unreadable text, a `vocabulary` of another level or casing, or
            a text too short for one window in every requested split (stating the
            minimum number of tokens).

    Example:
        ```python
        data = prepare_text(DataConfig(dataset="pydoc_topics", lookback=100, stride=100, text={"level": "char"}))
        model = keras.Sequential([
            keras.layers.Embedding(data.spec.vocab_size, 32),
            keras.layers.LSTM(128, return_sequences=True),
            keras.layers.Dense(data.spec.vocab_size, activation="softmax"),
        ])
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(data.train.dataset(64, shuffle=True, seed=0), validation_data=data.val.dataset(64, shuffle=False))
        ```
    """
    options = config.text
    if options is None:
        raise ConfigError(
            "`prepare_text` needs `data.text` (e.g. `text: {level: char}`) to know how to tokenise. "
            "Set it, or call `prepare` for a numeric series."
        )
    if vocabulary is not None and (vocabulary.level, vocabulary.lowercase) != (options.level, options.lowercase):
        raise DataError(
            f"The given vocabulary is {vocabulary.level}-level with lowercase={vocabulary.lowercase}, but `data.text` "
            f"asks for {options.level}-level with lowercase={options.lowercase}. Use the config the vocabulary "
            "was fitted with."
        )
    corpus, origin = _read_corpus(config, text, base_dir)
    units = _units(corpus, options.level, options.lowercase)
    n = len(units)
    # A text window lies inside its block: inputs and next-token targets, like a `context: split`
    # window with horizon 1 (the config requires it), whose one target is the token after its inputs.
    plan = chronological_plan(n, config, context="split")
    short = missing_splits(plan, config)
    if short:
        sizes = ", ".join(f"{name} {plan.rows(name)}" for name in ("train", "val", "test"))
        minimum = minimum_length(config, n, context="split")
        advice = (
            f"Give at least {minimum} tokens, or lower `lookback` or the validation/test sizes."
            if minimum is not None
            else f"No text is long enough: raise `split.{short[-1]}` to at least {config.lookback + 1} steps, or "
            "lower `lookback`."
        )
        raise DataError(
            f"Each split needs lookback + 1 = {config.lookback + 1} tokens for one window (inputs plus the "
            f"next-token target), but {origin} has {n} {options.level} tokens and `split` gives {sizes} "
            f"(too short: {', '.join(short)}). {advice}"
        )
    train_begin, train_end = plan.train.target_rows
    if vocabulary is None:
        vocabulary = Vocabulary._from_counts(_counts(units[train_begin:train_end]), options)
    ids = vocabulary._encode_units(units)

    def windows(split: SplitWindows | None) -> TokenWindows | None:
        if split is None:
            return None
        return TokenWindows(ids, name=split.name, lookback=config.lookback, stride=config.stride,
                            first_start=split.first_start, count=split.count, stop=split.target_rows[1])

    return PreparedText(
        train=windows(plan.train),  # type: ignore[arg-type]  # a training split always exists
        val=windows(plan.val),
        test=windows(plan.test),
        vocabulary=vocabulary,
        spec=TextSpec(lookback=config.lookback, vocab_size=vocabulary.size, level=options.level),
        ids=ids,
        spans={split.name: split.target_rows for split in (plan.train, plan.val, plan.test) if split is not None},
    )
