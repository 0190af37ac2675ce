"""External location validation against the sandbox's own AWS side: Unity Catalog, when
it creates or changes an external location (unless ``skip_validation``), assumes the
storage credential's IAM role and tries the path; the emulator reads that role from moto
instead and checks what the real assume and S3 calls would need:

1. the role named by ``role_arn`` exists (with that exact ARN);
2. its trust policy lets the UC master role assume it with ``sts:ExternalId`` equal to
   the credential's ``external_id``, and lets the role assume itself (self-assuming,
   required since 2024-09-20): Databricks docs "Create a storage credential for
   connecting to AWS S3" (step 2 trust policy, the self-assume note) and the KB article
   "AWS S3 storage credential validation failure due to external ID";
3. one of its inline or attached policies allows, on the location's bucket and path,
   the operations UC validates (databricks-sdk ``ValidationResultOperation``): READ
   ``s3:GetObject``, LIST ``s3:ListBucket``, and unless ``read_only``, WRITE
   ``s3:PutObject`` and DELETE ``s3:DeleteObject`` (the docs' S3 policy grants these);
4. IAM has propagated: a trust policy seen for the first time (or changed) counts only
   after ``iam_propagation_seconds`` of the emulator's clock (``options.py``).

A failure is 403 PERMISSION_DENIED "AWS IAM role does not have READ permissions on url
...": the message the service gives when the role cannot be used yet, as quoted in
terraform-provider-databricks issue #3069 (a location created right after its role) and
#3843; databrickslabs/ucx ``azure/locations.py`` catches validation failures as
``PermissionDenied``. The emulator adds a ``Cause:`` saying which check failed.
"""

from __future__ import annotations

import json
import os
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from dpn.sandbox.emulator import options
from dpn.sandbox.emulator.errors import ApiError
from dpn.sandbox.emulator.iamroles import AwsRoleReader, Role, RoleReader
from dpn.sandbox.emulator.workspace import Workspace

# The identity Unity Catalog assumes customer roles from, on AWS commercial regions:
# Databricks docs "Create a storage credential for connecting to AWS S3"; the same ARN
# in terraform-provider-databricks data_aws_unity_catalog_assume_role_policy.go.
UC_MASTER_ROLE_ARN = "arn:aws:iam::414351767826:role/unity-catalog-prod-UCMasterRole-14S5ZJVKOTYTL"
AWS_ENDPOINT_ENV = "DPN_SANDBOX_AWS_ENDPOINT"
_OPERATIONS = (("READ", "s3:GetObject", "object"), ("LIST", "s3:ListBucket", "bucket"),
               ("WRITE", "s3:PutObject", "object"), ("DELETE", "s3:DeleteObject", "object"))


def aws_endpoint(emu: Workspace) -> str | None:
    """Where the sandbox's AWS side listens: ``DPN_SANDBOX_AWS_ENDPOINT``, else the port
    the AWS process wrote to ``aws.ready`` in the shared data directory (launcher.py
    starts both processes on one data dir; serve.py writes the ready file)."""
    if os.environ.get(AWS_ENDPOINT_ENV):
        return os.environ[AWS_ENDPOINT_ENV]
    if emu.data_dir is None:
        return None
    try:
        port = int(json.loads((Path(emu.data_dir) / "aws.ready").read_text())["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return f"http://127.0.0.1:{port}"


def reader(emu: Workspace) -> RoleReader:
    """The emulator's injected RoleReader, else one on the sandbox's AWS side."""
    if emu.iam_reader is not None:
        return emu.iam_reader
    endpoint = aws_endpoint(emu)
    if endpoint is None:
        raise ApiError(503, "TEMPORARILY_UNAVAILABLE", "The sandbox's AWS side is not "
                       "reachable, so the storage credential cannot be validated; use "
                       "skip_validation.")
    emu.iam_reader = AwsRoleReader(endpoint)
    return emu.iam_reader


def role_name(role_arn: str) -> str:
    """The role name of ``arn:aws:iam::<account>:role/<path/>name``."""
    return role_arn.rsplit("/", 1)[-1]


def validate(emu: Workspace, credential: dict[str, Any], url: str, read_only: bool) -> None:
    """Raise 403 PERMISSION_DENIED unless the credential's role works for ``url`` now."""
    role_arn = credential["aws_iam_role"]["role_arn"]
    external_id = credential["aws_iam_role"]["external_id"]
    role = reader(emu).read(role_name(role_arn))
    if role is None or role.arn != role_arn:
        raise _denied("READ", url, f"IAM role {role_arn} does not exist.")
    propagating = _propagating(emu, role)
    problem = trust_problem(role, external_id)
    if problem:
        raise _denied("READ", url, problem)
    if propagating:
        raise _denied("READ", url, f"the trust policy of {role_arn} changed less than "
                      f"{options.get(emu, 'iam_propagation_seconds'):g} s ago and has not "
                      "propagated yet.")
    for operation, action, resource in _OPERATIONS:
        if read_only and operation in ("WRITE", "DELETE"):
            continue
        target = _s3_resource(url, resource)
        if not allows(role.policies, action, target):
            raise _denied(operation, url, f"no policy of {role_arn} allows {action} on "
                          f"{target}.")


def _denied(operation: str, url: str, cause: str) -> ApiError:
    return ApiError(403, "PERMISSION_DENIED", f"AWS IAM role does not have {operation} "
                    f"permissions on url {url}. Please contact your account admin to update "
                    f"the storage credential. Cause: {cause}")


def _propagating(emu: Workspace, role: Role) -> bool:
    """True while the role's current trust policy is younger than the propagation delay.
    The emulator cannot see when IAM changed a policy, so it times it from the first
    validation that saw this content (stored per role ARN, reset with the objects)."""
    content = json.dumps(role.trust, sort_keys=True)
    now = emu.now()
    with emu.store.lock:
        seen = emu.store["iam_seen"].get(role.arn)
        if seen is None or seen["trust"] != content:
            seen = {"trust": content, "since": now}
            emu.store["iam_seen"][role.arn] = seen
            emu.store.save()
    return now - float(seen["since"]) < float(options.get(emu, "iam_propagation_seconds"))


def trust_problem(role: Role, external_id: str) -> str | None:
    """What keeps Unity Catalog from assuming ``role``, or None."""
    context = {"sts:externalid": external_id}
    if not _may_assume(role.trust, UC_MASTER_ROLE_ARN, context):
        return (f"the trust policy of {role.arn} does not allow {UC_MASTER_ROLE_ARN} to "
                f"sts:AssumeRole with sts:ExternalId {external_id}.")
    if not _may_assume(role.trust, role.arn, context):
        return (f"the trust policy of {role.arn} does not allow the role to assume itself "
                "(self-assuming roles are required).")
    return None


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    return [s for s in (statements if isinstance(statements, list) else [statements])
            if isinstance(s, dict)]


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _may_assume(trust: dict[str, Any], principal: str, context: dict[str, str]) -> bool:
    """IAM's answer for ``principal`` calling sts:AssumeRole with ``context``: some Allow
    statement matches and no Deny does."""
    matching = [s for s in _statements(trust) if _action_matches(s, "sts:AssumeRole")
                and _principal_matches(s.get("Principal"), principal)
                and _conditions_hold(s.get("Condition"), context)]
    return any(s.get("Effect") == "Allow" for s in matching) and \
        not any(s.get("Effect") == "Deny" for s in matching)


def _action_matches(statement: dict[str, Any], action: str) -> bool:
    """``Action`` patterns are case-insensitive with ``*`` and ``?``; a ``NotAction``
    statement counts as not matching."""
    return any(fnmatchcase(action.lower(), pattern.lower())
               for pattern in _strings(statement.get("Action")))


def _principal_matches(value: Any, principal: str) -> bool:
    """An ``AWS`` principal names the ARN, ``*``, or the account (``<id>`` or
    ``arn:aws:iam::<id>:root``), which delegates to every identity in it."""
    if value == "*":
        return True
    names = _strings(value.get("AWS")) if isinstance(value, dict) else []
    account = principal.split(":")[4]
    return any(n in ("*", principal, account, f"arn:aws:iam::{account}:root") for n in names)


def _conditions_hold(condition: Any, context: dict[str, str]) -> bool:
    """StringEquals / StringLike (and their IgnoreCase forms) on the keys of ``context``;
    any other operator or key cannot be shown to hold, so the statement does not apply."""
    if not condition:
        return True
    if not isinstance(condition, dict):
        return False
    for operator, tests in condition.items():
        if not isinstance(tests, dict):
            return False
        for name, expected in tests.items():
            actual = context.get(name.lower())
            if actual is None or not _compare(operator, actual, _strings(expected)):
                return False
    return True


def _compare(operator: str, actual: str, expected: list[str]) -> bool:
    if operator in ("StringEquals", "StringEqualsIgnoreCase"):
        fold = operator.endswith("IgnoreCase")
        return any((actual.lower() == e.lower()) if fold else actual == e for e in expected)
    if operator == "StringLike":
        return any(fnmatchcase(actual, e) for e in expected)
    return False


def _s3_resource(url: str, kind: str) -> str:
    """The ARN validation touches: the bucket (LIST) or a probe object under the path."""
    rest = url.split("://", 1)[-1]
    bucket, _, path = rest.partition("/")
    if kind == "bucket":
        return f"arn:aws:s3:::{bucket}"
    prefix = f"{path}/" if path else ""
    return f"arn:aws:s3:::{bucket}/{prefix}_unity_catalog_validation"


def allows(policies: tuple[dict[str, Any], ...], action: str, resource: str) -> bool:
    """Some Allow statement of the policies covers ``action`` on ``resource`` and no
    unconditional Deny does. Conditions on Allow statements are not evaluated (the
    documented UC policy has none)."""
    statements = [s for doc in policies for s in _statements(doc)
                  if _action_matches(s, action) and any(
                      fnmatchcase(resource, r) for r in _strings(s.get("Resource")))]
    denied = any(s.get("Effect") == "Deny" and not s.get("Condition") for s in statements)
    return not denied and any(s.get("Effect") == "Allow" for s in statements)
