"""Glue columns <-> blueprint columns. Pure: no boto3, no I/O.

Glue has no ``nullable`` field: a blueprint column's ``nullable`` is kept in the Glue
column's ``Parameters`` as ``nullable: "true"|"false"``, and read back from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NULLABLE = "nullable"


def columns_in(columns: Any, live: Any = None) -> list[dict[str, Any]]:
    """Blueprint columns -> Glue columns; ``nullable`` (Glue has no such field) is kept in
    the column's parameters as ``nullable: "true"|"false"``. The other parameters of a
    live column of the same name (``live``) are kept."""
    kept = {str(c.get("Name")): {k: v for k, v in (c.get("Parameters") or {}).items()
                                 if k != NULLABLE}
            for c in live or [] if isinstance(c, Mapping)}
    out = []
    for col in columns or []:
        item: dict[str, Any] = {"Name": str(col["name"])}
        if col.get("type"):
            item["Type"] = str(col["type"])
        if col.get("comment"):
            item["Comment"] = str(col["comment"])
        params = dict(kept.get(item["Name"], {}))
        if col.get("nullable") is not None:
            params[NULLABLE] = "true" if col["nullable"] else "false"
        if params:
            item["Parameters"] = params
        out.append(item)
    return out


def columns_out(columns: Any) -> list[dict[str, Any]]:
    out = []
    for col in columns or []:
        if not isinstance(col, Mapping):
            continue
        item: dict[str, Any] = {"name": col.get("Name", ""), "type": col.get("Type", "")}
        if col.get("Comment"):
            item["comment"] = col["Comment"]
        nullable = str((col.get("Parameters") or {}).get(NULLABLE, "")).lower()
        if nullable in ("true", "false"):
            item["nullable"] = nullable == "true"
        out.append(item)
    return out
