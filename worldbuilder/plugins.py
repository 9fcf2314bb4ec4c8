"""Plug-in maps: one dict per kind of plug-in, name -> factory, and the one lookup every ``make_x`` uses.

Each kind (generator, objective writer, agent, collaborators, provider, judge) keeps its map in its stage's
contract module (``GENERATORS``, ``OBJECTIVE_WRITERS``, ``AGENTS``, ``COLLABORATORS``, ``PROVIDERS``,
``JUDGES``). A value is a callable or a ``"module:attr"`` string imported on use (so listing the names needs
no optional dependency). A name ending in ``:MODEL`` takes an argument: ``openai:gpt-4o`` calls the
``openai:MODEL`` factory with ``model="gpt-4o"``. A new backend is one new file plus one map entry.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

from worldbuilder.errors import WorldbuilderError

Registry = dict[str, "str | Callable[..., Any]"]
ARG = ":MODEL"


def names(registry: Registry) -> list[str]:
    """The names that take no argument (``click.Choice`` material), in map order."""
    return [k for k in registry if not k.endswith(ARG)]


def split(kind: str, registry: Registry, spec: str, error: type[Exception] = WorldbuilderError) -> tuple[str, str]:
    """``(map key, argument)`` of ``spec``; one-line ``error`` listing the known names when none matches."""
    if spec in registry and not spec.endswith(ARG):
        return spec, ""
    name, sep, arg = spec.partition(":")
    if sep and arg and name + ARG in registry:
        return name + ARG, arg
    raise error(f"unknown {kind} {spec!r} (use one of: {', '.join(registry)})")


def load(target: str | Callable[..., Any]) -> Callable[..., Any]:
    if callable(target):
        return target
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def make(kind: str, registry: Registry, spec: str, error: type[Exception] = WorldbuilderError, /,
         **options: Any) -> Any:
    """Build the ``kind`` plug-in named ``spec``, passing the ``options`` its factory accepts (by name)."""
    key, arg = split(kind, registry, spec, error)
    factory = load(registry[key])
    if arg:
        options = {**options, "model": arg}
    params = inspect.signature(factory).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        options = {k: v for k, v in options.items() if k in params}
    return factory(**options)


def check(kind: str, registry: Registry, spec: str, error: type[Exception] = WorldbuilderError) -> None:
    """Reject an unknown name before anything is created (nothing is imported)."""
    split(kind, registry, spec, error)
