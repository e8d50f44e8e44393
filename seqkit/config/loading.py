"""Reading YAML experiment files into a validated `ExperimentConfig`.

YAML is parsed with `yaml.safe_load` semantics (plus a duplicate-key check),
`--set` overrides are applied to the raw mapping, and the result is validated
once. Every problem is collected into one `ConfigError` whose message lists
each with its dotted path, the value received and, for misspelt keys or
choices, a "did you mean".
"""

from __future__ import annotations

import copy
import difflib
import re
import types
import typing
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from seqkit.config.experiment import ExperimentConfig, experiment_rules, is_safe_run_name
from seqkit.config.model import ModelConfig, model_rules
from seqkit.errors import ConfigError


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a mapping with the same key twice."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise ConfigError(
                f"duplicate key '{key}' on line {line} (first on line {seen[key]}); "
                "YAML keeps only the last one, so remove one of them"
            )
        seen[key] = line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping safely, refusing duplicate keys.

    Raises:
        ConfigError: The file is missing, is not valid YAML, repeats a key, or
            does not hold a mapping at its top level.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file '{path}' does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file '{path}': {exc}") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path} must hold a mapping of sections (data, model, train, ...), "
            f"got a {type(data).__name__}"
        )
    return data


def apply_overrides(raw: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Apply `dotted.key=value` overrides to a raw config mapping.

    Values are parsed as YAML, so `model.layers=[64,32]` gives a list and
    `train.epochs=5` an integer.

    Returns:
        A new mapping; `raw` is not changed.

    Raises:
        ConfigError: An override is not of the form `key=value`.
    """
    result = raw
    for item in overrides:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", key):
            raise ConfigError(
                f"override '{item}' must look like 'section.key=value', e.g. 'model.layers=[64,32]'"
            )
        try:
            value = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError as exc:
            raise ConfigError(f"override '{item}': the value is not valid YAML ({exc})") from None
        # A search dimension's own name is a dotted path: `tune.space.model.layers={choice: [[32], [64]]}`.
        space = "tune.space."
        result = set_path(result, ("tune", "space", key[len(space):]) if key.startswith(space) else key, value)
    return copy.deepcopy(result) if result is raw else result


def set_path(raw: dict[str, Any], path: str | tuple[str, ...], value: Any) -> dict[str, Any]:
    """A copy of a raw config mapping with the setting at dotted `path` (or at its keys, a tuple) set to `value`.

    Missing (or non-mapping) sections on the way are created, so
    `train.optimizer.learning_rate` works on a file without `train:`.
    """
    result = copy.deepcopy(raw)
    node = result
    parts = path if isinstance(path, tuple) else tuple(path.split("."))
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = copy.deepcopy(value)
    return result


def load_config(path: str | Path, overrides: Sequence[str] = ()) -> ExperimentConfig:
    """Read, override and validate a YAML experiment file.

    Args:
        path: The YAML file.
        overrides: `dotted.key=value` strings applied before validation.

    Returns:
        The validated config; relative paths in it resolve against the file's folder.

    Raises:
        ConfigError: Listing every problem found, each with its dotted path.

    Example:
        >>> cfg = load_config("configs/quickstart.yaml", ["model.layers=[32]"])
    """
    path = Path(path)
    raw = apply_overrides(read_yaml(path), overrides)
    cfg = config_from_dict(raw, source=str(path))
    if cfg.name is None and not is_safe_run_name(path.stem):
        problem = (
            f"the config file's name gives the run name {path.stem!r}, which starts with a dot and so would "
            "leave runs/ or hide the run's folder. Set `name`, e.g. `name: airline_lstm`, or rename the file"
        )
        raise ConfigError(format_problems(str(path), [("name", problem)]))
    cfg._source = path.resolve()
    return cfg


def with_data_file(cfg: ExperimentConfig, file: Path) -> ExperimentConfig:
    """`cfg` reading its data from `file` instead of its `data.path` or `data.dataset`.

    `data.path` in a config stays inside the config's folder (a config received
    from someone cannot read files elsewhere); `file` is a path the user typed
    (`seqkit train --data`, `seqkit.train(data=...)`), so it may be anywhere.
    The copy's `data.path` is the file's name, resolved against the file's folder.

    Args:
        cfg: A validated config with a `data` section.
        file: An absolute path to an existing file.

    Raises:
        ConfigError: The file does not fit the config (e.g. a text config needs a `.txt` file).
    """
    raw = cfg.model_dump(mode="json")
    raw["data"].update(path=file.name, dataset=None, synthetic=None)
    source = f"{cfg.source or 'the config'} with data file '{file}'"
    new = config_from_dict(raw, source=source)
    new._source = cfg._source
    new._data_dir = file.parent
    return new


def with_overrides(config: ExperimentConfig, overrides: Sequence[str]) -> ExperimentConfig:
    """`config` with `dotted.key=value` overrides applied and validated again (its file, if any, kept).

    Raises:
        ConfigError: A bad override, or a value the config's rules refuse.
    """
    if not overrides:
        return config
    raw = apply_overrides(config.model_dump(mode="json", exclude_none=False), overrides)
    updated = config_from_dict(raw, source=str(config.source or "the config"))
    updated._source = config._source
    return updated


def config_from_dict(raw: dict[str, Any], *, source: str = "config") -> ExperimentConfig:
    """Validate a plain mapping into an `ExperimentConfig`, reporting every problem at once.

    Raises:
        ConfigError: Listing every problem found, each with its dotted path.
    """
    try:
        return ExperimentConfig.model_validate(raw)
    except ValidationError as exc:
        problems = _pydantic_problems(exc)
    problems.extend(_lenient_rule_problems(raw))
    raise ConfigError(format_problems(source, problems))


def format_problems(source: str, problems: list[tuple[str, str]]) -> str:
    """One message listing each distinct problem on its own line."""
    unique = list(dict.fromkeys(problems))
    noun = "problem" if len(unique) == 1 else "problems"
    lines = [f"{source} has {len(unique)} {noun}:"]
    lines += [f"  {path}: {msg}" if path else f"  {msg}" for path, msg in unique]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Turning pydantic's errors into seqkit's messages.


def _pydantic_problems(exc: ValidationError, root: type[BaseModel] = ExperimentConfig) -> list[tuple[str, str]]:
    grouped: dict[str, list[str]] = {}
    for err in exc.errors():
        path, parent = _walk(root, err["loc"])
        for item in _describe(err, path, parent):
            grouped.setdefault(item[0], [])
            if item[1] not in grouped[item[0]]:
                grouped[item[0]].append(item[1])
    problems = []
    for path, messages in grouped.items():
        if len(messages) > 1 and all(m.startswith("must be") for m in messages):
            received = _received_suffix(messages[0])
            alternatives = [re.sub(r" \(got .*\)$", "", m)[len("must be ") :] for m in messages]
            problems.append((path, "must be " + " or ".join(alternatives) + received))
        else:
            problems.extend((path, m) for m in messages)
    return problems


def _received_suffix(message: str) -> str:
    match = re.search(r" \(got .*\)$", message)
    return match.group(0) if match else ""


def _describe(err: dict, path: str, parent: Any) -> list[tuple[str, str]]:
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(err["loc"][-1])
        hint = did_you_mean(key, _field_names(parent)) or _other_section(key, path)
        return [(path, f"unknown key{hint}")]
    if kind == "missing":
        return [(path, "required, but missing")]
    if kind in ("value_error", "assertion_error"):
        error = ctx.get("error")
        if isinstance(error, ValueError) and hasattr(error, "problems"):
            return list(error.problems)
        message = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return [(path, f"{message} (got {_show(value)})")]
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        hint = did_you_mean(str(value), choices) if isinstance(value, str) else ""
        return [(path, f"must be {ctx.get('expected')} (got {_show(value)}){hint}")]
    if kind == "union_tag_invalid":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))
        hint = did_you_mean(str(ctx.get("tag")), choices)
        return [(f"{path}.{ctx.get('discriminator', 'type').strip(chr(39))}",
                 f"must be one of {', '.join(repr(c) for c in choices)} (got {_show(ctx.get('tag'))}){hint}")]
    if kind == "union_tag_not_found":
        return [(f"{path}.type", "required, but missing")]
    message = str(err["msg"])
    message = re.sub(r"^Input should be", "must be", message)
    message = re.sub(r"^Input should have", "must have", message)
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        message = "must be a mapping of keys to values"
    return [(path, f"{message} (got {_show(value)})")]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _other_section(key: str, path: str) -> str:
    """A hint for a key that belongs to another top-level section."""
    section = path.split(".", 1)[0]
    for name, field in ExperimentConfig.model_fields.items():
        owner = _strip(field.annotation)
        if name != section and key in _field_names(owner):
            return f" (did you mean '{name}.{key}'?)"
    return ""


def _field_names(model: Any) -> list[str]:
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _strip(annotation: Any) -> Any:
    """Remove `Annotated[...]` and `X | None` around a type."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation


def _tagged_members(annotation: Any) -> dict[str, type[BaseModel]] | None:
    """`{tag: model}` for a union of models told apart by a `type` literal."""
    origin = typing.get_origin(annotation)
    if origin not in (typing.Union, types.UnionType):
        return None
    members: dict[str, type[BaseModel]] = {}
    for arg in typing.get_args(annotation):
        arg = _strip(arg)
        if not (isinstance(arg, type) and issubclass(arg, BaseModel) and "type" in arg.model_fields):
            return None
        tag = arg.model_fields["type"].default
        members[str(tag)] = arg
    return members


def _walk(root: type[BaseModel], loc: tuple) -> tuple[str, Any]:
    """Follow an error location through the schema.

    Returns:
        The dotted path a user recognises (union tags and member labels left
        out), and the schema class holding the last key.
    """
    shown: list[str] = []
    current: Any = root
    parent: Any = root
    for part in loc:
        parent = current
        annotation = _strip(current) if current is not None else None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            shown.append(str(part))
            field = annotation.model_fields.get(str(part))
            current = field.annotation if field is not None else None
            parent = annotation
            continue
        members = _tagged_members(annotation) if annotation is not None else None
        if members is not None and str(part) in members:
            current = members[str(part)]
            continue
        if isinstance(part, int):
            shown.append(str(part))
            args = typing.get_args(annotation) if annotation is not None else ()
            current = args[0] if args else None
            continue
        if typing.get_origin(annotation) in (typing.Union, types.UnionType):
            current = None  # an untagged union's member label: not part of the user's path
            continue
        shown.append(str(part))
        current = None
    final = _strip(parent) if parent is not None else None
    return ".".join(shown), final


def _lenient_rule_problems(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """Run the cross-field rules on whatever parts of the input are readable.

    Field errors stop pydantic before its cross-field validators run; this
    builds stand-ins from the defaults and the raw values (no validation) so a
    misspelt key in one section does not hide a broken combination in another.
    """
    from seqkit.config.data import DataConfig
    from seqkit.config.recipe import with_defaults
    from seqkit.config.train import TrainConfig

    raw = with_defaults(raw)  # the defaults validation would have filled in

    def section(cls: type[BaseModel], value: Any) -> SimpleNamespace:
        values = {
            name: field.get_default(call_default_factory=True)
            for name, field in cls.model_fields.items()
            if not field.is_required()
        }
        if isinstance(value, dict):
            values.update({k: v for k, v in value.items() if k in cls.model_fields})
        return SimpleNamespace(**values)

    model = section(ModelConfig, raw.get("model"))
    head = model.head if isinstance(model.head, dict) else {}
    model.head = SimpleNamespace(type=head.get("type", "forecast"))
    data = section(DataConfig, raw.get("data")) if isinstance(raw.get("data"), dict) else None
    stand_in = SimpleNamespace(model=model, train=section(TrainConfig, raw.get("train")), data=data)
    problems: list[tuple[str, str]] = []
    for rule, arg in ((model_rules, model), (experiment_rules, stand_in)):
        try:
            problems.extend(rule(arg))
        except Exception:  # noqa: BLE001 - a value too broken to judge is reported by pydantic
            continue
    return problems
