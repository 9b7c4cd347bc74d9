"""docs/architecture.md's import rules hold in the code, and no two modules import each other.

The rules are read from the document itself (the list under "Import rules"), so the document and
this test cannot drift apart. Every import of every module of ``spark_jobs`` counts: at module
level, inside functions, and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "spark_jobs"
RULES_DOC = REPO / "docs" / "architecture.md"
#: a rule line: - `part` -> `target`, `target` ... (or `nothing`); - `part` never -> `target`, ...
RULE_LINE = re.compile(r"^- `(?P<source>[\w.]+)` (?P<kind>->|never ->) (?P<targets>.+)$")


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    imported: str  # dotted module name
    line: int


@dataclass
class Rules:
    allowed: dict[str, set[str]]  # part -> the parts / modules it may import
    never: dict[str, set[str]]  # sub-part -> modules it may not import (even inside its part)


def read_rules(text: str) -> Rules:
    """The rule lines of the document's "Import rules" section."""
    section = text.split("## Import rules", 1)[1].split("\n## ", 1)[0]
    rules = Rules(allowed={}, never={})
    for line in section.splitlines():
        match = RULE_LINE.match(line.strip())
        if match is None:
            continue
        targets = set(re.findall(r"`([\w.]+)`", match["targets"])) - {"nothing"}
        table = rules.allowed if match["kind"] == "->" else rules.never
        table.setdefault(match["source"], set()).update(targets)
    return rules


def module_files(root: Path) -> dict[str, Path]:
    """Every module of the package below ``root``: dotted name -> file."""
    out = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imports_of(name: str, path: Path, modules: set[str]) -> list[Import]:
    """Every import of a package module in ``path``, wherever it stands in the file."""
    is_package = path.name == "__init__.py"
    out = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            # ``from pkg import mod`` imports the module ``pkg.mod``; any other name, ``pkg``
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            if target == PACKAGE or target.startswith(PACKAGE + "."):
                out.append(Import(name, target, node.lineno))
    return list(dict.fromkeys(out))  # ``from x import a, b``: one import of x


def part_of(module: str) -> str:
    """``spark_jobs.runner.plan`` -> ``runner``; ``spark_jobs.session`` -> ``session``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else PACKAGE


def matches(module: str, target: str) -> bool:
    """Whether ``module`` is what a rule's ``target`` names: a part or a module with everything
    below it; ``x.__init__`` is the package ``x``'s own module alone."""
    name = f"{PACKAGE}.{target}"
    if target.endswith(".__init__"):
        return module == name.removesuffix(".__init__")
    return module == name or module.startswith(name + ".")


def forbidden(imports: list[Import], rules: Rules) -> list[str]:
    out = []
    for imp in imports:
        source, target = part_of(imp.importer), part_of(imp.imported)
        for never_source, never_targets in rules.never.items():
            if matches(imp.importer, never_source) and any(
                matches(imp.imported, t) for t in never_targets
            ):
                out.append(
                    f"{imp.importer}:{imp.line} imports {imp.imported} ({never_source} never)"
                )
        if source == target or target == PACKAGE:  # inside a part; the package's version
            continue
        allowed = rules.allowed.get(source)
        if allowed is None:  # reported once for the part, by check()
            continue
        if not any(matches(imp.imported, t) for t in allowed):
            out.append(
                f"{imp.importer}:{imp.line} imports {imp.imported}: {source} may import only "
                + ", ".join(sorted(allowed))
            )
    return out


def cycles(imports: list[Import]) -> list[list[str]]:
    """The groups of modules that import each other, directly or around a circle (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if imp.imported != imp.importer:
            graph.setdefault(imp.importer, set()).add(imp.imported)
            graph.setdefault(imp.imported, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def check(root: Path, rules: Rules) -> list[str]:
    """Every broken rule and every import cycle of the package below ``root``, as messages."""
    files = module_files(root)
    imports = [imp for name, path in files.items() for imp in imports_of(name, path, set(files))]
    problems = forbidden(imports, rules)
    problems += ["import cycle: " + " <-> ".join(group) for group in cycles(imports)]
    unruled = sorted({part_of(m) for m in files} - set(rules.allowed) - {PACKAGE})
    problems += [f"the part {p!r} has no rule in docs/architecture.md" for p in unruled]
    return problems


def test_the_import_rules_of_docs_architecture_hold() -> None:
    rules = read_rules(RULES_DOC.read_text())
    assert {"spec", "recipe", "io", "runner", "jobstore", "publish", "profile"} <= set(
        rules.allowed
    ), "the rule list of docs/architecture.md could not be read"
    problems = check(REPO, rules)
    assert not problems, "\n".join(problems)


# --- the checker itself finds what it must ------------------------------------------------------


def write_package(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / PACKAGE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


RULES = """# Architecture
## Import rules
- `spec` -> `errors`
- `runner` -> `spec`, `recipe.types`
- `recipe` -> `errors`
- `errors` -> nothing
- `recipe.functions` never -> `recipe.compiler`
## Next
- `spec` -> `runner`
"""


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # a forbidden arrow, under TYPE_CHECKING and inside a function as much as at the top
        (
            {
                "spec/__init__.py": "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from spark_jobs.runner import plan\n",
                "runner/plan.py": "",
            },
            ["spark_jobs.spec:3 imports spark_jobs.runner.plan"],
        ),
        (
            {"spec/a.py": "def f():\n    import spark_jobs.runner.plan\n", "runner/plan.py": ""},
            ["spark_jobs.spec.a:2 imports spark_jobs.runner.plan"],
        ),
        # only the named module of a part: recipe.types, not the compiler
        (
            {
                "runner/x.py": "from spark_jobs.recipe import types, compiler\n",
                "recipe/types.py": "",
                "recipe/compiler.py": "",
            },
            ["spark_jobs.runner.x:1 imports spark_jobs.recipe.compiler"],
        ),
        # a "never" inside a part; a relative import resolved
        (
            {
                "recipe/functions/f.py": "from .. import compiler\n",
                "recipe/compiler.py": "",
            },
            ["spark_jobs.recipe.functions.f:1 imports spark_jobs.recipe.compiler"],
        ),
        # a circle between two modules of one part
        (
            {
                "recipe/a.py": "from spark_jobs.recipe import b\n",
                "recipe/b.py": "def f():\n    from spark_jobs.recipe import a\n",
            },
            ["import cycle: spark_jobs.recipe.a <-> spark_jobs.recipe.b"],
        ),
        # a part the document says nothing about
        ({"server/app.py": ""}, ["the part 'server' has no rule"]),
    ],
)
def test_the_checker_reports_what_the_rules_forbid(
    tmp_path: Path, files: dict[str, str], expected: list[str]
) -> None:
    write_package(tmp_path, files)
    problems = check(tmp_path, read_rules(RULES))
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start), problems


def test_allowed_imports_pass_the_checker(tmp_path: Path) -> None:
    write_package(
        tmp_path,
        {
            "runner/x.py": "from spark_jobs.recipe.types import T\nfrom spark_jobs.spec import m\n",
            "recipe/types.py": "from spark_jobs.errors import E\n",
            "spec/m.py": "from . import n\n",
            "spec/n.py": "",
            "errors.py": "",
        },
    )
    assert check(tmp_path, read_rules(RULES)) == []
