"""The job spec: the body of ``POST /v4/jobGroups`` plus the flow the platform would hold.

Both releases of the API page are accepted verbatim: ``writesettings`` and ``writeSettings``;
``runParameters.overrides`` as a list of ``{"data": [...]}`` and as one such object. Unknown
fields are errors (the platform silently ignores them and fails later; we name them up front).
The names here are a contract: other tools write these files.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from spark_jobs.spec import parameters as params

Execution = Literal["photon", "spark", "databricksSpark", "emrSpark"]
OutputFormat = Literal["csv", "json", "avro", "pqt", "delta"]
WriteAction = Literal["create", "append", "overwrite"]
Compression = Literal["none", "gzip", "bzip2"]
SourceFormat = Literal["csv", "json", "parquet", "avro", "text", "excel", "sql"]
RanFrom = Literal["cli", "ui"]

#: formats whose files carry their own (block) compression: only ``none`` is accepted for them
SELF_COMPRESSED_FORMATS = frozenset({"avro", "pqt", "delta"})
#: formats that may be concatenated into a single file
SINGLE_FILE_FORMATS = frozenset({"csv", "json"})
COMPRESSION_SUFFIX = {"gzip": ".gz", "bzip2": ".bz2"}


class StrictModel(BaseModel):
    """Unknown keys are errors; field names are kept exactly as the API spells them."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class ObjectRef(StrictModel):
    """``{"id": 7}``: how the API points at a dataset, connection or flow node."""

    id: int


def _scalar_to_text(value: Any) -> Any:
    """The platform stores parameter values as text; numbers written unquoted mean the same."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _exactly_one(model: BaseModel, names: tuple[str, ...]) -> None:
    given = [n for n in names if getattr(model, n) is not None]
    if len(given) != 1:
        listed = ", ".join(names[:-1]) + " or " + names[-1]
        found = f" (got {', '.join(given)})" if given else ""
        raise ValueError(f"give exactly one of {listed}{found}")


def _parameter_name(value: str) -> str:
    if not params.NAME_RE.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a parameter name: letters, digits, '_', '-' and '.', "
            "starting with a letter or '_'"
        )
    return value


ParameterName = Annotated[
    str, Field(validation_alias=AliasChoices("name", "overrideKey"), min_length=1)
]


class VariableValue(StrictModel):
    """``{"value": "pacific"}``: a variable's default, used unless the run overrides it."""

    value: str

    _text = field_validator("value", mode="before")(_scalar_to_text)


class PatternValue(StrictModel):
    """What a pattern parameter matches: exactly one of a Trifacta pattern (``{digit}{2}``), a
    regular expression or a wildcard (``*``, ``?``). It matches inside one directory level."""

    trifactaPattern: str | None = None
    regex: str | None = None
    wildcard: str | None = None

    @field_validator("trifactaPattern")
    @classmethod
    def _trifacta(cls, value: str | None) -> str | None:
        if value is not None:
            params.trifacta_pattern_regex(value)
        return value

    @field_validator("regex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            params.user_regex(value)
        return value

    @field_validator("wildcard")
    @classmethod
    def _wildcard(cls, value: str | None) -> str | None:
        if value is not None:
            params.wildcard_regex(value)
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> PatternValue:
        _exactly_one(self, ("trifactaPattern", "regex", "wildcard"))
        return self

    def as_regex(self) -> str:
        if self.trifactaPattern is not None:
            return params.trifacta_pattern_regex(self.trifactaPattern)
        if self.regex is not None:
            return params.user_regex(self.regex)
        assert self.wildcard is not None
        return params.wildcard_regex(self.wildcard)

    def describe(self) -> str:
        for kind in ("trifactaPattern", "regex", "wildcard"):
            text = getattr(self, kind)
            if text is not None:
                return f"{kind}: {text}"
        return ""


class LastRange(StrictModel):
    """``{"number": 7, "unit": "day"}``: the 7 whole days before the run's day."""

    number: int = Field(ge=1)
    unit: str

    @field_validator("unit")
    @classmethod
    def _unit(cls, value: str) -> str:
        return params.normalize_unit(value)


class DateBound(StrictModel):
    """``{"date": "2024-05-01"}`` (ISO 8601 date or date-time, in the range's time zone)."""

    date: str

    @field_validator("date")
    @classmethod
    def _iso(cls, value: str) -> str:
        params.parse_moment(value, params.time_zone("UTC"))
        return value


class BetweenRange(StrictModel):
    """``{"start": "2024-05-01", "end": "2024-05-31"}``: both ends included."""

    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _iso(cls, value: str) -> str:
        params.parse_moment(value, params.time_zone("UTC"))
        return value

    @model_validator(mode="after")
    def _ordered(self) -> BetweenRange:
        utc = params.time_zone("UTC")
        if params.parse_moment(self.start, utc) > params.parse_moment(self.end, utc):
            raise ValueError(f"start {self.start!r} is after end {self.end!r}")
        return self


class DateRange(StrictModel):
    """A date/time parameter: its formats in the path, the time zone of the dates and the range
    of dates to read (exactly one of ``last``, ``isAfter``, ``isBefore``, ``between``)."""

    formats: list[str] = Field(min_length=1)
    timezone: str = "UTC"
    last: LastRange | None = None
    isAfter: DateBound | None = None
    isBefore: DateBound | None = None
    between: BetweenRange | None = None

    @field_validator("formats", mode="before")
    @classmethod
    def _one_format(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("formats")
    @classmethod
    def _formats(cls, value: list[str]) -> list[str]:
        for text in value:
            params.date_format(text)
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        params.time_zone(value)
        return value

    @model_validator(mode="after")
    def _one_range(self) -> DateRange:
        _exactly_one(self, ("last", "isAfter", "isBefore", "between"))
        return self

    def window(self, run_time: datetime) -> params.DateWindow:
        """The dates this range accepts in a run started at ``run_time``."""
        zone = params.time_zone(self.timezone)
        if self.last is not None:
            return params.last_window(self.last.number, self.last.unit, self.timezone, run_time)
        if self.isAfter is not None:
            return params.DateWindow(
                params.parse_moment(self.isAfter.date, zone), None, self.timezone
            )
        if self.isBefore is not None:
            return params.DateWindow(
                None, params.parse_moment(self.isBefore.date, zone), self.timezone
            )
        assert self.between is not None
        end = params.parse_moment(self.between.end, zone)
        return params.DateWindow(
            params.parse_moment(self.between.start, zone),
            end + timedelta(microseconds=1),
            self.timezone,
        )


class DatasetParameter(StrictModel):
    """One parameter of an imported dataset's ``uri``: ``{"name": "region", "variable": {...}}``.

    ``name`` is what the platform calls the parameter's ``overrideKey`` (both spellings are
    accepted): the ``key`` a run's ``runParameters`` override uses, and the ``{name}`` in ``uri``.
    """

    name: ParameterName
    variable: VariableValue | None = None
    pattern: PatternValue | None = None
    dateRange: DateRange | None = None

    _valid_name = field_validator("name")(_parameter_name)

    @model_validator(mode="after")
    def _one_kind(self) -> DatasetParameter:
        _exactly_one(self, ("variable", "pattern", "dateRange"))
        return self

    @property
    def type(self) -> Literal["variable", "pattern", "datetime"]:
        if self.variable is not None:
            return "variable"
        return "pattern" if self.pattern is not None else "datetime"


class TimestampValue(StrictModel):
    """``{"format": "yyyyMMdd-HHmmss", "timezone": "UTC"}``: the run's start time in a path."""

    format: str
    timezone: str = "UTC"

    @field_validator("format")
    @classmethod
    def _format(cls, value: str) -> str:
        params.date_format(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        params.time_zone(value)
        return value

    def render(self, run_time: datetime) -> str:
        moment = params.run_moment(run_time, params.time_zone(self.timezone))
        return params.date_format(self.format).render(moment)


class OutputParameter(StrictModel):
    """One parameter of an output ``path``: a ``variable`` or the run's ``timestamp``."""

    name: ParameterName
    variable: VariableValue | None = None
    timestamp: TimestampValue | None = None

    _valid_name = field_validator("name")(_parameter_name)

    @model_validator(mode="after")
    def _one_kind(self) -> OutputParameter:
        _exactly_one(self, ("variable", "timestamp"))
        return self

    @property
    def type(self) -> Literal["variable", "timestamp"]:
        return "variable" if self.variable is not None else "timestamp"


class WriteSetting(StrictModel):
    """One output of the job (``writeSettings[]``), as in the API's writeSettings object."""

    path: str = Field(
        min_length=1, description="Fully qualified output location (file://, hdfs://, s3a://, ...)."
    )
    action: WriteAction
    format: OutputFormat
    compression: Compression = "none"
    header: StrictBool = False
    asSingleFile: StrictBool = False
    parameters: list[OutputParameter] = Field(
        default_factory=list,
        description="Parameters of path: {name} in path is replaced before writing.",
    )


class RunParameterValue(StrictModel):
    """One ``{"key": ..., "value": ...}`` pair of ``runParameters.overrides.data``."""

    key: str = Field(min_length=1)
    value: str

    _text = field_validator("value", mode="before")(_scalar_to_text)


class RunParameterOverrides(StrictModel):
    data: list[RunParameterValue] = Field(default_factory=list)


class RunParameters(StrictModel):
    """``runParameters``; ``overrides`` is normalised to a list (older release: a list; newer: an object)."""

    overrides: list[RunParameterOverrides] = Field(default_factory=list)

    @field_validator("overrides", mode="before")
    @classmethod
    def _object_form_to_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    def values(self) -> dict[str, str]:
        """The overrides as one mapping; a later pair wins over an earlier one."""
        return {item.key: item.value for group in self.overrides for item in group.data}


class Overrides(StrictModel):
    execution: Execution | None = None
    profiler: StrictBool | None = None
    writeSettings: list[WriteSetting] | None = Field(
        default=None, validation_alias=AliasChoices("writeSettings", "writesettings")
    )

    @model_validator(mode="before")
    @classmethod
    def _one_spelling(cls, data: Any) -> Any:
        if isinstance(data, dict) and "writeSettings" in data and "writesettings" in data:
            raise ValueError("give writeSettings or writesettings, not both")
        return data


class JobGroupRequest(StrictModel):
    """The body of ``POST /v4/jobGroups``, verbatim."""

    wrangledDataset: ObjectRef
    overrides: Overrides | None = None
    runParameters: RunParameters | None = None
    ranfrom: RanFrom | None = None


class ReadOptions(StrictModel):
    """How an imported dataset's files are read. Only the options that fit its format are allowed."""

    header: StrictBool | None = None
    delimiter: str | None = Field(default=None, min_length=1)
    quote: str | None = Field(default=None, max_length=1)
    escape: str | None = Field(default=None, max_length=1)
    encoding: str | None = None
    multiLine: StrictBool | None = None
    sheet: str | None = Field(
        default=None, min_length=1, description="excel: the worksheet to read (default: the first)."
    )
    lines: StrictBool | None = Field(
        default=None,
        description="excel: each row as one line of csv text in column1, as the platform's "
        "converted file is before a recipe splits it.",
    )
    query: str | None = Field(default=None, min_length=1, description="sql: a query to read.")
    table: str | None = Field(default=None, min_length=1, description="sql: a table to read.")
    user: str | None = Field(default=None, description="sql over jdbc: the user name.")
    passwordEnv: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="sql over jdbc: the environment variable holding the password.",
    )


class ImportedDataset(StrictModel):
    """A source. ``uri`` is a file, directory or glob; for ``sql``, where the query runs:
    ``catalog:`` (the Spark session's catalog, e.g. Hive) or a ``jdbc:`` URL."""

    id: int
    name: str = Field(min_length=1)
    uri: str = Field(min_length=1)
    format: SourceFormat
    options: ReadOptions = Field(default_factory=ReadOptions)
    parameters: list[DatasetParameter] = Field(
        default_factory=list,
        description="Parameters of uri (a dataset with parameters): {name} in uri.",
    )

    @property
    def is_file(self) -> bool:
        """Read from files (every format but sql, whose uri names where a query runs)."""
        return self.format != "sql"

    @model_validator(mode="after")
    def _sql_source(self) -> ImportedDataset:
        if self.format == "sql":
            if (self.options.query is None) == (self.options.table is None):
                raise ValueError(
                    "a sql dataset gives exactly one of options.query or options.table"
                )
            if self.uri != "catalog:" and not self.uri.startswith("jdbc:"):
                raise ValueError(
                    f"a sql dataset's uri is 'catalog:' or a jdbc: URL, not {self.uri!r}"
                )
            if self.parameters:
                raise ValueError("a sql dataset takes no parameters")
        return self


class DatasetInput(StrictModel):
    """Exactly one of ``importedDataset`` / ``wrangledDataset``."""

    importedDataset: ObjectRef | None = None
    wrangledDataset: ObjectRef | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> DatasetInput:
        if (self.importedDataset is None) == (self.wrangledDataset is None):
            raise ValueError("give exactly one of importedDataset or wrangledDataset")
        return self


class WrangledDataset(StrictModel):
    id: int
    name: str = Field(min_length=1)
    input: DatasetInput
    recipe: list[str] = Field(default_factory=list)
    writeSettings: list[WriteSetting] = Field(
        default_factory=list, validation_alias=AliasChoices("writeSettings", "writesettings")
    )


class FlowParameter(StrictModel):
    """A flow parameter: ``$name`` in a recipe stands for its value (the default here, or the
    run's ``runParameters`` override of ``name``)."""

    name: ParameterName
    variable: VariableValue

    _valid_name = field_validator("name")(_parameter_name)


class Flow(StrictModel):
    importedDatasets: list[ImportedDataset] = Field(default_factory=list)
    wrangledDatasets: Annotated[list[WrangledDataset], Field(min_length=1)]
    parameters: list[FlowParameter] = Field(
        default_factory=list,
        description="Flow parameters: $name in a recipe is replaced by the value.",
    )

    def parameter_values(self, overrides: dict[str, str]) -> dict[str, str]:
        """Each flow parameter's value in a run: the override, else the default."""
        return {p.name: overrides.get(p.name, p.variable.value) for p in self.parameters}

    def imported(self, dataset_id: int) -> ImportedDataset:
        return next(d for d in self.importedDatasets if d.id == dataset_id)

    def wrangled(self, dataset_id: int) -> WrangledDataset:
        return next(d for d in self.wrangledDatasets if d.id == dataset_id)


class JobSpec(StrictModel):
    """What ``spark-jobs run`` takes: the API request and the flow it refers to."""

    jobGroup: JobGroupRequest
    flow: Flow

    @property
    def target(self) -> WrangledDataset:
        return self.flow.wrangled(self.jobGroup.wrangledDataset.id)

    @property
    def write_settings(self) -> list[WriteSetting]:
        """The outputs of this run: the overrides', else those stored with the target dataset."""
        overrides = self.jobGroup.overrides
        if overrides is not None and overrides.writeSettings is not None:
            return list(overrides.writeSettings)
        return list(self.target.writeSettings)

    @property
    def execution(self) -> Execution:
        overrides = self.jobGroup.overrides
        return overrides.execution if overrides and overrides.execution else "spark"

    @property
    def profiler(self) -> bool:
        overrides = self.jobGroup.overrides
        return bool(overrides and overrides.profiler)

    @property
    def run_parameters(self) -> dict[str, str]:
        params = self.jobGroup.runParameters
        return params.values() if params else {}
