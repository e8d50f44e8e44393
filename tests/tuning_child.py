"""A tiny real KerasTuner search in one role, for tests of the supervisor's process handling.

`python tests/tuning_child.py ROLE WORKER_ID HOST:PORT DIR TRIALS EPOCHS` runs a
random search of a Dense model on fixed random data as KerasTuner's chief or
worker (the same variables `seqkit tune --role` sets). `seqkit tune` itself is
tested by tests/test_tuning_workers.py too; this child keeps the supervision
tests independent of a config's data preparation, and quick.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(role: str, worker_id: str, oracle: str, folder: str, trials: str, epochs: str) -> None:
    host, port = oracle.rsplit(":", 1)
    os.environ["KERASTUNER_TUNER_ID"] = "chief" if role == "chief" else f"tuner{worker_id}"
    os.environ["KERASTUNER_ORACLE_IP"] = host
    os.environ["KERASTUNER_ORACLE_PORT"] = port

    import keras
    import keras_tuner as kt
    import numpy as np

    def build(hp):
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(hp.Int("units", 2, 8)), keras.layers.Dense(1)])
        model.compile("adam", "mse")
        return model

    class Tuner(kt.RandomSearch):
        def run_trial(self, trial, *args, **kwargs):
            print(f"{self.tuner_id} runs trial {trial.trial_id}", flush=True)
            return super().run_trial(trial, *args, **kwargs)

    x = np.random.default_rng(0).random((64, 4), dtype="float32")
    tuner = Tuner(build, "val_loss", max_trials=int(trials), directory=folder, project_name="search", seed=1)
    tuner.search(x, x.sum(1, keepdims=True), validation_split=0.25, epochs=int(epochs), verbose=0)
    print(f"{role} finished", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
