"""Tuning benchmark: one process against a supervised chief and 2 workers, and memory across trials.

Run: `python benchmarks/tuning.py` on a 2-core machine (`--trials`, `--rss-trials`,
`--epochs` for a shorter run).

It prints, in one run:

- the wall time of the same random search (`--trials`, default 8) run by
  `seqkit.tune` in one process with single-threaded trials (`train.threads: 1`),
  and by `seqkit.tuning.supervise` with a chief and 2 workers (each gets
  `cores // 2` threads: one on 2 cores), and the speed-up, against a floor of
  1.5x. Both are timed as a user runs them, in a fresh interpreter, from start
  to the last trial (the best config is not retrained: `train_best=False`).
  The supervised search pays for three interpreters starting TensorFlow (the
  parent's, the chief's, the workers') where one process pays for one, so
  trials are 20 epochs by default (about 15-25 s each single-threaded) for
  the trials, not the start-up, to be what is compared;
- the resident memory after each of `--rss-trials` (default 30) one-epoch
  trials, as each trial's process records it (`resident_mib` in the trial's
  `seqkit.json`), for the same search run in one process (`seqkit.tune`) and
  by one supervised worker (`seqkit tune --workers 1`), which is replaced by a
  fresh process once its memory has grown past `tune.worker_memory_growth`
  (default 5%) since its first trial. The target: flat, the last trial within
  10% of the third (the first two pay for TensorFlow's one-off graph and
  kernel caches). It is judged on the worker; the one-process column shows
  what TensorFlow keeps from every model a process builds, which no process
  can give back;

then PASS/FAIL for both targets. On a machine whose cores other jobs are using,
the speed-up says little: run it on an otherwise idle one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

#: The 2-worker search must be at least this many times faster than one process.
_SPEEDUP_FLOOR = 1.5
#: Resident memory after the last trial may exceed that after the third by at most this fraction.
_RSS_GROWTH = 0.10

SEARCH = """
data:
  dataset: synthetic
  synthetic: {{length: 3000, n_series: 1, seed: 3}}
  lookback: 24
  horizon: 4
  split: {{type: fraction, val: 0.15, test: 0.15}}
model: {{cell: lstm, layers: [16]}}
train: {{epochs: {epochs}, batch_size: 32, threads: 1}}
evaluate: {{plots: false}}
tune:
  algorithm: random
  max_trials: {trials}
  seed: 7
  space:
    model.cell: {{choice: [lstm, gru]}}
    model.layers: {{choice: [[16], [24], [16, 16]]}}
    train.optimizer.learning_rate: {{float: [1.0e-3, 1.0e-2], sampling: log}}
"""

SINGLE = "from seqkit.tuning import tune; tune({config!r}, tuning_dir={folder!r}, train_best=False, verbose=0)"
WORKERS = (
    "from seqkit.tuning.supervise import supervise; "
    "supervise({config!r}, (), {folder!r}, workers=2, train_best=False, verbose=0)"
)


def _environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def timed_search(code: str, config: Path, folder: Path) -> float:
    """Seconds for a search run in a fresh interpreter (`code` formatted with the config and folder)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code.format(config=str(config), folder=str(folder))],
                          env=_environment(), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"the search failed (exit status {done.returncode}):\n{done.stderr[-3000:]}")
    return seconds


def completed_trials(folder: Path) -> int:
    count = 0
    for path in folder.glob("*/*/search/trial_*/trial.json"):
        try:
            count += json.loads(path.read_text()).get("status") == "COMPLETED"
        except (OSError, ValueError):
            pass  # being written this instant
    return count


def mean_trial_seconds(folder: Path) -> float:
    """Mean wall time of a search's trials, from seqkit's record of each (`seqkit.json`)."""
    seconds = [json.loads(p.read_text())["seconds"] for p in folder.glob("*/*/search/trial_*/seqkit.json")]
    return sum(seconds) / max(1, len(seconds))


def memory_per_trial(folder: Path) -> list[tuple[float, int]]:
    """(resident MiB, pid) of the process that ran each trial, in trial order, from seqkit's records."""
    records = sorted(folder.glob("*/*/search/trial_*/seqkit.json"), key=lambda p: int(p.parent.name.split("_")[1]))
    return [(record["resident_mib"], record["pid"]) for record in map(lambda p: json.loads(p.read_text()), records)]


ONE_WORKER = (
    "from seqkit.tuning.supervise import supervise; "
    "supervise({config!r}, (), {folder!r}, workers=1, train_best=False, verbose=0)"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8, help="trials of the timed search (default 8)")
    parser.add_argument("--rss-trials", type=int, default=30, help="trials of the memory run (default 30)")
    parser.add_argument("--epochs", type=int, default=20, help="epochs per trial of the timed search (default 20)")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    print(f"random search, {args.trials} trials of {args.epochs} epochs (LSTM/GRU on 2,100 training windows); "
          f"{cores} cores")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        config = work / "search.yaml"
        config.write_text(SEARCH.format(epochs=args.epochs, trials=args.trials), encoding="utf-8")
        load_before = os.getloadavg()[0]
        one = timed_search(SINGLE, config, work / "one")
        two = timed_search(WORKERS, config, work / "two")
        load_after = os.getloadavg()[0]
        assert completed_trials(work / "one") == completed_trials(work / "two") == args.trials
        print(f"{'':<46}{'wall':>10}{'mean trial':>12}")
        for label, wall, folder in [("seqkit.tune, 1 process, 1 thread", one, work / "one"),
                                    ("seqkit tune --workers 2 (chief + 2 workers)", two, work / "two")]:
            print(f"{label:<46}{wall:>8.1f} s{mean_trial_seconds(folder):>10.1f} s")
        speedup = one / two
        print(f"load average (1 min) before {load_before:.2f}, after {load_after:.2f}")
        if load_before > 0.5:
            print("note: other processes were using the CPUs, so two workers could not each have a core; "
                  "the speed-up is only meaningful on an otherwise idle machine")

        print(f"\nresident memory after each of {args.rss_trials} one-epoch trials (MiB; * a fresh worker process):")
        memory = work / "memory.yaml"
        memory.write_text(SEARCH.format(epochs=1, trials=args.rss_trials), encoding="utf-8")
        timed_search(SINGLE, memory, work / "rss-one")
        timed_search(ONE_WORKER, memory, work / "rss-worker")
        one_process, worker = memory_per_trial(work / "rss-one"), memory_per_trial(work / "rss-worker")
    assert len(one_process) == len(worker) == args.rss_trials
    print(f"{'trial':>6}{'1 process':>12}{'--workers 1':>14}")
    for i, ((alone, _), (mib, pid)) in enumerate(zip(one_process, worker, strict=True), start=1):
        fresh = "*" if i > 1 and pid != worker[i - 2][1] else " "
        print(f"{i:>6}{alone:>12.1f}{mib:>13.1f}{fresh}")
    replaced = len({pid for _, pid in worker}) - 1
    growth = {name: samples[-1][0] / samples[min(2, len(samples) - 1)][0] - 1
              for name, samples in [("one", one_process), ("worker", worker)]}
    print(f"one process: trial {len(one_process)} {growth['one']:+.1%} against trial 3 (not judged: TensorFlow's)")
    print()
    checks = [
        (speedup >= _SPEEDUP_FLOOR, f"speed-up with 2 workers {speedup:.2f}x (floor {_SPEEDUP_FLOOR}x)"),
        (growth["worker"] <= _RSS_GROWTH,
         f"RSS of the worker after trial {len(worker)} {worker[-1][0]:.1f} MiB vs trial 3 {worker[2][0]:.1f} MiB: "
         f"{growth['worker']:+.1%} (limit +{_RSS_GROWTH:.0%}; worker replaced {replaced} time(s))"),
    ]
    for ok, text in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    sys.exit(0 if all(ok for ok, _ in checks) else 1)


if __name__ == "__main__":
    main()
