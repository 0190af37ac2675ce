"""Reading a blueprint: a file (``load``, ``load_all``) or a document (``from_dict``)
compiled into a ``dpn.model.Blueprint``; see ``dpn.blueprint``."""

from __future__ import annotations

import json
import os
from typing import Any

from dpn.blueprint import environments
from dpn.blueprint.compiler import compile_doc
from dpn.blueprint.dev import check_user
from dpn.blueprint.source import Locator, parse, read_text
from dpn.bulk import paused_gc
from dpn.errors import BlueprintError, Diagnostic, InputError
from dpn.model import Blueprint


def _compile(doc: Any, locator: Locator, user: str | None, env: str | None) -> Blueprint:
    """The blueprint of environment ``env`` (see the module docstring)."""
    declared = environments.declared(doc)
    if env is None and declared:
        raise InputError(f"{locator.file} declares environments "
                         f"({', '.join(environments.choices(doc))}): choose one with "
                         "--env NAME (or DPN_ENV)")
    if env is None or not isinstance(doc, dict):
        return compile_doc(doc, locator, user)
    if declared and env not in environments.choices(doc):
        raise InputError(f"--env {env}: {locator.file} declares environments "
                         f"{', '.join(environments.choices(doc))}")
    return compile_doc(environments.select(doc, env),
                       environments.EnvLocator(locator, doc, env), user)


def _with_early(early: list[Diagnostic], exc: BlueprintError) -> BlueprintError:
    return BlueprintError(sorted([*early, *exc.diagnostics], key=lambda d: (d.line, d.col)))


def load(path: str | os.PathLike[str], dev_user: str | None = None,
         env: str | None = None) -> Blueprint:
    """Read, parse and validate the blueprint file at ``path`` (for ``dev_user``'s
    development copy and environment ``env``, if given)."""
    user = check_user(dev_user)
    name = os.fspath(path)
    text = read_text(name)
    with paused_gc():
        doc, early = parse(text, name)
        try:
            blueprint = _compile(doc, Locator(name, text), user, env)
        except BlueprintError as exc:
            raise _with_early(early, exc) from None
    if early:
        raise BlueprintError(early)
    return blueprint


def load_all(path: str | os.PathLike[str], dev_user: str | None = None) -> list[Blueprint]:
    """Every environment's blueprint (one, without ``environments``). A finding shared by
    every environment is reported once; one that only some have names its environment."""
    user = check_user(dev_user)
    name = os.fspath(path)
    text = read_text(name)
    doc, early = parse(text, name)
    envs: list[str | None] = list(environments.choices(doc)) \
        if environments.declared(doc) else [None]
    built: list[Blueprint] = []
    found: dict[str | None, list[Diagnostic]] = {}
    for env in envs:
        try:
            built.append(_compile(doc, Locator(name, text), user, env))
        except BlueprintError as exc:
            found[env] = exc.diagnostics
    if found:
        everywhere = set.intersection(*(set(d) for d in found.values())) \
            if len(found) == len(envs) else set()
        out = [*early, *everywhere]
        for env, diags in found.items():
            for d in diags:
                if d in everywhere:
                    continue
                if env is not None and not d.message.startswith("environment '"):
                    d = Diagnostic(d.file, d.line, d.col, f"environment '{env}': {d.message}")
                if d not in out:
                    out.append(d)
        raise BlueprintError(sorted(out, key=lambda d: (d.line, d.col)))
    if early:
        raise BlueprintError(early)
    return built


def from_dict(doc: Any, path: str = "<memory>", dev_user: str | None = None,
              env: str | None = None) -> Blueprint:
    """Validate an in-memory document (JSON-like data). Diagnostics have line and column
    0 and start with the dotted path of what they concern."""
    user = check_user(dev_user)
    try:  # normalise to plain JSON data: tuples become lists, non-JSON values are refused
        plain = json.loads(json.dumps(doc, allow_nan=False))
    except (TypeError, ValueError, RecursionError) as exc:
        raise InputError(f"{path}: not JSON data: {exc}") from None
    with paused_gc():
        return _compile(plain, Locator(path, None), user, env)
