"""The layers of the package, checked: lower layers never import upper ones.

Each module belongs to one layer (by its dotted name); an import, wherever it stands in
the module (top level or inside a function), may only reach its own layer or a lower
one. Imports under ``if TYPE_CHECKING:`` are annotations only and are not counted.
docs/architecture.md draws the same layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "src" / "sourcewatch"

# Lowest first. A module's layer is that of the longest prefix listed.
LAYERS: list[list[str]] = [
    ["sourcewatch", "sourcewatch.errors", "sourcewatch.records", "sourcewatch.text"],
    [
        "sourcewatch.config",
        "sourcewatch.configsource",
        "sourcewatch.coresettings",
        "sourcewatch.store",
        "sourcewatch.net",
    ],
    ["sourcewatch.matching", "sourcewatch.sources"],
    ["sourcewatch.workspace"],
    ["sourcewatch.translate"],
    [
        "sourcewatch.triage",
        "sourcewatch.alerts",
        "sourcewatch.search",
        "sourcewatch.accounts",
        "sourcewatch.activity",
    ],
    ["sourcewatch.collectors"],
    ["sourcewatch.ingest"],
    ["sourcewatch.polling", "sourcewatch.citations", "sourcewatch.evidence"],
    ["sourcewatch.daemon"],
    ["sourcewatch.cli", "sourcewatch.web", "sourcewatch.__main__", "sourcewatch.launch"],
]


def layer_of(module: str) -> int:
    best, best_len = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    assert best >= 0, f"{module} is in no layer: add it to LAYERS"
    return best


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import not under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(), str(path))
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    found = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            # "from sourcewatch.store import objects" imports sourcewatch.store.objects
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                if (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").exists():
                    found.append((node.lineno, candidate))
    return [(line, name) for line, name in found if name.split(".")[0] == "sourcewatch"]


MODULES = sorted(
    p for p in PACKAGE.rglob("*.py") if "migrations" not in p.relative_to(PACKAGE).parts
)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_a_module_imports_only_its_own_layer_or_lower(path: Path) -> None:
    here = module_name(path)
    upward = [
        f"line {line}: {name} (layer {layer_of(name)})"
        for line, name in runtime_imports(path)
        if layer_of(name) > layer_of(here)
    ]
    assert not upward, f"{here} (layer {layer_of(here)}) imports upward: {upward}"


def test_every_layer_prefix_names_a_real_module() -> None:
    for prefixes in LAYERS:
        for prefix in prefixes:
            relative = Path(*prefix.split(".")[1:]) if "." in prefix else Path()
            target = PACKAGE / relative
            assert target.is_dir() or target.with_suffix(".py").exists(), prefix
