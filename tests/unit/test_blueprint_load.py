"""Loading blueprints: the resource model, and errors located at exact lines."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from dpn import model
from dpn.blueprint import from_dict, load
from dpn.errors import BlueprintError, InputError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
META = {"org": "acme", "env": "prd", "project": "lakehouse", "region": "us-east-1"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bp.json"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def errors(path: Path) -> list[tuple[int, str]]:
    with pytest.raises(BlueprintError) as info:
        load(path)
    for diag in info.value.diagnostics:
        assert str(diag).startswith(f"{path}:{diag.line}:{diag.col}: ")
    return [(d.line, d.message) for d in info.value.diagnostics]


def doc(**resources: dict[str, object]) -> dict[str, object]:
    return {"version": 1, "metadata": dict(META), "resources": resources}


@pytest.mark.parametrize("name", ["lakehouse", "minimal", "aws-only", "databricks-only"])
def test_examples_are_valid(name: str) -> None:
    bp = load(EXAMPLES / f"{name}.json")
    assert bp.resources


def test_lakehouse_has_every_type_and_cross_platform_references() -> None:
    bp = load(EXAMPLES / "lakehouse.json")
    assert {r.type for r in bp.resources.values()} == set(model.RESOURCE_TYPES)
    assert 15 <= len(bp.resources) <= 25
    assert bp.resources["nightly"].depends_on == ("etl", "landing", "orders", "orders_gold")


def test_resource_model() -> None:
    bp = from_dict({**doc(
        landing={"type": "aws.s3_bucket", "layer": "raw", "purpose": "landing",
                 "tags": {"team": "x", "cost_center": "mine"}},
        sales_db={"type": "aws.glue_database", "domain": "sales", "layer": "silver",
                  "location_uri": "s3://${landing.name}/sales/"},
        orders={"type": "aws.glue_table", "database": "${sales_db}", "entity": "orders",
                "location": "s3://${landing}/o/"},
        legacy={"type": "aws.glue_table", "database": "legacy_db", "entity": "orders"},
    ), "metadata": {**META, "tags": {"cost_center": "cc-1"}}})
    landing = bp.resources["landing"]
    assert landing.name == landing.full_name == "acme-prd-lakehouse-raw-landing"
    assert dict(landing.props["tags"]) == {"cost_center": "mine", "team": "x",
                                           "dpn:stack": "acme-prd-lakehouse",
                                           "dpn:key": "landing"}
    assert set(landing.props) == {"tags"}
    orders = bp.resources["orders"]
    assert orders.name == "orders"
    assert orders.depends_on == ("landing", "sales_db")
    assert orders.props["database"] == "${sales_db.full_name}"
    assert orders.props["location"] == "s3://${landing}/o/"
    assert orders.props["parameters"]["dpn:key"] == "orders"
    assert "entity" not in orders.props and "type" not in orders.props
    assert bp.resources["legacy"].props["database"] == "legacy_db"
    assert bp.resources["legacy"].depends_on == ()
    assert list(bp.resources) == ["landing", "sales_db", "orders", "legacy"]
    assert bp.stack == "acme-prd-lakehouse"


def test_unknown_fields_and_wrong_types_are_located(tmp_path: Path) -> None:
    path = write(tmp_path, """
        {
          "version": 1,
          "metadata": {"org": "acme", "env": "prd", "project": "lakehouse",
                       "region": "us-east-1", "colour": "blue"},
          "resources": {
            "landing": {"type": "aws.s3_bucket", "layer": "raw", "purpose": "landing",
                        "versoning": true},
            "etl": {"type": "dbx.cluster", "purpose": "etl",
                    "spark_version": 15,
                    "node_type_id": "i3.xlarge"},
            "nightly": {"type": "dbx.job", "purpose": "nightly",
                        "tasks": [{"task_key": "a",
                                   "notebook_task": {"notebook_path": "/x", "extra": 1}}]},
            "t": {"type": "aws.glue_table", "database": "db", "entity": "t",
                  "columns": [{"name": "id", "type": "bigint", "size": 3}]}
          },
          "extra": 1
        }
    """)
    found = errors(path)
    assert found == [
        (4, "unknown field 'colour'"),
        (7, "unknown field 'versoning' (did you mean 'versioning'?)"),
        (9, "'spark_version' must be a string, not an integer"),
        (13, "unknown field 'extra'"),
        (15, "unknown field 'size'"),
        (17, "unknown field 'extra'"),
    ]


def test_reference_errors_are_located(tmp_path: Path) -> None:
    path = write(tmp_path, """
        {
          "version": 1,
          "metadata": {"org": "acme", "env": "prd", "project": "lakehouse", "region": "us-east-1"},
          "resources": {
            "landing": {"type": "aws.s3_bucket", "layer": "raw", "purpose": "landing"},
            "db": {"type": "aws.glue_database", "domain": "sales", "layer": "silver",
                   "location_uri": "s3://${landng.name}/"},
            "t1": {"type": "aws.glue_table", "entity": "t1",
                   "database": "${landing}"},
            "t2": {"type": "aws.glue_table", "entity": "t2", "database": "${db}",
                   "location": "${db.arn}"},
            "t3": {"type": "aws.glue_table", "entity": "t3", "database": "${db}",
                   "location": "${Bad Ref}"},
            "a": {"type": "dbx.catalog", "domain": "a",
                  "storage_root": "${b.name}"},
            "b": {"type": "dbx.catalog", "domain": "b", "storage_root": "${a.name}"},
            "s": {"type": "dbx.schema", "layer": "gold", "catalog": "x${a}"},
            "self": {"type": "dbx.catalog", "domain": "c", "comment": "${self}"},
            "open": {"type": "dbx.catalog", "domain": "d", "comment": "${a"}
          }
        }
    """)
    assert errors(path) == [
        (7, "reference to unknown resource 'landng' (did you mean 'landing'?)"),
        (9, "'database' must refer to a resource of type aws.glue_database; 'landing' "
            "is of type aws.s3_bucket"),
        (11, "unknown attribute 'arn' of aws.glue_database 'db' "
             "(attributes: name, id, full_name)"),
        (13, "malformed reference '${Bad Ref}': use ${key} or ${key.attr}"),
        (14, "dependency cycle: a -> b -> a"),
        (17, "'catalog' must be ${key} of a dbx.catalog or a literal name, not 'x${a}'"),
        (18, "resource 'self' refers to itself"),
        (19, "unterminated reference: '${' without '}'"),
    ]


def test_cycle_is_spelled_out_over_three_resources() -> None:
    with pytest.raises(BlueprintError) as info:
        from_dict(doc(
            a={"type": "dbx.catalog", "domain": "a", "comment": "${c}"},
            b={"type": "dbx.catalog", "domain": "b", "comment": "${a}"},
            c={"type": "dbx.catalog", "domain": "c", "comment": "${b}"},
        ))
    assert "dependency cycle: a -> c -> b -> a" in str(info.value)


def test_naming_errors_are_located(tmp_path: Path) -> None:
    path = write(tmp_path, """
        {
          "version": 1,
          "metadata": {"org": "acme", "env": "qa", "project": "lakehouse", "region": "us-east-1"},
          "naming": {"patterns": {"dbx.cluster": "{env}-{colour}"}},
          "resources": {
            "one": {"type": "aws.s3_bucket", "layer": "raw", "purpose": "landing"},
            "two": {"type": "aws.s3_bucket", "layer": "raw", "purpose": "landing"},
            "three": {"type": "aws.s3_bucket", "purpose": "x"},
            "four": {"type": "aws.s3_bucket", "layer": "platinum", "purpose": "x"},
            "five": {"type": "aws.glue_table", "database": "db", "entity": "select"},
            "six": {"type": "dbx.catalog", "name": "system_x"}
          }
        }
    """)
    assert errors(path) == [
        (3, "environment 'qa' is not one of naming.environments (dev, tst, stg, prd)"),
        (4, "pattern '{env}-{colour}': unknown token '{colour}' (tokens: org, env, project, "
            "region, domain, layer, purpose, entity)"),
        (7, "aws.s3_bucket name 'acme-qa-lakehouse-raw-landing' of resource 'two' is also "
            "the name of resource 'one' (names are unique within all of S3)"),
        (8, "resource 'three' has no 'layer', which the aws.s3_bucket name pattern "
            "'{org}-{env}-{project}-{layer}-{purpose}' needs"),
        (9, "layer 'platinum' is not one of naming.layers (landing, raw, bronze, silver, "
            "gold, curated)"),
        (10, "generated name 'select' of aws.glue_table 'five': 'select' is an Athena "
             "reserved word"),
        (11, "name 'system_x' of dbx.catalog: must not start with 'sys'"),
    ]


def test_custom_naming_configuration() -> None:
    bp = from_dict({
        "version": 1,
        "metadata": {**META, "env": "qa"},
        "naming": {"environments": ["qa", "live"], "layers": ["platinum"],
                   "patterns": {"aws.s3_bucket": "{org}-{region}-{layer}-{purpose}"}},
        "resources": {"b": {"type": "aws.s3_bucket", "layer": "platinum", "purpose": "x"}},
    })
    assert bp.resources["b"].name == "acme-us-east-1-platinum-x"


def test_duplicate_names_respect_scopes() -> None:
    ok = from_dict(doc(
        db1={"type": "aws.glue_database", "domain": "a", "layer": "raw"},
        db2={"type": "aws.glue_database", "domain": "b", "layer": "raw"},
        t1={"type": "aws.glue_table", "database": "${db1}", "entity": "orders"},
        t2={"type": "aws.glue_table", "database": "${db2}", "entity": "orders"},
        c={"type": "dbx.catalog", "domain": "a"},
        s1={"type": "dbx.schema", "catalog": "${c}", "layer": "gold"},
        s2={"type": "dbx.schema", "catalog": "other", "layer": "gold"},
    ))
    assert len(ok.resources) == 7
    with pytest.raises(BlueprintError) as info:
        from_dict(doc(
            c={"type": "dbx.catalog", "domain": "a"},
            s1={"type": "dbx.schema", "catalog": "${c}", "layer": "gold"},
            s2={"type": "dbx.schema", "catalog": "prd_a", "layer": "gold"},
            t1={"type": "dbx.table", "schema": "${s1}", "entity": "o", "columns": [
                {"name": "a", "type": "INT"}], "storage_location": "s3://x/a"},
            t2={"type": "dbx.table", "schema": "prd_a.gold", "entity": "o", "columns": [
                {"name": "a", "type": "INT"}], "storage_location": "s3://x/b"},
        ))
    text = str(info.value)
    assert "resource 's2' is also the name of resource 's1' (names are unique within " \
           "catalog 'prd_a')" in text
    assert "resource 't2' is also the name of resource 't1' (names are unique within " \
           "schema 'prd_a.gold')" in text


def test_truncated_name_keeps_full_name() -> None:
    bp = from_dict(doc(b={"type": "aws.s3_bucket", "layer": "raw", "purpose": "p" * 60}))
    res = bp.resources["b"]
    assert len(res.name) == 63 and len(res.full_name) > 63
    assert res.full_name.startswith(res.name[:50])


def test_explicit_name_overrides_pattern_and_needs_no_inputs() -> None:
    bp = from_dict(doc(b={"type": "aws.s3_bucket", "name": "my-own-bucket"}))
    assert bp.resources["b"].name == "my-own-bucket"


def test_literal_parent_names_are_checked() -> None:
    with pytest.raises(BlueprintError) as info:
        from_dict(doc(t={"type": "dbx.table", "schema": "no_dot", "entity": "o",
                         "columns": [{"name": "a", "type": "INT"}],
                         "storage_location": "s3://x/a"},
                      g={"type": "aws.glue_table", "database": "Bad-Db", "entity": "o"}))
    text = str(info.value)
    assert "'schema' must be ${key} of a dbx.schema or an existing 'catalog.schema'" in text
    assert "'database': name 'Bad-Db' must be a lower-case letter" in text


def test_reserved_tags_and_tag_limits() -> None:
    with pytest.raises(BlueprintError) as info:
        from_dict({**doc(
            b={"type": "aws.s3_bucket", "layer": "raw", "purpose": "x",
               "tags": {"dpn:stack": "other"}},
            j={"type": "dbx.job", "purpose": "j", "tasks": [{"task_key": "a"}],
               "tags": {f"t{i}": "v" for i in range(20)}},
        ), "metadata": {**META, "tags": {f"m{i}": "v" for i in range(5)}}})
    text = str(info.value)
    assert "'dpn:stack' is set by dpn and cannot be given" in text
    assert "27 tags with metadata.tags and dpn's own; dbx.job allows at most 25" in text


def test_schema_specific_rules(tmp_path: Path) -> None:
    path = write(tmp_path, """
        {
          "version": 2,
          "metadata": {"org": "Acme", "env": "prd", "project": "lakehouse", "region": "mars-1"},
          "resources": {
            "Bad_Key": {"type": "aws.s3_bucket", "layer": "raw", "purpose": "x"},
            "kms": {"type": "aws.s3_bucket", "layer": "raw", "purpose": "k", "kms_key_id": "k"},
            "both": {"type": "dbx.cluster", "purpose": "b", "spark_version": "15.4.x-scala2.12",
                     "node_type_id": "i3.xlarge", "num_workers": 1,
                     "autoscale": {"min_workers": 1, "max_workers": 2}},
            "what": {"type": "aws.s3_buckets"},
            "none": {"layer": "raw"},
            "job": {"type": "dbx.job", "purpose": "j", "tasks": []}
          }
        }
    """)
    found = errors(path)
    assert found == [
        (2, "'version' must be 1, not 2"),
        (3, "'org': \"Acme\" does not match ^[a-z][a-z0-9]{1,9}$"),
        (3, "'region': \"mars-1\" does not match ^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$"),
        (5, "key \"Bad_Key\" must match ^[a-z][a-z0-9_]{0,62}$"),
        (6, "'kms_key_id' needs \"encryption\": \"aws:kms\""),
        (7, "set either 'num_workers' or 'autoscale', not both"),
        (10, "unknown resource type 'aws.s3_buckets' (did you mean 'aws.s3_bucket'?) "
             "(types: aws.glue_database, aws.glue_table, aws.iam_role, aws.s3_bucket, "
             "dbx.catalog, dbx.cluster, dbx.external_location, dbx.grants, dbx.job, "
             "dbx.schema, dbx.storage_credential, dbx.table, dbx.volume)"),
        (11, "resource 'none' has no 'type'"),
        (12, "'tasks' must have at least 1 item"),
    ]


def test_cluster_rules_beyond_the_schema() -> None:
    base = {"type": "dbx.cluster", "purpose": "c", "spark_version": "15.4.x-scala2.12",
            "node_type_id": "i3.xlarge"}
    with pytest.raises(BlueprintError) as info:
        from_dict(doc(a={**base, "autotermination_minutes": 5},
                      b={**base, "purpose": "d",
                         "autoscale": {"min_workers": 4, "max_workers": 2}}))
    assert [d.message for d in info.value.diagnostics] == [
        "resources.a.autotermination_minutes: 'autotermination_minutes' must be 0 (never) "
        "or 10-10000",
        "resources.b.autoscale: 'autoscale': min_workers is above max_workers",
    ]
    assert from_dict(doc(a={**base, "autotermination_minutes": 0}))


def test_builder_matches_the_loader() -> None:
    from dpn.blueprint import BlueprintBuilder

    built = (BlueprintBuilder()
             .with_metadata(**META)
             .with_naming(layers=["raw", "gold"])
             .add_s3_bucket("landing", layer="raw", purpose="landing")
             .add_glue_database("db", domain="sales", layer="gold")
             .add_glue_table("t", database="${db}", entity="orders")
             .add_cluster("etl", purpose="etl", spark_version="15.4.x-scala2.12",
                          node_type_id="i3.xlarge", num_workers=1)
             .add_job("job", purpose="nightly", tasks=[
                 {"task_key": "a", "existing_cluster_id": "${etl.id}"}])
             .add_catalog("cat", domain="sales")
             .add_schema("sch", catalog="${cat}", layer="gold")
             .add_table("tab", schema="${sch}", entity="orders",
                        columns=[{"name": "id", "type": "BIGINT"}],
                        storage_location="s3://${landing}/t/")
             .build())
    assert built.path == "<builder>"
    assert len(built.resources) == 8
    assert built.resources["tab"].depends_on == ("landing", "sch")


def test_builder_errors_are_located_by_path() -> None:
    from dpn.blueprint import BlueprintBuilder

    with pytest.raises(BlueprintError) as info:
        (BlueprintBuilder().with_metadata(**META)
         .add_s3_bucket("b", layer="raw", purpose="x", versoning=True).build())
    assert str(info.value) == ("<builder>:0:0: resources.b.versoning: unknown field "
                               "'versoning' (did you mean 'versioning'?)")


def test_from_dict_refuses_non_json_data() -> None:
    with pytest.raises(InputError):
        from_dict({"version": 1, "metadata": object()})
    with pytest.raises(InputError):
        from_dict({"version": float("nan")})


def test_all_errors_reported_at_once(tmp_path: Path) -> None:
    resources = {f"b{i}": {"type": "aws.s3_bucket", "layer": "raw", "purpose": f"p{i}",
                           "versioning": "yes"} for i in range(30)}
    path = tmp_path / "bp.json"
    path.write_text(json.dumps(doc(**resources), indent=1))
    assert len(errors(path)) == 30


def test_the_backend_setting(tmp_path: Path) -> None:
    from dpn.blueprint import BlueprintBuilder

    assert from_dict(doc()).backend is None
    assert from_dict({**doc(), "backend": "s3://team-state/dpn/prd"}).backend == \
        "s3://team-state/dpn/prd"
    assert BlueprintBuilder().with_metadata(**META).with_backend("local").build().backend \
        == "local"
    path = write(tmp_path, """
        {"version": 1,
         "backend": "ftp://team-state",
         "metadata": {"org": "acme", "env": "prd", "project": "lakehouse",
                      "region": "us-east-1"},
         "resources": {}}
        """)
    [(line, message)] = errors(path)
    assert line == 2 and "backend" in message and "ftp://team-state" in message
