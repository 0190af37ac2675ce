"""Glue table <-> blueprint vocabulary, per storage format. Pure: no boto3, no I/O.

``table_input(name, props, live)`` builds the Glue ``TableInput`` (a read-modify-write of
``live``, the table's current ``TableInput``, when given); ``table_props(table)`` maps a
``GetTable`` answer back to props, recognising the format from the storage descriptor and
removing what dpn adds for it, so ``canonical(table_props(read))`` equals
``canonical(props)`` right after a create.

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
delta      SequenceFileInputFormat /             LazySimpleSerDe (serialization.format=1,
           HiveSequenceFileOutputFormat          path=<location>), as Spark writes a
                                                 data-source table; table parameters
                                                 spark.sql.sources.provider=delta and
                                                 table_type=DELTA (Athena)
=========  ====================================  =============================================

``serde`` (``{library, parameters}``) replaces the format's SerDe as given; ``read``
reports it only when the table's SerDe is not the format's own. The format is recognised
from the input format (and, for the two text formats, the SerDe: a JSON SerDe makes
``json``), so a serde override never changes it.

The parameters dpn manages (``EXTERNAL``, ``classification``, ``spark.sql.sources.provider``,
``table_type``) are stripped on read only when they hold dpn's value; a user value for one
of them overrides dpn's and reads back as given (``dpn.canonical`` treats a user value equal
to dpn's as absent). Keys Glue, crawlers and engines add (rules.json ``platform_keys``) are
reported, compared only when the blueprint sets them, and kept on update.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dpn.canonical import canonical, rules
from dpn.model import GLUE_TABLE
from dpn.providers.aws.glue_columns import columns_in, columns_out

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
# Storage descriptor fields dpn writes on create; on update the live values stay
SD_DEFAULTS: Mapping[str, Any] = {"Compressed": False, "StoredAsSubDirectories": False}


def platform_keys(prop: str) -> tuple[str, ...]:
    """Prefixes of the keys that Glue, crawlers or engines add to the map ``prop``
    (``parameters``, ``storage_parameters``): rules.json ``platform_keys``."""
    return tuple(rules(GLUE_TABLE).get("platform_keys", {}).get(prop, ()))


def _kept(prop: str, live: Mapping[str, Any] | None, wanted: Mapping[str, str]) -> dict[str, str]:
    """The live keys of a parameter map that are the platform's and not asked for: an
    update keeps them."""
    prefixes = platform_keys(prop)
    return {str(k): str(v) for k, v in (live or {}).items()
            if k not in wanted and prefixes and str(k).startswith(prefixes)}


def _str_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()}


def default_serde(fmt: str, location: Any) -> tuple[str, dict[str, str]]:
    """The SerDe library and parameters dpn writes for ``fmt`` when ``serde`` is absent."""
    storage = FORMATS[fmt]
    params = dict(storage.serde_params)
    if fmt == "delta" and location:
        params["path"] = str(location)
    return storage.serde, params


def _is_json(library: str) -> bool:
    return "json" in library.lower()


def serde_in(fmt: str | None, serde: Any, location: Any) -> tuple[str, dict[str, str]] | None:
    """The SerDe library and parameters to write, or None without a format; ``ValueError``
    for a serde that dpn could not read back as asked."""
    if not serde:
        return default_serde(fmt, location) if fmt is not None else None
    if fmt is None:
        raise ValueError("'serde' replaces a format's SerDe: it needs a 'format'")
    library = str(serde.get("library") or FORMATS[fmt].serde)
    params = _str_map(serde.get("parameters"))
    if fmt == "json" and not _is_json(library):
        raise ValueError(f"format json needs a JSON SerDe, not {library!r}")
    if fmt == "csv" and _is_json(library):
        raise ValueError(f"format csv cannot use the JSON SerDe {library!r}: use format json")
    if (library, params) == default_serde(fmt, location):
        raise ValueError(f"'serde' repeats the {fmt} format's own SerDe: leave it out")
    return library, params


def table_input(name: str, props: Mapping[str, Any],
                live: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The Glue ``TableInput`` for a table called ``name`` with blueprint ``props``.

    ``live`` is the table's current ``TableInput`` (an update replaces the whole table):
    what dpn's vocabulary does not cover is kept from it (owner, retention, view text,
    target table, bucketing and sort columns, skew, other column parameters, platform
    parameter keys, and the storage of a table whose format dpn does not recognise).
    """
    props = canonical(GLUE_TABLE, props)
    fmt = props.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"unknown table format {fmt!r}; one of {sorted(FORMATS)}")
    live = live or {}
    location = props.get("location")
    live_sd = live.get("StorageDescriptor") or {}
    sd: dict[str, Any] = {**SD_DEFAULTS, **live_sd,
                          "Columns": columns_in(props.get("columns"), live_sd.get("Columns"))}
    if location:
        sd["Location"] = str(location)
    else:
        sd.pop("Location", None)
    serde = serde_in(fmt, props.get("serde"), location)
    if serde is not None:
        storage = FORMATS[str(fmt)]
        sd["InputFormat"] = storage.input_format
        sd["OutputFormat"] = storage.output_format
        info = {k: v for k, v in (live_sd.get("SerdeInfo") or {}).items() if k == "Name"}
        sd["SerdeInfo"] = {**info, "SerializationLibrary": serde[0], "Parameters": serde[1]}
    elif live and format_of(live) is not None:
        # "no format" asked of a table in one of the five: remove what made it one
        for key in ("InputFormat", "OutputFormat"):
            sd.pop(key, None)
        serde_name = (live_sd.get("SerdeInfo") or {}).get("Name")
        if serde_name:
            sd["SerdeInfo"] = {"Name": serde_name}
        else:
            sd.pop("SerdeInfo", None)
    # else: storage dpn does not recognise stays as it is
    storage_params = _str_map(props.get("storage_parameters"))
    storage_params.update(_kept("storage_parameters", live_sd.get("Parameters"),
                                storage_params))
    if storage_params:
        sd["Parameters"] = storage_params
    else:
        sd.pop("Parameters", None)
    table_type = str(props.get("table_type") or DEFAULT_TABLE_TYPE)
    params: dict[str, str] = dict(EXTERNAL) if table_type == DEFAULT_TABLE_TYPE else {}
    if fmt is not None:
        params.update(FORMATS[fmt].table_params)
    params.update(_str_map(props.get("parameters")))
    params.update(_kept("parameters", live.get("Parameters"), params))
    result: dict[str, Any] = {
        **live,
        "Name": name,
        "TableType": table_type,
        "Parameters": params,
        "PartitionKeys": columns_in(props.get("partition_keys"), live.get("PartitionKeys")),
        "StorageDescriptor": sd,
    }
    if props.get("description"):
        result["Description"] = str(props["description"])
    else:
        result.pop("Description", None)
    return result


def format_of(table: Mapping[str, Any]) -> str | None:
    """The blueprint format of a Glue table, recognised from its parameters (delta) and
    input format (the SerDe decides between csv and json, and stands in when there is no
    input format); None when it is none of the five."""
    params = table.get("Parameters") or {}
    if (str(params.get("spark.sql.sources.provider", "")).lower() == "delta"
            or str(params.get("table_type", "")).upper() == "DELTA"):
        return "delta"
    sd = table.get("StorageDescriptor") or {}
    serde = str((sd.get("SerdeInfo") or {}).get("SerializationLibrary") or "")
    input_format = str(sd.get("InputFormat") or "")
    if input_format:
        lowered = input_format.lower()
        if "parquet" in lowered:
            return "parquet"
        if "orc" in lowered.rsplit(".", 1)[-1]:
            return "orc"
        if input_format == TEXT_IN and serde:
            return "json" if _is_json(serde) else "csv"
        return None
    if "Parquet" in serde:
        return "parquet"
    if "Orc" in serde:
        return "orc"
    if _is_json(serde):
        return "json"
    return None


def table_props(table: Mapping[str, Any]) -> dict[str, Any]:
    """Blueprint props of a ``GetTable``/``GetTables`` table (``database`` included; empty
    fields left out, as a blueprint would). Fields a table made outside dpn lacks are
    simply absent."""
    fmt = format_of(table)
    table_type = table.get("TableType")
    managed = dict(EXTERNAL) if (table_type or DEFAULT_TABLE_TYPE) == DEFAULT_TABLE_TYPE else {}
    if fmt is not None:
        managed.update(FORMATS[fmt].table_params)
    params = {str(k): str(v) for k, v in (table.get("Parameters") or {}).items()
              if managed.get(k) != v}
    sd = table.get("StorageDescriptor") or {}
    serde: dict[str, Any] | None = None
    if fmt is not None:
        info = sd.get("SerdeInfo") or {}
        live = (str(info.get("SerializationLibrary") or ""), _str_map(info.get("Parameters")))
        if live != default_serde(fmt, sd.get("Location")):
            serde = {k: v for k, v in (("library", live[0]), ("parameters", live[1])) if v}
    out = {
        "database": table.get("DatabaseName"),
        "columns": columns_out(sd.get("Columns")),
        "partition_keys": columns_out(table.get("PartitionKeys")),
        "location": sd.get("Location"),
        "format": fmt,
        "serde": serde,
        "table_type": table_type,
        "parameters": params,
        "storage_parameters": _str_map(sd.get("Parameters")),
        "description": table.get("Description"),
    }
    return {k: v for k, v in out.items() if v not in (None, "", [], {})}
