"""Glue table and S3 lifecycle <-> blueprint mappings (pure, no I/O)."""

from __future__ import annotations

from typing import Any

import pytest

from dpn.canonical import canonical, diff
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


def as_glue_answer(name: str, props: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """What GetTable answers for a table created with ``table_input``, with Glue's own
    fields (and ``extra`` top-level fields) added."""
    table = table_input(name, props)
    table["DatabaseName"] = props["database"]
    table["CatalogId"] = "123456789012"
    table["VersionId"] = "1"
    table.update(extra)
    return table


def same(read: dict[str, Any], asked: dict[str, Any]) -> None:
    assert canonical(GLUE_TABLE, read) == canonical(GLUE_TABLE, asked), read
    assert not diff(GLUE_TABLE, read, asked).changed


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
    same(back, props)


def test_empty_fields_are_left_out() -> None:
    props = {"database": "db", "parameters": {"dpn:key": "t"}}
    back = table_props(as_glue_answer("t", props))
    assert back == {**props, "table_type": "EXTERNAL_TABLE"}


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


# -- canonical round trips of what dpn sends ------------------------------------------


def test_table_type_written_out_and_managed_parameters_at_dpn_value_are_no_diff() -> None:
    """EXTERNAL_TABLE, EXTERNAL=TRUE and classification=<format> spelt out in the
    blueprint are what dpn sends anyway: no perpetual diff."""
    props = {**PROPS, "format": "parquet", "table_type": "EXTERNAL_TABLE",
             "parameters": {**PROPS["parameters"], "EXTERNAL": "TRUE",
                            "classification": "parquet"}}
    back = table_props(as_glue_answer("t", props))
    assert back["table_type"] == "EXTERNAL_TABLE"
    same(back, props)
    same(back, {**PROPS, "format": "parquet"})
    delta = {**PROPS, "format": "delta",
             "parameters": {**PROPS["parameters"], "spark.sql.sources.provider": "delta",
                            "table_type": "DELTA"}}
    same(table_props(as_glue_answer("t", delta)), delta)


def test_nullable_round_trips_and_defaults_to_true() -> None:
    table = table_input("t", {**PROPS, "format": "csv"})
    cols = table["StorageDescriptor"]["Columns"]
    assert [c["Parameters"]["nullable"] for c in cols] == ["true", "false"]
    assert table["PartitionKeys"][0]["Parameters"] == {"nullable": "true"}
    back = table_props(as_glue_answer("t", PROPS))
    assert [c["nullable"] for c in back["columns"]] == [True, False]
    # a column made outside dpn has no such parameter: the canonical default applies
    outside = {"Name": "t", "StorageDescriptor": {"Columns": [{"Name": "a", "Type": "int"}]}}
    assert canonical(GLUE_TABLE, table_props(outside))["columns"] == [
        {"name": "a", "type": "int", "nullable": True}]


@pytest.mark.parametrize(("fmt", "serde"), [
    ("csv", {"library": f"{HIVE}.serde2.OpenCSVSerde",
             "parameters": {"separatorChar": ",", "quoteChar": "\""}}),
    ("csv", {"library": f"{HIVE}.serde2.lazy.LazySimpleSerDe",
             "parameters": {"field.delim": "|"}}),
    ("json", {"library": f"{HIVE}.hcatalog.data.JsonSerDe"}),
    ("parquet", {"library": f"{HIVE}.ql.io.parquet.serde.ParquetHiveSerDe",
                 "parameters": {"serialization.format": "1", "parquet.compress": "SNAPPY"}}),
    ("orc", {"library": "com.example.OrcLikeSerDe", "parameters": {"a": "b"}}),
    ("delta", {"library": f"{HIVE}.serde2.lazy.LazySimpleSerDe",
               "parameters": {"path": "s3://elsewhere/"}}),
])
def test_serde_replaces_the_format_serde_and_reads_back(fmt: str,
                                                       serde: dict[str, Any]) -> None:
    props = {**PROPS, "format": fmt, "serde": serde}
    table = table_input("t", props)
    info = table["StorageDescriptor"]["SerdeInfo"]
    assert info == {"SerializationLibrary": serde["library"],
                    "Parameters": serde.get("parameters", {})}
    assert table["StorageDescriptor"]["InputFormat"] == EXPECTED[fmt][0]
    back = table_props(as_glue_answer("t", props))
    assert back["format"] == fmt
    assert back["serde"] == {k: v for k, v in serde.items() if v}
    same(back, props)


@pytest.mark.parametrize(("props", "message"), [
    ({"format": "json", "serde": {"library": f"{HIVE}.serde2.lazy.LazySimpleSerDe"}},
     "needs a JSON SerDe"),
    ({"format": "csv", "serde": {"library": "org.openx.data.jsonserde.JsonSerDe"}},
     "use format json"),
    ({"serde": {"library": "x.Y"}}, "needs a 'format'"),
    ({"format": "parquet", "serde": {"library": f"{HIVE}.ql.io.parquet.serde.ParquetHiveSerDe",
                                     "parameters": {"serialization.format": "1"}}},
     "repeats the parquet format's own SerDe"),
])
def test_serde_that_could_not_read_back_is_refused(props: dict[str, Any],
                                                   message: str) -> None:
    with pytest.raises(ValueError, match=message):
        table_input("t", {**PROPS, **props})


def test_storage_parameters_round_trip() -> None:
    props = {**PROPS, "format": "orc", "storage_parameters": {"orc.compress": "ZLIB"}}
    table = table_input("t", props)
    assert table["StorageDescriptor"]["Parameters"] == {"orc.compress": "ZLIB"}
    back = table_props(as_glue_answer("t", props))
    assert back["storage_parameters"] == {"orc.compress": "ZLIB"}
    same(back, props)
    assert "Parameters" not in table_input("t", PROPS)["StorageDescriptor"]


def test_platform_keys_are_reported_ignored_unless_asked_and_kept() -> None:
    props = {**PROPS, "format": "parquet", "storage_parameters": {"mine": "1"}}
    table = as_glue_answer("t", props)
    table["Parameters"] = {**table["Parameters"], "transient_lastDdlTime": "1700000000",
                           "numRows": "10"}
    table["StorageDescriptor"]["Parameters"] = {"mine": "1", "recordCount": "10"}
    back = table_props(table)
    assert back["parameters"]["numRows"] == "10"
    assert back["storage_parameters"] == {"mine": "1", "recordCount": "10"}
    assert not diff(GLUE_TABLE, back, props).changed
    assert diff(GLUE_TABLE, back, {**props, "parameters": {
        **PROPS["parameters"], "numRows": "11"}}).fields == ("parameters",)
    again = table_input("t", props, live=table)
    assert again["Parameters"]["numRows"] == "10"
    assert again["Parameters"]["transient_lastDdlTime"] == "1700000000"
    assert again["StorageDescriptor"]["Parameters"] == {"mine": "1", "recordCount": "10"}


def test_a_map_of_platform_keys_only_is_no_diff() -> None:
    props = {**PROPS, "format": "parquet"}
    table = as_glue_answer("t", props)
    table["StorageDescriptor"]["Parameters"] = {"recordCount": "10"}
    assert not diff(GLUE_TABLE, table_props(table), props).changed


def test_update_keeps_what_dpn_does_not_manage() -> None:
    """UpdateTable replaces the table: table_input with the live TableInput keeps the
    fields outside dpn's vocabulary and sets dpn's own."""
    props = {**PROPS, "format": "parquet"}
    live = table_input("t", props)
    live.update({"Owner": "alice", "Retention": 7, "ViewOriginalText": "/* x */",
                 "TargetTable": {"CatalogId": "1", "DatabaseName": "d", "Name": "n"}})
    live["Parameters"]["stale"] = "gone"  # a user key the blueprint no longer has
    sd = live["StorageDescriptor"]
    sd.update({"BucketColumns": ["order_id"], "NumberOfBuckets": 8, "Compressed": True,
               "SortColumns": [{"Column": "order_id", "SortOrder": 1}],
               "SkewedInfo": {"SkewedColumnNames": ["note"]}})
    sd["SerdeInfo"]["Name"] = "my-serde"
    sd["Columns"][0]["Parameters"] = {"iceberg.field.id": "1", "nullable": "true"}
    changed = {**props, "description": "v2", "format": "orc",
               "columns": [*PROPS["columns"], {"name": "extra", "type": "int"}]}
    out = table_input("t", changed, live=live)
    assert out["Owner"] == "alice" and out["Retention"] == 7
    assert out["ViewOriginalText"] == "/* x */" and out["TargetTable"]["Name"] == "n"
    assert "stale" not in out["Parameters"]
    assert out["Parameters"]["classification"] == "orc"
    osd = out["StorageDescriptor"]
    assert osd["BucketColumns"] == ["order_id"] and osd["NumberOfBuckets"] == 8
    assert osd["SortColumns"] == sd["SortColumns"] and osd["SkewedInfo"] == sd["SkewedInfo"]
    assert osd["Compressed"] is True
    assert osd["SerdeInfo"] == {"Name": "my-serde", "SerializationLibrary":
                                f"{HIVE}.ql.io.orc.OrcSerde",
                                "Parameters": {"serialization.format": "1"}}
    assert osd["Columns"][0]["Parameters"] == {"iceberg.field.id": "1", "nullable": "true"}
    assert osd["Columns"][2] == {"Name": "extra", "Type": "int",
                                 "Parameters": {"nullable": "true"}}
    assert out["Description"] == "v2"
    assert "Description" not in table_input("t", {**props, "description": ""}, live=out)


def test_no_format_keeps_unknown_storage_and_removes_a_known_one() -> None:
    avro = {"Name": "t", "TableType": "EXTERNAL_TABLE", "Parameters": {"EXTERNAL": "TRUE"},
            "StorageDescriptor": {
                "Columns": [], "InputFormat": "x.AvroContainerInputFormat",
                "OutputFormat": "x.AvroContainerOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "x.AvroSerDe",
                              "Parameters": {"avro.schema.url": "s3://s/a.avsc"}}}}
    assert "format" not in table_props(avro) and "serde" not in table_props(avro)
    kept = table_input("t", {"database": "db", "description": "d"}, live=avro)
    assert kept["StorageDescriptor"]["SerdeInfo"] == avro["StorageDescriptor"]["SerdeInfo"]
    assert kept["StorageDescriptor"]["InputFormat"] == "x.AvroContainerInputFormat"
    parquet = table_input("t", {**PROPS, "format": "parquet"})
    gone = table_input("t", PROPS, live=parquet)
    assert "InputFormat" not in gone["StorageDescriptor"]
    assert "SerdeInfo" not in gone["StorageDescriptor"]
    assert "classification" not in gone["Parameters"]
    assert format_of(gone) is None


@pytest.mark.parametrize("table", [
    {"Name": "t"},
    {"Name": "t", "StorageDescriptor": {}},
    {"Name": "t", "StorageDescriptor": {"Columns": [{"Name": "a"}], "SerdeInfo": {}}},
    {"Name": "t", "Parameters": None, "PartitionKeys": [{"Name": "p", "Type": "string"}],
     "StorageDescriptor": {"InputFormat": f"{HIVE}.ql.io.parquet.MapredParquetInputFormat"}},
    {"Name": "t", "TableType": "VIRTUAL_VIEW", "ViewOriginalText": "select 1"},
])
def test_tables_made_outside_dpn_read_without_crashing(table: dict[str, Any]) -> None:
    props = table_props(table)
    canonical(GLUE_TABLE, props)
    table_input("t", {"database": "db", **props}, live=table)


def test_format_recognised_from_the_input_format_before_the_serde() -> None:
    table = {"StorageDescriptor": {"InputFormat": f"{HIVE}.ql.io.orc.OrcInputFormat",
                                   "SerdeInfo": {"SerializationLibrary": "a.ParquetLike"}}}
    assert format_of(table) == "orc"
    text = {"StorageDescriptor": {"InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                                  "SerdeInfo": {"SerializationLibrary": "x.RegexSerDe"}}}
    assert format_of(text) == "csv"


# -- Glue database ---------------------------------------------------------------------


def test_database_input_keeps_what_dpn_does_not_manage() -> None:
    from dpn.providers.aws.glue_database import database_input

    live = {"Name": "db", "Description": "old", "LocationUri": "s3://a/",
            "Parameters": {"k": "v"},
            "CreateTableDefaultPermissions": [{"Principal": {
                "DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"},
                "Permissions": ["ALL"]}],
            "TargetDatabase": {"CatalogId": "1", "DatabaseName": "x"}}
    out = database_input("db", {"parameters": {"a": "b"}}, live=live)
    assert out == {"Name": "db", "Parameters": {"a": "b"},
                   "CreateTableDefaultPermissions": live["CreateTableDefaultPermissions"],
                   "TargetDatabase": live["TargetDatabase"]}


def test_fit_cuts_an_answer_to_the_input_shape() -> None:
    import botocore.session

    from dpn.providers.aws.common import fit

    model = botocore.session.get_session().get_service_model("glue")
    answer = {"Name": "t", "DatabaseName": "db", "CreateTime": "x", "VersionId": "3",
              "IsRegisteredWithLakeFormation": False, "Owner": "o",
              "StorageDescriptor": {"Columns": [{"Name": "a", "Type": "int"}],
                                    "SerdeInfo": {"Name": "n"}}}
    assert fit(answer, model.shape_for("TableInput")) == {
        "Name": "t", "Owner": "o",
        "StorageDescriptor": {"Columns": [{"Name": "a", "Type": "int"}],
                              "SerdeInfo": {"Name": "n"}}}


# -- S3 lifecycle ---------------------------------------------------------------------


def test_lifecycle_rule_round_trip() -> None:
    from dpn.providers.aws.lifecycle import rule_in, rule_out

    rule = {"id": "r", "prefix": "logs/", "enabled": False, "expiration_days": 30,
            "noncurrent_expiration_days": 7, "abort_incomplete_multipart_days": 2,
            "transitions": [{"days": 30, "storage_class": "STANDARD_IA"}]}
    out = rule_in(rule)
    assert out == {"ID": "r", "Status": "Disabled", "Filter": {"Prefix": "logs/"},
                   "Expiration": {"Days": 30},
                   "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}],
                   "NoncurrentVersionExpiration": {"NoncurrentDays": 7},
                   "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}}
    assert rule_out(out) == rule
    assert rule_in({"id": "all", "expiration_days": 1})["Filter"] == {"Prefix": ""}
    assert rule_out(rule_in({"id": "all", "expiration_days": 1})) == {
        "id": "all", "enabled": True, "expiration_days": 1}


def test_lifecycle_rules_keep_what_dpn_does_not_manage() -> None:
    from dpn.providers.aws.lifecycle import rules_in

    live = [{"ID": "r", "Status": "Enabled",
             "Filter": {"And": {"Prefix": "old/", "Tags": [{"Key": "a", "Value": "b"}],
                                "ObjectSizeGreaterThan": 10}},
             "Expiration": {"ExpiredObjectDeleteMarker": True},
             "Transitions": [{"Date": "2030-01-01T00:00:00Z", "StorageClass": "GLACIER"}],
             "NoncurrentVersionTransitions": [{"NoncurrentDays": 5, "StorageClass": "GLACIER"}],
             "NoncurrentVersionExpiration": {"NoncurrentDays": 9, "NewerNoncurrentVersions": 2}},
            {"ID": "other", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}}]
    out = rules_in([{"id": "r", "prefix": "new/", "noncurrent_expiration_days": 30}], live)
    assert out == [{
        "ID": "r", "Status": "Enabled",
        "Filter": {"And": {"Prefix": "new/", "Tags": [{"Key": "a", "Value": "b"}],
                           "ObjectSizeGreaterThan": 10}},
        "Expiration": {"ExpiredObjectDeleteMarker": True},
        "Transitions": [{"Date": "2030-01-01T00:00:00Z", "StorageClass": "GLACIER"}],
        "NoncurrentVersionTransitions": [{"NoncurrentDays": 5, "StorageClass": "GLACIER"}],
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30, "NewerNoncurrentVersions": 2}}]
    tag_only = [{"ID": "t", "Filter": {"Tag": {"Key": "a", "Value": "b"}}}]
    assert rules_in([{"id": "t", "expiration_days": 3}], tag_only)[0]["Filter"] == {
        "Tag": {"Key": "a", "Value": "b"}}
    assert rules_in([{"id": "t", "prefix": "p/", "expiration_days": 3}], tag_only)[0][
        "Filter"] == {"And": {"Prefix": "p/", "Tags": [{"Key": "a", "Value": "b"}]}}


@pytest.mark.parametrize(("rule", "expected"), [
    ({"ID": "legacy", "Prefix": "old/", "Status": "Enabled", "Expiration": {"Days": 3}},
     {"id": "legacy", "prefix": "old/", "enabled": True, "expiration_days": 3}),
    ({"ID": "and", "Status": "Enabled", "Filter": {"And": {"Prefix": "a/"}}},
     {"id": "and", "prefix": "a/", "enabled": True}),
    ({"Status": "Disabled"}, {"enabled": False}),
    ({"ID": "dated", "Status": "Enabled", "Transitions": [{"Date": "2030-01-01"}]},
     {"id": "dated", "enabled": True}),
])
def test_lifecycle_rules_made_outside_dpn_read_without_crashing(
        rule: dict[str, Any], expected: dict[str, Any]) -> None:
    from dpn.providers.aws.lifecycle import rule_out

    assert rule_out(rule) == expected
