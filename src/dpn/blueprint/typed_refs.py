"""Fields that name a resource of a given type, checked and spelt out at compile time.

Parent fields (``database``, ``catalog``, ``schema``) are checked in ``compiler``; these are
the others, as data (``SINGLE``), so a provider receives exactly what its API takes:

- a storage credential's ``aws_iam_role``: ``${key}`` or ``${key.arn}`` of an aws.iam_role
  (spelt ``${key.arn}``), or a role ARN;
- an external location's ``credential``: ``${key}`` of a dbx.storage_credential, or a name;
- a dbx.grants ``securable``: ``${key}`` of a catalog, schema, table, volume, external
  location or storage credential, spelt ``type:${key.full_name}`` (the permissions API
  addresses a securable by type and full name), or a literal ``TYPE:full_name``;
- an IAM role's ``s3_access`` lists: ``${key}`` of aws.s3_bucket resources, or bucket names.
  The KMS key of each referenced bucket encrypted with ``aws:kms`` and a literal
  ``kms_key_id`` is added as ``s3_access.kms_keys``, so the role's policy covers the key and
  a change of the bucket's key changes the role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dpn import model, naming
from dpn.blueprint.refs import REF, parse
from dpn.blueprint.source import Path

Finding = tuple[Path, str]

# The permissions API's name of each securable type (terraform-provider-databricks
# catalog/permissions/permissions.go, Mappings).
SECURABLE_TYPES: Mapping[str, str] = {
    model.CATALOG: "catalog", model.SCHEMA: "schema", model.TABLE: "table",
    model.VOLUME: "volume", model.EXTERNAL_LOCATION: "external_location",
    model.STORAGE_CREDENTIAL: "storage_credential",
}


@dataclass(frozen=True)
class TypedRef:
    """A field holding one reference to a resource of ``targets``, spelt out as
    ``prefix`` + ``${key.attr}`` (``prefix`` may name the target's type: ``{type}``)."""

    targets: tuple[str, ...]
    attr: str
    attrs: tuple[str, ...]  # attributes a blueprint may name explicitly
    prefix: str = ""


SINGLE: Mapping[tuple[str, str], TypedRef] = {
    (model.STORAGE_CREDENTIAL, "aws_iam_role"): TypedRef((model.IAM_ROLE,), "arn", ("arn",)),
    (model.EXTERNAL_LOCATION, "credential"): TypedRef(
        (model.STORAGE_CREDENTIAL,), "name", ("name",)),
    (model.GRANTS, "securable"): TypedRef(
        tuple(SECURABLE_TYPES), "full_name", ("name", "full_name"), prefix="{type}:"),
}
S3_ACCESS_LISTS = ("read_write", "read_only")


def _whole_ref(value: str) -> tuple[str, str] | None:
    """``(key, attr)`` when ``value`` is exactly one reference, else None."""
    refs = REF.findall(value)
    if len(refs) != 1 or value != f"${{{refs[0]}}}":
        return None
    return parse(refs[0])


def check(key: str, rtype: str, res: Mapping[str, Any], kinds: Mapping[str, str],
          findings: list[Finding]) -> None:
    """Findings for the typed fields of one resource (unknown keys are reported by the
    general reference check)."""
    for (owner, field), rule in SINGLE.items():
        if owner == rtype and isinstance(res.get(field), str):
            _check_single(("resources", key, field), res[field], rule, kinds, findings)
    if rtype == model.IAM_ROLE:
        for field in S3_ACCESS_LISTS:
            for index, item in enumerate((res.get("s3_access") or {}).get(field) or []):
                _check_bucket(("resources", key, "s3_access", field, index), item, kinds,
                              findings)


def _check_single(path: Path, value: str, rule: TypedRef, kinds: Mapping[str, str],
                  findings: list[Finding]) -> None:
    if "${" not in value:
        return  # a literal: the schema's pattern checked its form
    parsed = _whole_ref(value)
    wanted = " or ".join(rule.targets)
    if len(rule.targets) > 1:
        wanted = f"one of {wanted}"
    if parsed is None or parsed[1] not in (*rule.attrs, "name"):
        findings.append((path, f"'{path[-1]}' must be one reference ${{key}} to a resource "
                               f"of type {wanted}, or a literal, not {value!r}"))
        return
    target = parsed[0]
    if target in kinds and kinds[target] not in rule.targets:
        findings.append((path, f"'{path[-1]}' must refer to a resource of type {wanted}; "
                               f"'{target}' is of type {kinds[target]}"))


def _check_bucket(path: Path, value: Any, kinds: Mapping[str, str],
                  findings: list[Finding]) -> None:
    if not isinstance(value, str):
        return
    if "${" not in value:
        for problem in naming.check(model.S3_BUCKET, value):
            findings.append((path, f"bucket name {value!r} {problem}"))
        return
    parsed = _whole_ref(value)
    if parsed is None or parsed[1] != "name":
        findings.append((path, f"a bucket is ${{key}} of an aws.s3_bucket or a bucket name, "
                               f"not {value!r}"))
    elif parsed[0] in kinds and kinds[parsed[0]] != model.S3_BUCKET:
        findings.append((path, f"'{parsed[0]}' is of type {kinds[parsed[0]]}, not "
                               f"{model.S3_BUCKET}"))


def spelt_out(rtype: str, res: Mapping[str, Any], kinds: Mapping[str, str],
              resources: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``res`` with its typed references spelt out as its provider takes them (call after
    ``check`` found nothing)."""
    out = dict(res)
    for (owner, field), rule in SINGLE.items():
        if owner == rtype and isinstance(out.get(field), str):
            parsed = _whole_ref(out[field])
            if parsed is not None:
                prefix = rule.prefix.format(type=SECURABLE_TYPES.get(kinds[parsed[0]], ""))
                out[field] = f"{prefix}${{{parsed[0]}.{rule.attr}}}"
    if rtype == model.IAM_ROLE and out.get("s3_access"):
        keys = kms_keys(out["s3_access"], resources)
        if keys:
            out["s3_access"] = {**out["s3_access"], "kms_keys": keys}
    return out


def kms_keys(access: Mapping[str, Any], resources: Mapping[str, Mapping[str, Any]]
             ) -> list[str]:
    """The literal ``kms_key_id`` of every referenced ``aws:kms`` bucket, sorted."""
    keys: set[str] = set()
    for field in S3_ACCESS_LISTS:
        for item in access.get(field) or []:
            parsed = _whole_ref(item) if isinstance(item, str) else None
            bucket = resources.get(parsed[0], {}) if parsed else {}
            key_id = bucket.get("kms_key_id")
            if bucket.get("encryption") == "aws:kms" and isinstance(key_id, str) \
                    and "${" not in key_id:
                keys.add(key_id)
    return sorted(keys)
