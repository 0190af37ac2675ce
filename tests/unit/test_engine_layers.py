"""The transaction engine's modules import each other in one direction: no cycle, and no
import inside a function to hide one."""

from __future__ import annotations

import ast
from pathlib import Path

import dpn.engine

ENGINE = Path(dpn.engine.__file__).parent
# the transaction, its phases, undo, recovery and what they share
LAYERED = ("ops", "wal", "records", "operations", "forward", "deletes", "undo", "recover",
           "transaction", "moves", "scheduler", "events", "checks")


def _imports(module: str) -> tuple[set[str], list[int]]:
    tree = ast.parse((ENGINE / f"{module}.py").read_text())
    engine: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dpn.engine."):
            engine.add((node.module or "").split(".")[2])
    nested = [node.lineno for fn in ast.walk(tree)
              if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
              for node in ast.walk(fn) if isinstance(node, ast.Import | ast.ImportFrom)]
    return engine, nested


def test_no_import_inside_a_function():
    assert {m: lines for m in LAYERED if (lines := _imports(m)[1])} == {}


def test_no_import_cycle_among_the_engine_modules():
    graph = {m: _imports(m)[0] & set(LAYERED) for m in LAYERED}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module in done:
            return
        for dep in sorted(graph[module]):
            visit(dep, (*path, module))
        done.add(module)

    for module in LAYERED:
        visit(module, ())
