"""Glue table <-> blueprint vocabulary, per storage format. Pure: no boto3, no I/O.

``table_input(name, props)`` builds the Glue ``TableInput``; ``table_props(table)`` maps a
``GetTable`` answer back to props, recognising the format from the storage descriptor and
removing the table parameters dpn (or Glue) adds for it, so a table read right after its
create diffs clean against its spec.

Storage per format (tables are ``EXTERNAL_TABLE`` with ``EXTERNAL=TRUE`` unless the
blueprint's ``table_type`` says otherwise, and carry ``classification=<format>`` for Glue
ETL and Athena):

=========  ====================================  =============================================
format     input / output format                 SerDe (parameters)
=========  ====================================  =============================================
parquet    MapredParquetInputFormat / ...Output  ParquetHiveSerDe (serialization.format=1)
orc        OrcInputFormat / OrcOutputFormat      OrcSerde (serialization.format=1)
csv        TextInputFormat /                     LazySimpleSerDe (field.delim=",",
           HiveIgnoreKeyTextOutputFormat         serialization.format=",")
json       TextInputFormat /                     org.openx.data.jsonserde.JsonSerDe
           HiveIgnoreKeyTextOutputFormat         (serialization.format=1)
delta      SequenceFileInputFormat /             LazySimpleSerDe (path=<location>), as Spark
           HiveSequenceFileOutputFormat          writes a data-source table; table parameters
                                                 spark.sql.sources.provider=delta and
                                                 table_type=DELTA (Athena)
=========  ====================================  =============================================

The parameters dpn manages (``EXTERNAL``, ``classification``, ``spark.sql.sources.provider``,
``table_type``) are stripped on read only when they hold dpn's value; a user value for one
of them overrides dpn's and reads back as given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

HIVE = "org.apache.hadoop.hive"
TEXT_IN = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUT = f"{HIVE}.ql.io.HiveIgnoreKeyTextOutputFormat"
LAZY = f"{HIVE}.serde2.lazy.LazySimpleSerDe"
OPENCSV = f"{HIVE}.serde2.OpenCSVSerde"
OPENX_JSON = "org.openx.data.jsonserde.JsonSerDe"
HCAT_JSON = f"{HIVE}.hcatalog.data.JsonSerDe"


@dataclass(frozen=True)
class Storage:
    """How one format is stored: formats, SerDe, and the table parameters it implies."""

    input_format: str
    output_format: str
    serde: str
    serde_params: Mapping[str, str] = field(default_factory=dict)
    table_params: Mapping[str, str] = field(default_factory=dict)


FORMATS: Mapping[str, Storage] = {
    "parquet": Storage(f"{HIVE}.ql.io.parquet.MapredParquetInputFormat",
                       f"{HIVE}.ql.io.parquet.MapredParquetOutputFormat",
                       f"{HIVE}.ql.io.parquet.serde.ParquetHiveSerDe",
                       {"serialization.format": "1"}, {"classification": "parquet"}),
    "orc": Storage(f"{HIVE}.ql.io.orc.OrcInputFormat", f"{HIVE}.ql.io.orc.OrcOutputFormat",
                   f"{HIVE}.ql.io.orc.OrcSerde", {"serialization.format": "1"},
                   {"classification": "orc"}),
    "csv": Storage(TEXT_IN, TEXT_OUT, LAZY, {"field.delim": ",", "serialization.format": ","},
                   {"classification": "csv"}),
    "json": Storage(TEXT_IN, TEXT_OUT, OPENX_JSON, {"serialization.format": "1"},
                    {"classification": "json"}),
    "delta": Storage("org.apache.hadoop.mapred.SequenceFileInputFormat",
                     f"{HIVE}.ql.io.HiveSequenceFileOutputFormat", LAZY,
                     {"serialization.format": "1"},
                     {"classification": "delta", "spark.sql.sources.provider": "delta",
                      "table_type": "DELTA"}),
}
EXTERNAL = {"EXTERNAL": "TRUE"}
DEFAULT_TABLE_TYPE = "EXTERNAL_TABLE"
NULLABLE = "nullable"
# Parameters Glue, Hive or Athena add on their own: never configuration.
SYSTEM_PARAMS = frozenset({"transient_lastDdlTime", "last_modified_by", "last_modified_time"})


def _columns_in(columns: Any) -> list[dict[str, Any]]:
    """Blueprint columns -> Glue columns; ``nullable`` (Glue has no such field) is kept
    in the column's parameters as ``nullable: "true"|"false"``."""
    out = []
    for col in columns or []:
        item: dict[str, Any] = {"Name": str(col["name"]), "Type": str(col["type"])}
        if col.get("comment"):
            item["Comment"] = str(col["comment"])
        if col.get("nullable") is not None:
            item["Parameters"] = {NULLABLE: "true" if col["nullable"] else "false"}
        out.append(item)
    return out


def _columns_out(columns: Any) -> list[dict[str, Any]]:
    out = []
    for col in columns or []:
        item: dict[str, Any] = {"name": col["Name"], "type": col.get("Type", "")}
        if col.get("Comment"):
            item["comment"] = col["Comment"]
        nullable = (col.get("Parameters") or {}).get(NULLABLE)
        if nullable in ("true", "false"):
            item["nullable"] = nullable == "true"
        out.append(item)
    return out


def table_input(name: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """The Glue ``TableInput`` for a table called ``name`` with blueprint ``props``."""
    fmt = props.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"unknown table format {fmt!r}; one of {sorted(FORMATS)}")
    location = props.get("location")
    sd: dict[str, Any] = {"Columns": _columns_in(props.get("columns")),
                          "Compressed": False, "StoredAsSubDirectories": False}
    if location:
        sd["Location"] = str(location)
    table_type = str(props.get("table_type") or DEFAULT_TABLE_TYPE)
    params: dict[str, str] = dict(EXTERNAL) if table_type == DEFAULT_TABLE_TYPE else {}
    if fmt is not None:
        storage = FORMATS[fmt]
        serde_params = dict(storage.serde_params)
        if fmt == "delta" and location:
            serde_params["path"] = str(location)
        sd["InputFormat"] = storage.input_format
        sd["OutputFormat"] = storage.output_format
        sd["SerdeInfo"] = {"SerializationLibrary": storage.serde, "Parameters": serde_params}
        params.update(storage.table_params)
    params.update({str(k): str(v) for k, v in (props.get("parameters") or {}).items()})
    result: dict[str, Any] = {
        "Name": name,
        "TableType": table_type,
        "Parameters": params,
        "PartitionKeys": _columns_in(props.get("partition_keys")),
        "StorageDescriptor": sd,
    }
    if props.get("description"):
        result["Description"] = str(props["description"])
    return result


def format_of(table: Mapping[str, Any]) -> str | None:
    """The blueprint format of a Glue table, recognised from its storage descriptor and
    parameters; None when it is none of the five."""
    params = table.get("Parameters") or {}
    if (str(params.get("spark.sql.sources.provider", "")).lower() == "delta"
            or str(params.get("table_type", "")).upper() == "DELTA"):
        return "delta"
    sd = table.get("StorageDescriptor") or {}
    serde = str((sd.get("SerdeInfo") or {}).get("SerializationLibrary") or "")
    input_format = str(sd.get("InputFormat") or "")
    if "Parquet" in serde or "Parquet" in input_format:
        return "parquet"
    if "Orc" in serde or "orc.Orc" in input_format:
        return "orc"
    if serde in (OPENX_JSON, HCAT_JSON) or "JsonSerDe" in serde:
        return "json"
    if serde in (OPENCSV, LAZY) and input_format == TEXT_IN:
        return "csv"
    return None


def table_props(table: Mapping[str, Any]) -> dict[str, Any]:
    """Blueprint props of a ``GetTable``/``GetTables`` table (``database`` included; empty
    fields and the default ``table_type`` EXTERNAL_TABLE left out, as a blueprint would)."""
    fmt = format_of(table)
    table_type = table.get("TableType") or DEFAULT_TABLE_TYPE
    managed = dict(EXTERNAL) if table_type == DEFAULT_TABLE_TYPE else {}
    if fmt is not None:
        managed.update(FORMATS[fmt].table_params)
    params = {
        k: v for k, v in (table.get("Parameters") or {}).items()
        if k not in SYSTEM_PARAMS and managed.get(k) != v
    }
    sd = table.get("StorageDescriptor") or {}
    return {k: v for k, v in {
        "database": table.get("DatabaseName"),
        "columns": _columns_out(sd.get("Columns")),
        "partition_keys": _columns_out(table.get("PartitionKeys")),
        "location": sd.get("Location"),
        "format": fmt,
        "table_type": None if table_type == DEFAULT_TABLE_TYPE else table_type,
        "parameters": params,
        "description": table.get("Description"),
    }.items() if v not in (None, "", [], {})}
