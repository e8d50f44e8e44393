"""The package's layers: data flows one way, and the imports show it.

Reads every module's imports (function-level ones included) and checks them
against the drawing in README.md's "Architecture" section: a module may
import from its own subpackage, from the neutral modules, and from layers
above its own, never from one below it or beside it.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "seqkit"

# Top to bottom. Modules at the package's top that every layer may use:
NEUTRAL = {"backend", "errors", "exports", "files", "quiet", "reference"}
LAYERS = [
    {"config"},
    {"data", "models", "evaluation"},
    {"tasks"},
    {"inference"},
    {"training"},
    {"tuning"},
    {"backtesting"},  # a loop over training runs, as tuning is; nothing below it imports it
    {"cli", "__init__", "__main__", "plots"},  # the public API, its figures and the command line sit on everything
]
LEVEL = {part: level for level, parts in enumerate(LAYERS) for part in parts}


def _part_of(module: str) -> str | None:
    bits = module.split(".")
    if bits[0] != "seqkit" or len(bits) == 1:
        return None  # the package root (its version) is loaded before any of its modules anyway
    return bits[1]


def _imports(file: Path) -> list[tuple[int, str]]:
    """`(line, module)` for every import in the file, at any depth."""
    me = file.relative_to(PACKAGE.parent).with_suffix("").parts
    found = []
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = me[: len(me) - node.level]
                module = ".".join(base + ((node.module,) if node.module else ()))
            else:
                module = node.module
            found.append((node.lineno, module))
            if module == "seqkit":  # `from seqkit import files`
                found += [(node.lineno, f"seqkit.{alias.name}") for alias in node.names]
    return found


def _edges() -> list[tuple[str, str, str]]:
    edges = []
    for file in sorted(PACKAGE.rglob("*.py")):
        rel = file.relative_to(PACKAGE)
        source = rel.parts[0].removesuffix(".py") if len(rel.parts) == 1 else rel.parts[0]
        for line, module in _imports(file):
            target = _part_of(module)
            if target is not None and target != source:
                edges.append((source, target, f"{file.relative_to(PACKAGE.parent)}:{line} imports {module}"))
    return edges


def test_every_part_of_the_package_has_a_layer():
    parts = {p.name.removesuffix(".py") for p in PACKAGE.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert parts - NEUTRAL - set(LEVEL) == set(), "add new subpackages to LAYERS (and to README's drawing)"


def allowed(source: str, target: str) -> bool:
    """Whether code in part `source` of the package may import part `target`."""
    if target in NEUTRAL:
        return True
    if source in NEUTRAL:
        return False
    top = len(LAYERS) - 1
    return LEVEL[target] < LEVEL[source] or LEVEL[source] == LEVEL[target] == top


def test_no_module_imports_from_a_layer_below_or_beside_its_own():
    assert [where for source, target, where in _edges() if not allowed(source, target)] == []


def test_no_two_subpackages_import_each_other():
    pairs = {(source, target) for source, target, _ in _edges()}
    assert sorted((a, b) for a, b in pairs if (b, a) in pairs and a < b) == []


def test_the_rule_tells_allowed_from_forbidden_imports():
    assert allowed("training", "inference") and allowed("tasks", "data") and allowed("data", "files")
    assert not allowed("data", "tasks") and not allowed("inference", "training")
    assert not allowed("data", "evaluation") and not allowed("files", "config")


def test_function_level_imports_are_read(tmp_path):
    file = tmp_path / "seqkit" / "data" / "late.py"
    file.parent.mkdir(parents=True)
    file.write_text("def f():\n    from seqkit.tasks import task_for\n    from .. import files\n")
    global PACKAGE
    saved, PACKAGE = PACKAGE, tmp_path / "seqkit"
    try:
        assert [module for _, module in _imports(file)] == ["seqkit.tasks", "seqkit", "seqkit.files"]
    finally:
        PACKAGE = saved
