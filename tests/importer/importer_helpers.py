"""Where the real-world material is: ``../shared/wild`` beside the repository (CI has it there),
or ``$SPARK_JOBS_WILD``. Missing material fails the tests that need it, it never skips them."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES_REPO = "victorcouste/trifacta-flows-examples"


def wild() -> Path:
    root = Path(os.environ.get("SPARK_JOBS_WILD") or REPO.parent / "shared" / "wild")
    if not (root / "packages.json").is_file():
        pytest.fail(
            f"the real-world corpus is missing: {root}/packages.json (set SPARK_JOBS_WILD to the "
            "shared/wild directory)"
        )
    return root


@cache
def package_paths() -> tuple[Path, ...]:
    """Every package of the corpus: its ZIP, or its JSON where no ZIP was kept."""
    index = json.loads((wild() / "packages.json").read_text())
    out = []
    for entry in index:
        saved = [wild() / p for p in entry["saved_as"]]
        zips = [p for p in saved if p.suffix == ".zip"]
        out.append(zips[0] if zips else saved[0])
    return tuple(out)


def examples_dir() -> Path:
    return wild() / "packages" / "victorcouste+trifacta-flows-examples"


def example_package(folder: str, name: str | None = None) -> Path:
    """The flow package (ZIP) of an example folder (``name``: which, when it holds several)."""
    paths = sorted((examples_dir() / folder).glob(name or "*.zip"))
    if len(paths) != 1:
        pytest.fail(f"expected one flow package in {examples_dir() / folder}, found {paths}")
    return paths[0]


def downloads() -> list[dict[str, Any]]:
    """The 13 recipes downloaded from the example flows as .wrangle files."""
    recipes = json.loads((wild() / "recipes.json").read_text())
    return [r for r in recipes if r["repo"] == EXAMPLES_REPO]
