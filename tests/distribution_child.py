"""Train one tiny config on one device, then over two CPU devices, in a fresh process; print what was seen as JSON.

`python tests/distribution_child.py BACKEND RUNS_DIR` (BACKEND `tensorflow` or `jax`).
The two devices must exist before the backend starts, so this runs in its own
process: TensorFlow's CPU is split into two logical devices before anything
else; JAX is given two host devices by `XLA_FLAGS`, set here before JAX is
imported. tests/test_distribution.py checks the printed record.
"""

from __future__ import annotations

import csv
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

CONFIG = {
    # 64 training windows: 8 whole batches of 8, so a JAX distribution, which drops a last
    # smaller batch, trains on exactly the windows the single device does; 11 validation windows, which do not
    # divide over two devices (validation is scored outside the distribution).
    "data": {
        "dataset": "synthetic", "synthetic": {"length": 95, "n_series": 1, "seed": 3}, "lookback": 8,
        "horizon": 2, "period": 20, "split": {"type": "fraction", "val": 0.13, "test": 0.1},
    },
    "model": {"cell": "lstm", "layers": [4]},
    "train": {"epochs": 1, "batch_size": 8, "early_stopping": None},
    "evaluate": {"plots": False},
}


def main(backend: str, runs_dir: str) -> None:
    os.environ["KERAS_BACKEND"] = backend
    if backend == "jax":
        os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    else:
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

    import keras
    import numpy as np

    import seqkit
    from seqkit.config.loading import config_from_dict
    from seqkit.training import trainer

    seen: dict = {}

    class Probe(keras.callbacks.Callback):
        """Records how the first training batch is split, from inside `fit`."""

        def on_train_begin(self, logs=None):
            shape = (8, 8, 1)  # one batch: (batch_size, lookback, features)
            if backend == "tensorflow":
                import tensorflow as tf

                strategy = self.model.distribute_strategy
                batches = tf.data.Dataset.from_tensor_slices(np.zeros((16, *shape[1:]), "float32")).batch(8)
                # What Keras' fit does with a tf.data input under a strategy (TFEpochIterator).
                first = next(iter(strategy.experimental_distribute_dataset(batches)))
                parts = strategy.experimental_local_results(first)
                seen["replicas"] = strategy.num_replicas_in_sync
                seen["parts"] = [list(part.shape) for part in parts]
                seen["weight_devices"] = len(strategy.experimental_local_results(self.model.weights[0].value))
            else:
                distribution = keras.distribution.distribution()
                batch = np.zeros(shape, "float32")
                if distribution is not None:  # what Keras' fit does with each batch under a distribution
                    batch = keras.distribution.distribute_tensor(batch, distribution.get_data_layout(shape))
                seen["replicas"] = 1 if distribution is None else int(np.prod(distribution.device_mesh.shape))
                seen["parts"] = [list(s.data.shape) for s in getattr(batch, "addressable_shards", [])] or [[*shape]]
                seen["weight_devices"] = len(self.model.weights[0].value.sharding.device_set)

    record = {}
    x = np.random.default_rng(0).normal(size=(5, 8, 1)).astype("float32")
    for name, distribution in (("single", None), ("distributed", {"type": DISTRIBUTION[backend]})):
        config = config_from_dict({**CONFIG, "train": {**CONFIG["train"], "distribution": distribution}})
        if distribution is not None and backend == "jax":
            # Validation as for a large set, in batches of 8 and 3 (`DatasetValidation`): the 3 do not split
            # over two devices. (One device, and TensorFlow's run, score the 11 windows in memory, in one batch.)
            trainer.VALIDATION_IN_MEMORY_BYTES = 0
        seen.clear()
        run = seqkit.train(config, runs_dir=runs_dir, verbose=0, callbacks=[Probe()])
        with open(run.path / "history.csv", newline="") as file:
            logged = next(csv.DictReader(file))
        record[name] = {
            "loss": float(logged["loss"]), "val_loss": float(logged["val_loss"]), "path": str(run.path), "prediction": run.model.predict(x, verbose=0).tolist(),
            "device": json.loads((run.path / "manifest.json").read_text())["device"], **seen,
        }
    print(json.dumps(record))


DISTRIBUTION = {"tensorflow": "mirrored", "jax": "data_parallel"}

if __name__ == "__main__":
    main(*sys.argv[1:])
