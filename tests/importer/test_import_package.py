"""Reading flow packages: both layouts, every package of the corpus, and bad input."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from importer_helpers import package_paths, wild

from spark_jobs.cli import main
from spark_jobs.errors import FlowImportError
from spark_jobs.importer import import_flow, load_document, read_package
from spark_jobs.importer.package import FLAT, NESTED
from spark_jobs.importer.values import Column, Constant, Func, Keyword


def test_every_package_of_the_corpus_is_read_in_its_layout() -> None:
    index = json.loads((wild() / "packages.json").read_text())
    layouts: dict[str, int] = {}
    for entry, path in zip(index, package_paths(), strict=True):
        if entry["repo"] == "lthudson42/Internships-Trifacta-Workflow":
            with pytest.raises(
                FlowImportError, match=r"not a flow package.*Designer Cloud workflow"
            ):
                read_package(load_document(path), label=path.name)
            continue
        package = read_package(load_document(path), label=path.name)
        assert package.version == entry["trifactaVersion"]
        expected = (
            FLAT
            if entry.get("has_editablescripts")
            or "6.0" in package.version[:3]
            or "6.4" in package.version[:3]
            else NESTED
        )
        assert package.layout == expected, path
        layouts[package.layout] = layouts.get(package.layout, 0) + 1
    assert layouts == {FLAT: 34, NESTED: 19}


def test_a_task_tree_becomes_typed_values() -> None:
    path = (
        wild()
        / "packages/victorcouste+trifacta-flows-examples/Get last day of month from a date/flow_Get last day of month for a date.zip"
    )
    package = read_package(load_document(path))
    (flow,) = package.flows
    recipe = next(r for r in flow.recipes if r.name == "Last month day")
    derive = recipe.steps[2].task
    assert derive.type == "Derive"
    assert derive.get("type") == Keyword("single")
    value = derive.get("value")
    assert isinstance(value, Func) and value.type == "DateAdd"
    assert value.get("col") == Column("Dates")
    assert value.get("delta") == Constant("Integer", 1)
    assert recipe.steps[0].task.hidden and recipe.steps[0].task.type == "Load"
    source = flow.datasources[0]
    assert source.uri.startswith("gs://") and source.uri.endswith("/Dates.csv")
    assert source.parsing_recipe_id == next(r.id for r in flow.recipes if r.name == "Dates.csv")


def test_the_flat_layout_orders_a_recipe_by_its_current_edit() -> None:
    path = wild() / "packages/victorcouste+trifacta-api-flows/8d0b8f1489/flows/flow_4.zip"
    package = read_package(load_document(path))
    assert package.layout == FLAT and package.edition == "Enterprise"
    (flow,) = package.flows
    recipe = next(r for r in flow.recipes if r.name == "Advertising_Clickstream – 7")
    assert [s.task.type for s in recipe.steps] == ["Load", "Load", "Join"]
    assert [(e.source, e.target, e.port) for e in flow.edges] == [(79, 80, None), (30, 80, 1)]
    jdbc = next(d for d in flow.datasources if d.relational is not None)
    assert jdbc.relational.table == "Sales" and jdbc.relational.path == ("dbo",)
    (output,) = flow.outputs
    assert output.execution == "photon" and output.write_settings[0].format == "csv"


# --- bad input: exit 2, one clear message, nothing written ----------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _a_package() -> bytes:
    path = (
        wild()
        / "packages/victorcouste+trifacta-flows-examples/Get last day of month from a date/flow_Get last day of month for a date.json"
    )
    return path.read_bytes()


def _with_task_type(new_type: str) -> bytes:
    document = json.loads(_a_package())
    recipe = next(
        r for r in document["data"]["flows"][0]["recipes"] if r["name"] == "Last month day"
    )
    recipe["steps"][2]["task"]["type"] = new_type
    return json.dumps(document).encode()


def _with_function(new_type: str) -> bytes:
    document = json.loads(_a_package())
    recipe = next(
        r for r in document["data"]["flows"][0]["recipes"] if r["name"] == "Last month day"
    )
    recipe["steps"][2]["task"]["parameters"]["value"]["type"] = new_type
    return json.dumps(document).encode()


BAD_INPUTS = {
    "not-zip-or-json": (
        b"\x00\x01binary garbage, not a package",
        "not a flow package: neither a ZIP file nor JSON",
    ),
    "damaged-zip": (None, "damaged ZIP file"),
    "two-jsons": (None, "holds exactly one JSON file, found 2"),
    "unknown-layout": (
        json.dumps({"metadata": {}, "data": {"pipelines": []}}).encode(),
        "unknown flow package layout",
    ),
    "workflow": (None, "not a flow package.*Designer Cloud workflow"),
    "unknown-task": (
        None,
        r"recipe 'Last month day', step 3 \(task Frobnicate\): task type 'Frobnicate' has no counterpart here",
    ),
    "unknown-function": (
        None,
        r"recipe 'Last month day', step 3 \(task Derive\): function 'DateWarp' has no counterpart here",
    ),
}


def _bad_input(kind: str) -> bytes:
    data, _ = BAD_INPUTS[kind]
    if data is not None:
        return data
    if kind == "damaged-zip":
        whole = (
            wild()
            / "packages/victorcouste+trifacta-flows-examples/Get last day of month from a date/flow_Get last day of month for a date.zip"
        ).read_bytes()
        return whole[: len(whole) // 2]
    if kind == "two-jsons":
        return _zip({"flow_1.json": _a_package(), "flow_2.json": _a_package()})
    if kind == "workflow":
        return (
            wild() / "packages/lthudson42+Internships-Trifacta-Workflow/Internships Workflow.json"
        ).read_bytes()
    if kind == "unknown-task":
        return _with_task_type("Frobnicate")
    return _with_function("DateWarp")


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_input_exits_2_with_one_message_and_writes_nothing(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = tmp_path / ("package.zip" if kind in ("damaged-zip", "two-jsons") else "package.json")
    package.write_bytes(_bad_input(kind))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code = main(["import-flow", str(package), "--out", str(out_dir / "spec.json")])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert lines[0].startswith("error: "), captured.err
    assert __import__("re").search(BAD_INPUTS[kind][1], captured.err), captured.err
    assert "Traceback" not in captured.err
    assert list(out_dir.iterdir()) == []


def test_a_rule_that_matches_nothing_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(
        json.dumps([{"type": "fileLocation", "on": "/^s3:\\/\\/nowhere/", "with": "file:///x"}])
    )
    package = (
        wild()
        / "packages/victorcouste+trifacta-flows-examples/Get last day of month from a date/flow_Get last day of month for a date.zip"
    )
    code = main(
        ["import-flow", str(package), "--rules", str(rules), "--out", str(tmp_path / "spec.json")]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert (
        'import rule 0 (fileLocation, on: "/^s3:\\\\/\\\\/nowhere/") matches nothing in the package'
        in err
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rules.json"]


def test_a_missing_package_file_is_named() -> None:
    with pytest.raises(FlowImportError, match=r"nowhere\.zip: cannot be read"):
        import_flow("/nowhere.zip")
