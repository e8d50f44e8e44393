"""TensorFlow's start-up chatter kept away from users; `SEQKIT_VERBOSE_BACKEND=1` brings it back.

TF 2.21 prints its start-up notices through absl before its log level
applies, so `TF_CPP_MIN_LOG_LEVEL` alone does not stop them. `import seqkit`
installs a one-shot import hook that runs TensorFlow's first import (by
anyone) and its GPU probe with descriptor 2 hidden, shown after all if the
import fails, and sets the tensorflow and absl Python loggers to errors.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.util
import logging
import os
import sys
import tempfile

VERBOSE_BACKEND = "SEQKIT_VERBOSE_BACKEND"
"""Set this environment variable to 1 to see TensorFlow's start-up messages again."""


def _backend_verbose() -> bool:
    return os.environ.get(VERBOSE_BACKEND, "").strip().lower() not in ("", "0", "false", "no")


@contextlib.contextmanager
def _stderr_hidden():
    """Send file descriptor 2 to a scratch file for the block; show what it caught only if the block fails.

    TensorFlow's C++ code prints its start-up notices (absl's "All log
    messages before absl::InitializeLog()", oneDNN, "Could not find cuda
    drivers", cuInit) straight to descriptor 2, before any log level applies.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, AttributeError, ValueError):  # no descriptor 2 to hide (an embedded interpreter)
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _quiet_python_logging(tensorflow) -> None:
    # Warnings TensorFlow and absl log from Python; errors still show.
    tensorflow.get_logger().setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)


class _QuietLoader(importlib.abc.Loader):
    """Runs TensorFlow's own loader with descriptor 2 hidden, then probes the GPU while still hidden."""

    def __init__(self, loader) -> None:
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        module.__loader__ = module.__spec__.loader = self.loader
        with _stderr_hidden():
            self.loader.exec_module(module)
            _quiet_python_logging(module)
            # The CUDA probe prints (cuInit) on first use; make that now, hidden, not mid-run.
            module.config.list_physical_devices("GPU")


class _QuietTensorFlowFinder(importlib.abc.MetaPathFinder):
    """Wraps the first import of `tensorflow`, by anyone, in `_QuietLoader`; then steps aside."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "tensorflow":
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


def quiet_tensorflow() -> None:
    """Quiet TensorFlow's next import (or the loaded one) unless SEQKIT_VERBOSE_BACKEND is set."""
    if _backend_verbose():
        return
    # TensorFlow's C++ log level (2: errors only); a value the user set wins.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        _quiet_python_logging(sys.modules["tensorflow"])
    elif not any(isinstance(finder, _QuietTensorFlowFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlowFinder())
