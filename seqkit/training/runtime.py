"""Device, threads, precision and seeds: set once, before a run builds its model.

The same config runs on CPU or GPU; `train.device: auto` takes a GPU when
the backend sees one. Backend-specific calls are confined to this module.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import keras

from seqkit.config.train import TrainConfig
from seqkit.errors import ConfigError


@dataclass(frozen=True)
class Runtime:
    """What a run executes on.

    Attributes:
        backend: Keras backend name.
        device: `cpu` or `gpu`.
        description: Human-readable device line for logs and the manifest.
        intra_threads: Intra-op threads set (0: the backend's default).
        inter_threads: Inter-op threads set (0: the backend's default).
        mixed_precision: Whether float16 compute is on.
    """

    backend: str
    device: str
    description: str
    intra_threads: int = 0
    inter_threads: int = 0
    mixed_precision: bool = False


def thread_settings(threads: str | int) -> tuple[int, int]:
    """Intra- and inter-op thread counts for `train.threads` (0 = the backend's default).

    `auto` keeps TensorFlow's defaults: benchmarks/threads.py, training
    through seqkit's own windowed tf.data pipeline on 2 cores, measured them
    fastest; a single inter-op thread starves the pipeline's read-ahead and
    cost about a quarter of the throughput. A number caps both pools.
    """
    if threads == "auto":
        return 0, 0
    return int(threads), int(threads)


def configure_runtime(config: TrainConfig) -> Runtime:
    """Seed everything and choose device, threads and precision for a run.

    Call it before building the model: TensorFlow fixes thread pools and
    visible devices when it first runs an op.

    Raises:
        ConfigError: `device: gpu` was asked for but no GPU is visible, or `threads`
            is a number on a backend other than TensorFlow.
    """
    keras.utils.set_random_seed(config.seed)
    backend = keras.backend.backend()
    intra, inter = thread_settings(config.threads)
    if intra and backend != "tensorflow":
        raise ConfigError(
            f"train.threads is {config.threads}, but only TensorFlow's thread pools take a count and this run is on "
            f"the {backend!r} backend; remove train.threads (or set it to auto), or set train.backend: tensorflow"
        )
    gpus: list[str] = []
    if backend == "tensorflow":
        import tensorflow as tf

        try:
            if intra:
                tf.config.threading.set_intra_op_parallelism_threads(intra)
                tf.config.threading.set_inter_op_parallelism_threads(inter)
        except RuntimeError:
            intra = inter = 0  # TensorFlow already started (a notebook): keep its pools
        physical = tf.config.list_physical_devices("GPU")
        if config.device == "cpu" and physical:
            try:
                tf.config.set_visible_devices([], "GPU")
            except RuntimeError:
                warnings.warn("TensorFlow already runs on the GPU; train.device 'cpu' cannot hide it now", stacklevel=2)
            physical = []
        gpus = [getattr(d, "name", str(d)) for d in physical]
    elif backend == "jax":
        import jax

        gpus = [str(d) for d in jax.devices() if d.platform == "gpu"] if config.device != "cpu" else []
    elif backend == "torch":
        import torch

        gpus = [torch.cuda.get_device_name(0)] if config.device != "cpu" and torch.cuda.is_available() else []
    if config.device == "gpu" and not gpus:
        raise ConfigError(
            "train.device is 'gpu' but the backend sees no GPU; use 'auto' (GPU when present) or 'cpu'"
        )
    device = "gpu" if gpus else "cpu"
    mixed = False
    if config.mixed_precision:
        if device == "gpu":
            keras.mixed_precision.set_global_policy("mixed_float16")
            mixed = True
        else:
            warnings.warn("train.mixed_precision is ignored on CPU, where float16 is slower", stacklevel=2)
    if device == "gpu":
        description = f"gpu ({', '.join(gpus)}; {backend} backend)"
    else:
        pools = "TensorFlow's" if backend == "tensorflow" else "XLA's"
        threads = f"{intra} intra-op / {inter} inter-op threads" if intra else f"{pools} default threads"
        description = f"cpu ({os.cpu_count()} cores, {threads}; {backend} backend)"
    return Runtime(backend, device, description, intra, inter, mixed)
