"""The fast paths of loading and planning agree with the plain ones they stand for."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import pytest

from dpn import canonical, model
from dpn.blueprint import from_dict, refs
from dpn.bulk import paused_gc
from dpn.canonical import forms
from dpn.naming import MissingToken, render

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lakehouse.json"


def _resources() -> list[model.Resource]:
    return list(from_dict(json.loads(EXAMPLE.read_text())).resources.values())


@pytest.mark.parametrize("known", [True, False])
def test_resolve_pruned_is_the_plain_form_of_resolve(known: bool) -> None:
    def lookup(key: str, attr: str) -> str | None:
        return f"<{key}.{attr}>" if known else None

    for res in _resources():
        assert refs.resolve_pruned(res.props, lookup) == forms._plain(
            refs.resolve(res.props, lookup)), res.key


def test_resolve_pruned_drops_what_resolves_to_nothing() -> None:
    value = {"a": "${x}", "b": ["", {"c": None, "d": "${x}"}], "e": {}, "f": 0}
    assert refs.resolve_pruned(value, lambda k, a: "") == {"b": ["", {}], "f": 0}


def test_of_plain_is_canonical_of_the_same_props() -> None:
    for res in _resources():
        plain = refs.resolve_pruned(res.props, lambda k, a: None)
        expected = canonical.canonical(res.type, plain)
        assert canonical.of_plain(res.type, plain) == expected, res.key


def test_canonical_of_a_type_without_rules_adds_no_compiled_node() -> None:
    canonical.canonical("no.such_type", {"a": 1})
    before = len(forms._COMPILED)
    for _ in range(3):
        assert canonical.canonical("no.such_type", {"a": 1, "b": ""}) == {"a": 1}
    assert len(forms._COMPILED) == before


def test_render_fills_fields_in_order_and_names_the_first_missing() -> None:
    values: dict[str, Any] = {"env": "prd", "domain": "Sales-EU", "layer": None}
    assert render(model.GLUE_DATABASE, "x{env}_{domain}y", values).name == "xprd_sales_euy"
    with pytest.raises(MissingToken) as exc:
        render(model.GLUE_DATABASE, "{env}_{layer}_{purpose}", values)
    assert exc.value.token == "layer"


def test_paused_gc_restores_the_collector() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


# Runs ``dpn`` as its own process does, and says at the very end whether the collector is
# on (atexit runs this handler after the ones the command registered).
_COMMAND = ("import atexit, gc, sys\n"
            "from dpn.cli import main\n"
            "atexit.register(lambda: print('collector on:', gc.isenabled()))\n"
            "sys.argv = ['dpn', *sys.argv[1:]]\n"
            "main()\n")


@pytest.mark.parametrize("args", [["validate"], ["plan", "--offline"]])
def test_an_offline_command_turns_the_collector_off_in_its_own_process_only(
        args: list[str], tmp_path: Path) -> None:
    import subprocess
    import sys

    from click.testing import CliRunner

    from dpn.cli import cli

    env = {"DPN_HOME": str(tmp_path), "NO_COLOR": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", _COMMAND, *args, str(EXAMPLE)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("collector on: False")
    invoked = CliRunner().invoke(cli, ["--home", str(tmp_path), *args, str(EXAMPLE)])
    assert invoked.exit_code == 0, invoked.output
    assert gc.isenabled()  # a program that runs the commands itself keeps its collector
