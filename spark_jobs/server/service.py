"""What the endpoints do, apart from HTTP: accept, read, cancel and publish job groups.

A ``POST /v4/jobGroups`` is answered once the job group is planned and recorded (ids taken,
``spec.json`` and ``result.json`` written, status Created, read as InProgress) and its driver is
queued; Spark starts afterwards, in the driver. Planning here runs the same checks as
``spark-jobs run`` before Spark starts, plus the ``--allow-path`` roots.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from spark_jobs.errors import Problem, SpecError, UserError
from spark_jobs.publish import load_publish_request
from spark_jobs.publish.source import find_source
from spark_jobs.runner.extras import jvm_extras_for_job
from spark_jobs.runner.job_group import create_job_group
from spark_jobs.runner.plan import JobPlan, plan_job
from spark_jobs.server.drivers import Scheduler, Task
from spark_jobs.server.errors import InvalidRequest, NotFound, invalid
from spark_jobs.server.flows import FlowCatalog, FlowEntry
from spark_jobs.server.paths import PathPolicy
from spark_jobs.server.settings import ServerSettings
from spark_jobs.server.store import (
    TERMINAL,
    JobGroupNotFound,
    JobGroupResult,
    JobRecord,
    JobStore,
    ResultReader,
)
from spark_jobs.server.submit import SubmitCommands
from spark_jobs.server.views import EMBEDS, job_group_view, jobs_view
from spark_jobs.spec import load_job_spec
from spark_jobs.spec.models import JobSpec

log = logging.getLogger(__name__)

#: the header a client sends to make a retried POST /v4/jobGroups safe
EXECUTION_ID_HEADER = "x-execution-id"


def _body_path(path: str) -> str:
    """``$.jobGroup.x`` (inside a job spec) -> ``$.x`` (inside the request body)."""
    if path == "$.jobGroup":
        return "$"
    if path.startswith("$.jobGroup"):
        return "$" + path[len("$.jobGroup") :]
    return path


class JobGroupService:
    def __init__(
        self, settings: ServerSettings, scheduler: Scheduler, catalog: FlowCatalog
    ) -> None:
        self.settings = settings
        self.store = JobStore(str(settings.job_store))
        self.reader = ResultReader(self.store)
        self.catalog = catalog
        self.scheduler = scheduler
        self.policy = PathPolicy(settings.allow_paths, str(settings.workdir))
        self.commands = SubmitCommands(settings)
        self._execution_lock = threading.Lock()

    def warm_up(self) -> None:
        """Plan a throwaway job: the Wrangle parser is built on first use (a second or more),
        which should not happen inside a client's request."""
        document = {
            "jobGroup": {
                "wrangledDataset": {"id": 1},
                "overrides": {
                    "writeSettings": [{"path": "/warm_up", "action": "create", "format": "csv"}]
                },
            },
            "flow": {
                "importedDatasets": [
                    {
                        "id": 1,
                        "name": "warm_up",
                        "uri": str(self.settings.flows_dir),
                        "format": "csv",
                    }
                ],
                "wrangledDatasets": [
                    {
                        "id": 1,
                        "name": "warm_up",
                        "input": {"importedDataset": {"id": 1}},
                        "recipe": ["derive type: single value: 1 as: 'warm_up'"],
                    }
                ],
            },
        }
        plan_job(load_job_spec(document))

    # -- create ------------------------------------------------------------------------------
    def create(self, body: Any, execution_id: str | None = None) -> dict[str, Any]:
        """Accept a ``POST /v4/jobGroups`` body; returns the 201 response."""
        if execution_id is None:
            return self._create(body)
        with self._execution_lock:
            marker = self._execution_marker(execution_id)
            if marker.is_file():
                first = int(marker.read_text())
                result, _ = self._load(first)
                return result.create_response()
            response = self._create(body)
            marker.parent.mkdir(parents=True, exist_ok=True)
            tmp = marker.with_name(f".{marker.name}.tmp")
            tmp.write_text(str(response["id"]))
            tmp.replace(marker)
            return response

    def _execution_marker(self, execution_id: str) -> Path:
        digest = hashlib.sha256(execution_id.encode()).hexdigest()
        return Path(self.store.root) / "executions" / digest

    def _create(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, Mapping):
            raise InvalidRequest(
                "invalid job group: 1 problem\n  - $: the body is a JSON object",
                {
                    "code": "INVALID_SPEC",
                    "problems": [{"path": "$", "message": "the body is a JSON object"}],
                },
            )
        entry = self._flow_of(body)
        spec = self._spec(body, entry)
        plan = self._plan(spec, entry)
        result = self._start_run(plan)
        log.info("job group %s accepted (wrangled dataset %s)", result.id, spec.target.id)
        return result.create_response()

    def _flow_of(self, body: Mapping[str, Any]) -> FlowEntry:
        """The flow holding the body's wrangled dataset; 400 when no flow has it."""
        ref = body.get("wrangledDataset")
        raw = ref.get("id") if isinstance(ref, Mapping) else None
        dataset_id = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            dataset_id = raw
        elif isinstance(raw, str) and raw.strip().isdigit():  # the model takes "11" for 11
            dataset_id = int(raw)
        if dataset_id is None:
            problems = self._body_problems(body)
            if not any(
                p.path.startswith("$.wrangledDataset") or "'wrangledDataset'" in p.message
                for p in problems
            ):
                problems.append(
                    Problem(
                        "$.wrangledDataset.id", f"{json.dumps(raw)} is not a wrangled dataset id"
                    )
                )
            raise invalid(SpecError(problems, document="job group"))
        entry = self.catalog.for_dataset(dataset_id)
        if entry is None:
            known = ", ".join(str(i) for i in self.catalog.dataset_ids()) or "none"
            problem = Problem(
                "$.wrangledDataset.id",
                f"no wrangled dataset with id {dataset_id} in the server's flows (known: {known})",
            )
            raise invalid(SpecError([problem], document="job group"))
        return entry

    def _body_problems(self, body: Mapping[str, Any]) -> list[Problem]:
        """What is wrong with the body alone (no flow found to check it against)."""
        document = {"jobGroup": dict(body), "flow": {"wrangledDatasets": []}}
        try:
            load_job_spec(document)
        except SpecError as exc:
            return [
                Problem(_body_path(p.path), p.message)
                for p in exc.problems
                if not p.path.startswith("$.flow")
            ]
        return []

    def _start_run(self, plan: JobPlan) -> JobGroupResult:
        """Record the job group (Created) and queue its driver, with the JVM extras it uses."""
        result = create_job_group(plan, self.store)
        spec_path = Path(self.store.group_dir(result.id)) / "spec.json"
        extras = jvm_extras_for_job(plan.spec, self.store.root, plan.imported.values())
        self.scheduler.submit(
            Task(result.id, "run", self.commands.run(result.id, spec_path, extras))
        )
        return result

    def _spec(self, body: Mapping[str, Any], entry: FlowEntry) -> JobSpec:
        try:
            return load_job_spec({"jobGroup": dict(body), "flow": entry.document})
        except SpecError as exc:
            problems = [Problem(_body_path(p.path), p.message) for p in exc.problems]
            raise invalid(SpecError(problems, document="job group"), flow=entry.file) from None

    def _plan(self, spec: JobSpec, entry: FlowEntry) -> JobPlan:
        try:
            plan = plan_job(spec)
        except SpecError as exc:
            problems = [Problem(_body_path(p.path), p.message) for p in exc.problems]
            raise invalid(SpecError(problems, document="job group"), flow=entry.file) from None
        except UserError as exc:
            raise invalid(exc, flow=entry.file) from None
        problems = self._path_problems(spec, plan)
        if problems:
            raise invalid(SpecError(problems, document="job group"), flow=entry.file)
        return plan

    def _path_problems(self, spec: JobSpec, plan: JobPlan) -> list[Problem]:
        """Every source and output outside the allowed roots (``--allow-path``)."""
        problems = []
        index = {d.id: i for i, d in enumerate(spec.flow.importedDatasets)}
        for dataset_id, dataset in plan.imported.items():
            where = f"$.flow.importedDatasets[{index[dataset_id]}].uri"
            locations = plan.source_uris.get(dataset_id) if dataset.parameters else None
            if locations is None:
                locations = [dataset.uri.split("{", 1)[0] if dataset.parameters else dataset.uri]
            for location in locations:
                why = self.policy.problem(location)
                if why:
                    problems.append(Problem(where, f"source {why}"))
                    break
        overrides = spec.jobGroup.overrides
        base = (
            "$.overrides.writeSettings"
            if overrides is not None and overrides.writeSettings is not None
            else "$.flow.wrangledDatasets[?].writeSettings"
        )
        if not base.startswith("$.overrides"):
            target = next(
                i for i, d in enumerate(spec.flow.wrangledDatasets) if d.id == spec.target.id
            )
            base = f"$.flow.wrangledDatasets[{target}].writeSettings"
        for i, setting in enumerate(plan.outputs):
            why = self.policy.problem(setting.path)
            if why:
                problems.append(Problem(f"{base}[{i}].path", f"output {why}"))
        for value in plan.parameters:
            if ".." in value.value.replace("\\", "/").split("/"):
                problems.append(
                    Problem(
                        "$.runParameters",
                        f"parameter {value.name!r}: value {value.value!r} contains '..'",
                    )
                )
        return problems

    # -- read --------------------------------------------------------------------------------
    def _load(self, job_group_id: int) -> tuple[JobGroupResult, str]:
        try:
            return self.reader.load(job_group_id)
        except JobGroupNotFound:
            raise NotFound(f"job group {job_group_id} not found", {"id": job_group_id}) from None

    def status(self, job_group_id: int) -> str:
        from spark_jobs.server.views import api_status

        return api_status(self._load(job_group_id)[0])

    def get(self, job_group_id: int, embed: frozenset[str]) -> dict[str, Any]:
        result, updated = self._load(job_group_id)
        return job_group_view(result, updated, embed)

    def jobs(self, job_group_id: int) -> dict[str, Any]:
        return jobs_view(self._load(job_group_id)[0])

    def list(self, embed: frozenset[str], limit: int, offset: int) -> dict[str, Any]:
        """Newest first, ``limit`` from ``offset``."""
        ids = list(reversed(self.reader.ids()))
        data = []
        for job_group_id in ids[offset : offset + limit]:
            try:
                result, updated = self.reader.load(job_group_id)
            except (JobGroupNotFound, ValueError):
                continue  # being created this instant, or not a job group of ours
            data.append(job_group_view(result, updated, embed))
        return {"data": data}

    # -- cancel ------------------------------------------------------------------------------
    def cancel(self, job_group_id: int) -> dict[str, Any]:
        result, _ = self._load(job_group_id)
        open_jobs = [j.id for j in result.jobs if j.status not in TERMINAL]
        if not open_jobs:
            return {"jobIds": [], "jobgroupId": job_group_id}
        if not self.scheduler.cancel(job_group_id):
            drivers = Path(self.store.group_dir(job_group_id)) / "drivers"
            if drivers.is_dir():  # ours, and its driver ended a moment ago: nothing to cancel
                return {"jobIds": [], "jobgroupId": job_group_id}
            # no driver of this server runs it (a `spark-jobs run` elsewhere): not ours to stop
            raise InvalidRequest(
                f"job group {job_group_id} is not run by this server (host {result.host}, "
                f"pid {result.pid}); stop that process to cancel it",
                {"id": job_group_id},
            )
        return {"jobIds": open_jobs, "jobgroupId": job_group_id}

    # -- publish -----------------------------------------------------------------------------
    def publish(self, job_group_id: int, body: Any) -> dict[str, Any]:
        result, _ = self._load(job_group_id)
        if self.settings.connections is None:
            raise InvalidRequest(
                "this server has no connections: start it with --connections FILE to publish",
                {"code": "INVALID_PUBLISH"},
            )
        if not isinstance(body, Mapping):
            raise invalid(
                SpecError(
                    [Problem("$", "a publish body is a JSON object")], document="publish body"
                )
            )
        try:
            request = load_publish_request(job_group_id, body, self.settings.connections)
            source = find_source(result, request.body, target=request.publisher.target)
        except UserError as exc:
            raise invalid(exc) from None
        session_id = str(uuid.uuid4())
        job = JobRecord(id=self.store.new_job_id(), type="publish", status="Pending")
        job.details = {"sessionId": session_id}
        self.store.add_job(job_group_id, job, after=[source.writer_job_id])
        folder = Path(self.store.group_dir(job_group_id)) / "drivers"
        folder.mkdir(parents=True, exist_ok=True)
        body_path = folder / f"publish-{job.id}.body.json"
        body_path.write_text(json.dumps(dict(body), indent=2))
        command = self.commands.publish(
            job_group_id, job.id, session_id, body_path, request.connection
        )
        metastore = self.commands.embedded_metastore(request.connection)
        self.scheduler.submit(
            Task(job_group_id, "publish", command, job_id=job.id, metastore=metastore)
        )
        return {"jobgroupId": job_group_id, "reason": "JobStarted", "sessionId": session_id}

    # -- flows -------------------------------------------------------------------------------
    def run_flow(self, flow_id: int, body: Any) -> dict[str, Any]:
        """``POST /v4/flows/<id>/run``: one job group per wrangled dataset with outputs."""
        entry = self.catalog.flow(flow_id)
        if entry is None:
            raise NotFound(f"flow {flow_id} not found", {"id": flow_id})
        if body is None:
            body = {}
        if not isinstance(body, Mapping):
            raise invalid(
                SpecError([Problem("$", "the body is a JSON object")], document="flow run")
            )
        unknown = sorted(set(body) - {"runParameters", "ranfrom"})
        if unknown:
            problems = [Problem("$", f"unknown field {name!r}") for name in unknown]
            raise invalid(SpecError(problems, document="flow run"))
        targets = entry.output_datasets()
        if not targets:
            problem = Problem(
                "$", f"flow {flow_id} ({entry.file}) has no wrangled dataset with writeSettings"
            )
            raise invalid(SpecError([problem], document="flow run"))
        plans = []
        for dataset_id in targets:  # every job group is checked before any is created
            request = {"wrangledDataset": {"id": dataset_id}, **body}
            spec = self._spec(request, entry)
            plans.append(self._plan(spec, entry))
        data = []
        for plan in plans:
            result = self._start_run(plan)
            data.append(result.create_response())
        return {"data": data}


def parse_embed(text: str | None) -> frozenset[str]:
    names = frozenset(n.strip() for n in (text or "").split(",") if n.strip())
    unknown = sorted(names - EMBEDS)
    if unknown:
        raise InvalidRequest(
            f"embed: unknown {', '.join(repr(n) for n in unknown)}; use jobs and/or wrangledDataset",
            {"embed": text},
        )
    return names


def parse_flag(name: str, text: str | None) -> bool:
    """``includeDeleted=true`` and its spellings (Airflow sends ``False``)."""
    if text is None or text == "":
        return False
    lowered = text.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise InvalidRequest(f"{name}: {text!r} is not true or false", {name: text})
