"""The ``spark-jobs`` console script: local Spark configured from ``conf/``.

    spark-jobs run SPEC [--job-store DIR] [--result FILE]
    spark-jobs publish --job-group ID --body BODY [--connections FILE] [--job-store DIR]
    spark-jobs validate SPEC
    spark-jobs schema
    spark-jobs serve --flows DIR [--host H] [--port P] [--job-store DIR] [--connections FILE] ...
    spark-jobs import-flow PACKAGE [--rules RULES.json] [--out SPEC.json]

On a cluster, use ``spark-submit spark_jobs/entrypoints/run_job.py --spec SPEC`` (and
``.../publish.py``) instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from spark_jobs.errors import EXIT_INVALID_INPUT, EXIT_OK, UserError

TOKENS_ENV = "SPARK_JOBS_API_TOKENS"  # spark_jobs.server.settings.TOKENS_ENV, named here for --help

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from spark_jobs.session import LocalSessionSettings
    from spark_jobs.spec.connections import ConnectionBase


def _local_settings(args: argparse.Namespace, *, hive: bool = False) -> LocalSessionSettings:
    """A local session from conf/; with Hive, its embedded metastore under the job store."""
    from spark_jobs.session import LocalSessionSettings, default_hive_dir

    settings = LocalSessionSettings(
        app_name=f"spark-jobs {args.command}",
        master=args.master,
        conf_file=Path(args.spark_conf) if args.spark_conf else None,
        hive=hive,
    )
    if hive:
        hive_dir = default_hive_dir(args.job_store)
        settings.metastore_dir = hive_dir
        settings.warehouse_dir = hive_dir / "warehouse"
    return settings


def _run_session_factory(args: argparse.Namespace) -> Callable[[Mapping[str, str]], SparkSession]:
    """A local session with only the JVM extras the job uses (and no Hive: a run needs none)."""

    def factory(extras: Mapping[str, str]) -> SparkSession:
        from spark_jobs.session import build_local_session

        settings = _local_settings(args)
        settings.extras = dict(extras)
        return build_local_session(settings)

    return factory


def _publish_session_factory(args: argparse.Namespace) -> Callable[[ConnectionBase], SparkSession]:
    """The session a connection needs: Hive support and its metastore for a Hive connection."""

    def factory(connection: ConnectionBase) -> SparkSession:
        from spark_jobs.session import build_local_session, local_hive_settings
        from spark_jobs.spec.connections import HiveConnection

        if isinstance(connection, HiveConnection):
            settings = local_hive_settings(_local_settings(args, hive=True), connection)
        else:
            settings = _local_settings(args)
        return build_local_session(settings)

    return factory


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"a job group id is a positive number, not {value}")
    return value


def _positive_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"at least 1, not {value}")
    return value


def _serve(args: argparse.Namespace) -> int:
    try:
        from spark_jobs.server import ServerSettings, load_tokens, serve
    except ModuleNotFoundError as exc:
        sys.stderr.write(
            f"error: spark-jobs serve needs the server extra ({exc.name} is missing): "
            "pip install 'spark-jobs[server]'\n"
        )
        return EXIT_INVALID_INPUT

    connections = Path(args.connections) if args.connections else None
    if connections is None and Path("conf/connections.json").is_file():
        connections = Path("conf/connections.json")
    try:
        settings = ServerSettings(
            job_store=Path(args.job_store),
            flows_dir=Path(args.flows),
            connections=connections,
            master=args.master,
            spark_conf=Path(args.spark_conf) if args.spark_conf else None,
            py_files=[Path(p) for p in args.py_files],
            allow_paths=list(args.allow_path),
            max_concurrent=args.max_concurrent,
            driver_nice=args.driver_nice,
            cancel_grace_seconds=args.cancel_grace,
            tokens=load_tokens(Path(args.token_file) if args.token_file else None),
        )
        serve(settings, host=args.host, port=args.port, access_log=args.access_log)
    except UserError as exc:
        from spark_jobs.runner.app import print_user_error

        print_user_error(exc, sys.stderr)
        return EXIT_INVALID_INPUT
    return EXIT_OK


def _add_spark_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--master", help="Spark master (default: spark.master from the conf file, else local[*])"
    )
    parser.add_argument(
        "--spark-conf",
        help="spark-defaults style file (default: ./conf/spark-defaults.conf if present)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spark-jobs", description="Run data-preparation job groups on Spark."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run", help="run a job spec (the body of POST /v4/jobGroups plus its flow)"
    )
    run.add_argument("spec", help="job spec JSON file")
    run.add_argument(
        "--job-store",
        default=".spark_jobs",
        help="where job group results are kept (default: ./.spark_jobs)",
    )
    run.add_argument("--result", help="also write the final result JSON to this file")
    run.add_argument(
        "--no-progress", action="store_true", help="do not print stage progress on stderr"
    )
    _add_spark_options(run)

    publish = commands.add_parser(
        "publish", help="publish a job group's results to a table (PUT /v4/jobGroups/<id>/publish)"
    )
    publish.add_argument("--job-group", required=True, type=_positive_int, help="the job group id")
    publish.add_argument("--body", required=True, help="publish body JSON file")
    publish.add_argument(
        "--connections",
        default="conf/connections.json",
        help="connections file (default: ./conf/connections.json)",
    )
    publish.add_argument(
        "--job-store",
        default=".spark_jobs",
        help="where job group results are kept (default: ./.spark_jobs)",
    )
    _add_spark_options(publish)

    serve = commands.add_parser(
        "serve", help="serve the v4 job group API (POST /v4/jobGroups, ...) over HTTP"
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8080, help="port (default: 8080)")
    serve.add_argument(
        "--job-store",
        default=".spark_jobs",
        help="local directory of job group results (default: ./.spark_jobs)",
    )
    serve.add_argument("--flows", required=True, help="directory of flow files (*.json)")
    serve.add_argument(
        "--connections",
        help="connections file for publishing (default: ./conf/connections.json if present)",
    )
    serve.add_argument(
        "--allow-path",
        action="append",
        default=[],
        metavar="ROOT",
        help="sources and outputs must lie under these (repeat; default: the current directory)",
    )
    serve.add_argument(
        "--max-concurrent", type=_positive_count, default=2, help="drivers at once (default: 2)"
    )
    serve.add_argument(
        "--driver-nice",
        type=int,
        default=10,
        metavar="N",
        help="the drivers' CPU niceness, 0-19: the API stays responsive while they work "
        "(default: 10)",
    )
    serve.add_argument(
        "--cancel-grace",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="a canceled driver's time to stop cleanly before it is killed (default: 30)",
    )
    serve.add_argument(
        "--token-file",
        help=f"API bearer tokens, one per line (also read: ${TOKENS_ENV}, comma-separated)",
    )
    serve.add_argument(
        "--py-files",
        action="append",
        default=[],
        help="spark-submit --py-files (non-local masters)",
    )
    serve.add_argument("--access-log", action="store_true", help="log every request")
    _add_spark_options(serve)

    validate = commands.add_parser("validate", help="validate a job spec without running it")
    validate.add_argument("spec")

    schema = commands.add_parser("schema", help="print the JSON Schema of the job spec")
    schema.add_argument("--indent", type=int, default=2)

    import_flow = commands.add_parser(
        "import-flow", help="turn a flow package (GET /v4/flows/<id>/package) into a job spec"
    )
    import_flow.add_argument("package", help="the package: its .zip, or the JSON inside it")
    import_flow.add_argument("--rules", help="import rules JSON (fileLocation, connection)")
    import_flow.add_argument("--out", help="where to write the job spec (default: stdout)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from spark_jobs.runner.app import configure_logging, print_user_error

    configure_logging()
    if args.command == "schema":
        from spark_jobs.spec import job_spec_json_schema

        print(json.dumps(job_spec_json_schema(), indent=args.indent))
        return EXIT_OK
    if args.command == "import-flow":
        from spark_jobs.importer.command import import_command

        return import_command(args.package, rules=args.rules, out=args.out)
    if args.command == "validate":
        from spark_jobs.runner.plan import plan_job
        from spark_jobs.spec import load_job_spec

        try:
            plan = plan_job(load_job_spec(args.spec))
        except UserError as exc:
            print_user_error(exc, sys.stderr)
            return EXIT_INVALID_INPUT
        names = " -> ".join(p.dataset.name for p in plan.order)
        print(
            f"valid: {len(plan.order)} wrangled datasets ({names}), {len(plan.spec.write_settings)} outputs"
        )
        for source_id, files in plan.source_uris.items():
            if source_id not in plan.unlisted:
                name = plan.imported[source_id].name
                print(f"imported dataset {name!r}: {len(files)} files match")
        for source_id in plan.unlisted:
            uri = plan.imported[source_id].uri
            print(
                f"imported dataset {plan.imported[source_id].name!r}: not listed ({uri} needs Spark)"
            )
        return EXIT_OK
    if args.command == "run":
        from spark_jobs.runner.app import run_command

        return run_command(
            args.spec,
            session=_run_session_factory(args),
            job_store=args.job_store,
            result_file=args.result,
            progress=not args.no_progress,
        )
    if args.command == "serve":
        return _serve(args)
    if args.command == "publish":
        from spark_jobs.publish import publish_command

        return publish_command(
            args.job_group,
            args.body,
            session=_publish_session_factory(args),
            connections=args.connections,
            job_store=args.job_store,
        )
    return EXIT_INVALID_INPUT


if __name__ == "__main__":
    sys.exit(main())
