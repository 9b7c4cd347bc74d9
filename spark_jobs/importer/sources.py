"""Datasources -> imported datasets, read the way the platform reads them.

The platform reads a file as one value, then runs the datasource's *parsing recipe* (SplitRows,
Split, Replace, Header ...) to give it rows and columns. Here:

* a parsing recipe that is exactly a split into lines, a split of each line on one delimiter
  (with or without the quote clean-up the platform adds) and a header becomes csv read options;
* a parsing recipe that only splits lines, or none at all (a source without structuring),
  becomes raw lines: one column ``column1``, one row per line (format ``text``);
* any other parsing recipe becomes raw lines plus a wrangled dataset of its own holding the
  rest of the parsing steps, so later steps see the columns (``column2`` ...) the platform made;
* a converted source (an Excel workbook) is read sheet by sheet as the platform converted it;
* a relational source (a table, or custom SQL such as ``select 1 as dummy``) is read with Spark
  SQL, over the session's catalog or through JDBC for a connection a rule maps to a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from spark_jobs.errors import FlowImportError
from spark_jobs.importer.package import Datasource, Recipe, RunParameter, Step
from spark_jobs.importer.values import AllColumns, Array, Column, Constant, constant_text

LINE_BREAKS = ("\n", "\r\n", "\r")


@dataclass
class SourcePlan:
    """What a datasource becomes: an imported dataset, the parsing steps still to run over it
    (empty: none), and what the import should tell the user."""

    dataset: dict[str, Any]
    parsing_steps: tuple[Step, ...] = ()
    warnings: list[str] = field(default_factory=list)


def _visible_steps(recipe: Recipe) -> list[Step]:
    return [s for s in recipe.steps if s.task.type != "Load"]


def _is_line_split(step: Step) -> bool:
    task = step.task
    return (
        task.type == "SplitRows"
        and constant_text(task.get("on")) in LINE_BREAKS
        and isinstance(task.get("col"), Column)
    )


def _is_quote_cleanup(step: Step) -> bool:
    """The two replacements the platform adds after a quoted split: ``""`` -> ``"`` and
    ``{start}"|"{end}`` -> nothing, over every column."""
    task = step.task
    if task.type not in ("Replace", "ReplacePatterns"):
        return False
    col = task.get("col")
    every = isinstance(col, Array) and len(col.items) == 1 and isinstance(col.items[0], AllColumns)
    on, with_ = task.get("on"), task.get("with")
    pair = (constant_text(on), constant_text(with_))
    return every and pair in (('""', '"'), ('{start}"|"{end}', ""), ('"', ""))


def csv_options(steps: list[Step]) -> dict[str, Any] | None:
    """Read options when the parsing steps are exactly lines + one delimiter split + header."""
    if not steps or not _is_line_split(steps[0]):
        return None
    rest = steps[1:]
    if len(rest) < 2 or rest[0].task.type != "Split" or rest[-1].task.type != "Header":
        return None
    split, header = rest[0].task, rest[-1].task
    if not all(_is_quote_cleanup(s) for s in rest[1:-1]):
        return None
    if constant_text(split.get("type"), "on") != "on" or header.get("sourcerownumber") is not None:
        return None
    on = split.get("on")
    delimiter = constant_text(on)
    if not delimiter or (isinstance(on, Constant) and on.type == "Pattern"):
        return None
    options: dict[str, Any] = {"header": True, "delimiter": delimiter}
    quote = constant_text(split.get("quote"))
    if quote:
        options["quote"] = quote
    else:
        options["quote"] = "\u0000"  # no quoting: a '"' is data, as in the platform's split
    return options


def _insert_parameters(path: str, parameters: tuple[RunParameter, ...]) -> str:
    """``{name}`` placed at each parameter's character position in a dynamic path."""
    inserts = sorted(
        ((pos, p.key) for p in parameters for pos in p.positions), key=lambda t: t[0], reverse=True
    )
    for pos, key in inserts:
        path = path[:pos] + "{" + key + "}" + path[pos:]
    return path


def dynamic_uri(source: Datasource) -> str:
    """The datasource's location with its path parameters in braces."""
    if source.dynamic_path is None:
        return source.uri
    uri = source.uri
    prefix = (
        uri[: len(uri) - len(source.location_path)]
        if source.location_path and uri.endswith(source.location_path)
        else ""
    )
    if not prefix and "://" in uri:
        scheme, rest = uri.split("://", 1)
        host = rest.split("/", 1)[0]
        prefix = f"{scheme}://{host}"
    return prefix + _insert_parameters(source.dynamic_path, source.run_parameters)


def _parameter_models(source: Datasource) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    for p in source.run_parameters:
        if p.type != "path" or p.key in seen or not p.positions:
            continue
        seen.add(p.key)
        out.append({"name": p.key, "variable": {"value": p.value}})
    return out


def plan_source(
    source: Datasource,
    recipe: Recipe,
    *,
    name: str,
    location: str | None,
    connection: Mapping[str, Any] | None,
) -> SourcePlan:
    """The imported dataset for ``source`` (``location``: its uri after the import rules)."""
    steps = _visible_steps(recipe)
    if source.relational is not None:
        return _relational(source, recipe, name, connection, steps)
    if location is None:  # pragma: no cover - file sources always have a location
        raise FlowImportError(f"datasource {source.id} ({name!r}) has no location")
    dataset: dict[str, Any] = {"id": source.id, "name": name, "uri": location}
    params = _parameter_models(source)
    if params:
        dataset["parameters"] = params
    plan = SourcePlan(dataset)
    if source.converted_sheets is not None:
        dataset["format"] = "excel"
        options: dict[str, Any] = {}
        if source.converted_sheets:
            options["sheet"] = source.converted_sheets[0]
        if len(source.converted_sheets) > 1:
            plan.warnings.append(
                f"datasource {name!r}: the platform read sheets {', '.join(source.converted_sheets)} "
                f"as one dataset; only {source.converted_sheets[0]!r} is read here"
            )
        dataset["options"] = options
        read_csv = csv_options(steps)
        if (
            read_csv is not None
            and read_csv.get("delimiter") == ","
            and read_csv.get("quote") == '"'
        ):
            options["header"] = True
            return plan
        options["lines"] = True
        plan.parsing_steps = tuple(steps[1:] if steps and _is_line_split(steps[0]) else steps)
        return plan
    read_csv = csv_options(steps)
    if read_csv is not None:
        dataset["format"] = "csv"
        dataset["options"] = read_csv
        return plan
    dataset["format"] = "text"
    plan.parsing_steps = tuple(steps[1:] if steps and _is_line_split(steps[0]) else steps)
    return plan


def _relational(
    source: Datasource,
    recipe: Recipe,
    name: str,
    connection: Mapping[str, Any] | None,
    steps: list[Step],
) -> SourcePlan:
    relational = source.relational
    assert relational is not None
    warnings = []
    options: dict[str, Any] = {}
    if relational.sql:
        sql = relational.sql
        sql_params = [p for p in source.run_parameters if p.type == "sql" and p.positions]
        if sql_params:
            sql = _insert_values(sql, sql_params)
            warnings.append(
                f"datasource {name!r}: its SQL parameters ({', '.join(sorted({p.key for p in sql_params}))}) "
                "are fixed at their default values"
            )
        options["query"] = sql
    elif relational.table:
        options["table"] = ".".join([*relational.path, relational.table])
    else:
        raise FlowImportError(
            f"datasource {name!r}: a relational source with neither a table nor SQL"
        )
    uri = "catalog:"
    if connection is not None and connection.get("uri"):
        uri = str(connection["uri"])
        for key in ("user", "passwordEnv"):
            if connection.get(key):
                options[key] = connection[key]
    elif source.connection_id is not None:
        warnings.append(
            f"datasource {name!r}: connection {source.connection_id} has no connection rule; "
            f"it is read from the Spark session's catalog ({options.get('table') or 'its SQL'})"
        )
    dataset = {"id": source.id, "name": name, "uri": uri, "format": "sql", "options": options}
    plan = SourcePlan(dataset, tuple(steps), warnings)
    return plan


def _insert_values(text: str, parameters: list[RunParameter]) -> str:
    inserts = sorted(((pos, p.value) for p in parameters for pos in p.positions), reverse=True)
    for pos, value in inserts:
        text = text[:pos] + value + text[pos:]
    return text
