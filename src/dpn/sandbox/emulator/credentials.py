"""Unity Catalog storage credentials (AWS IAM role), API 2.1 (databricks-sdk
``StorageCredentialsAPI``).

Names are case-insensitive and stored lower case, with ``full_name`` equal to the name, as
the service answers for these metastore-level securables (databrickslabs/ucx issue #2270
shows an external location created as "UCX_location_1" answered with ``name`` and
``full_name`` "ucx_location_1"). A missing credential is 404
``STORAGE_CREDENTIAL_DOES_NOT_EXIST``, a duplicate 400
``STORAGE_CREDENTIAL_ALREADY_EXISTS`` (error codes of databricks-sdk's ``ErrorCode``
enum). Only ``aws_iam_role`` credentials exist, as on an AWS workspace.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from dpn.sandbox.emulator import iam, uc
from dpn.sandbox.emulator.errors import invalid, invalid_state
from dpn.sandbox.emulator.request import Request, check_type, optional, require, set_fields
from dpn.sandbox.emulator.routing import Routes
from dpn.sandbox.emulator.workspace import Workspace

_ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_OTHER_CLOUDS = ("azure_managed_identity", "azure_service_principal",
                 "databricks_gcp_service_account", "cloudflare_api_token")
routes = Routes(r"/api/2\.1/unity-catalog/storage-credentials")


def credential(emu: Workspace, name: str) -> dict[str, Any]:
    return uc.STORAGE_CREDENTIAL.get(emu, name)


def _role_arn(request: Request) -> str:
    """``aws_iam_role.role_arn``: the one credential kind an AWS workspace's sandbox has."""
    role = check_type("aws_iam_role", request.body.get("aws_iam_role"), dict)
    arn = role.get("role_arn")
    if not isinstance(arn, str) or not arn:
        raise invalid("Missing required field: aws_iam_role.role_arn")
    if not _ROLE_ARN_RE.match(arn):
        raise invalid(f"Invalid role ARN '{arn}': expected arn:aws:iam::<account>:role/<name>.")
    return arn


@routes.post()
def create_credential(emu: Workspace, request: Request) -> dict[str, Any]:
    """A new credential gets a fresh ``external_id`` (stable for its life) and the UC
    master role as ``unity_catalog_iam_arn``: databricks-sdk ``AwsIamRoleResponse``
    (external_id "used in role assumption", unity_catalog_iam_arn "the identity that is
    going to assume the AWS IAM role"); Databricks docs "Create a storage credential for
    connecting to AWS S3" (copy the external ID from the created credential into the
    trust policy). No AWS call is made: the role cannot trust an id that does not exist
    yet, so the service validates only when a location uses the credential."""
    name = uc.securable_name(require(request, "name"))
    if any(request.body.get(kind) for kind in _OTHER_CLOUDS):
        raise invalid("Only aws_iam_role storage credentials exist on an AWS workspace.")
    if request.body.get("aws_iam_role") is None:
        raise invalid("Missing required field: aws_iam_role")
    arn = _role_arn(request)
    with emu.changing():
        uc.STORAGE_CREDENTIAL.refuse_taken(emu, name)
        cred = uc.stamp(emu, {
            "name": name, "full_name": name, "id": str(uuid.uuid4()),
            "aws_iam_role": {"role_arn": arn, "external_id": str(uuid.uuid4()),
                             "unity_catalog_iam_arn": iam.UC_MASTER_ROLE_ARN},
            "comment": optional(request, "comment", str),
            "read_only": optional(request, "read_only", bool, False),
            "isolation_mode": "ISOLATION_MODE_OPEN", "used_for_managed_storage": False,
            "securable_type": "STORAGE_CREDENTIAL"}, created=True)
        emu.store["storage_credentials"][name] = cred
        return uc.public(cred)


@routes.get(r"/(?P<name>[^/]+)")
def get_credential(emu: Workspace, request: Request, name: str) -> dict[str, Any]:
    return uc.read(emu, credential, name)


@routes.get()
def list_credentials(emu: Workspace, request: Request) -> dict[str, Any]:
    return uc.STORAGE_CREDENTIAL.list_all(emu, request)


@routes.patch(r"/(?P<name>[^/]+)")
def update_credential(emu: Workspace, request: Request, name: str) -> dict[str, Any]:
    """``comment``, ``owner``, ``read_only``, ``aws_iam_role`` (a new role keeps the
    credential's external_id) and ``new_name`` (its locations follow the rename). A new
    role for a credential that locations use needs ``force`` (SDK
    ``StorageCredentialsAPI.update``: "Force update even if there are dependent external
    locations or external tables"; the service's "... dependent storage location(s); use
    force option" as quoted in public Terraform troubleshooting notes)."""
    force = optional(request, "force", bool, False)
    with emu.changing():
        cred = credential(emu, name)
        arn = _role_arn(request) if request.body.get("aws_iam_role") is not None else None
        users = _users(emu, cred["name"])
        if arn and arn != cred["aws_iam_role"]["role_arn"] and users and not force:
            raise invalid_state(
                f"Storage credential '{cred['name']}' has 0 directly dependent external "
                f"table(s) and {len(users)} dependent storage location(s); use force option "
                "to update anyway.")
        set_fields(request, cred, (("comment", str), ("owner", str), ("read_only", bool)))
        if arn:
            cred["aws_iam_role"]["role_arn"] = arn
        new = uc.new_name(request, cred)
        if new:
            _rename_credential(emu, cred, new)
        uc.stamp(emu, cred, created=False)
        return uc.public(cred)


def _users(emu: Workspace, credential_name: str) -> list[dict[str, Any]]:
    """The external locations that use the credential."""
    return [loc for loc in emu.store["external_locations"].values()
            if loc["credential_name"] == credential_name]


def _rename_credential(emu: Workspace, cred: dict[str, Any], new: str) -> None:
    old = cred["name"]
    uc.STORAGE_CREDENTIAL.rename(emu, cred, new, new)
    for location in emu.store["external_locations"].values():
        if location["credential_name"] == old:
            location["credential_name"] = new


@routes.delete(r"/(?P<name>[^/]+)")
def delete_credential(emu: Workspace, request: Request, name: str) -> dict[str, Any]:
    """Refused while external locations use the credential, unless ``force``: message as
    quoted in terraform-provider-databricks issue #4000; SDK ``StorageCredentialsAPI.
    delete`` (force: "even if there are dependent external locations or external
    tables"). Forced, the locations stay and keep naming the gone credential."""
    force = optional(request, "force", bool, False)
    with emu.changing():
        cred = credential(emu, name)
        users = _users(emu, cred["name"])
        if users and not force:
            raise invalid_state(
                f"Storage credential '{cred['name']}' has 0 directly dependent external "
                f"table(s) and {len(users)} dependent storage location(s). You may use force "
                "option to delete it but the managed storage data using this storage "
                "credential cannot be purged by Unity Catalog anymore.")
        uc.STORAGE_CREDENTIAL.drop(emu, cred)
    return {}
