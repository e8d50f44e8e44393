"""The notebooks run top to bottom (their code cells, in order, in one namespace)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
# Notebook 03 trains configs/char_lm.yaml as shipped (so test_configs_train leaves that config to it): one epoch.
EPOCHS = {"03_text_generation": "1"}


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_notebook_runs(notebook, tmp_path, monkeypatch):
    cells = json.loads(notebook.read_text())["cells"]
    assert all(not cell.get("outputs") for cell in cells), "commit notebooks without outputs"
    code = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
    try:
        import IPython.display  # noqa: F401 - present with the notebook extra
    except ImportError:  # the test extra has no IPython: a stand-in that shows nothing
        import sys
        import types

        ipython = types.ModuleType("IPython")
        ipython.version_info = (9, 0, 0)
        ipython.get_ipython = lambda: None  # not inside a notebook kernel (KerasTuner asks)
        display = types.ModuleType("IPython.display")
        display.Image = lambda filename: Path(filename).read_bytes()
        display.display = lambda *objects: None
        monkeypatch.setitem(sys.modules, "IPython", ipython)
        monkeypatch.setitem(sys.modules, "IPython.display", display)
    monkeypatch.chdir(notebook.parent)
    # The cells run as a reader runs them; the training is short (a character model's epoch is ~20 s on 2 cores).
    monkeypatch.setenv("SEQKIT_MAX_EPOCHS", EPOCHS.get(notebook.stem, "3"))
    namespace: dict = {}
    for source in code:
        source = source.replace('root / "runs"', repr(str(tmp_path)))
        exec(compile(source, str(notebook), "exec"), namespace)  # noqa: S102 - our own notebook
