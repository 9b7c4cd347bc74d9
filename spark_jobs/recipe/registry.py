"""Registries of transforms and functions, keyed by their Wrangle name.

A family is one module, ``transforms/<family>.py`` or ``functions/<family>.py``, whose functions
carry the :func:`transform` / :func:`function` decorators; :func:`load_families` imports every
module of both packages, so adding a family is adding a module (see docs/wrangle.md).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from spark_jobs.recipe.context import Arg, CallContext, StepContext

TransformFn = Callable[["StepContext"], "DataFrame"]
FunctionFn = Callable[["CallContext", "list[Arg]"], "Column"]


@dataclass(frozen=True)
class TransformSpec:
    name: str
    fn: TransformFn
    required: tuple[str, ...]
    params: frozenset[str]
    family: str
    #: parameters whose values name other datasets of the flow (edges of the job graph)
    dataset_params: tuple[str, ...] = ()


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    fn: FunctionFn
    arity: tuple[int, int | None]
    family: str
    #: "scalar", "aggregate" (needs a group) or "window" (needs an order)
    kind: str = "scalar"
    aliases: tuple[str, ...] = field(default=())
    #: a sample call over the columns ``s`` (string), ``n`` (numeric text), ``d`` (double),
    #: ``t`` (timestamp), ``a`` (array<string>): the no-UDF plan test compiles it
    example: str | None = None

    def arity_text(self) -> str:
        low, high = self.arity
        if high == low:
            return f"{low} argument{'s' if low != 1 else ''}"
        if high is None:
            return f"at least {low} argument{'s' if low != 1 else ''}"
        return f"{low} to {high} arguments"


TRANSFORMS: dict[str, TransformSpec] = {}
FUNCTIONS: dict[str, FunctionSpec] = {}


def _family(module: str) -> str:
    return module.rsplit(".", 1)[-1]


def transform(
    name: str,
    *,
    required: Sequence[str] = (),
    optional: Sequence[str] = (),
    dataset_params: Sequence[str] = (),
) -> Callable[[TransformFn], TransformFn]:
    """Register ``fn(ctx: StepContext) -> DataFrame`` as the Wrangle transform ``name``."""

    def register(fn: TransformFn) -> TransformFn:
        key = name.lower()
        if key in TRANSFORMS:
            raise ValueError(f"transform {name!r} is registered twice")
        TRANSFORMS[key] = TransformSpec(
            name=key,
            fn=fn,
            required=tuple(p.lower() for p in required),
            params=frozenset(p.lower() for p in (*required, *optional)),
            family=_family(fn.__module__),
            dataset_params=tuple(dataset_params),
        )
        return fn

    return register


def function(
    name: str,
    *,
    arity: int | tuple[int, int | None] = 1,
    kind: str = "scalar",
    aliases: Sequence[str] = (),
    example: str | None = None,
) -> Callable[[FunctionFn], FunctionFn]:
    """Register ``fn(ctx: CallContext, args: list[Arg]) -> Column`` as the function ``name``.

    ``arity`` is an exact count or ``(least, most)`` with ``most=None`` for any number;
    ``example`` is a sample call for the no-UDF plan test when its default arguments do not fit.
    """

    def register(fn: FunctionFn) -> FunctionFn:
        bounds = (arity, arity) if isinstance(arity, int) else arity
        spec = FunctionSpec(
            name=name.upper(),
            fn=fn,
            arity=bounds,
            family=_family(fn.__module__),
            kind=kind,
            aliases=tuple(a.upper() for a in aliases),
            example=example,
        )
        for key in (spec.name, *spec.aliases):
            if key in FUNCTIONS:
                raise ValueError(f"function {key!r} is registered twice")
            FUNCTIONS[key] = spec
        return fn

    return register


_loaded = False


def load_families() -> None:
    """Import every family module once (their decorators fill the registries)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for package in ("spark_jobs.recipe.transforms", "spark_jobs.recipe.functions"):
        pkg: Any = importlib.import_module(package)
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
            importlib.import_module(f"{package}.{info.name}")
