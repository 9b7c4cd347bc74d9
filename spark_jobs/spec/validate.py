"""Turn a JSON document into a :class:`JobSpec`, or into every problem it has, each with its JSON path.

Structural problems come from pydantic; the rules that span fields (an output's compression and
its path's suffix, ids that must exist, ...) are checked on the raw document as well, so a
document with both kinds of mistakes reports both kinds at once.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from spark_jobs.errors import Problem, SpecError
from spark_jobs.spec.models import (
    COMPRESSION_SUFFIX,
    SELF_COMPRESSED_FORMATS,
    SINGLE_FILE_FORMATS,
    JobSpec,
)
from spark_jobs.spec.parameters import ParameterError, date_format, placeholder_names

ModelT = TypeVar("ModelT", bound=BaseModel)


def json_path(loc: Sequence[int | str]) -> str:
    """``("flow", "wrangledDatasets", 0, "id")`` -> ``$.flow.wrangledDatasets[0].id``."""
    out = "$"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def pydantic_problems(error: ValidationError, *, root: Sequence[int | str] = ()) -> list[Problem]:
    """Rewrite pydantic's errors as problems a person can act on."""
    problems = []
    for item in error.errors():
        loc = [*root, *item["loc"]]
        kind = item["type"]
        if kind == "extra_forbidden":
            field = loc[-1]
            problems.append(Problem(json_path(loc[:-1]), f"unknown field {field!r}"))
            continue
        if kind == "missing":
            problems.append(Problem(json_path(loc[:-1]), f"missing required field {loc[-1]!r}"))
            continue
        message = item["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        elif kind == "literal_error":
            expected = (item.get("ctx") or {}).get("expected", "")
            message = f"{_shown(item.get('input'))} is not allowed: expected {expected}"
        elif kind in ("bool_type", "bool_parsing"):
            message = f"{_shown(item.get('input'))} is not a JSON boolean: write true or false (no quotes)"
        problems.append(Problem(json_path(loc), message))
    return problems


def _shown(value: Any, limit: int = 60) -> str:
    """The offending value as a message shows it: its JSON-ish repr, cut short when long."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load_json_document(source: str | Path, *, what: str) -> Any:
    """Read and parse a JSON file, turning a missing file or bad JSON into a SpecError."""
    path = Path(source)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SpecError([Problem("$", f"{what} file not found: {path}")], document=what) from None
    except OSError as exc:
        raise SpecError(
            [Problem("$", f"cannot read {what} file {path}: {exc.strerror}")], document=what
        ) from None
    return parse_json_bytes(data, what=what, source=str(path))


#: how deep a document may nest: far more than any job spec, publish body or connections file
#: needs, and far less than where Python's own parser gives up (about 1,000)
MAX_JSON_DEPTH = 200


def parse_json_bytes(data: bytes, *, what: str, source: str = "") -> Any:
    """Parse a JSON document given as bytes (a file, an HTTP body): UTF-8 text, not too deep.

    A binary file or a document nested thousands of levels deep gets one clear problem, not
    Python's traceback.
    """
    where = f" {source}" if source else ""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problem = Problem(
            "$",
            f"the {what}{where} is not JSON text: byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start} is not UTF-8 (a binary file?)",
        )
        raise SpecError([problem], document=what) from None
    return parse_json_text(text, what=what)


def parse_json_text(text: str, *, what: str) -> Any:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        problem = Problem(
            "$", f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        )
        raise SpecError([problem], document=what) from None
    except RecursionError:
        document = None
        depth = MAX_JSON_DEPTH + 1
    else:
        depth = json_depth(document, MAX_JSON_DEPTH + 1)
    if depth > MAX_JSON_DEPTH:
        problem = Problem(
            "$",
            f"JSON nested more than {MAX_JSON_DEPTH} levels deep; a {what} needs far fewer",
        )
        raise SpecError([problem], document=what)
    return document


def json_depth(document: Any, stop: int) -> int:
    """How deep ``document`` nests (a scalar is 0), counted without recursion up to ``stop``."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(document, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest >= stop:
            return deepest
        pending.extend((child, depth) for child in children)
    return deepest


def validate_model(
    model: type[ModelT], document: Any, *, what: str, extra: Sequence[Problem] = ()
) -> ModelT:
    """Build ``model`` from ``document``; on failure raise one SpecError with every problem."""
    problems = list(extra)
    result = None
    try:
        result = model.model_validate(document)
    except ValidationError as exc:
        problems += pydantic_problems(exc)
    if problems:
        raise SpecError(problems, document=what)
    assert result is not None
    return result


# --- rules across fields, on the raw document -------------------------------------------------


def _items(value: Any) -> Iterator[tuple[int, Mapping[str, Any]]]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, Mapping):
                yield index, item


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def write_setting_problems(setting: Mapping[str, Any], path: str) -> list[Problem]:
    """The rules the API states for one writeSettings entry, beyond each field's own type."""
    problems = []
    fmt = setting.get("format")
    compression = setting.get("compression", "none") or "none"
    out_path = setting.get("path")
    if fmt in SELF_COMPRESSED_FORMATS and compression != "none":
        problems.append(
            Problem(
                f"{path}.compression",
                f"{fmt} output takes no compression (got {compression!r}); use 'none'",
            )
        )
    suffix = COMPRESSION_SUFFIX.get(compression) if isinstance(compression, str) else None
    if (
        suffix
        and fmt not in SELF_COMPRESSED_FORMATS
        and isinstance(out_path, str)
        and not out_path.rstrip("/").endswith(suffix)
    ):
        problems.append(
            Problem(
                f"{path}.path",
                f"a {compression} compressed output path must end with {suffix!r}: {out_path!r}",
            )
        )
    if setting.get("header") is True and fmt in {"json", "avro", "pqt", "delta"}:
        problems.append(Problem(f"{path}.header", f"header applies to csv output only, not {fmt}"))
    if setting.get("asSingleFile") is True and fmt in SELF_COMPRESSED_FORMATS:
        problems.append(
            Problem(
                f"{path}.asSingleFile",
                f"asSingleFile applies to {' and '.join(sorted(SINGLE_FILE_FORMATS))} output only, not {fmt}",
            )
        )
    return problems


def write_settings_problems(settings: Any, path: str) -> list[Problem]:
    problems = []
    seen: Counter[str] = Counter()
    for index, setting in _items(settings):
        problems += write_setting_problems(setting, f"{path}[{index}]")
        out_path = setting.get("path")
        if isinstance(out_path, str):
            seen[out_path.rstrip("/")] += 1
    for out_path, count in seen.items():
        if count > 1:
            problems.append(Problem(path, f"{count} outputs write to the same path {out_path!r}"))
    return problems


#: the read options each source format takes
READ_OPTIONS: dict[str, set[str]] = {
    "csv": {"header", "delimiter", "quote", "escape", "encoding", "multiLine"},
    "json": {"multiLine", "encoding"},
    "text": {"encoding"},
    "parquet": set(),
    "avro": set(),
    "excel": {"sheet", "header", "lines"},
    "sql": {"query", "table", "user", "passwordEnv"},
}


def read_options_problems(dataset: Mapping[str, Any], path: str) -> list[Problem]:
    fmt = dataset.get("format")
    options = dataset.get("options")
    if not isinstance(options, Mapping):
        return []
    allowed = READ_OPTIONS.get(fmt) if isinstance(fmt, str) else None
    if allowed is None:
        return []
    known = set().union(*READ_OPTIONS.values())
    return [
        Problem(f"{path}.options.{key}", f"option {key!r} does not apply to {fmt} datasets")
        for key in options
        if key not in allowed and key in known
    ]


def flow_problems(document: Any) -> list[Problem]:
    """Ids that must exist and be unique, inputs that must resolve, options that must fit."""
    problems: list[Problem] = []
    flow = _get(document, "flow")
    imported_ids: Counter[int] = Counter()
    for index, dataset in _items(_get(flow, "importedDatasets")):
        if isinstance(dataset.get("id"), int):
            imported_ids[dataset["id"]] += 1
        problems += read_options_problems(dataset, f"$.flow.importedDatasets[{index}]")
    wrangled_ids: Counter[int] = Counter()
    for _, dataset in _items(_get(flow, "wrangledDatasets")):
        if isinstance(dataset.get("id"), int):
            wrangled_ids[dataset["id"]] += 1
    for name, ids in (("importedDatasets", imported_ids), ("wrangledDatasets", wrangled_ids)):
        for dataset_id, count in ids.items():
            if count > 1:
                problems.append(
                    Problem(f"$.flow.{name}", f"id {dataset_id} is used by {count} datasets")
                )

    for index, dataset in _items(_get(flow, "wrangledDatasets")):
        base = f"$.flow.wrangledDatasets[{index}]"
        source = dataset.get("input")
        imported = _get(source, "importedDataset", "id")
        wrangled = _get(source, "wrangledDataset", "id")
        if isinstance(imported, int) and imported not in imported_ids:
            problems.append(
                Problem(
                    f"{base}.input.importedDataset.id",
                    f"no imported dataset with id {imported} in the flow",
                )
            )
        if isinstance(wrangled, int) and wrangled not in wrangled_ids:
            problems.append(
                Problem(
                    f"{base}.input.wrangledDataset.id",
                    f"no wrangled dataset with id {wrangled} in the flow",
                )
            )
        if isinstance(wrangled, int) and wrangled == dataset.get("id"):
            problems.append(
                Problem(f"{base}.input.wrangledDataset.id", "a dataset cannot be its own input")
            )
        for key in ("writeSettings", "writesettings"):
            problems += write_settings_problems(dataset.get(key), f"{base}.{key}")

    target = _get(document, "jobGroup", "wrangledDataset", "id")
    if isinstance(target, int) and wrangled_ids and target not in wrangled_ids:
        known = ", ".join(str(i) for i in sorted(wrangled_ids))
        problems.append(
            Problem(
                "$.jobGroup.wrangledDataset.id",
                f"no wrangled dataset with id {target} in the flow (known: {known})",
            )
        )
    overrides = _get(document, "jobGroup", "overrides")
    for key in ("writeSettings", "writesettings"):
        problems += write_settings_problems(_get(overrides, key), f"$.jobGroup.overrides.{key}")
    return problems


# --- parameters (datasets with parameters, output path parameters, runParameters) --------------

WRITE_SETTINGS_KEYS = ("writeSettings", "writesettings")


def _parameter_name(parameter: Mapping[str, Any]) -> tuple[str, Any]:
    """(the key it is spelled with, the name): ``name``, or the platform's ``overrideKey``."""
    key = "name" if "name" in parameter else "overrideKey"
    return key, parameter.get(key)


def template_problems(owner: Mapping[str, Any], base: str, field: str) -> list[Problem]:
    """``{name}`` placeholders in ``owner[field]`` against ``owner["parameters"]``: each one
    declared once and used, no placeholder without a declaration. Without parameters the text is
    taken literally (a plain uri may be a Hadoop glob such as ``{a,b}``)."""
    declared = owner.get("parameters")
    template = owner.get(field)
    if not isinstance(declared, list) or not declared or not isinstance(template, str):
        return []
    problems: list[Problem] = []
    try:
        used = placeholder_names(template)
    except ParameterError as exc:
        return [Problem(f"{base}.{field}", str(exc))]
    names: Counter[str] = Counter()
    for index, parameter in _items(declared):
        key, name = _parameter_name(parameter)
        if not isinstance(name, str):
            continue
        names[name] += 1
        where = f"{base}.parameters[{index}].{key}"
        if names[name] == 2:
            problems.append(Problem(where, f"parameter {name!r} is declared more than once"))
        elif name not in used:
            problems.append(
                Problem(where, f"parameter {name!r} is not used: put {{{name}}} in {field}")
            )
    for name in used:
        if name not in names:
            known = ", ".join(sorted(names)) or "none"
            problems.append(
                Problem(
                    f"{base}.{field}",
                    f"{{{name}}} names no parameter (declared: {known}); "
                    "write {{ and }} for literal braces",
                )
            )
    return problems


def _write_settings_of(document: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for index, dataset in _items(_get(document, "flow", "wrangledDatasets")):
        for key in WRITE_SETTINGS_KEYS:
            for k, setting in _items(dataset.get(key)):
                yield f"$.flow.wrangledDatasets[{index}].{key}[{k}]", setting
    overrides = _get(document, "jobGroup", "overrides")
    for key in WRITE_SETTINGS_KEYS:
        for k, setting in _items(_get(overrides, key)):
            yield f"$.jobGroup.overrides.{key}[{k}]", setting


def _declared_parameters(document: Any) -> dict[str, list[Mapping[str, Any]]]:
    """Every parameter the flow and the outputs declare, by name."""
    owners = [dataset for _, dataset in _items(_get(document, "flow", "importedDatasets"))]
    owners += [setting for _, setting in _write_settings_of(document)]
    flow = _get(document, "flow")
    if isinstance(flow, Mapping):
        owners.append(flow)
    declared: dict[str, list[Mapping[str, Any]]] = {}
    for owner in owners:
        for _, parameter in _items(owner.get("parameters")):
            _, name = _parameter_name(parameter)
            if isinstance(name, str):
                declared.setdefault(name, []).append(parameter)
    return declared


def _date_formats_of(parameter: Mapping[str, Any]) -> list[str]:
    formats = _get(parameter, "dateRange", "formats")
    if formats is None:
        formats = _get(parameter, "timestamp", "format")
    if isinstance(formats, str):
        formats = [formats]
    return [f for f in formats if isinstance(f, str)] if isinstance(formats, list) else []


def _parses(value: str, fmt: str) -> bool:
    try:
        return date_format(fmt).parse(value) is not None
    except ParameterError:
        return True  # the format itself is reported where it is declared


def override_problems(document: Any) -> list[Problem]:
    """Each ``runParameters`` override must name a declared parameter; a date's or a timestamp's
    value must be written in (one of) its format(s)."""
    overrides = _get(document, "jobGroup", "runParameters", "overrides")
    if isinstance(overrides, Mapping):
        groups = [("$.jobGroup.runParameters.overrides", overrides)]
    else:
        groups = [
            (f"$.jobGroup.runParameters.overrides[{i}]", group) for i, group in _items(overrides)
        ]
    declared = _declared_parameters(document)
    problems: list[Problem] = []
    for prefix, group in groups:
        for index, item in _items(group.get("data")):
            key, value = item.get("key"), item.get("value")
            if not isinstance(key, str) or not key:
                continue
            if key not in declared:
                known = ", ".join(sorted(declared))
                known = f"parameters: {known}" if known else "the flow declares no parameters"
                problems.append(
                    Problem(f"{prefix}.data[{index}].key", f"no parameter named {key!r} ({known})")
                )
                continue
            text = str(value) if isinstance(value, str | int | float) else None
            for parameter in declared[key]:
                formats = _date_formats_of(parameter)
                if text is not None and formats and not any(_parses(text, f) for f in formats):
                    problems.append(
                        Problem(
                            f"{prefix}.data[{index}].value",
                            f"{text!r} is not a date in the format of parameter {key!r} "
                            f"({' or '.join(formats)})",
                        )
                    )
                    break
    return problems


def parameter_problems(document: Any) -> list[Problem]:
    """Placeholders of every uri and output path, and the run's overrides."""
    problems: list[Problem] = []
    for index, dataset in _items(_get(document, "flow", "importedDatasets")):
        problems += template_problems(dataset, f"$.flow.importedDatasets[{index}]", "uri")
    for base, setting in _write_settings_of(document):
        problems += template_problems(setting, base, "path")
    return problems + override_problems(document)


def outputs_problems(spec: JobSpec) -> list[Problem]:
    """A run must have somewhere to write."""
    if spec.write_settings:
        return []
    return [
        Problem(
            "$.jobGroup.overrides.writeSettings",
            f"no outputs: give overrides.writeSettings, or writeSettings on wrangled dataset {spec.target.id}",
        )
    ]


def load_job_spec(source: str | Path | Mapping[str, Any]) -> JobSpec:
    """Parse and validate a job spec (a path, or an already parsed document).

    Raises :class:`SpecError` listing every problem found. Checks that need the file systems or
    the recipes (missing inputs, dependency cycles, recipe syntax) are made by the runner's
    planner, which merges them into the same kind of error.
    """
    document = (
        source if isinstance(source, Mapping) else load_json_document(source, what="job spec")
    )
    if not isinstance(document, Mapping):
        raise SpecError([Problem("$", "a job spec is a JSON object")])
    extra = flow_problems(document) + parameter_problems(document)
    spec = validate_model(JobSpec, document, what="job spec", extra=extra)
    problems = outputs_problems(spec)
    if problems:
        raise SpecError(problems)
    return spec
