"""A search space checked against the config it searches, and a point of it applied to that config.

A dimension's path must name a model, train or data setting of the config;
each of its values (a choice, a range's ends, true and false) must be one that
setting accepts; and the config rules must allow at least one point of the
space. All three are checked by applying values to the config and validating
the result with the same models a run's config goes through, so the search
accepts exactly what `seqkit train` accepts.
"""

from __future__ import annotations

import difflib
import itertools
import typing
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from seqkit.config.loading import _lenient_rule_problems, _pydantic_problems, _strip, config_from_dict, set_path

if TYPE_CHECKING:
    from seqkit.config.experiment import ExperimentConfig

SEARCHABLE = ("model", "train", "data")

#: The most points whose every combination is validated; a larger space is checked value by value.
MAX_CHECKED_POINTS = 1024


def base_mapping(cfg: ExperimentConfig) -> dict:
    """The config as a plain mapping, without its search settings (so re-validating it checks no space)."""
    raw = cfg.model_dump(mode="json", exclude={"tune"})
    raw["name"] = cfg.name
    return raw


def with_values(cfg: ExperimentConfig, values: dict[str, Any]) -> ExperimentConfig:
    """The ordinary config of one point of the search: `values` (dotted path -> value) applied and validated.

    The result has no search space; its file and run name are the searched config's.

    Raises:
        ConfigError: The point breaks a config rule, listing each problem.
    """
    raw = base_mapping(cfg)
    for path, value in values.items():
        raw = set_path(raw, path, value)
    point = config_from_dict(raw, source="this trial's config")
    point._source = cfg._source
    return point


def space_rules(cfg: ExperimentConfig) -> list[tuple[str, str]]:
    """Problems of `cfg.tune.space` against the rest of `cfg` (empty: every dimension is usable).

    Returns:
        `(dotted path, message)` pairs, the path `tune.space.<dimension>` (or
        `tune.space` / `tune.objective` for the space as a whole).
    """
    space = cfg.tune.space
    if not space:
        return []
    problems = _validation_split_problems(cfg)
    known = setting_paths(cfg)
    base = base_mapping(cfg)
    usable: dict[str, list[tuple[str, Any]]] = {}
    for path, dimension in space.items():
        where = f"tune.space.{path}"
        section = path.split(".", 1)[0]
        if section not in SEARCHABLE:
            problems.append((where, f"only model, train and data settings can be searched, not {section!r}"))
            continue
        if section == "data" and cfg.data is None:
            problems.append((where, "the config has no data section to search; add `data:`"))
            continue
        if path not in known:
            close = difflib.get_close_matches(path, known, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.append((where, f"unknown setting '{path}'{hint}"))
            continue
        usable[path] = []
        for label, value in dimension.candidates():
            refused = [
                (p, m) for p, m in _problems_of(set_path(base, path, value)) if p == path or p.startswith(path + ".")
            ]
            if refused:
                details = "; ".join(f"{p}: {m}" for p, m in refused)
                problems.append((where, f"{label} is not a value {path} accepts: {details}"))
            else:
                usable[path].append((label, value))
    if problems or not usable:
        return problems
    return _combination_problems(base, usable)


def _validation_split_problems(cfg: ExperimentConfig) -> list[tuple[str, str]]:
    split = cfg.data.split if cfg.data is not None else None
    if split is None or "data.split" in cfg.tune.space:
        return []
    has_val = split.val_start is not None if split.type == "date" else split.val > 0
    if has_val:
        return []
    return [
        (
            "tune.objective",
            f"{cfg.tune.objective.name} is scored on the validation split, but data.split has none; "
            "give data.split a validation part (`val`, or `val_start` for a date split)",
        )
    ]


def _combination_problems(base: dict, usable: dict[str, list[tuple[str, Any]]]) -> list[tuple[str, str]]:
    """Values (or the whole space) that the config rules forbid at every point of the space."""
    size = 1
    for values in usable.values():
        size *= len(values)
    paths = list(usable)
    if size > MAX_CHECKED_POINTS:  # too many to try: each value with the rest of the config as it is
        points = [((p, item),) for p in paths for item in usable[p]]
    else:
        points = [tuple(zip(paths, combo, strict=True)) for combo in itertools.product(*usable.values())]
    failures: dict[tuple, list[tuple[str, str]]] = {}
    for point in points:
        raw = base
        for path, (_, value) in point:
            raw = set_path(raw, path, value)
        found = _problems_of(raw)
        if found:
            failures[point] = found
    if not failures:
        return []
    if size <= MAX_CHECKED_POINTS and len(failures) == len(points):
        point, found = next(iter(failures.items()))
        return [
            (
                "tune.space",
                f"every point of the search space breaks a config rule, e.g. {_point_text(point)}: "
                f"{found[0][0]}: {found[0][1]}. Change the searched values or the settings they combine with",
            )
        ]
    problems = []
    for path in paths:
        for label, value in usable[path]:
            with_it = [pt for pt in points if (path, (label, value)) in pt]
            if with_it and all(pt in failures for pt in with_it):
                p, m = failures[with_it[0]][0]
                context = "" if len(with_it[0]) == 1 else f", e.g. {_point_text(with_it[0])}"
                problems.append((f"tune.space.{path}", f"{label} breaks a config rule wherever it is tried{context}: "
                                 f"{p}: {m}"))
    return problems


def _point_text(point: tuple) -> str:
    return ", ".join(f"{path}={value!r}" for path, (_, value) in point)


def _problems_of(raw: dict) -> list[tuple[str, str]]:
    """The problems `seqkit train` would report for this mapping (empty: it is a valid config)."""
    from seqkit.config.experiment import ExperimentConfig

    try:
        ExperimentConfig.model_validate(raw)
    except ValidationError as error:
        return list(dict.fromkeys(_pydantic_problems(error) + _lenient_rule_problems(raw)))
    return []


def setting_paths(cfg: ExperimentConfig) -> list[str]:
    """Every dotted path of a model, train or data setting in `cfg` (sections included), for look-ups."""
    paths: list[str] = []
    for section in SEARCHABLE:
        value = getattr(cfg, section)
        field = type(cfg).model_fields[section]
        paths.append(section)
        paths.extend(_walk(_model_class(field.annotation, value), value, section))
    return paths


def _walk(cls: type[BaseModel] | None, value: Any, prefix: str) -> list[str]:
    if cls is None:
        return []
    found: list[str] = []
    for name, field in cls.model_fields.items():
        path = f"{prefix}.{name}"
        found.append(path)
        sub = getattr(value, name, None) if value is not None else None
        if isinstance(sub, dict):
            for key, item in sub.items():
                found.append(f"{path}.{key}")
                if isinstance(item, BaseModel):
                    found.extend(_walk(type(item), item, f"{path}.{key}"))
            continue
        found.extend(_walk(_model_class(field.annotation, sub), sub, path))
    return found


def _model_class(annotation: Any, value: Any) -> type[BaseModel] | None:
    """The section class of a field: its value's class, else the one model in its annotation."""
    if isinstance(value, BaseModel):
        return type(value)
    annotation = _strip(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    members = [a for a in typing.get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
    return members[0] if len(members) == 1 else None
