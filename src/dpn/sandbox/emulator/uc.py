"""What Unity Catalog's securables share: names (case-insensitive, stored lower case),
the audit stamps, answers without null fields, sorted listings, and each kind's lookup,
duplicate and rename rules with its error codes (``Securable``).

A missing securable is 404 ``<KIND>_DOES_NOT_EXIST`` "<Kind> '<name>' does not exist.",
a duplicate 400 ``<KIND>_ALREADY_EXISTS`` "<Kind> '<name>' already exists" (volumes:
``NOT_FOUND`` / ``RESOURCE_ALREADY_EXISTS``), codes of databricks-sdk's ``ErrorCode``."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dpn.sandbox.emulator import grantstore
from dpn.sandbox.emulator.errors import ApiError, invalid, not_found
from dpn.sandbox.emulator.request import Request, check_type, optional, page, require
from dpn.sandbox.emulator.workspace import USER, Workspace

METASTORE_ID = "11111111-2222-3333-4444-555555555555"
SYSTEM_SCHEMA = "information_schema"
_NAME_RE = re.compile(r"^[^.\s/\x00-\x1f\x7f`]{1,255}$")


def securable_name(value: Any, field: str = "name") -> str:
    """A valid name, lower case (as stored)."""
    check_type(field, value, str)
    if not _NAME_RE.match(value):
        raise invalid(f"Invalid name '{value}': names must be 1-255 characters without "
                      "periods, spaces, slashes or control characters.")
    return str(value).lower()


def name_arg(request: Request, field: str) -> str:
    """A required name field of the request (``catalog_name``, ``schema_name``...)."""
    return securable_name(require(request, field), field)


def new_name(request: Request, obj: dict[str, Any]) -> str | None:
    """An update's ``new_name`` (lower case) when it renames ``obj``, else None."""
    sent = optional(request, "new_name", str)
    if sent and securable_name(sent) != obj["name"]:
        return securable_name(sent)
    return None


def split(full_name: str, parts: int, kind: str) -> list[str]:
    names = full_name.split(".")
    if len(names) != parts or not all(names):
        raise invalid(f"Invalid {kind} name '{full_name}'.")
    return [securable_name(n) for n in names]


def stamp(emu: Workspace, obj: dict[str, Any], created: bool) -> dict[str, Any]:
    ts = emu.now_ms()
    if created:
        obj.update(created_at=ts, created_by=USER, owner=obj.get("owner") or USER)
    obj.update(updated_at=ts, updated_by=USER, metastore_id=METASTORE_ID)
    return obj


def public(obj: dict[str, Any]) -> dict[str, Any]:
    """A securable as answered: a copy without its null fields."""
    return {k: v for k, v in copy.deepcopy(obj).items() if v is not None}


def listing(items: list[dict[str, Any]], request: Request, key: str, default: int,
            maximum: int) -> dict[str, Any]:
    """A list call's answer: ``items`` by ``full_name``, paged by ``max_results``."""
    items = sorted(items, key=lambda o: str(o["full_name"]))
    found = page(items, request, "max_results", default, maximum)
    return {key: [public(i) for i in found.items], **found.tokens()}


def read(emu: Workspace, lookup: Callable[[Workspace, str], dict[str, Any]],
         full_name: str) -> dict[str, Any]:
    """A get call's answer: what ``lookup`` finds (else its 404), as answered."""
    with emu.store.lock:
        return public(lookup(emu, full_name))


@dataclass(frozen=True)
class Securable:
    """One kind of securable: where the store keeps it (by lower-case ``full_name``),
    how its errors name it, and its ``securable_type`` for grants."""

    collection: str      # the store's collection
    label: str           # how messages name the kind
    missing_code: str    # 404 error code of a missing one
    exists_code: str     # 400 error code of a duplicate
    grant_type: str      # grantstore's securable type

    def get(self, emu: Workspace, full_name: str) -> dict[str, Any]:
        """The stored object (not a copy), else 404 in the service's shape."""
        found = emu.store[self.collection].get(full_name.lower())
        if found is None:
            raise not_found(self.missing_code,
                            f"{self.label} '{full_name.lower()}' does not exist.")
        return found

    def list_all(self, emu: Workspace, request: Request) -> dict[str, Any]:
        """A list call's answer over every one of the kind, up to 1000 a page."""
        with emu.store.lock:
            items = list(emu.store[self.collection].values())
        return listing(items, request, self.collection, 1000, 1000)

    def refuse_taken(self, emu: Workspace, full_name: str, shown: str | None = None) -> None:
        """400 ``exists_code`` if ``full_name`` is taken; the message names ``shown``."""
        if full_name in emu.store[self.collection]:
            raise ApiError(400, self.exists_code,
                           f"{self.label} '{shown or full_name}' already exists")

    def rename(self, emu: Workspace, obj: dict[str, Any], full_name: str, name: str,
               shown: str | None = None) -> None:
        """Rename ``obj`` to ``name`` (``full_name``), its grants following; 400
        ``exists_code`` (naming ``shown``) if that is taken."""
        self.refuse_taken(emu, full_name, shown)
        old = obj["full_name"]
        del emu.store[self.collection][old]
        obj.update(name=name, full_name=full_name)
        emu.store[self.collection][full_name] = obj
        grantstore.rename(emu, self.grant_type, old, full_name)

    def drop(self, emu: Workspace, obj: dict[str, Any]) -> None:
        """Delete ``obj`` and its grants (and those of what was inside it)."""
        del emu.store[self.collection][obj["full_name"]]
        grantstore.drop(emu, self.grant_type, obj["full_name"])


CATALOG = Securable("catalogs", "Catalog", "CATALOG_DOES_NOT_EXIST", "CATALOG_ALREADY_EXISTS",
                    "CATALOG")
SCHEMA = Securable("schemas", "Schema", "SCHEMA_DOES_NOT_EXIST", "SCHEMA_ALREADY_EXISTS",
                   "SCHEMA")
TABLE = Securable("tables", "Table", "TABLE_DOES_NOT_EXIST", "TABLE_ALREADY_EXISTS", "TABLE")
VOLUME = Securable("volumes", "Volume", "NOT_FOUND", "RESOURCE_ALREADY_EXISTS", "VOLUME")
STORAGE_CREDENTIAL = Securable("storage_credentials", "Storage Credential",
                               "STORAGE_CREDENTIAL_DOES_NOT_EXIST",
                               "STORAGE_CREDENTIAL_ALREADY_EXISTS", "STORAGE_CREDENTIAL")
EXTERNAL_LOCATION = Securable("external_locations", "External Location",
                              "EXTERNAL_LOCATION_DOES_NOT_EXIST",
                              "EXTERNAL_LOCATION_ALREADY_EXISTS", "EXTERNAL_LOCATION")


def catalog(emu: Workspace, catalog_name: str) -> dict[str, Any]:
    return CATALOG.get(emu, catalog_name)


def schema(emu: Workspace, full_name: str) -> dict[str, Any]:
    """A schema by ``catalog.schema``, its catalog's 404 first."""
    cat, sch = split(full_name, 2, "schema")
    catalog(emu, cat)
    return SCHEMA.get(emu, f"{cat}.{sch}")


def table(emu: Workspace, full_name: str) -> dict[str, Any]:
    """A table by ``catalog.schema.table``, its schema's and catalog's 404 first."""
    cat, sch, tbl = split(full_name, 3, "table")
    schema(emu, f"{cat}.{sch}")
    return TABLE.get(emu, f"{cat}.{sch}.{tbl}")


def volume(emu: Workspace, full_name: str) -> dict[str, Any]:
    """A volume by ``catalog.schema.volume``: no parent checks, a missing catalog or
    schema is the volume's own 404."""
    cat, sch, vol = split(full_name, 3, "volume")
    return VOLUME.get(emu, f"{cat}.{sch}.{vol}")
