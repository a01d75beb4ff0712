"""Typed ``[sources.options]`` for a collector: unknown keys and wrong types are errors
naming the source, so a typo in the watch list does not silently change nothing."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from sourcewatch.collectors.base import CollectorError
from sourcewatch.sources.config import SourceConfig

T = TypeVar("T")


def read_options(options_class: type[T], source: SourceConfig) -> T:
    """Build the dataclass ``options_class`` from ``source.options``."""
    defaults = options_class()
    fields = {f.name for f in dataclasses.fields(options_class)}  # type: ignore[arg-type]
    unknown = sorted(set(source.options) - fields)
    if unknown:
        raise CollectorError(
            source.name,
            f"unknown option(s) {', '.join(unknown)} for kind {source.kind!r}; "
            f"known: {', '.join(sorted(fields))}",
        )
    values: dict[str, Any] = {}
    for name, value in source.options.items():
        default = getattr(defaults, name)
        if isinstance(default, float) and type(value) is int:
            value = float(value)
        if type(value) is not type(default):
            raise CollectorError(
                source.name, f"option {name} must be {type(default).__name__}, got {value!r}"
            )
        values[name] = value
    return options_class(**values)
