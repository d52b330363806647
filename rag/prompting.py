"""Render the prompt files in `prompts/` strictly: an unknown or missing variable is an error."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from jinja2 import Environment, StrictUndefined


@cache
def _environment() -> Environment:
    return Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False,
                       trim_blocks=False)


@cache
def _source(name: str) -> str:
    return (files("prompts") / f"{name}.j2").read_text(encoding="utf-8")


def render(name: str, **values: Any) -> str:
    """Render `prompts/<name>.j2` with `values`; jinja2.UndefinedError if one is missing."""
    return _environment().from_string(_source(name)).render(**values).strip()
