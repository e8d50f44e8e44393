"""Registry of the datasets shipped with seqkit; nothing is ever downloaded.

Each real dataset is a small CSV inside this package with a `<name>.SOURCE.txt`
beside it recording the PyPI package it was copied from, its original path and
its licence. `synthetic` is generated and `pydoc_topics` is read from the
running Python's standard library (`pydoc_data.topics`); the text corpus `alice`
is a gzipped `.txt`.
"""

from __future__ import annotations

import dataclasses
import gzip
from importlib import resources

import numpy as np
import pandas as pd

from seqkit.config.data import SyntheticConfig
from seqkit.errors import DataError


@dataclasses.dataclass(frozen=True, kw_only=True)
class DatasetInfo:
    """What `seqkit datasets` prints about one shipped dataset.

    Attributes:
        name: The name used in `data.dataset`.
        kind: `series` (a table of time steps) or `text` (a corpus for language models).
        description: One line on what the data are.
        rows: Time steps (series) or characters (text); None where it depends on options.
        columns: Numeric columns (series only).
        time_column: Column with the timestamps, or None.
        time_format: `strftime` format of the time column, or None to let pandas infer it.
        frequency: pandas frequency of the time steps, or None.
        period: Seasonal period in steps, or None.
        file: Data file inside `seqkit/data/datasets`, or None when generated or read from Python.
        source: Where the data came from.
        licence: Licence of the data.
        series_column: A panel's column naming each row's series (set `data.series_column`
            to it), or None for one series.
    """

    name: str
    kind: str
    description: str
    rows: int | None
    columns: tuple[str, ...] = ()  # the rest up to `file`: series only
    time_column: str | None = None
    time_format: str | None = None
    frequency: str | None = None
    period: int | None = None
    file: str | None
    source: str
    licence: str
    series_column: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The fields as a plain dict (for printing or JSON)."""
        return dataclasses.asdict(self)


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in [
        DatasetInfo(
            name="airline",
            kind="series",
            description="Monthly international airline passengers (thousands), 1949-1960 (Box & Jenkins series G)",
            rows=144,
            columns=("Passengers",),
            time_column="Date",
            time_format="%Y-%m",
            frequency="MS",
            period=12,
            file="airline.csv",
            source="sktime 1.2.0 wheel, sktime/datasets/data/Airline/Airline.csv",
            licence="BSD-3-Clause (sktime); published historical statistics",
        ),
        DatasetInfo(
            name="sunspots",
            kind="series",
            description="Yearly mean sunspot numbers, 1700-2008 (NOAA NGDC)",
            rows=309,
            columns=("SUNACTIVITY",),
            time_column="YEAR",
            time_format="%Y",
            frequency="YS",
            period=11,
            file="sunspots.csv",
            source="statsmodels 0.15.0 wheel, statsmodels/datasets/sunspots/sunspots.csv",
            licence="public domain",
        ),
        DatasetInfo(
            name="seattle_weather",
            kind="series",
            description="Daily Seattle weather 2012-2015: precipitation, max/min temperature, wind (multivariate)",
            rows=1461,
            columns=("precipitation", "temp_max", "temp_min", "wind"),
            time_column="date",
            time_format="%Y/%m/%d",
            frequency="D",
            period=365,
            file="seattle_weather.csv",
            source="vega_datasets 0.9.0 wheel, vega_datasets/_data/seattle-weather.csv (NOAA data)",
            licence="public domain (NOAA); vega_datasets MIT",
        ),
        DatasetInfo(
            name="us_employment",
            kind="panel",
            description="Monthly US employment (thousands, seasonally adjusted) in 22 BLS supersectors, "
            "2006-2015: a panel of 22 series in long format; with data.series_column: sector",
            rows=2640,
            columns=("employees",),
            time_column="month",
            time_format="%Y-%m-%d",
            frequency="MS",
            period=None,
            file="us_employment.csv",
            source="vega_datasets 0.9.0 wheel, vega_datasets/_data/us-employment.csv (BLS data), reshaped to long",
            licence="public domain (U.S. BLS); vega_datasets MIT",
            series_column="sector",
        ),
        DatasetInfo(
            name="synthetic",
            kind="series",
            description="Generated sine waves plus noise and trend; length, seed, series count set by `data.synthetic`",
            rows=None,
            columns=(),
            time_column=None,
            time_format=None,
            frequency=None,
            period=None,
            file=None,
            source="generated by seqkit",
            licence="n/a (generated)",
        ),
    ]
}

TEXTS: dict[str, DatasetInfo] = {
    info.name: info
    for info in [
        DatasetInfo(
            name="pydoc_topics",
            kind="text",
            description="English text: the Python help topics (`pydoc_data.topics`) of the running Python",
            rows=None,
            file=None,
            source="CPython standard library, module pydoc_data.topics (read at run time)",
            licence="PSF-2.0",
        ),
        DatasetInfo(
            name="alice",
            kind="text",
            description="English prose: Lewis Carroll's Alice's Adventures in Wonderland (1865), the whole book",
            rows=148480,
            file="alice.txt.gz",
            source="Brotli 1.2.1 sdist, tests/testdata/alice29.txt (Canterbury corpus; Project Gutenberg's "
            "Millennium Fulcrum Edition 2.9), line ends made LF, the closing Ctrl-Z dropped",
            licence="public domain (the text); Brotli MIT",
        ),
    ]
}


SEQUENCE_SETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in [
        DatasetInfo(
            name="japanese_vowels",
            kind="sequences",
            description="Speaker (9 classes) from utterances of 'ae': 12 LPC coefficients, 7-29 steps (UCR/UEA); "
            "with data.sequences",
            rows=640,
            columns=(),
            time_column=None,
            time_format=None,
            frequency=None,
            period=None,
            file="JapaneseVowels_TRAIN.ts.gz",
            source="sktime 1.2.0 wheel, sktime/datasets/data/JapaneseVowels/JapaneseVowels_{TRAIN,TEST}.ts",
            licence="BSD-3-Clause (sktime); UCI data CC BY 4.0",
        ),
        DatasetInfo(
            name="basic_motions",
            kind="sequences",
            description="Activity (4 classes) from a watch's accelerometer and gyroscope: 6 features, 100 steps "
            "(UEA); with data.sequences",
            rows=80,
            columns=(),
            time_column=None,
            time_format=None,
            frequency=None,
            period=None,
            file="BasicMotions_TRAIN.ts.gz",
            source="sktime 1.2.0 wheel, sktime/datasets/data/BasicMotions/BasicMotions_{TRAIN,TEST}.ts",
            licence="BSD-3-Clause (sktime)",
        ),
    ]
}
"""Sets of labelled sequences (`data.sequences`), each a training and a test `.ts` file, gzipped."""


def list_datasets() -> list[DatasetInfo]:
    """Every shipped dataset, text corpus and sequence set, series first.

    Returns:
        `DatasetInfo` records (name, kind, description, rows, source, licence, ...);
        `rows` of `pydoc_topics` is filled with its character count.
    """
    texts = [info if info.rows is not None else dataclasses.replace(info, rows=len(load_text(info.name)))
             for info in TEXTS.values()]
    return [*DATASETS.values(), *texts, *SEQUENCE_SETS.values()]


def _unknown(name: str, known: dict[str, DatasetInfo], what: str, own: str = "`data.path`") -> DataError:
    return DataError(
        f"Unknown {what} {name!r}. Shipped {what}s: {', '.join(sorted(known))}. "
        f"Run `seqkit datasets` to list them, or give {own} for your own file."
    )


def dataset_info(name: str) -> DatasetInfo:
    """The registry record of a series dataset.

    Raises:
        DataError: `name` is not a shipped series dataset.
    """
    if name not in DATASETS:
        raise _unknown(name, DATASETS, "dataset")
    return DATASETS[name]


def sequence_set_info(name: str) -> DatasetInfo:
    """The registry record of a shipped sequence set.

    Raises:
        DataError: `name` is not a shipped sequence set.
    """
    if name not in SEQUENCE_SETS:
        raise _unknown(name, SEQUENCE_SETS, "sequence set", own="`sequences.train`")
    return SEQUENCE_SETS[name]


def load_dataset(name: str, synthetic: SyntheticConfig | None = None) -> pd.DataFrame:
    """Read a shipped series dataset as it is stored (time column left as text).

    Args:
        name: A name from `DATASETS`.
        synthetic: Options of the `synthetic` dataset (defaults when None).

    Returns:
        The table, one row per time step.
    """
    info = dataset_info(name)
    if name == "synthetic":
        return generate_synthetic(synthetic or SyntheticConfig())
    with resources.files(__package__).joinpath(info.file).open("rb") as handle:
        return pd.read_csv(handle)


def generate_synthetic(options: SyntheticConfig) -> pd.DataFrame:
    """Sine waves plus noise and a linear trend, reproducible from `options.seed`.

    Returns:
        A table with columns `series_0` ... `series_{n_series - 1}`, `options.length` rows.
    """
    rng = np.random.default_rng(options.seed)
    t = np.arange(options.length, dtype=np.float64)
    columns = {}
    for k in range(options.n_series):
        period = options.period * (1.0 + k / options.n_series)
        phase = rng.uniform(0.0, 2.0 * np.pi)
        noise = rng.standard_normal(options.length) * options.noise
        columns[f"series_{k}"] = options.amplitude * np.sin(2 * np.pi * t / period + phase) + options.trend * t + noise
    return pd.DataFrame(columns)


def load_text(name: str) -> str:
    """A shipped text corpus for language models.

    Args:
        name: `pydoc_topics`: the help topics of the running Python's `pydoc_data.topics`,
            sorted by topic and separated by blank lines (about 465k characters; the
            exact text depends on the Python version); `alice`: Alice's Adventures in
            Wonderland, shipped gzipped (148,480 characters, about 34,000 words).

    Returns:
        The corpus as one string.

    Raises:
        DataError: unknown name, or this Python was built without `pydoc_data`.
    """
    if name not in TEXTS:
        raise _unknown(name, TEXTS, "text corpus")
    info = TEXTS[name]
    if info.file is not None:
        with resources.files(__package__).joinpath(info.file).open("rb") as handle:
            return gzip.decompress(handle.read()).decode("utf-8")
    try:
        from pydoc_data import topics
    except ImportError as error:  # some minimal Python builds drop pydoc_data
        raise DataError(
            "The text corpus 'pydoc_topics' needs the standard-library module `pydoc_data`, which this "
            "Python lacks. Use a full CPython install."
        ) from error
    return "\n\n".join(topics.topics[key].strip() for key in sorted(topics.topics)) + "\n"
