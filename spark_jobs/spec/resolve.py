"""What a dataset's ``uri`` and an output's ``path`` stand for in one run.

Variables (and any parameter the run overrides) become their text; patterns and dates stay open
(:class:`Wild`) for the file listing to match (:mod:`spark_jobs.io.matching`); an output path
gets every variable and the run's timestamp filled in. Every function here also says which value
each parameter had, for the result JSON. Pure: no file system, no Spark.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from spark_jobs.dateformats import DateFormat
from spark_jobs.spec.models import DatasetParameter, ImportedDataset, WriteSetting
from spark_jobs.spec.parameters import (
    DateWindow,
    EffectiveValue,
    ParameterError,
    date_format,
    fill_template,
    parse_template,
)


@dataclass(frozen=True)
class WildForm:
    """One way a pattern or date parameter can appear: its regex and its glob."""

    regex: str  # embeddable (no anchors)
    glob: tuple[str | None, ...]  # literal text, and None for a glob's '*'
    date: DateFormat | None = None
    window: DateWindow | None = None

    def accepts(self, text: str) -> bool:
        if self.date is None or self.window is None:
            return True
        value = self.date.parse(text)
        return value is not None and self.window.accepts(value, self.date.unit)


@dataclass(frozen=True)
class Wild:
    """A pattern or date parameter left open in a path: it matches any of its forms."""

    name: str
    type: str  # pattern | datetime
    forms: tuple[WildForm, ...]


@dataclass(frozen=True)
class SourceTemplate:
    """A dataset's uri for one run: literal text and the parameters the listing must match."""

    uri: str  # as written in the spec
    parts: tuple[str | Wild, ...]

    @property
    def exact(self) -> str | None:
        """The path, when nothing is left to match (every parameter was a variable)."""
        if any(isinstance(p, Wild) for p in self.parts):
            return None
        return "".join(p for p in self.parts if isinstance(p, str))

    def describe(self) -> str:
        """``file:///data/02/{day}.csv`` with what each open parameter accepts."""
        text = "".join(p if isinstance(p, str) else "{" + p.name + "}" for p in self.parts)
        opens = []
        for part in dict.fromkeys(p for p in self.parts if isinstance(p, Wild)):
            form = part.forms[0]
            if form.window is not None:
                formats = " or ".join(f.date.text for f in part.forms if f.date)
                opens.append(f"{part.name}: {formats}, {form.window.describe()}")
            else:
                opens.append(f"{part.name}: /{form.regex}/")
        return text + (f" ({'; '.join(opens)})" if opens else "")


def _wild(parameter: DatasetParameter, run_time: datetime) -> Wild:
    if parameter.pattern is not None:
        regex = parameter.pattern.as_regex()
        return Wild(parameter.name, "pattern", (WildForm(regex, (None,)),))
    assert parameter.dateRange is not None
    window = parameter.dateRange.window(run_time)
    forms = []
    for text in parameter.dateRange.formats:
        fmt = date_format(text)
        forms.append(WildForm(fmt.regex, tuple(fmt.glob_parts()), fmt, window))
    return Wild(parameter.name, "datetime", tuple(forms))


def resolve_source(
    dataset: ImportedDataset,
    overrides: Mapping[str, str],
    run_time: datetime,
    *,
    where: str,
) -> tuple[SourceTemplate, list[EffectiveValue]]:
    """The dataset's uri for this run, and the value each of its parameters has.

    ``where`` is the dataset's JSON path (``$.flow.importedDatasets[0]``), recorded with each
    value. A run's override fixes a parameter of any kind to the text it gives.
    """
    by_name = {p.name: p for p in dataset.parameters}
    values: list[EffectiveValue] = []
    for index, parameter in enumerate(dataset.parameters):
        used_by = (f"{where}.parameters[{index}]",)
        name = parameter.name
        if name in overrides:
            values.append(
                EffectiveValue(name, parameter.type, overrides[name], "override", used_by)
            )
        elif parameter.variable is not None:
            values.append(
                EffectiveValue(name, "variable", parameter.variable.value, "default", used_by)
            )
        elif parameter.pattern is not None:
            values.append(
                EffectiveValue(name, "pattern", parameter.pattern.describe(), "default", used_by)
            )
        else:
            assert parameter.dateRange is not None
            window = parameter.dateRange.window(run_time)
            source = "runTime" if parameter.dateRange.last is not None else "default"
            values.append(EffectiveValue(name, "datetime", window.describe(), source, used_by))

    parts: list[str | Wild] = []
    wilds: dict[str, Wild] = {}
    for part in parse_template(dataset.uri):
        if isinstance(part, str):
            text: str | Wild = part
        else:
            declared = by_name.get(part.name)
            if declared is None:
                raise ParameterError(f"{{{part.name}}} names no parameter of this dataset")
            if part.name in overrides:
                text = overrides[part.name]
            elif declared.variable is not None:
                text = declared.variable.value
            else:
                text = wilds.setdefault(part.name, _wild(declared, run_time))
        if isinstance(text, str) and parts and isinstance(parts[-1], str):
            parts[-1] += text
        else:
            parts.append(text)
    return SourceTemplate(dataset.uri, tuple(parts)), values


def resolve_output(
    setting: WriteSetting,
    overrides: Mapping[str, str],
    run_time: datetime,
    *,
    where: str,
) -> tuple[WriteSetting, list[EffectiveValue]]:
    """The output with its path's parameters filled in, and the value each one had."""
    if not setting.parameters:
        return setting, []
    values: dict[str, str] = {}
    records = []
    for index, parameter in enumerate(setting.parameters):
        used_by = (f"{where}.parameters[{index}]",)
        name = parameter.name
        if name in overrides:
            value, source = overrides[name], "override"
        elif parameter.variable is not None:
            value, source = parameter.variable.value, "default"
        else:
            assert parameter.timestamp is not None
            value, source = parameter.timestamp.render(run_time), "runTime"
        values[name] = value
        records.append(EffectiveValue(name, parameter.type, value, source, used_by))
    path = fill_template(setting.path, values)
    return setting.model_copy(update={"path": path, "parameters": []}), records
