"""Unity Catalog tables API 2.1: create (``POST tables``, EXTERNAL tables only, as for
external clients of the real service; with ``enforce_access`` on, after the
preconditions of ``access.check_external_table``), get, list, summaries (``GET
table-summaries``: every schema of a catalog at once), update (owner), delete (with the
table's grants), exists."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from dpn.sandbox.emulator import access, uc
from dpn.sandbox.emulator.errors import invalid, missing
from dpn.sandbox.emulator.paths import storage_url
from dpn.sandbox.emulator.request import (
    Request,
    check_type,
    optional,
    page,
    require,
    string_map,
)
from dpn.sandbox.emulator.routing import Routes
from dpn.sandbox.emulator.workspace import Workspace

FORMATS = {"DELTA", "PARQUET", "CSV", "JSON", "AVRO", "ORC", "TEXT"}
COLUMN_FIELDS = {"name": str, "type_text": str, "type_name": str, "type_json": str,
                 "position": int, "nullable": bool, "comment": str, "type_precision": int,
                 "type_scale": int, "type_interval_type": str, "partition_index": int,
                 "mask": dict}
routes = Routes(r"/api/2\.1/unity-catalog")

_SPARK_TYPES = {"LONG": "long", "INT": "integer", "SHORT": "short", "BYTE": "byte",
                "STRING": "string", "CHAR": "string", "DOUBLE": "double", "FLOAT": "float",
                "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp",
                "TIMESTAMP_NTZ": "timestamp_ntz", "BINARY": "binary"}


def _type_json(column: dict[str, Any]) -> str:
    """The Spark StructField JSON the service derives when a client sends none."""
    type_name = str(column["type_name"]).upper()
    spark = _SPARK_TYPES.get(type_name)
    if spark is None and type_name == "DECIMAL":
        spark = f"decimal({column.get('type_precision', 10)},{column.get('type_scale', 0)})"
    field = {"name": column["name"], "type": spark or column["type_text"],
             "nullable": column["nullable"], "metadata": {}}
    if column.get("comment"):
        field["metadata"] = {"comment": column["comment"]}
    return json.dumps(field, separators=(",", ":"))


def _columns(value: Any) -> list[dict[str, Any]]:
    check_type("columns", value, list)
    out, seen = [], set()
    for index, column in enumerate(value):
        if not isinstance(column, dict):
            raise invalid("Invalid value for field 'columns': expected objects")
        for field in ("name", "type_name"):
            if not column.get(field):
                raise missing(f"columns[{index}].{field}")
        clean = {k: check_type(k, v, COLUMN_FIELDS[k]) for k, v in column.items()
                 if k in COLUMN_FIELDS and v is not None}
        if clean["name"].lower() in seen:
            raise invalid(f"Duplicate column name '{clean['name']}'.")
        seen.add(clean["name"].lower())
        clean.setdefault("position", index)
        clean.setdefault("nullable", True)
        clean.setdefault("type_text", str(clean["type_name"]).lower())
        clean.setdefault("type_json", _type_json(clean))
        out.append(clean)
    return out


def delta_properties(commit_ms: int) -> dict[str, str]:
    """The ``delta.*`` table properties UC reports for a Delta table, beside the user's
    own (which win on a clash). A new table's protocol is reader 1 / writer 2: source:
    Delta Lake docs "Table protocol versioning" (spark.databricks.delta.properties.
    defaults.minReaderVersion = 1, minWriterVersion = 2, the defaults); the keys are the
    ones UC's TableInfo.properties carries, e.g. terraform-provider-databricks
    catalog/resource_sql_table_test.go ("delta.lastCommitTimestamp",
    "delta.minWriterVersion") and sql/sql_table_test.go ("delta.minReaderVersion")."""
    return {"delta.lastCommitTimestamp": str(commit_ms), "delta.minReaderVersion": "1",
            "delta.minWriterVersion": "2"}


@routes.post("/tables")
def create_table(emu: Workspace, request: Request) -> dict[str, Any]:
    name = uc.securable_name(require(request, "name"))
    catalog_name = uc.name_arg(request, "catalog_name")
    schema_name = uc.name_arg(request, "schema_name")
    table_type = require(request, "table_type")
    if table_type != "EXTERNAL":
        raise invalid(f"Table type {table_type} is not supported: only EXTERNAL tables can "
                      "be created through this API.")
    data_source_format = require(request, "data_source_format")
    if data_source_format not in FORMATS:
        raise invalid(f"Invalid data_source_format '{data_source_format}'.")
    location = require(request, "storage_location")
    if "://" not in location:
        raise invalid(f"Invalid storage_location '{location}': expected a URL like s3://...")
    location = storage_url(location)  # trailing slashes stripped, as UC does
    columns = _columns(request.body.get("columns") or [])
    properties = string_map("properties", optional(request, "properties", dict, {}))
    comment = optional(request, "comment", str)
    with emu.changing():
        parent = uc.schema(emu, f"{catalog_name}.{schema_name}")
        if parent["name"] == uc.SYSTEM_SCHEMA:
            raise invalid(f"Cannot create tables in system schema '{parent['full_name']}'.")
        full_name = f"{catalog_name}.{schema_name}.{name}"
        uc.TABLE.refuse_taken(emu, full_name)
        access.check_external_table(emu, parent, location)
        created = uc.stamp(emu, {
            "name": name, "catalog_name": catalog_name, "schema_name": schema_name,
            "full_name": full_name, "table_type": table_type,
            "data_source_format": data_source_format, "columns": columns,
            "storage_location": location, "properties": properties, "comment": comment,
            "table_id": str(uuid.uuid4()), "securable_type": "TABLE", "browse_only": False},
            created=True)
        if data_source_format == "DELTA":
            created["properties"] = {**delta_properties(created["created_at"]), **properties}
        emu.store["tables"][full_name] = created
        return uc.public(created)


@routes.get(r"/tables/(?P<full_name>[^/]+)")
def get_table(emu: Workspace, request: Request, full_name: str) -> dict[str, Any]:
    return uc.read(emu, uc.table, full_name)


@routes.get(r"/tables/(?P<full_name>[^/]+)/exists")
def table_exists(emu: Workspace, request: Request, full_name: str) -> dict[str, Any]:
    cat, sch, tbl = uc.split(full_name, 3, "table")
    with emu.store.lock:
        uc.schema(emu, f"{cat}.{sch}")
        return {"table_exists": f"{cat}.{sch}.{tbl}" in emu.store["tables"]}


@routes.get("/tables")
def list_tables(emu: Workspace, request: Request) -> dict[str, Any]:
    catalog_name = uc.name_arg(request, "catalog_name")
    schema_name = uc.name_arg(request, "schema_name")
    omit_columns = optional(request, "omit_columns", bool, False)
    omit_properties = optional(request, "omit_properties", bool, False)
    with emu.store.lock:
        parent = uc.schema(emu, f"{catalog_name}.{schema_name}")
        prefix = parent["full_name"] + "."
        items = [t for k, t in emu.store["tables"].items() if k.startswith(prefix)]
    out = uc.listing(items, request, "tables", 50, 50)
    for entry in out["tables"]:
        if omit_columns:
            entry.pop("columns", None)
        if omit_properties:
            entry.pop("properties", None)
    return out


@routes.get("/table-summaries")
def list_summaries(emu: Workspace, request: Request) -> dict[str, Any]:
    """``full_name`` and ``table_type`` of every table of a catalog, narrowed by
    ``schema_name_pattern`` and ``table_name_pattern`` (SQL LIKE: ``%``, ``_``).
    source: databricks-sdk ``TablesAPI.list_summaries`` docstring (page length up to a
    server value of 10000; a page may be empty and still carry a ``next_page_token``)."""
    catalog_name = uc.name_arg(request, "catalog_name")
    schemas = _like(optional(request, "schema_name_pattern", str, "") or "%")
    names = _like(optional(request, "table_name_pattern", str, "") or "%")
    with emu.store.lock:
        uc.CATALOG.get(emu, catalog_name)
        items = sorted((t["full_name"], t["table_type"]) for t in emu.store["tables"].values()
                       if t["catalog_name"] == catalog_name and schemas.fullmatch(
                           t["schema_name"]) and names.fullmatch(t["name"]))
    found = page(items, request, "max_results", 10000, 10000)
    return {"tables": [{"full_name": f, "table_type": k} for f, k in found.items],
            **found.tokens()}


def _like(pattern: str) -> re.Pattern[str]:
    """A SQL LIKE pattern as a regex (``%`` any run, ``_`` one character)."""
    parts = [".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.IGNORECASE)


@routes.patch(r"/tables/(?P<full_name>[^/]+)")
def update_table(emu: Workspace, request: Request, full_name: str) -> dict[str, Any]:
    with emu.store.lock:
        found = uc.table(emu, full_name)
        owner = optional(request, "owner", str)
        if owner:
            found["owner"] = owner
            uc.stamp(emu, found, created=False)
            emu.store.save()
    return {}


@routes.delete(r"/tables/(?P<full_name>[^/]+)")
def delete_table(emu: Workspace, request: Request, full_name: str) -> dict[str, Any]:
    with emu.changing():
        uc.TABLE.drop(emu, uc.table(emu, full_name))
    return {}
