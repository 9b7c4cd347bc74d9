"""Job spec and publish body models, their validation, and their JSON Schema.

The spec knows no engine: nothing here imports Spark.
"""

from __future__ import annotations

from typing import Any

from spark_jobs.spec.models import (
    DatasetInput,
    Flow,
    ImportedDataset,
    JobGroupRequest,
    JobSpec,
    ReadOptions,
    WrangledDataset,
    WriteSetting,
)
from spark_jobs.spec.validate import json_path, load_job_spec

__all__ = [
    "DatasetInput",
    "Flow",
    "ImportedDataset",
    "JobGroupRequest",
    "JobSpec",
    "ReadOptions",
    "WrangledDataset",
    "WriteSetting",
    "job_spec_json_schema",
    "json_path",
    "load_job_spec",
]


def job_spec_json_schema() -> dict[str, Any]:
    """The published JSON Schema of a job spec (`spark-jobs schema`)."""
    schema = JobSpec.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "spark_jobs job spec"
    schema["description"] = (
        "The body of POST /v4/jobGroups (jobGroup) plus the flow it refers to (flow). "
        "writesettings is accepted as a spelling of writeSettings; runParameters.overrides "
        "may be a list of {data: [...]} objects or one such object."
    )
    return schema
