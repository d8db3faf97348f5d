"""The one-way flow of imports: ``api -> solver -> dispatch`` and ``data -> dispatch``.

Read with :mod:`ast` from the source, so a forbidden import fails here even when it sits in a
function body or under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: What each package may not import (top-level names).
FORBIDDEN: dict[str, frozenset[str]] = {
    "dispatch": frozenset(
        {"ortools", "pandas", "fastapi", "sqlalchemy", "numpy", "pyproj", "solver", "data", "api"}
    ),
    "data": frozenset({"solver", "api"}),
    "solver": frozenset({"data", "api"}),
}


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """The absolute dotted names a module imports, relative imports resolved against its package."""
    package = list(path.relative_to(root).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                up = package[: len(package) - (node.level - 1)]
                base = ".".join([*up, node.module] if node.module else up)
            found.add(base)
            if node.module is None:  # ``from .. import data`` imports the name as a module
                found.update(f"{base}.{alias.name}" if base else alias.name for alias in node.names)
    return {name for name in found if name}


def offending(package: str, root: Path = ROOT) -> list[str]:
    """``file: module`` for every forbidden import under ``package``."""
    bad = []
    for path in sorted((root / package).rglob("*.py")):
        for name in sorted(imported_modules(path, root)):
            if name.split(".")[0] in FORBIDDEN[package]:
                bad.append(f"{path.relative_to(root)}: {name}")
    return bad


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_flow_one_way(package: str) -> None:
    """No module of the package imports what sits above it or beside it in the layering."""
    assert list((ROOT / package).rglob("*.py")), f"{package}/ has no modules to check"
    assert offending(package) == []


def test_reader_sees_every_kind_of_import(tmp_path: Path) -> None:
    """Plain, aliased, from-, relative and nested imports are all found, so the check can fail."""
    pkg = tmp_path / "dispatch" / "sub"
    pkg.mkdir(parents=True)
    module = pkg / "m.py"
    module.write_text(
        "import numpy as np\n"
        "from pandas import DataFrame\n"
        "from ..plan import Plan\n"
        "from ... import data\n"
        "from . import helper\n"
        "def f():\n"
        "    import solver.model\n",
        encoding="utf-8",
    )
    assert imported_modules(module, tmp_path) == {
        "numpy",
        "pandas",
        "dispatch.plan",
        "data",
        "dispatch.sub",
        "dispatch.sub.helper",
        "solver.model",
    }


def test_forbidden_import_is_named_with_its_file(tmp_path: Path) -> None:
    """A solver module reaching into the data layer is reported as ``file: module``."""
    (tmp_path / "solver").mkdir()
    (tmp_path / "solver" / "solve.py").write_text(
        "from data.travel import GeodesicTravel\n", encoding="utf-8"
    )
    (tmp_path / "solver" / "ok.py").write_text(
        "from dispatch.plan import Plan\nimport ortools\n", encoding="utf-8"
    )
    assert offending("solver", tmp_path) == ["solver/solve.py: data.travel"]
