"""Generation benchmark: `seqkit generate`'s compiled sampling loop against the tutorials' predict loop.

Run: `python benchmarks/generation.py` (about a minute on a 2-core CPU).

One run, one set of weights: a 1-layer LSTM(256) character language model
(`configs/char_lm.yaml` with `model.layers: [256]`) is trained by seqkit for
one epoch on the first `--chars` characters of the shipped `pydoc_topics`
corpus (the weights need not be good, only the same for every path), saved and
reloaded as `seqkit generate` reloads it. From the same 100-character prompt
(the config's lookback), batch of one, greedy, it prints tokens per second of:

- the tutorials' loop: `model.predict` on the whole window, append the argmax,
  slide the window, repeat (`--loop-tokens`, default 50);
- seqkit's eager stepping, for information: the stateful stepping copy
  (`stepping_model`) called once per token, as `seqkit generate` ran before
  its loop was compiled (`--loop-tokens` tokens);
- `Run.generate` (what `seqkit generate` calls), `--tokens` tokens (default
  2,000), greedy and with sampling (temperature 1, top_k 40, top_p 0.95), and
  with `num_samples: 16` (tokens of all 16 continuations counted);
- for information, the same loop compiled without XLA (`jit_compile=False`),
  greedy: the plain TensorFlow graph, which `SamplingLoop` leaves XLA for;

each setting after one untimed call with the same sizes (the first call of a
run compiles its loop for those sizes; that time is printed too) and timed as
the median of `--rounds` calls. Then the ratio of `Run.generate` to the
tutorials' loop, and PASS/FAIL for the floors: at least 100x the tutorials'
loop and at least 2,000 tokens/s (batch of one, greedy).

Last, streaming (`Run.stream`): a 1-layer LSTM(64) forecasting the airline
series (`configs/quickstart.yaml` with `model.layers: [64]`, one epoch), the
series fed one row at a time (a dict of strings, as a CSV row arrives) twenty
times over, about 2,400 forecasts: the median, mean and 90th percentile of
milliseconds per `update` + `forecast_array` (the point forecast as NumPy),
per `update` + `forecast` (the DataFrame with timestamps), and per
`Run.predict` on the history so far (the alternative), with the load average,
and PASS/FAIL for the ceiling of 2 ms per observation on the median of
`update` + `forecast_array` (the median: on a shared machine the mean follows
the neighbours' load spikes). `--only-streaming` runs this part alone (a few
seconds after training).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# TensorFlow and seqkit are imported inside functions: the log level must be set first,
# and seqkit is found from this checkout without installing it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
# The targets of issue #15: Run.generate against the tutorials' loop, and absolute speed.
_RATIO_FLOOR, _RATE_FLOOR = 100, 2_000
# Streaming: one `update` + `forecast` of a 1-layer LSTM(64) costs at most this many milliseconds.
_STREAM_CEILING_MS = 2.0


def streaming_cost(runs_dir: str, replays: int = 20, predicts: int = 60) -> dict[str, list[float]]:
    """Milliseconds per observation of each streaming path, an LSTM(64) on the airline series.

    The run is `configs/quickstart.yaml` with one 64-unit layer, trained one epoch. The series is streamed
    `replays` times (reset between), one row at a time as a dict (as `seqkit predict --stream` reads CSV rows);
    after each row once the window is full: `update` + `forecast_array` (the fast path), then `forecast` (the
    DataFrame), each timed on its own, so both paths see the same load. The alternative, `Run.predict` on the
    history so far, is timed on `predicts` growing histories.

    Returns:
        `{"array": [...], "frame": [...], "predict": [...]}`, one number per timed observation (ms); `frame`
        counts the same `update` as `array`.
    """
    import seqkit

    run = seqkit.train(ROOT / "configs" / "quickstart.yaml", overrides=["model.layers=[64]", "train.epochs=1"],
                       runs_dir=runs_dir, verbose=0)
    assert (run.config.model.cell, run.config.model.layers) == ("lstm", [64]), run.config.model
    history = seqkit.data.load_dataset("airline")
    rows = [{name: str(value) for name, value in row.items()} for row in history.to_dict("records")]
    live = run.stream()
    live.update(history.iloc[: live.need])
    live.forecast_array(), live.forecast()  # compiles the call, warms pandas
    times = {"array": [], "frame": [], "predict": []}
    clock = time.perf_counter
    for _ in range(replays):
        live.reset()
        for row in rows:
            start = clock()
            live.update(row)
            if not live.ready:
                continue
            updated = clock()
            live.forecast_array()
            done = clock()
            live.forecast()
            framed = clock()
            times["array"].append((done - start) * 1000)
            times["frame"].append((updated - start + framed - done) * 1000)
    run.predict(history.iloc[: live.need])
    for end in range(live.need, min(live.need + predicts, len(history)) + 1):
        start = clock()
        run.predict(history.iloc[:end])
        times["predict"].append((clock() - start) * 1000)
    return times


def streaming_report(times: dict[str, list[float]]) -> tuple[str, bool]:
    """Print the streaming lines; return the check's text and verdict (the median of the fast path)."""
    array = statistics.median(times["array"])
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"streaming (1-layer LSTM(64), airline, lookback 24, horizon 12; one row at a time as a dict; "
          f"load average {load} on {os.cpu_count()} cores), ms per observation:")
    print(f"{'':<58}{'median':>8}{'mean':>8}{'p90':>8}   observations")
    labels = {
        "array": "update + forecast_array (NumPy, the fast path)",
        "frame": "update + forecast (DataFrame with timestamps)",
        "predict": "Run.predict on the history so far (the alternative)",
    }
    for key, label in labels.items():
        values = times[key]
        p90 = float(np.percentile(values, 90))
        print(f"{label:<58}{statistics.median(values):>8.2f}{statistics.mean(values):>8.2f}{p90:>8.2f}   "
              f"{len(values):,}")
    print(f"ratios of medians: Run.predict / forecast_array {statistics.median(times['predict']) / array:.0f}x; "
          f"forecast (DataFrame) / forecast_array {statistics.median(times['frame']) / array:.1f}x")
    return (f"streaming update + forecast_array median {array:.2f} ms <= {_STREAM_CEILING_MS} ms per observation",
            array <= _STREAM_CEILING_MS)


def tutorial_loop(model, window: np.ndarray, n: int) -> float:
    """Tokens/s of the tutorials' loop: predict on the whole window, append the argmax, slide, repeat."""
    window = list(window)
    model.predict(np.array(window)[None], verbose=0)  # predict's own set-up, once
    start = time.perf_counter()
    for _ in range(n):
        probabilities = model.predict(np.array(window)[None], verbose=0)[0, -1]
        window = window[1:] + [int(np.argmax(probabilities))]
    return n / (time.perf_counter() - start)


def eager_steps(run, prompt_ids: np.ndarray, n: int) -> float:
    """Tokens/s of one eager Keras call per token on the stateful stepping copy (greedy)."""
    from seqkit.inference import stepping_model

    step = stepping_model(run.model, run.config.model, run.vocabulary.size)
    start = time.perf_counter()
    probabilities = step(prompt_ids)
    for _ in range(n):
        token = int(np.argmax(probabilities[2:])) + 2
        probabilities = step(np.array([token]))
    return n / (time.perf_counter() - start)


def generate_rate(generate, prompt: str, tokens: int, rounds: int, **options) -> tuple[float, float]:
    """Median tokens/s of `generate` over `rounds` calls after a warm-up call, and that call's seconds."""
    rows = options.get("num_samples") or 1
    start = time.perf_counter()
    generate(prompt, tokens, seed=0, **options)
    first = time.perf_counter() - start
    rates = []
    for round_ in range(rounds):
        start = time.perf_counter()
        generate(prompt, tokens, seed=round_ + 1, **options)
        rates.append(rows * tokens / (time.perf_counter() - start))
    return statistics.median(rates), first


def plain_graph(run):
    """`Run.generate`'s greedy path on a loop compiled without XLA."""
    from seqkit.inference.sampling import SamplingLoop

    loop = SamplingLoop(run.model, jit_compile=False)

    def generate(prompt: str, length: int, *, seed: int, temperature: float) -> None:
        draws = np.random.default_rng(seed).random((1, length))
        loop.generate(run.vocabulary.encode(prompt), draws, temperature=temperature, top_k=loop.vocab_size, top_p=1.0)

    return generate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chars", type=int, default=60_000, help="corpus characters to train on (default 60,000)")
    parser.add_argument("--tokens", type=int, default=2_000, help="tokens per Run.generate call (default 2,000)")
    parser.add_argument("--loop-tokens", type=int, default=50, help="tokens of the tutorials' loop (default 50)")
    parser.add_argument("--rounds", type=int, default=3, help="timed Run.generate calls per setting (default 3)")
    parser.add_argument("--only-streaming", action="store_true",
                        help="time the streaming forecasts alone (no character model to train)")
    args = parser.parse_args()
    if args.only_streaming:
        with tempfile.TemporaryDirectory() as runs_dir:
            text_, ok = streaming_report(streaming_cost(runs_dir))
        print(f"{'PASS' if ok else 'FAIL'}  {text_}")
        return 0 if ok else 1

    import keras

    import seqkit
    from seqkit.data.datasets.registry import load_text
    from seqkit.inference import load_run

    keras.utils.set_random_seed(0)
    text = load_text("pydoc_topics")[: args.chars]
    with tempfile.TemporaryDirectory() as runs_dir:
        start = time.perf_counter()
        trained = seqkit.train(
            ROOT / "configs" / "char_lm.yaml",
            frame=text,
            runs_dir=runs_dir,
            overrides=["model.layers=[256]", "train.epochs=1"],
            verbose=0,
        )
        train_seconds = time.perf_counter() - start
        run = load_run(trained.path)  # as `seqkit generate RUN_DIR` does
    assert (run.config.model.cell, run.config.model.layers) == ("lstm", [256]), run.config.model
    lookback = run.config.data.lookback
    prompt = text[-lookback:]
    prompt_ids = run.vocabulary.encode(prompt)
    assert len(prompt_ids) == lookback

    print(f"1-layer LSTM(256) character model, vocabulary {run.vocabulary.size}, trained 1 epoch on "
          f"{len(text):,} characters ({train_seconds:.0f} s); prompt and window {lookback} characters, batch of one; "
          f"{os.cpu_count()} CPU core(s), Keras {keras.__version__} on {keras.backend.backend()}")
    loop = tutorial_loop(run.model, prompt_ids, args.loop_tokens)
    eager = eager_steps(run, prompt_ids, args.loop_tokens)
    greedy, first = generate_rate(run.generate, prompt, args.tokens, args.rounds, temperature=0)
    sampled, _ = generate_rate(run.generate, prompt, args.tokens, args.rounds, temperature=1.0, top_k=40, top_p=0.95)
    batch, batch_first = generate_rate(run.generate, prompt, args.tokens, args.rounds, temperature=1.0, num_samples=16)
    plain, plain_first = generate_rate(plain_graph(run), prompt, args.tokens, args.rounds, temperature=0)

    print()
    print(f"{'':<62}{'tokens/s':>10}")
    print(f"{'tutorials loop (model.predict on the window, argmax)':<62}{loop:>10,.1f}   ({args.loop_tokens} tokens)")
    print(f"{'seqkit eager steps, one Keras call per token (before)':<62}{eager:>10,.1f}   ({args.loop_tokens} tokens)")
    print(f"{'seqkit generate, greedy':<62}{greedy:>10,.0f}   ({args.tokens:,} tokens; "
          f"first call, compiling: {first:.1f} s)")
    print(f"{'seqkit generate, temperature 1, top_k 40, top_p 0.95':<62}{sampled:>10,.0f}")
    print(f"{'seqkit generate, temperature 1, num_samples 16 (all tokens)':<62}{batch:>10,.0f}   "
          f"(first call, compiling the batch: {batch_first:.1f} s)")
    print(f"{'  the same loop without XLA, greedy (for information)':<62}{plain:>10,.0f}   "
          f"(first call, tracing: {plain_first:.1f} s)")
    print()
    ratio = greedy / loop
    print(f"ratios: seqkit generate / tutorials loop {ratio:,.0f}x; / eager steps {greedy / eager:,.0f}x; "
          f"/ without XLA {greedy / plain:.1f}x; num_samples 16 / one sample {batch / greedy:.1f}x the tokens/s")
    print()
    with tempfile.TemporaryDirectory() as runs_dir:
        stream_check = streaming_report(streaming_cost(runs_dir))
    checks = [
        (f"seqkit generate {ratio:,.0f}x the tutorials' loop >= {_RATIO_FLOOR}x", ratio >= _RATIO_FLOOR),
        (f"seqkit generate {greedy:,.0f} tokens/s >= {_RATE_FLOOR:,} (batch of one)", greedy >= _RATE_FLOOR),
        stream_check,
    ]
    for text_, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text_}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
