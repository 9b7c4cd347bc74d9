"""One error hierarchy for the whole product.

Every error a user can cause derives from :class:`UserError`; the entrypoints map it to exit code 2
and print its message, never a stack trace. Everything that goes wrong while a valid job runs is a
:class:`JobError` (exit code 1). Each class carries a stable ``code`` that also lands in the result
JSON, so tools can react to a kind of failure without parsing prose.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

EXIT_OK = 0
EXIT_JOB_FAILED = 1
EXIT_INVALID_INPUT = 2


class SparkJobsError(Exception):
    """Base of every error this package raises on purpose."""

    code = "SPARK_JOBS_ERROR"
    exit_code = EXIT_JOB_FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message}


class UserError(SparkJobsError):
    """The input (spec, recipe, publish body, connection) is wrong: fix the input, not the cluster."""

    code = "INVALID_INPUT"
    exit_code = EXIT_INVALID_INPUT


def is_user_error_code(code: str) -> bool:
    """Whether an error record's ``code`` is one of a :class:`UserError` (the input was wrong),
    for readers of a result who have the code, not the exception."""
    return code in _codes_of(UserError)


def _codes_of(cls: type[SparkJobsError]) -> set[str]:
    return {cls.code}.union(*(_codes_of(sub) for sub in cls.__subclasses__()))


#: lines of a py4j / Spark error that say where, not what
_NOISE = ("An error occurred while calling", "py4j", "JVM stacktrace")


def first_line(exc: BaseException, limit: int = 500) -> str:
    """What to tell a user about ``exc`` in one line: our own errors' message; for any other
    the first line that says what went wrong (py4j errors carry whole JVM stack traces), cut
    at ``limit`` characters; the exception's type when it says nothing."""
    if isinstance(exc, SparkJobsError):
        return exc.message
    for line in str(exc).splitlines():
        line = line.strip()
        if line and not line.startswith(_NOISE):
            return line[:limit]
    return type(exc).__name__


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document, located by a JSON path such as ``$.flow.wrangledDatasets[0].id``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class SpecError(UserError):
    """A job spec or publish body failed validation; carries every problem found, not just the first."""

    code = "INVALID_SPEC"

    def __init__(self, problems: Iterable[Problem], *, document: str = "job spec") -> None:
        self.problems: list[Problem] = sorted(set(problems), key=lambda p: (p.path, p.message))
        lines = [f"  - {p}" for p in self.problems]
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(f"invalid {document}: {len(self.problems)} {noun}\n" + "\n".join(lines))

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "problems": [p.to_json() for p in self.problems],
        }


@dataclass(frozen=True)
class SourceLocation:
    """Where in a recipe something is: step number (1-based), line and column inside the step."""

    step: int
    line: int
    column: int
    text: str = field(default="", compare=False)

    def caret(self) -> str:
        """The step's offending line with a caret under the column, as compilers show it."""
        lines = self.text.splitlines() or [""]
        shown = lines[min(self.line, len(lines)) - 1]
        return f"    {shown}\n    {' ' * max(self.column - 1, 0)}^"


class RecipeError(UserError):
    """A Wrangle step cannot be parsed or compiled. Names the dataset, step, line and column."""

    code = "INVALID_RECIPE"

    def __init__(
        self,
        reason: str,
        location: SourceLocation | None = None,
        *,
        dataset: str | None = None,
        suggestions: Sequence[str] = (),
    ) -> None:
        self.reason = reason
        self.location = location
        self.dataset = dataset
        self.suggestions = list(suggestions)
        where = []
        if dataset:
            where.append(f"recipe of {dataset}")
        if location:
            where.append(f"step {location.step}, line {location.line}, column {location.column}")
        text = (", ".join(where) + ": " if where else "") + reason
        if self.suggestions:
            text += " (did you mean " + " or ".join(repr(s) for s in self.suggestions) + "?)"
        if location and location.text:
            text += "\n" + location.caret()
        super().__init__(text)

    def with_dataset(self, dataset: str) -> RecipeError:
        """The same error, now also naming the wrangled dataset whose recipe it is in."""
        return type(self)(self.reason, self.location, dataset=dataset, suggestions=self.suggestions)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code, "message": self.message, "reason": self.reason}
        if self.dataset:
            out["dataset"] = self.dataset
        if self.location:
            out["step"] = self.location.step
            out["line"] = self.location.line
            out["column"] = self.location.column
        if self.suggestions:
            out["suggestions"] = self.suggestions
        return out


class PlatformStepError(RecipeError):
    """A step only the platform can run (``udf``, ``standardize`` with its artifact, ``load``):
    the message says why and what to write instead."""

    code = "PLATFORM_ONLY_STEP"


class NotWrangleError(RecipeError):
    """A step is a description copied from the platform's UI ("Keep rows where ..."), not
    Wrangle; the message shows the Wrangle where it is easy to tell."""

    code = "NOT_WRANGLE"


class InputDataError(UserError):
    """A source exists but cannot be read as declared (wrong format, unreadable file)."""

    code = "INVALID_INPUT_DATA"


class PublishError(UserError):
    """A publish request cannot be carried out as asked (unknown connection, missing database, ...)."""

    code = "INVALID_PUBLISH"


class FlowImportError(UserError):
    """A flow package cannot be imported: not a package, an unknown layout, a task with no
    counterpart here (named with its recipe and step), or an import rule that matches nothing."""

    code = "INVALID_FLOW_PACKAGE"


class JobGroupNotFound(UserError):
    """A job group id the job store has no record of."""

    code = "JOB_GROUP_NOT_FOUND"


class MissingJarError(UserError):
    """A feature needs a JVM extra that is not on Spark's classpath."""

    code = "MISSING_JAR"


class JobError(SparkJobsError):
    """A valid job failed while running (Spark task failure, unwritable output, lost connection)."""

    code = "JOB_FAILED"
    exit_code = EXIT_JOB_FAILED


class OutputError(JobError):
    """An output could not be written or committed; old results are left as they were."""

    code = "OUTPUT_FAILED"


class JobCanceledError(JobError):
    """The job was stopped from outside (SIGTERM, SIGINT) before it finished."""

    code = "JOB_CANCELED"


class MetastoreInUseError(JobError):
    """An embedded (Derby) Hive metastore is open in another process: it admits one at a time."""

    code = "METASTORE_IN_USE"


class RedshiftError(JobError):
    """A statement of a Redshift publish failed; the transaction was rolled back, so the target
    is as it was. The message never holds a credential."""

    code = "REDSHIFT_FAILED"


class RedshiftLoadError(RedshiftError):
    """A COPY into Redshift failed. ``details`` are Redshift's own load-error rows for it
    (file, line, column, type, reason, ...), read from ``stl_load_errors`` or
    ``sys_load_error_detail``; the message names the first ones."""

    code = "REDSHIFT_LOAD_FAILED"

    def __init__(self, message: str, details: Sequence[Mapping[str, object]] = ()) -> None:
        super().__init__(message)
        self.details = [dict(d) for d in details]

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "details": self.details}


class StagingError(JobError):
    """Files could not be staged in (or cleaned from) S3 for a COPY."""

    code = "S3_STAGING_FAILED"
