"""Glue table <-> blueprint mapping, per format (pure, no I/O)."""

from __future__ import annotations

from typing import Any

import pytest

from dpn.diffing import diff
from dpn.model import GLUE_TABLE
from dpn.providers.aws.formats import FORMATS, format_of, table_input, table_props

HIVE = "org.apache.hadoop.hive"
PROPS: dict[str, Any] = {
    "database": "prd_sales_silver",
    "columns": [{"name": "order_id", "type": "bigint", "comment": "id"},
                {"name": "note", "type": "string", "nullable": False}],
    "partition_keys": [{"name": "dt", "type": "string"}],
    "location": "s3://acme-prd-lake-raw-landing/orders/",
    "parameters": {"dpn:stack": "acme-prd-lake", "dpn:key": "orders", "team": "x"},
    "description": "Orders",
}

EXPECTED = {
    "parquet": (f"{HIVE}.ql.io.parquet.MapredParquetInputFormat",
                f"{HIVE}.ql.io.parquet.MapredParquetOutputFormat",
                f"{HIVE}.ql.io.parquet.serde.ParquetHiveSerDe"),
    "orc": (f"{HIVE}.ql.io.orc.OrcInputFormat", f"{HIVE}.ql.io.orc.OrcOutputFormat",
            f"{HIVE}.ql.io.orc.OrcSerde"),
    "csv": ("org.apache.hadoop.mapred.TextInputFormat",
            f"{HIVE}.ql.io.HiveIgnoreKeyTextOutputFormat", f"{HIVE}.serde2.lazy.LazySimpleSerDe"),
    "json": ("org.apache.hadoop.mapred.TextInputFormat",
             f"{HIVE}.ql.io.HiveIgnoreKeyTextOutputFormat", "org.openx.data.jsonserde.JsonSerDe"),
    "delta": ("org.apache.hadoop.mapred.SequenceFileInputFormat",
              f"{HIVE}.ql.io.HiveSequenceFileOutputFormat",
              f"{HIVE}.serde2.lazy.LazySimpleSerDe"),
}


def as_glue_answer(name: str, props: dict[str, Any]) -> dict[str, Any]:
    """What GetTable answers for a table created with ``table_input``, Glue's own additions
    included."""
    table = table_input(name, props)
    table["DatabaseName"] = props["database"]
    table["CatalogId"] = "123456789012"
    table["Parameters"] = {**table["Parameters"], "transient_lastDdlTime": "1700000000"}
    return table


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_storage_descriptor_per_format(fmt: str) -> None:
    table = table_input("orders", {**PROPS, "format": fmt})
    sd = table["StorageDescriptor"]
    assert (sd["InputFormat"], sd["OutputFormat"],
            sd["SerdeInfo"]["SerializationLibrary"]) == EXPECTED[fmt]
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert table["Parameters"]["EXTERNAL"] == "TRUE"
    assert table["Parameters"]["team"] == "x"
    assert sd["Location"] == PROPS["location"]
    assert sd["Columns"][1] == {"Name": "note", "Type": "string",
                                "Parameters": {"nullable": "false"}}
    if fmt == "delta":
        assert table["Parameters"]["spark.sql.sources.provider"] == "delta"
        assert sd["SerdeInfo"]["Parameters"]["path"] == PROPS["location"]
    if fmt == "csv":
        assert sd["SerdeInfo"]["Parameters"]["field.delim"] == ","


@pytest.mark.parametrize("fmt", [*sorted(FORMATS), None])
def test_round_trip_is_clean(fmt: str | None) -> None:
    props = dict(PROPS) if fmt is None else {**PROPS, "format": fmt}
    back = table_props(as_glue_answer("orders", props))
    assert back == props
    assert not diff(GLUE_TABLE, back, props).changed


def test_empty_fields_are_left_out() -> None:
    props = {"database": "db", "parameters": {"dpn:key": "t"}}
    back = table_props(as_glue_answer("t", props))
    assert back == props


def test_other_table_types_keep_their_type_and_no_external_flag() -> None:
    props = {**PROPS, "table_type": "VIRTUAL_VIEW"}
    table = table_input("v", props)
    assert table["TableType"] == "VIRTUAL_VIEW" and "EXTERNAL" not in table["Parameters"]
    assert table_props(as_glue_answer("v", props))["table_type"] == "VIRTUAL_VIEW"


def test_a_user_value_for_a_managed_parameter_wins_and_reads_back() -> None:
    props = {**PROPS, "format": "parquet",
             "parameters": {**PROPS["parameters"], "classification": "custom"}}
    assert table_input("t", props)["Parameters"]["classification"] == "custom"
    assert table_props(as_glue_answer("t", props))["parameters"]["classification"] == "custom"


@pytest.mark.parametrize(("serde", "input_format", "params", "expected"), [
    (f"{HIVE}.serde2.OpenCSVSerde", "org.apache.hadoop.mapred.TextInputFormat", {}, "csv"),
    (f"{HIVE}.hcatalog.data.JsonSerDe", "org.apache.hadoop.mapred.TextInputFormat", {}, "json"),
    ("", "", {"table_type": "DELTA"}, "delta"),
    (f"{HIVE}.ql.io.parquet.serde.ParquetHiveSerDe", "", {}, "parquet"),
    ("com.example.AvroSerDe", "x.AvroInput", {}, None),
])
def test_format_recognised_from_other_writers(serde: str, input_format: str,
                                              params: dict[str, str],
                                              expected: str | None) -> None:
    table = {"Parameters": params, "StorageDescriptor": {
        "InputFormat": input_format, "SerdeInfo": {"SerializationLibrary": serde}}}
    assert format_of(table) == expected


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown table format"):
        table_input("t", {**PROPS, "format": "avro"})
