"""The engine talks to platforms only through interfaces: no module under
``src/dpn/engine/`` imports an SDK or a platform's provider package, anywhere in it
(module level, inside functions, under ``TYPE_CHECKING``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "src" / "dpn" / "engine"
FORBIDDEN = ("boto3", "botocore", "databricks", "dpn.providers.aws",
             "dpn.providers.databricks")


def imported(tree: ast.AST, package: str) -> list[tuple[int, list[str]]]:
    """(line, the modules it may name) of every import statement anywhere in ``tree``;
    relative imports resolved against ``package``. ``from a import b`` may name ``a`` or
    the submodule ``a.b``."""
    out: list[tuple[int, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, [alias.name]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            out.append((node.lineno, [base, *(f"{base}.{a.name}" for a in node.names)]))
    return out


def forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN)


def violations(tree: ast.AST, package: str) -> list[str]:
    """The first forbidden module each offending import statement names."""
    return [next(m for m in names if forbidden(m)) for _, names in imported(tree, package)
            if any(forbidden(m) for m in names)]


def engine_modules() -> list[Path]:
    return sorted(ENGINE.rglob("*.py"))


def package_of(path: Path) -> str:
    """The package a module's relative imports start from: its own for ``__init__``."""
    parts = path.relative_to(ENGINE.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1])


def test_the_walk_sees_the_engine_and_its_subpackages() -> None:
    names = {p.relative_to(ENGINE).as_posix() for p in engine_modules()}
    assert {"transaction.py", "wal.py", "stores/__init__.py"} <= names


def test_the_check_catches_every_form_of_import() -> None:
    source = (
        "import boto3\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from databricks.sdk import WorkspaceClient\n"
        "def f():\n"
        "    from botocore.exceptions import ClientError\n"
        "    from dpn.providers import aws\n"
        "    from ...providers.databricks import errors\n")
    found = violations(ast.parse(source), "dpn.engine.stores")
    assert found == ["boto3", "databricks.sdk", "botocore.exceptions", "dpn.providers.aws",
                     "dpn.providers.databricks"]
    assert not forbidden("dpn.providers.base") and not forbidden("dpn.providers.awsome")


@pytest.mark.parametrize("path", engine_modules(),
                         ids=lambda p: p.relative_to(ENGINE).as_posix())
def test_no_engine_module_imports_a_platform_sdk(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    assert violations(tree, package_of(path)) == []


STORES = ["dpn.engine.wal", "dpn.engine.stores",
          *(f"dpn.engine.stores.{p.stem}" for p in sorted((ENGINE / "stores").glob("*.py"))
            if p.stem != "__init__")]


def test_every_store_module_imports_first_in_a_fresh_interpreter() -> None:
    """Whichever module a program imports first, no import cycle stops it halfway, and none
    of them loads boto3 (one interpreter, every dpn module forgotten between imports)."""
    import subprocess
    import sys

    script = ("import importlib, sys\n"
              "for name in sys.argv[1:]:\n"
              "    for loaded in [m for m in sys.modules if m.split('.')[0] == 'dpn']:\n"
              "        del sys.modules[loaded]\n"
              "    importlib.import_module(name)\n"
              "    assert 'boto3' not in sys.modules, name\n")
    done = subprocess.run([sys.executable, "-c", script, *STORES], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
