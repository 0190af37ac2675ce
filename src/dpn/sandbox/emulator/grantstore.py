"""Unity Catalog grants as stored: ``store["grants"]["TYPE:full_name"] = {principal:
[privilege, ...]}``. A grant belongs to its securable: it goes when the securable is
deleted (with the securables inside it) and follows it when it is renamed, as UC keeps
grants on the object itself (databricks-sdk ``GrantsAPI`` docstring: privileges are on
securables and inherited downward). No dependency on the API modules, so every one of
them can keep grants in step."""

from __future__ import annotations

from dpn.sandbox.emulator.workspace import Workspace

# The securable types inside another one: a catalog holds schemas, tables and volumes;
# a schema tables and volumes.
_CHILDREN = {"CATALOG": ("SCHEMA", "TABLE", "VOLUME"), "SCHEMA": ("TABLE", "VOLUME")}


def key(securable_type: str, full_name: str) -> str:
    return f"{securable_type.upper()}:{full_name.lower()}"


def _keys_under(emu: Workspace, securable_type: str, full_name: str) -> list[str]:
    """The grant keys of the securable and of everything inside it."""
    own = key(securable_type, full_name)
    prefixes = tuple(f"{child}:{full_name.lower()}." for child in
                     _CHILDREN.get(securable_type.upper(), ()))
    return [k for k in emu.store["grants"] if k == own or (prefixes and k.startswith(prefixes))]


def assignments(emu: Workspace, securable_type: str, full_name: str) -> dict[str, list[str]]:
    """The direct grants on one securable (a copy), by principal."""
    stored = emu.store["grants"].get(key(securable_type, full_name), {})
    return {principal: list(privileges) for principal, privileges in stored.items()}


def store_assignments(emu: Workspace, securable_type: str, full_name: str,
                      grants: dict[str, list[str]]) -> None:
    """Replace the direct grants of one securable; principals left with none are dropped."""
    kept = {p: sorted(set(privs)) for p, privs in grants.items() if privs}
    if kept:
        emu.store["grants"][key(securable_type, full_name)] = kept
    else:
        emu.store["grants"].pop(key(securable_type, full_name), None)


def drop(emu: Workspace, securable_type: str, full_name: str) -> None:
    """Forget the grants of a deleted securable and of everything that was inside it."""
    for k in _keys_under(emu, securable_type, full_name):
        del emu.store["grants"][k]


def rename(emu: Workspace, securable_type: str, old: str, new: str) -> None:
    """Move the grants of a renamed securable (and of what is inside it) to the new name."""
    old, new = old.lower(), new.lower()
    for k in _keys_under(emu, securable_type, old):
        kind, _, name = k.partition(":")
        emu.store["grants"][f"{kind}:{new}{name[len(old):]}"] = emu.store["grants"].pop(k)
