"""Reading phoenix.yaml: YAML with duplicate keys refused, then the model; any fault becomes one
``ConfigError`` whose problems name a field path."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from engine.config.document import PhoenixConfig
from engine.errors import ConfigError, Problem
from engine.problems import problems_from_validation, problems_from_yaml


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate keys instead of keeping the last one silently."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_config(text: str, source: str = "phoenix.yaml") -> PhoenixConfig:
    """Parse and validate phoenix.yaml text; raise ConfigError listing every problem."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ConfigError(source, problems_from_yaml(exc)) from None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(source, [Problem("", "the file must hold a mapping of settings")])
    try:
        return PhoenixConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, problems_from_validation(exc, data, PhoenixConfig)) from None


def load_config(path: str | Path) -> PhoenixConfig:
    """Read and validate a phoenix.yaml file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            str(path), [Problem("", f"cannot read the file: {exc.strerror}")]
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), [Problem("", "the file is not UTF-8 text")]) from None
    return parse_config(text, str(path))
