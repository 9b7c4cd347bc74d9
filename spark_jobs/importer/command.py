"""``spark-jobs import-flow PACKAGE [--rules RULES.json] [--out SPEC.json]``.

Writes the job spec (to ``--out``, else stdout) and, beside ``--out``, one jobGroup body per
output of the flow (``<stem>.jobGroup.<wrangled dataset id>.json``) and one publish body per
publication (``<stem>.publish.<n>.json``). Warnings go to stderr. On bad input: exit code 2, one
message, and nothing written (every file is written to a temporary name first and renamed into
place only when all of them were written).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import IO, Any

from spark_jobs.errors import EXIT_INVALID_INPUT, EXIT_OK, UserError
from spark_jobs.importer import ImportResult, import_flow


def _dump(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def output_files(result: ImportResult, out: Path) -> dict[Path, str]:
    """Every file an import writes beside ``out``, with its text."""
    stem = out.name[: -len(".json")] if out.name.endswith(".json") else out.name
    files = {out: _dump(result.spec)}
    for body in result.job_groups:
        files[out.with_name(f"{stem}.jobGroup.{body['wrangledDataset']['id']}.json")] = _dump(body)
    for n, body in enumerate(result.publications, start=1):
        files[out.with_name(f"{stem}.publish.{n}.json")] = _dump(body)
    return files


def write_all(files: dict[Path, str]) -> None:
    """All files or none: written to temporary names, then renamed into place."""
    temporary: list[tuple[Path, Path]] = []
    try:
        for path, text in files.items():
            tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
            tmp.write_text(text, encoding="utf-8")
            temporary.append((tmp, path))
    except OSError:
        for tmp, _ in temporary:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, path in temporary:
        os.replace(tmp, path)


def import_command(
    package: str,
    *,
    rules: str | None = None,
    out: str | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    target = Path(out).resolve() if out else None
    output_dir = (target.parent if target else Path.cwd()) / "output"
    try:
        if target is not None and not target.parent.is_dir():
            raise UserError(f"--out {out}: directory {target.parent} does not exist")
        result = import_flow(package, rules=rules, default_output_dir=f"file://{output_dir}")
        files = output_files(result, target) if target is not None else {}
        try:
            write_all(files)
        except OSError as exc:
            raise UserError(f"--out {out}: cannot be written ({exc.strerror or exc})") from None
    except UserError as exc:
        print(f"error: {exc.message}", file=stderr)
        return EXIT_INVALID_INPUT
    for warning in result.warnings:
        print(f"warning: {warning}", file=stderr)
    if target is None:
        stdout.write(_dump(result.spec))
    else:
        datasets = len(result.spec["flow"]["wrangledDatasets"])
        print(
            f"imported {package} ({result.layout}, {result.version or 'unknown release'}): "
            f"{len(result.spec['flow']['importedDatasets'])} imported datasets, {datasets} recipes, "
            f"{len(result.job_groups)} job groups, {len(result.publications)} publications",
            file=stdout,
        )
        for path in files:
            print(f"  wrote {path}", file=stdout)
    return EXIT_OK
