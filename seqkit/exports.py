"""Names a package exports but loads on first use (PEP 562), so `import seqkit` does not start Keras.

Example (a package's `__init__.py`):

```python
_EXPORTS = {"Run": "seqkit.inference.run", "load_run": "seqkit.inference.run"}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
```
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], object], Callable[[], list]]:
    """The module-level `__getattr__` and `__dir__` of a package whose names load lazily.

    Args:
        package: The package's `__name__`.
        exports: Each exported name and the module it is defined in.

    Returns:
        `(__getattr__, __dir__)`: the first imports a name's module on first
        use and keeps the value on the package, so later look-ups are plain
        attribute reads; a name that is none of `exports` but one of the
        package's subpackages or modules (`seqkit.data`) is imported, as
        `import seqkit.data` would; the second lists the package's `__all__`.
    """

    def __getattr__(name: str):
        module = exports.get(name)
        if module is None:
            if not name.startswith("_") and importlib.util.find_spec(f"{package}.{name}") is not None:
                return importlib.import_module(f"{package}.{name}")
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list:
        return list(sys.modules[package].__all__)

    return __getattr__, __dir__
