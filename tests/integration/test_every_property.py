"""Every property the schema accepts, end to end through the real ``dpn`` CLI (SPEC section
10): sent on create, read back, left alone by an update, changed by an update, detected
when changed outside dpn, and repaired.

The blueprint is ``examples/every-property.json``; ``cases/roundtrip.json`` gives, for each
(type, property) and each task and column property, a "change" value (step c) and an
"outside" value (step d). What the platforms hold is read straight through boto3 and the
Databricks REST API (raw JSON): nothing here goes through dpn's providers, and AWS answers
are mapped to blueprint vocabulary by hand. Each step collects every problem it finds and
fails once with all of them, named by key and field.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from botocore.exceptions import ClientError

from dpn.model import NAMING_INPUTS
from dpn.sandbox.faults import FaultClient
from tests.crash.harness import run

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
BLUEPRINT = ROOT / "examples" / "every-property.json"
CASES = Path(__file__).parent / "cases" / "roundtrip.json"
RULES = ROOT / "src" / "dpn" / "canonical" / "rules.json"
STACK = "acme-dev-everything"
# The managed policies every-property.json and its cases attach (made before the create).
# -- cases and the blueprints they make ------------------------------------------------------


def load_cases() -> dict[str, Any]:
    cases: dict[str, Any] = json.loads(CASES.read_text())
    return cases


def load_blueprint() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(BLUEPRINT.read_text())
    return doc


def directives() -> dict[str, set[str]]:
    """Per type, the write-time directives of rules.json: sent, never reported."""
    types = json.loads(RULES.read_text())["types"]
    return {t: set(node.get("directives", ())) for t, node in types.items()}


def task_index(original: Mapping[str, Any], key: str, task_key: str) -> int:
    """Where task ``task_key`` sits in job ``key`` of the original blueprint."""
    tasks = original["resources"][key]["tasks"]
    for index, task in enumerate(tasks):
        if task["task_key"] == task_key:
            return index
    raise KeyError(f"{key}: no task {task_key!r} in {BLUEPRINT.name}")


def apply_cases(base: Mapping[str, Any], which: str, original: Mapping[str, Any] | None = None,
                cases: Mapping[str, Any] | None = None) -> tuple[dict[str, Any],
                                                                 dict[str, set[str]]]:
    """``base`` with every case's ``which`` value ("change" or "outside") applied, and per
    resource key the top-level fields that changed. Resource cases first, then task and
    column cases, which find their item by position in ``original`` (default: ``base``)."""
    cases = cases or load_cases()
    original = original or base
    doc = copy.deepcopy(dict(base))
    res = doc["resources"]
    touched: dict[str, set[str]] = {}
    for rtype, props in cases["resources"].items():
        for prop, case in props.items():
            if case[which] is None:
                continue
            resource = res[case["key"]]
            assert resource["type"] == rtype, f"case {rtype}.{prop}: {case['key']} is " \
                                              f"a {resource['type']}"
            resource[prop] = copy.deepcopy(case[which])
            touched.setdefault(case["key"], set()).add(prop)
    for prop, case in cases["task"].items():
        if case[which] is None:
            continue
        index = task_index(original, case["key"], case["task_key"])
        res[case["key"]]["tasks"][index][prop] = copy.deepcopy(case[which])
        touched.setdefault(case["key"], set()).add("tasks")
    for prop, case in cases["column"].items():
        if case[which] is None:
            continue
        for key, field, index in case["at"]:
            res[key][field][index][prop] = copy.deepcopy(case[which])
            touched.setdefault(key, set()).add(field)
    return doc, touched


def changed_doc() -> tuple[dict[str, Any], dict[str, set[str]]]:
    return apply_cases(load_blueprint(), "change")


def outside_doc() -> tuple[dict[str, Any], dict[str, set[str]]]:
    original = load_blueprint()
    changed, _ = apply_cases(original, "change")
    return apply_cases(changed, "outside", original=original)


# -- state and references --------------------------------------------------------------------

_REF = re.compile(r"\$\{([a-z][a-z0-9_]*)(?:\.([a-z_]+))?\}")


def read_state(home: Path) -> dict[str, Any]:
    path = home / "state" / f"{STACK}.json"
    state: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {
        "resources": {}}
    return state


def resolve(value: Any, state: Mapping[str, Any], parent: bool = False) -> Any:
    """``value`` with ``${key}`` and ``${key.attr}`` replaced from the state's attributes
    (a parent field takes the parent's full name)."""
    resources = state["resources"]
    if isinstance(value, str):
        def one(m: re.Match[str]) -> str:
            attrs = resources[m.group(1)]["attrs"]
            return str(attrs[m.group(2) or ("full_name" if parent else "name")])
        return _REF.sub(one, value)
    if isinstance(value, list):
        return [resolve(v, state) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, state) for k, v in value.items()}
    return value


PARENTS = {"aws.glue_table": "database", "dbx.schema": "catalog", "dbx.table": "schema",
           "dbx.volume": "schema"}
# The permissions API's name of each securable type a dbx.grants may refer to.
SECURABLES = {"dbx.catalog": "catalog", "dbx.schema": "schema", "dbx.table": "table",
              "dbx.volume": "volume", "dbx.external_location": "external_location",
              "dbx.storage_credential": "storage_credential"}


def wanted(doc: Mapping[str, Any], key: str, state: Mapping[str, Any]) -> dict[str, Any]:
    """The properties the blueprint asks of ``key``, references resolved; naming inputs
    and directives left out; IAM documents, sets and privileges in a form to compare."""
    resource = doc["resources"][key]
    skip = NAMING_INPUTS | directives().get(resource["type"], set())
    parent = PARENTS.get(resource["type"])
    asked = {f: resolve(v, state, parent=f == parent) for f, v in resource.items()
             if f not in skip}
    return access_form(resource, asked, state)


def _target(value: Any, state: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The state record a value of exactly one reference names, else None."""
    match = _REF.fullmatch(value) if isinstance(value, str) else None
    return state["resources"].get(match.group(1)) if match else None


def access_form(resource: Mapping[str, Any], asked: dict[str, Any],
                state: Mapping[str, Any]) -> dict[str, Any]:
    """What the storage-and-access types ask, as the platform holds it: a credential's role
    reference is the role's ARN; a grants' securable reference is ``type:full_name`` and
    its privileges sets of upper-case names; IAM documents in ``policy_form``; lists that
    are sets sorted."""
    rtype = resource["type"]
    out = dict(asked)
    if rtype == "dbx.storage_credential" and _target(resource["aws_iam_role"], state):
        out["aws_iam_role"] = _target(resource["aws_iam_role"], state)["attrs"]["arn"]
    if rtype == "dbx.grants":
        record = _target(resource["securable"], state)
        out["securable"] = (f"{SECURABLES[record['type']]}:{record['attrs']['full_name']}"
                            if record else resource["securable"].lower())
        out["privileges"] = {p: sorted({v.upper().replace(" ", "_") for v in privs})
                             for p, privs in resource["privileges"].items()}
    if rtype == "aws.iam_role":
        if isinstance(out.get("trust"), dict):
            out["trust"] = policy_form(out["trust"])
        if "policies" in out:
            out["policies"] = {k: policy_form(v) for k, v in out["policies"].items()}
        if "s3_access" in out:
            out["s3_access"] = {k: sorted(v) for k, v in out["s3_access"].items() if v}
        if "managed_policy_arns" in out:
            out["managed_policy_arns"] = sorted(out["managed_policy_arns"])
    return out


# -- the platforms, read raw and mapped by hand ---------------------------------------------

HIVE = "org.apache.hadoop.hive"
GLUE_FORMATS = {  # format -> (InputFormat, OutputFormat, SerDe library)
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
PAB_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
CLUSTER_SETTINGS = (
    "cluster_name", "spark_version", "node_type_id", "driver_node_type_id", "num_workers",
    "autoscale", "autotermination_minutes", "spark_conf", "spark_env_vars", "custom_tags",
    "data_security_mode", "single_user_name", "runtime_engine", "instance_pool_id",
    "policy_id", "enable_elastic_disk", "aws_attributes", "init_scripts", "cluster_log_conf",
    "driver_instance_pool_id", "ssh_public_keys", "docker_image", "kind", "is_single_node",
    "use_ml_runtime", "workload_type")
UC = "/api/2.1/unity-catalog"


def _absent(exc: ClientError, *codes: str) -> bool:
    return exc.response.get("Error", {}).get("Code") in codes


def _s3_optional(call: Callable[..., Any], absent: str, **kwargs: Any) -> Any:
    try:
        return call(**kwargs)
    except ClientError as exc:
        if _absent(exc, absent):
            return None
        raise


def lifecycle_out(rule: Mapping[str, Any]) -> dict[str, Any]:
    """An S3 lifecycle rule in blueprint vocabulary."""
    prefix = (rule.get("Filter") or {}).get("Prefix", rule.get("Prefix", ""))
    out: dict[str, Any] = {"id": rule.get("ID"), "enabled": rule.get("Status") == "Enabled"}
    if prefix:
        out["prefix"] = prefix
    if "Days" in (rule.get("Expiration") or {}):
        out["expiration_days"] = rule["Expiration"]["Days"]
    if "NoncurrentDays" in (rule.get("NoncurrentVersionExpiration") or {}):
        out["noncurrent_expiration_days"] = rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
    if rule.get("Transitions"):
        out["transitions"] = [{"days": t.get("Days"), "storage_class": t.get("StorageClass")}
                              for t in rule["Transitions"]]
    if "DaysAfterInitiation" in (rule.get("AbortIncompleteMultipartUpload") or {}):
        out["abort_incomplete_multipart_days"] = \
            rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
    return out


def lifecycle_in(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A blueprint lifecycle rule as S3 takes it."""
    out: dict[str, Any] = {"ID": rule["id"], "Filter": {"Prefix": rule.get("prefix", "")},
                           "Status": "Enabled" if rule.get("enabled", True) else "Disabled"}
    if "expiration_days" in rule:
        out["Expiration"] = {"Days": rule["expiration_days"]}
    if "noncurrent_expiration_days" in rule:
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule["noncurrent_expiration_days"]}
    if rule.get("transitions"):
        out["Transitions"] = [{"Days": t["days"], "StorageClass": t["storage_class"]}
                              for t in rule["transitions"]]
    if "abort_incomplete_multipart_days" in rule:
        out["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": rule["abort_incomplete_multipart_days"]}
    return out


def live_bucket(s3: Any, name: str) -> dict[str, Any]:
    versioning = s3.get_bucket_versioning(Bucket=name)
    enc = _s3_optional(s3.get_bucket_encryption, "ServerSideEncryptionConfigurationNotFoundError",
                       Bucket=name) or {}
    rules = enc.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    default = rules[0].get("ApplyServerSideEncryptionByDefault", {}) if rules else {}
    pab = _s3_optional(s3.get_public_access_block, "NoSuchPublicAccessBlockConfiguration",
                       Bucket=name) or {}
    flags = pab.get("PublicAccessBlockConfiguration", {})
    ownership = _s3_optional(s3.get_bucket_ownership_controls, "OwnershipControlsNotFoundError",
                             Bucket=name) or {}
    lifecycle = _s3_optional(s3.get_bucket_lifecycle_configuration,
                             "NoSuchLifecycleConfiguration", Bucket=name) or {}
    tagging = _s3_optional(s3.get_bucket_tagging, "NoSuchTagSet", Bucket=name) or {}
    owner_rules = ownership.get("OwnershipControls", {}).get("Rules", [])
    return {
        "versioning": versioning.get("Status") == "Enabled",
        "encryption": default.get("SSEAlgorithm"),
        "kms_key_id": default.get("KMSMasterKeyID"),
        "block_public_access": bool(flags) and all(flags.get(f) for f in PAB_FLAGS),
        "object_ownership": owner_rules[0].get("ObjectOwnership") if owner_rules else None,
        "lifecycle_rules": [lifecycle_out(r) for r in lifecycle.get("Rules", [])],
        "tags": {t["Key"]: t["Value"] for t in tagging.get("TagSet", [])},
    }


def glue_arn(state: Mapping[str, Any], key: str) -> str:
    return str(state["resources"][key]["attrs"]["arn"])


def live_database(glue: Any, name: str, arn: str) -> dict[str, Any]:
    db = glue.get_database(Name=name)["Database"]
    return {"description": db.get("Description"), "location_uri": db.get("LocationUri"),
            "parameters": db.get("Parameters") or {},
            "tags": glue.get_tags(ResourceArn=arn).get("Tags") or {}}


def glue_columns_out(columns: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for c in columns:
        item: dict[str, Any] = {"name": c["Name"], "type": c.get("Type")}
        if c.get("Comment"):
            item["comment"] = c["Comment"]
        # Glue has no nullable: dpn keeps it as the column parameter "nullable"
        nullable = (c.get("Parameters") or {}).get("nullable")
        item["nullable"] = nullable != "false"
        out.append(item)
    return out


def glue_columns_in(columns: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for c in columns:
        item: dict[str, Any] = {"Name": c["name"], "Type": c["type"]}
        if c.get("comment"):
            item["Comment"] = c["comment"]
        if "nullable" in c:
            item["Parameters"] = {"nullable": "true" if c["nullable"] else "false"}
        out.append(item)
    return out


def glue_format(table: Mapping[str, Any]) -> str | None:
    sd = table.get("StorageDescriptor") or {}
    params = table.get("Parameters") or {}
    if str(params.get("spark.sql.sources.provider", "")).lower() == "delta":
        return "delta"
    for name, (input_format, output_format, _) in GLUE_FORMATS.items():
        if sd.get("InputFormat") == input_format and sd.get("OutputFormat") == output_format:
            serde = (sd.get("SerdeInfo") or {}).get("SerializationLibrary", "")
            if name in ("csv", "json"):
                return "json" if "Json" in serde else "csv"
            return name
    return None


def live_glue_table(glue: Any, full: str) -> dict[str, Any]:
    database, name = full.split(".", 1)
    table = glue.get_table(DatabaseName=database, Name=name)["Table"]
    sd = table.get("StorageDescriptor") or {}
    serde = sd.get("SerdeInfo") or {}
    return {
        "database": table.get("DatabaseName"),
        "columns": glue_columns_out(sd.get("Columns") or []),
        "partition_keys": glue_columns_out(table.get("PartitionKeys") or []),
        "location": sd.get("Location"),
        "format": glue_format(table),
        "table_type": table.get("TableType"),
        "parameters": table.get("Parameters") or {},
        "serde": {"library": serde.get("SerializationLibrary"),
                  "parameters": serde.get("Parameters") or {}},
        "storage_parameters": sd.get("Parameters") or {},
        "description": table.get("Description"),
    }


def dbx(workspace: Any, method: str, path: str, query: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None) -> Any:
    return workspace.api_client.do(method, path, query=dict(query) if query else None,
                                   body=dict(body) if body is not None else None)


def live_cluster(workspace: Any, cluster_id: str) -> dict[str, Any]:
    out: dict[str, Any] = dbx(workspace, "GET", "/api/2.1/clusters/get",
                              query={"cluster_id": cluster_id})
    return out


def live_job(workspace: Any, job_id: str) -> dict[str, Any]:
    job = dbx(workspace, "GET", "/api/2.2/jobs/get", query={"job_id": job_id})
    settings: dict[str, Any] = job["settings"]
    return settings


def live_catalog(workspace: Any, name: str) -> dict[str, Any]:
    info = dbx(workspace, "GET", f"{UC}/catalogs/{name}")
    return {"comment": info.get("comment"), "properties": info.get("properties") or {},
            "storage_root": info.get("storage_root"), "owner": info.get("owner")}


def live_schema(workspace: Any, full: str) -> dict[str, Any]:
    info = dbx(workspace, "GET", f"{UC}/schemas/{full}")
    return {"catalog": info.get("catalog_name"), "comment": info.get("comment"),
            "properties": info.get("properties") or {}, "storage_root": info.get("storage_root"),
            "owner": info.get("owner")}


def live_uc_table(workspace: Any, full: str) -> dict[str, Any]:
    info = dbx(workspace, "GET", f"{UC}/tables/{full}")
    columns = [{k: v for k, v in {"name": c.get("name"), "type": c.get("type_text"),
                                  "comment": c.get("comment"),
                                  "nullable": c.get("nullable", True)}.items() if v is not None}
               for c in sorted(info.get("columns") or [], key=lambda c: c.get("position", 0))]
    return {"schema": f"{info.get('catalog_name')}.{info.get('schema_name')}",
            "columns": columns, "storage_location": info.get("storage_location"),
            "data_source_format": info.get("data_source_format"),
            "comment": info.get("comment"), "properties": info.get("properties") or {},
            "owner": info.get("owner")}


def live_props(rtype: str, id: str, key: str, state: Mapping[str, Any], s3: Any, glue: Any,
               workspace: Any, iam: Any) -> dict[str, Any]:
    if rtype == "aws.s3_bucket":
        return live_bucket(s3, id)
    if rtype == "aws.glue_database":
        return live_database(glue, id, glue_arn(state, key))
    if rtype == "aws.glue_table":
        return live_glue_table(glue, id)
    if rtype == "dbx.cluster":
        return live_cluster(workspace, id)
    if rtype == "dbx.job":
        return live_job(workspace, id)
    if rtype == "dbx.catalog":
        return live_catalog(workspace, id)
    if rtype == "dbx.schema":
        return live_schema(workspace, id)
    if rtype == "dbx.table":
        return live_uc_table(workspace, id)
    if rtype == "aws.iam_role":
        return live_role(iam, id)
    if rtype in UC_STORAGE:
        return live_uc_storage(workspace, rtype, id)
    raise AssertionError(f"no reader for {rtype}")


# IAM: the Unity Catalog master role (Databricks docs "Create a storage credential for
# connecting to AWS S3") and the inline policy dpn writes from s3_access
# (docs/providers-aws.md).
UC_MASTER = "arn:aws:iam::414351767826:role/unity-catalog-prod-UCMasterRole-14S5ZJVKOTYTL"
S3_POLICY = "dpn-s3-access"
WRITE_ACTIONS = {"s3:PutObject", "s3:DeleteObject"}
UC_STORAGE = {"dbx.storage_credential": "storage-credentials",
              "dbx.external_location": "external-locations", "dbx.volume": "volumes",
              "dbx.grants": "permissions"}
# A grant made outside dpn to a principal no dbx.grants lists: never reported, never revoked.
OUTSIDER = "outsider@acme.example"
OUTSIDER_PRIVILEGE = {"schema": "USE_SCHEMA", "catalog": "USE_CATALOG",
                      "external_location": "READ_FILES"}


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def policy_form(doc: Any) -> Any:
    """An IAM policy document as IAM treats it, by hand: every value a sorted list, the
    statements in a stable order (one value or a list, statement order: no difference)."""
    if isinstance(doc, str):
        doc = json.loads(unquote(doc))
    if not isinstance(doc, dict):
        return doc
    statements = []
    for st in _as_list(doc.get("Statement") or []):
        form: dict[str, Any] = {}
        for k, v in st.items():
            if k in ("Action", "NotAction", "Resource", "NotResource"):
                form[k] = sorted(set(_as_list(v)))
            elif k in ("Principal", "NotPrincipal") and isinstance(v, dict):
                form[k] = {t: sorted(set(_as_list(p))) for t, p in v.items()}
            elif k == "Condition":
                form[k] = {op: {c: sorted(set(_as_list(x))) for c, x in kv.items()}
                           for op, kv in v.items()}
            elif k != "Sid" or v:
                form[k] = v
        statements.append(form)
    return {"Version": doc.get("Version", "2012-10-17"),
            "Statement": sorted(statements, key=lambda x: json.dumps(x, sort_keys=True))}


def _is_uc_trust(doc: Mapping[str, Any], arn: str) -> bool:
    """The Unity Catalog trust: the master role and the role itself may assume it, with an
    external id."""
    for st in _as_list(doc.get("Statement") or []):
        principals = set(_as_list((st.get("Principal") or {}).get("AWS") or []))
        external = (st.get("Condition") or {}).get("StringEquals", {}).get("sts:ExternalId")
        if st.get("Effect") == "Allow" and principals == {UC_MASTER, arn} and external:
            return True
    return False


def s3_access_of(doc: Mapping[str, Any]) -> dict[str, list[str]]:
    """The buckets of an S3 policy: read-write where it may put or delete, else read-only."""
    access: dict[str, set[str]] = {}
    for st in _as_list(doc.get("Statement") or []):
        actions = set(_as_list(st.get("Action") or []))
        if not any(str(a).startswith("s3:") for a in actions):
            continue
        field = "read_write" if actions & WRITE_ACTIONS else "read_only"
        access.setdefault(field, set()).update(
            r.split(":::", 1)[1].split("/", 1)[0] for r in _as_list(st.get("Resource") or [])
            if str(r).startswith("arn:aws:s3:::"))
    return {k: sorted(v) for k, v in access.items()}


def live_role(iam: Any, name: str) -> dict[str, Any]:
    role = iam.get_role(RoleName=name)["Role"]
    trust = policy_form(role["AssumeRolePolicyDocument"])
    inline = {p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
              for p in iam.list_role_policies(RoleName=name)["PolicyNames"]}
    s3_doc = inline.pop(S3_POLICY, None)
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    return {"trust": "unity_catalog" if _is_uc_trust(trust, role["Arn"]) else trust,
            "s3_access": s3_access_of(policy_form(s3_doc)) if s3_doc else None,
            "policies": {k: policy_form(v) for k, v in inline.items()},
            "managed_policy_arns": sorted(p["PolicyArn"] for p in attached),
            "tags": {t["Key"]: t["Value"] for t in role.get("Tags") or []}}


def _grants_path(id: str) -> str:
    kind, _, full = id.partition("/")
    return f"{UC}/permissions/{kind}/{full}"


def live_uc_storage(workspace: Any, rtype: str, id: str) -> dict[str, Any]:
    """A storage credential, external location, volume or grants in blueprint vocabulary."""
    if rtype == "dbx.grants":
        info = dbx(workspace, "GET", _grants_path(id))
        return {"securable": id.replace("/", ":", 1), "privileges": {
            a["principal"]: sorted(a["privileges"])
            for a in info.get("privilege_assignments") or [] if a.get("privileges")}}
    info = dbx(workspace, "GET", f"{UC}/{UC_STORAGE[rtype]}/{id}")
    common = {"comment": info.get("comment"), "owner": info.get("owner")}
    if rtype == "dbx.storage_credential":
        return {"aws_iam_role": (info.get("aws_iam_role") or {}).get("role_arn"),
                "read_only": bool(info.get("read_only")), **common}
    if rtype == "dbx.external_location":
        return {"url": info.get("url"), "credential": info.get("credential_name"),
                "read_only": bool(info.get("read_only")), **common}
    return {"schema": f"{info.get('catalog_name')}.{info.get('schema_name')}",
            "storage_location": info.get("storage_location"), **common}


# -- comparing what was asked with what is live ---------------------------------------------

# The service's other spellings of an access mode (databricks-sdk DataSecurityMode).
MODE_ALIASES = {"DATA_SECURITY_MODE_DEDICATED": "SINGLE_USER",
                "DATA_SECURITY_MODE_STANDARD": "USER_ISOLATION"}
ORDERED_LISTS = {"columns", "partition_keys", "init_scripts", "libraries"}
IDENTITY_KEYS = ("task_key", "job_cluster_key", "environment_key", "id", "name")


def _norm(field: str, value: Any, rtype: str) -> Any:
    if not isinstance(value, str):
        return value
    if field == "type":  # SQL types: no case, no spaces
        return re.sub(r"\s+", "", value).upper()
    if field == "data_security_mode":
        return MODE_ALIASES.get(value, value)
    if rtype.startswith("dbx.") and field in ("storage_root", "storage_location", "url"):
        return value.rstrip("/")  # Unity Catalog strips trailing slashes
    return value


def differences(want: Any, live: Any, where: str, rtype: str, field: str = "") -> list[str]:
    """Where ``live`` does not hold ``want``: dicts are compared as subsets (the platform
    adds its own keys), lists item by item (matched on their identity key, else in order)."""
    if isinstance(want, dict):
        if not isinstance(live, dict):
            return [f"{where}: expected {json.dumps(want)}, live {json.dumps(live)}"]
        out: list[str] = []
        for k, v in want.items():
            out += differences(v, live.get(k), f"{where}.{k}", rtype, k)
        return out
    if isinstance(want, list):
        if not isinstance(live, list) or len(live) != len(want):
            return [f"{where}: expected {json.dumps(want)}, live {json.dumps(live)}"]
        ident = next((k for k in IDENTITY_KEYS
                      if want and all(isinstance(i, dict) and k in i for i in want)), None)
        if ident and field not in ORDERED_LISTS:
            by_key = {i.get(ident): i for i in live if isinstance(i, dict)}
            out = []
            for item in want:
                match = by_key.get(item[ident])
                if match is None:
                    out.append(f"{where}: no item {ident}={item[ident]!r} live "
                               f"(live: {sorted(str(k) for k in by_key)})")
                else:
                    out += differences(item, match, f"{where}[{item[ident]}]", rtype, field)
            return out
        out = []
        for index, (w, got) in enumerate(zip(want, live, strict=True)):
            out += differences(w, got, f"{where}[{index}]", rtype, field)
        return out
    if _norm(field, want, rtype) != _norm(field, live, rtype):
        return [f"{where}: expected {json.dumps(want)}, live {json.dumps(live)}"]
    return []


def removed_keys(want: Any, before: Any, live: Any, where: str) -> list[str]:
    """Keys of a string map that the new value dropped must be gone from the platform."""
    if not (isinstance(want, dict) and isinstance(before, dict) and isinstance(live, dict)):
        return []
    if not all(isinstance(v, str) for v in [*want.values(), *before.values()]):
        return []
    return [f"{where}: key {k!r} removed from the blueprint is still live ({live[k]!r})"
            for k in sorted(set(before) - set(want)) if k in live]


def holds(doc: Mapping[str, Any], before: Mapping[str, Any], state: Mapping[str, Any], s3: Any,
          glue: Any, workspace: Any, iam: Any) -> list[str]:
    """Every resource of ``doc``, read raw, holds every property ``doc`` asks of it; keys a
    map lost since ``before`` are gone."""
    problems: list[str] = []
    for key, resource in sorted(doc["resources"].items()):
        record = state["resources"].get(key)
        if record is None:
            problems.append(f"{key}: not in the state")
            continue
        rtype = resource["type"]
        try:
            live = live_props(rtype, record["id"], key, state, s3, glue, workspace, iam)
        except Exception as exc:  # a missing object is one problem among the others
            problems.append(f"{key}: cannot read {rtype} {record['id']}: {exc}")
            continue
        asked = wanted(doc, key, state)
        old = wanted(before, key, state) if key in before["resources"] else {}
        for field, value in asked.items():
            problems += differences(value, live.get(field), f"{key}.{field}", rtype, field)
            problems += removed_keys(value, old.get(field), live.get(field), f"{key}.{field}")
    return problems


# -- changes outside dpn ---------------------------------------------------------------------


def merged_map(live: Mapping[str, str] | None, before: Mapping[str, Any] | None,
               want: Mapping[str, Any] | None) -> dict[str, str]:
    """A string map as someone editing it by hand leaves it: the keys dpn set from the
    blueprint (``before``) replaced by ``want``; everything else (dpn's ownership tags,
    metadata tags, the platform's keys) kept."""
    kept = {k: v for k, v in (live or {}).items() if k not in (before or {})}
    return {**kept, **{k: str(v) for k, v in (want or {}).items()}}


def push_bucket(s3: Any, name: str, want: Mapping[str, Any], before: Mapping[str, Any],
                fields: set[str]) -> None:
    if "tags" in fields:
        live = live_bucket(s3, name)["tags"]
        tags = merged_map(live, before.get("tags"), want.get("tags"))
        s3.put_bucket_tagging(Bucket=name, Tagging={
            "TagSet": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]})
    if "versioning" in fields:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={
            "Status": "Enabled" if want["versioning"] else "Suspended"})
    if fields & {"encryption", "kms_key_id"}:
        default = {"SSEAlgorithm": want.get("encryption", "AES256")}
        if default["SSEAlgorithm"] == "aws:kms" and want.get("kms_key_id"):
            default["KMSMasterKeyID"] = want["kms_key_id"]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": default}]})
    if "block_public_access" in fields:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
            f: bool(want["block_public_access"]) for f in PAB_FLAGS})
    if "object_ownership" in fields:
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={
            "Rules": [{"ObjectOwnership": want["object_ownership"]}]})
    if "lifecycle_rules" in fields:
        if want.get("lifecycle_rules"):
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={
                "Rules": [lifecycle_in(r) for r in want["lifecycle_rules"]]})
        else:
            s3.delete_bucket_lifecycle(Bucket=name)


def push_database(glue: Any, name: str, arn: str, want: Mapping[str, Any],
                  before: Mapping[str, Any], fields: set[str]) -> None:
    db = glue.get_database(Name=name)["Database"]
    if fields & {"description", "location_uri", "parameters"}:
        body = {"Name": name, "Description": db.get("Description", ""),
                "LocationUri": db.get("LocationUri", ""), "Parameters": db.get("Parameters") or {}}
        if "description" in fields:
            body["Description"] = want.get("description", "")
        if "location_uri" in fields:
            body["LocationUri"] = want.get("location_uri", "")
        if "parameters" in fields:
            body["Parameters"] = merged_map(db.get("Parameters"), before.get("parameters"),
                                            want.get("parameters"))
        glue.update_database(Name=name, DatabaseInput={k: v for k, v in body.items() if v})
    if "tags" in fields:
        live = glue.get_tags(ResourceArn=arn).get("Tags") or {}
        tags = merged_map(live, before.get("tags"), want.get("tags"))
        gone = [k for k in live if k not in tags]
        if gone:
            glue.untag_resource(ResourceArn=arn, TagsToRemove=gone)
        glue.tag_resource(ResourceArn=arn, TagsToAdd=tags)


def push_glue_table(glue: Any, full: str, want: Mapping[str, Any], before: Mapping[str, Any],
                    fields: set[str]) -> None:
    database, name = full.split(".", 1)
    table = glue.get_table(DatabaseName=database, Name=name)["Table"]
    sd = copy.deepcopy(table.get("StorageDescriptor") or {})
    body: dict[str, Any] = {"Name": name, "TableType": table.get("TableType"),
                            "Parameters": dict(table.get("Parameters") or {}),
                            "PartitionKeys": table.get("PartitionKeys") or []}
    if table.get("Description"):
        body["Description"] = table["Description"]
    if "columns" in fields:
        sd["Columns"] = glue_columns_in(want.get("columns") or [])
    if "partition_keys" in fields:
        body["PartitionKeys"] = glue_columns_in(want.get("partition_keys") or [])
    if "location" in fields:
        sd["Location"] = want["location"]
    if "format" in fields:
        input_format, output_format, library = GLUE_FORMATS[want["format"]]
        sd["InputFormat"], sd["OutputFormat"] = input_format, output_format
        sd["SerdeInfo"] = {"SerializationLibrary": library,
                           "Parameters": {"serialization.format": "1"}}
        body["Parameters"]["classification"] = want["format"]
    if "serde" in fields:
        sd["SerdeInfo"] = {"SerializationLibrary": want["serde"]["library"],
                           "Parameters": dict(want["serde"].get("parameters") or {})}
    if "storage_parameters" in fields:
        sd["Parameters"] = merged_map(sd.get("Parameters"), before.get("storage_parameters"),
                                      want.get("storage_parameters"))
    if "table_type" in fields:
        body["TableType"] = want["table_type"]
    if "parameters" in fields:
        body["Parameters"] = merged_map(body["Parameters"], before.get("parameters"),
                                        want.get("parameters"))
    if "description" in fields:
        body["Description"] = want["description"]
    keep = ("Columns", "Location", "InputFormat", "OutputFormat", "Compressed", "NumberOfBuckets",
            "SerdeInfo", "BucketColumns", "SortColumns", "Parameters", "StoredAsSubDirectories")
    body["StorageDescriptor"] = {k: v for k, v in sd.items() if k in keep}
    glue.update_table(DatabaseName=database, TableInput=body)


def push_cluster(workspace: Any, cluster_id: str, want: Mapping[str, Any],
                 before: Mapping[str, Any], fields: set[str]) -> None:
    live = live_cluster(workspace, cluster_id)
    body = {k: copy.deepcopy(live[k]) for k in CLUSTER_SETTINGS if k in live}
    for field in fields:
        if field in ("custom_tags", "spark_conf", "spark_env_vars"):
            body[field] = merged_map(live.get(field), before.get(field), want.get(field))
        else:
            body[field] = copy.deepcopy(want[field])
    if "autoscale" in fields:
        body.pop("num_workers", None)
    if "num_workers" in fields:
        body.pop("autoscale", None)
    if body.get("data_security_mode") != "SINGLE_USER" and "single_user_name" not in fields:
        body.pop("single_user_name", None)  # as the UI does when the access mode changes
    dbx(workspace, "POST", "/api/2.1/clusters/edit", body={"cluster_id": cluster_id, **body})


def push_job(workspace: Any, job_id: str, want: Mapping[str, Any], before: Mapping[str, Any],
             fields: set[str]) -> None:
    settings = live_job(workspace, job_id)
    for field in fields:
        if field == "tags":
            settings["tags"] = merged_map(settings.get("tags"), before.get("tags"),
                                          want.get("tags"))
        else:
            settings[field] = copy.deepcopy(want[field])
    dbx(workspace, "POST", "/api/2.2/jobs/reset",
        body={"job_id": int(job_id), "new_settings": settings})


def _uc_type(text: str) -> dict[str, Any]:
    """A column type as the Unity Catalog API takes it (type_text/type_name)."""
    head, _, rest = text.strip().partition("(")
    names = {"BIGINT": "LONG", "INTEGER": "INT", "SMALLINT": "SHORT", "TINYINT": "BYTE"}
    out: dict[str, Any] = {"type_text": text.lower(),
                           "type_name": names.get(head.upper(), head.upper())}
    if head.upper() == "DECIMAL" and rest:
        precision, _, scale = rest.rstrip(")").partition(",")
        out.update(type_precision=int(precision), type_scale=int(scale or 0))
    return out


def uc_columns(columns: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": c["name"], **_uc_type(c["type"]), "position": i,
             "nullable": c.get("nullable", True), **({"comment": c["comment"]}
                                                     if c.get("comment") else {})}
            for i, c in enumerate(columns)]


def push_unity_catalog(workspace: Any, state: Mapping[str, Any], want: dict[str, dict[str, Any]],
                       before: dict[str, dict[str, Any]], touched: dict[str, set[str]]) -> None:
    """Catalog and schema comments and properties by PATCH; everything Unity Catalog cannot
    change in place (storage roots, tables) by dropping and re-creating the object, and
    what it holds, with the ownership properties it had."""
    records = {k: r for k, r in state["resources"].items()
               if r["type"] in ("dbx.catalog", "dbx.schema", "dbx.table")}
    recreate: set[str] = set()
    for key, record in records.items():
        fields = touched.get(key, set())
        if record["type"] == "dbx.table" and fields:
            recreate.add(key)
        if record["type"] != "dbx.table" and "storage_root" in fields:
            recreate.add(key)
    for key in list(recreate):  # what a re-created catalog or schema holds goes with it
        prefix = records[key]["id"] + "."
        recreate |= {k for k, r in records.items() if r["id"].startswith(prefix)}
    order = {"dbx.catalog": 0, "dbx.schema": 1, "dbx.table": 2}
    ordered = sorted(recreate, key=lambda k: order[records[k]["type"]])
    path = {"dbx.catalog": "catalogs", "dbx.schema": "schemas", "dbx.table": "tables"}
    snapshot = {k: dbx(workspace, "GET", f"{UC}/{path[records[k]['type']]}/{records[k]['id']}")
                for k in ordered}
    for key in reversed(ordered):
        kind = records[key]["type"]
        query = {"force": "true"} if kind != "dbx.table" else None
        dbx(workspace, "DELETE", f"{UC}/{path[kind]}/{records[key]['id']}", query=query)
    for key in ordered:
        kind, info, fields = records[key]["type"], snapshot[key], touched.get(key, set())
        asked = want.get(key, {})
        properties = {k: v for k, v in (info.get("properties") or {}).items()
                      if not k.startswith("delta.")}
        if "properties" in fields:
            properties = merged_map(properties, before[key].get("properties"),
                                    asked.get("properties"))
        body: dict[str, Any] = {"name": info["name"], "properties": properties}
        comment = asked.get("comment") if "comment" in fields else info.get("comment")
        if comment:
            body["comment"] = comment
        if kind == "dbx.table":
            body.update(catalog_name=info["catalog_name"], schema_name=info["schema_name"],
                        table_type="EXTERNAL")
            body["data_source_format"] = asked.get("data_source_format", "DELTA") \
                if "data_source_format" in fields else info["data_source_format"]
            body["storage_location"] = asked["storage_location"] \
                if "storage_location" in fields else info["storage_location"]
            body["columns"] = uc_columns(asked["columns"]) if "columns" in fields else [
                {k: v for k, v in c.items() if k != "type_json"} for c in info["columns"]]
        else:
            root = asked.get("storage_root") if "storage_root" in fields \
                else info.get("storage_root")
            if root:
                body["storage_root"] = root
            if kind == "dbx.schema":
                body["catalog_name"] = info["catalog_name"]
        dbx(workspace, "POST", f"{UC}/{path[kind]}", body=body)
        owner = asked.get("owner") if "owner" in fields else info.get("owner")
        if owner:  # no create call takes an owner: it is a PATCH after
            dbx(workspace, "PATCH", f"{UC}/{path[kind]}/{records[key]['id']}",
                body={"owner": owner})
    for key, record in records.items():
        fields = touched.get(key, set()) & {"comment", "properties", "owner"}
        if key in recreate or not fields or record["type"] == "dbx.table":
            continue
        info = dbx(workspace, "GET", f"{UC}/{path[record['type']]}/{record['id']}")
        body = {}
        if "comment" in fields:
            body["comment"] = want[key].get("comment", "")
        if "owner" in fields:
            body["owner"] = want[key]["owner"]
        if "properties" in fields:
            body["properties"] = merged_map(info.get("properties"),
                                            before[key].get("properties"),
                                            want[key].get("properties"))
        dbx(workspace, "PATCH", f"{UC}/{path[record['type']]}/{record['id']}", body=body)


def edited_s3_policy(doc: Any, access: Mapping[str, Any]) -> dict[str, Any]:
    """The live S3 policy as someone editing its bucket lists by hand leaves it: each S3
    statement's resources set to the buckets ``access`` gives its kind, a statement left
    with none dropped, every other statement untouched."""
    doc = policy_form(doc)
    out = []
    for st in doc["Statement"]:
        actions = set(st.get("Action") or [])
        if not any(a.startswith("s3:") for a in actions):
            out.append(st)
            continue
        buckets = access.get("read_write" if actions & WRITE_ACTIONS else "read_only") or []
        if buckets:
            out.append({**st, "Resource": [r for b in buckets
                                           for r in (f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/*")]})
    return {**doc, "Statement": out}


def push_role(iam: Any, name: str, want: Mapping[str, Any], before: Mapping[str, Any],
              fields: set[str]) -> None:
    if "trust" in fields:
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(want["trust"]))
    if "s3_access" in fields:
        doc = iam.get_role_policy(RoleName=name, PolicyName=S3_POLICY)["PolicyDocument"]
        iam.put_role_policy(RoleName=name, PolicyName=S3_POLICY, PolicyDocument=json.dumps(
            edited_s3_policy(doc, want["s3_access"])))
    if "policies" in fields:
        for policy in set(before.get("policies") or {}) - set(want.get("policies") or {}):
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        for policy, doc in (want.get("policies") or {}).items():
            iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=json.dumps(doc))
    if "managed_policy_arns" in fields:
        live = {p["PolicyArn"] for p in
                iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]}
        for arn in sorted(live - set(want.get("managed_policy_arns") or [])):
            iam.detach_role_policy(RoleName=name, PolicyArn=arn)
        for arn in sorted(set(want.get("managed_policy_arns") or []) - live):
            iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    if "tags" in fields:
        live_tags = {t["Key"]: t["Value"] for t in iam.get_role(RoleName=name)["Role"]["Tags"]}
        tags = merged_map(live_tags, before.get("tags"), want.get("tags"))
        gone = [k for k in live_tags if k not in tags]
        if gone:
            iam.untag_role(RoleName=name, TagKeys=gone)
        iam.tag_role(RoleName=name, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])


def push_uc_storage(workspace: Any, rtype: str, id: str, want: Mapping[str, Any],
                    fields: set[str]) -> None:
    """A PATCH of the fields, as Catalog Explorer makes it (an external location without
    revalidation); grants by GRANT/REVOKE of the listed principals' privileges, plus one
    grant to a principal no blueprint lists, which dpn must leave alone."""
    if rtype == "dbx.grants":
        held = live_uc_storage(workspace, rtype, id)["privileges"]
        changes = [{"principal": p, "add": sorted(set(privs) - set(held.get(p, []))),
                    "remove": sorted(set(held.get(p, [])) - set(privs))}
                   for p, privs in want["privileges"].items()]
        changes.append({"principal": OUTSIDER,
                        "add": [OUTSIDER_PRIVILEGE[id.partition("/")[0]]]})
        dbx(workspace, "PATCH", _grants_path(id), body={"changes": changes})
        return
    body: dict[str, Any] = {}
    for field in sorted(fields):
        if field == "aws_iam_role":
            body["aws_iam_role"] = {"role_arn": want[field]}
        elif field == "credential":
            body["credential_name"] = want[field]
        else:
            body[field] = want[field]
    if rtype == "dbx.external_location":
        body["skip_validation"] = True
    dbx(workspace, "PATCH", f"{UC}/{UC_STORAGE[rtype]}/{id}", body=body)


def outsiders_kept(workspace: Any, state: Mapping[str, Any],
                   touched: Mapping[str, set[str]]) -> list[str]:
    """Each grant made outside dpn to a principal no dbx.grants lists is still there."""
    problems = []
    for key, record in state["resources"].items():
        if record["type"] != "dbx.grants" or "privileges" not in touched.get(key, set()):
            continue
        held = live_uc_storage(workspace, "dbx.grants", record["id"])["privileges"]
        if OUTSIDER_PRIVILEGE[record["id"].partition("/")[0]] not in held.get(OUTSIDER, []):
            problems.append(f"{key}: the grant to {OUTSIDER}, made outside dpn, was revoked")
    return problems


def push_outside(doc: Mapping[str, Any], before_doc: Mapping[str, Any],
                 touched: dict[str, set[str]], state: Mapping[str, Any], s3: Any, glue: Any,
                 workspace: Any, iam: Any) -> None:
    """Apply ``doc``'s values of the ``touched`` fields behind dpn's back."""
    want = {k: wanted(doc, k, state) for k in doc["resources"]}
    before = {k: wanted(before_doc, k, state) for k in before_doc["resources"]}
    for key, fields in sorted(touched.items()):
        rtype, id = doc["resources"][key]["type"], state["resources"][key]["id"]
        if rtype == "aws.s3_bucket":
            push_bucket(s3, id, want[key], before[key], fields)
        elif rtype == "aws.glue_database":
            push_database(glue, id, glue_arn(state, key), want[key], before[key], fields)
        elif rtype == "aws.glue_table":
            push_glue_table(glue, id, want[key], before[key], fields)
        elif rtype == "dbx.cluster":
            push_cluster(workspace, id, want[key], before[key], fields)
        elif rtype == "dbx.job":
            push_job(workspace, id, want[key], before[key], fields)
        elif rtype == "aws.iam_role":
            push_role(iam, id, want[key], before[key], fields)
        elif rtype in UC_STORAGE:
            push_uc_storage(workspace, rtype, id, want[key], fields)
    push_unity_catalog(workspace, state, want, before, touched)


# -- the CLI and the request logs ------------------------------------------------------------


def platform_args(sandbox: Any) -> list[str]:
    return ["--aws-endpoint-url", sandbox.aws_endpoint, "--aws-region", "us-east-1",
            "--dbx-host", sandbox.dbx_host]


def dpn(sandbox: Any, home: Path, *args: str) -> Any:
    if args[0] == "drift":
        return run(sandbox, home, "drift", *platform_args(sandbox), *args[1:], timeout=300)
    return run(sandbox, home, *args, timeout=300)


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 300 else text[:297] + "..."


def plan_problems(sandbox: Any, home: Path, blueprint: Path) -> list[str]:
    """What a live plan of ``blueprint`` would change, field by field (empty: all no-op)."""
    result = dpn(sandbox, home, "plan", str(blueprint), "--format", "json")
    if result.returncode != 0:
        return [f"plan exited {result.returncode}: {result.stderr[-2000:]}"]
    plan = json.loads(result.stdout)
    problems = []
    for change in plan["changes"]:
        if change["action"] == "no-op":
            continue
        before, after = change.get("before") or {}, change.get("after") or {}
        fields = sorted(f for f in {*before, *after} if before.get(f) != after.get(f))
        detail = []
        for field in fields:
            if field == "tasks" and isinstance(before.get(field), list):
                old = {t.get("task_key"): t for t in before.get(field) or []}
                for task in after.get(field) or []:
                    was = old.get(task.get("task_key"), {})
                    subs = sorted(k for k in {*was, *task} if was.get(k) != task.get(k))
                    detail += [f"tasks[{task.get('task_key')}].{k}: live {_short(was.get(k))}"
                               f" -> blueprint {_short(task.get(k))}" for k in subs]
            else:
                detail.append(f"{field}: live {_short(before.get(field))} -> blueprint "
                              f"{_short(after.get(field))}")
        problems.append(f"{change['key']} ({change['type']}): {change['action']}"
                        + "".join(f"\n      {d}" for d in detail)
                        + (f"\n      drift {change['drift']}" if change.get("drift") else ""))
    return problems


def is_mutating(front: str, entry: Mapping[str, Any]) -> bool:
    """A request that may change something. Databricks: anything but GET. AWS: Glue (JSON
    protocol, POST /) operations other than Get*/List*/Search*/BatchGet*; S3 PUT, POST,
    DELETE, PATCH."""
    method = str(entry.get("method", "")).upper()
    if front == "dbx":
        return method != "GET"
    if method == "POST" and entry.get("path") in ("/", ""):
        return not str(entry.get("operation", "")).startswith(
            ("Get", "List", "Search", "BatchGet"))
    return method in ("PUT", "POST", "DELETE", "PATCH")


def applied(result: Any, what: str) -> list[str]:
    """Nothing if the apply command succeeded, else its outcome and failed operations."""
    if result.returncode == 0:
        return []
    try:
        report = json.loads(result.stdout)
    except ValueError:
        return [f"{what} exited {result.returncode}: {result.stdout[-2000:]} "
                f"{result.stderr[-2000:]}"]
    lines = [f"{what} exited {result.returncode}, outcome {report.get('outcome')}: "
             f"{report.get('error')}"]
    lines += [f"  {op['key']} {op['action']}: {op['status']}: {op['error']}"
              for op in report.get("operations", [])
              if op.get("error") or op.get("status") not in ("done", "not_started", "undone")]
    return lines


def check(step: str, problems: list[str]) -> None:
    """Fail ``step`` with every problem it found."""
    assert not problems, f"step {step}: {len(problems)} problem(s)\n  " + "\n  ".join(problems)


def drift_report(sandbox: Any, home: Path, blueprint: Path) -> tuple[int, dict[str, Any] | None,
                                                                    str]:
    result = dpn(sandbox, home, "drift", str(blueprint), "--format", "json")
    try:
        report = json.loads(result.stdout)
    except ValueError:
        report = None
    return result.returncode, report, result.stderr[-2000:]


# -- the test --------------------------------------------------------------------------------


@pytest.mark.timeout(1200)
def test_every_property_round_trips(clean_sandbox, s3, glue, workspace, iam, tmp_path):
    sandbox, home = clean_sandbox, tmp_path / "home"
    fronts = {"aws": FaultClient(sandbox.aws_endpoint), "dbx": FaultClient(sandbox.dbx_host)}
    original = load_blueprint()

    # a. create, then a live plan is all no-op
    created = dpn(sandbox, home, "create", str(BLUEPRINT), "--yes", "--format", "json")
    check("a (create)", applied(created, "dpn create"))
    check("a (read back after create; live plan all no-op)",
          holds(original, original, read_state(home), s3, glue, workspace, iam)
          + plan_problems(sandbox, home, BLUEPRINT))

    # b. an update of the same blueprint makes no mutating call
    for front in fronts.values():
        front.clear_requests()
    again = dpn(sandbox, home, "update", str(BLUEPRINT), "--yes", "--format", "json")
    logs = {name: front.requests() for name, front in fronts.items()}
    writes = [f"{name}: {e.get('method')} {e.get('path')} ({e.get('operation')})"
              for name, log in logs.items() for e in log if is_mutating(name, e)]
    check("b (update without changes)", applied(again, "dpn update") + [
        f"mutating request {w}" for w in writes] + [
        f"{name}: empty request log (an update reads every object)"
        for name, log in logs.items() if not log])

    # c. every property to its "change" value
    changed, _ = changed_doc()
    changed_path = tmp_path / "changed.json"
    changed_path.write_text(json.dumps(changed, indent=1))
    updated = dpn(sandbox, home, "update", str(changed_path), "--yes", "--format", "json")
    check("c (update to the changed blueprint)", applied(updated, "dpn update"))
    state = read_state(home)
    check("c (read back after the change; live plan all no-op)",
          holds(changed, original, state, s3, glue, workspace, iam)
          + plan_problems(sandbox, home, changed_path))

    # d. every property changed outside dpn: detected, then repaired
    outside, touched = outside_doc()
    cases = load_cases()
    null_outside = {(c["key"], prop) for props in cases["resources"].values()
                    for prop, c in props.items() if c["outside"] is None}
    expected = {key: {f for f in fields if (key, f) not in null_outside}
                for key, fields in touched.items()}
    push_outside(outside, changed, touched, state, s3, glue, workspace, iam)
    code, report, err = drift_report(sandbox, home, changed_path)
    problems = [] if code == 6 else [f"dpn drift exited {code}, not 6: {err}"]
    found = {d["key"]: d for d in (report or {}).get("drift", [])}
    for key, fields in sorted(expected.items()):
        entry = found.get(key)
        if entry is None:
            problems.append(f"{key}: not reported; changed outside dpn: {sorted(fields)}")
            continue
        reported = set(entry.get("fields") or [])
        if entry.get("kind") != "changed":
            problems.append(f"{key}: reported as {entry.get('kind')}, not changed")
        for field in sorted(fields - reported):
            problems.append(f"{key}.{field}: changed outside dpn, not reported "
                            f"(reported: {sorted(reported)})")
        for field in sorted(reported - fields):
            problems.append(f"{key}.{field}: reported as drifted, not changed outside dpn")
    for key in sorted(set(found) - set(expected)):
        problems.append(f"{key}: reported as drifted ({found[key].get('kind')} "
                        f"{found[key].get('fields')}), not changed outside dpn")
    check("d (drift names every property changed outside dpn)", problems)

    repaired = dpn(sandbox, home, "update", str(changed_path), "--yes", "--format", "json")
    check("d (update repairs the drift)", applied(repaired, "dpn update"))
    code, report, err = drift_report(sandbox, home, changed_path)
    check("d (after the repair: read back, drift in sync, live plan all no-op)",
          holds(changed, outside, read_state(home), s3, glue, workspace, iam)
          + outsiders_kept(workspace, read_state(home), touched)
          + ([] if code == 0 else [f"dpn drift exited {code}, not 0: "
                                   f"{_short((report or {}).get('drift'))} {err}"])
          + plan_problems(sandbox, home, changed_path))

    # e. delete everything
    deleted = dpn(sandbox, home, "delete", str(changed_path), "--yes", "--force-empty",
                  "--format", "json")
    check("e (delete)", applied(deleted, "dpn delete") + [
        f"{k}: still in the state" for k in read_state(home)["resources"]])
