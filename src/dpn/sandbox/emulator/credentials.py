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

import copy
import re
import uuid
from typing import TYPE_CHECKING, Any

from dpn.sandbox.emulator import grantstore, iam
from dpn.sandbox.emulator.app import Request, check_type, optional, require
from dpn.sandbox.emulator.catalog import _drop_none, _listing, _name, _stamp
from dpn.sandbox.emulator.errors import ApiError, invalid, invalid_state, not_found

if TYPE_CHECKING:
    from dpn.sandbox.emulator.app import Emulator

_ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_OTHER_CLOUDS = ("azure_managed_identity", "azure_service_principal",
                 "databricks_gcp_service_account", "cloudflare_api_token")


def credential(emu: Emulator, name: str) -> dict[str, Any]:
    found = emu.store["storage_credentials"].get(name.lower())
    if found is None:
        raise not_found("STORAGE_CREDENTIAL_DOES_NOT_EXIST",
                        f"Storage Credential '{name.lower()}' does not exist.")
    return found


def _role_arn(request: Request) -> str:
    """``aws_iam_role.role_arn``: the one credential kind an AWS workspace's sandbox has."""
    role = check_type("aws_iam_role", request.body.get("aws_iam_role"), dict)
    arn = role.get("role_arn")
    if not isinstance(arn, str) or not arn:
        raise invalid("Missing required field: aws_iam_role.role_arn")
    if not _ROLE_ARN_RE.match(arn):
        raise invalid(f"Invalid role ARN '{arn}': expected arn:aws:iam::<account>:role/<name>.")
    return arn


def create_credential(emu: Emulator, request: Request) -> dict[str, Any]:
    """A new credential gets a fresh ``external_id`` (stable for its life) and the UC
    master role as ``unity_catalog_iam_arn``: databricks-sdk ``AwsIamRoleResponse``
    (external_id "used in role assumption", unity_catalog_iam_arn "the identity that is
    going to assume the AWS IAM role"); Databricks docs "Create a storage credential for
    connecting to AWS S3" (copy the external ID from the created credential into the
    trust policy). No AWS call is made: the role cannot trust an id that does not exist
    yet, so the service validates only when a location uses the credential."""
    name = _name(require(request, "name"))
    if any(request.body.get(kind) for kind in _OTHER_CLOUDS):
        raise invalid("Only aws_iam_role storage credentials exist on an AWS workspace.")
    if request.body.get("aws_iam_role") is None:
        raise invalid("Missing required field: aws_iam_role")
    arn = _role_arn(request)
    with emu.store.lock:
        if name in emu.store["storage_credentials"]:
            raise ApiError(400, "STORAGE_CREDENTIAL_ALREADY_EXISTS",
                           f"Storage Credential '{name}' already exists")
        cred = _stamp(emu, {
            "name": name, "full_name": name, "id": str(uuid.uuid4()),
            "aws_iam_role": {"role_arn": arn, "external_id": str(uuid.uuid4()),
                             "unity_catalog_iam_arn": iam.UC_MASTER_ROLE_ARN},
            "comment": optional(request, "comment", str),
            "read_only": optional(request, "read_only", bool, False),
            "isolation_mode": "ISOLATION_MODE_OPEN", "used_for_managed_storage": False,
            "securable_type": "STORAGE_CREDENTIAL"}, created=True)
        emu.store["storage_credentials"][name] = cred
        emu.store.save()
        return _drop_none(copy.deepcopy(cred))


def get_credential(emu: Emulator, request: Request, name: str) -> dict[str, Any]:
    with emu.store.lock:
        return _drop_none(copy.deepcopy(credential(emu, name)))


def list_credentials(emu: Emulator, request: Request) -> dict[str, Any]:
    with emu.store.lock:
        items = list(emu.store["storage_credentials"].values())
    return _listing(items, request, "storage_credentials", 1000, 1000)


def update_credential(emu: Emulator, request: Request, name: str) -> dict[str, Any]:
    """``comment``, ``owner``, ``read_only``, ``aws_iam_role`` (a new role keeps the
    credential's external_id) and ``new_name`` (its locations follow the rename). A new
    role for a credential that locations use needs ``force`` (SDK
    ``StorageCredentialsAPI.update``: "Force update even if there are dependent external
    locations or external tables"; the service's "... dependent storage location(s); use
    force option" as quoted in public Terraform troubleshooting notes)."""
    force = optional(request, "force", bool, False)
    with emu.store.lock:
        cred = credential(emu, name)
        arn = _role_arn(request) if request.body.get("aws_iam_role") is not None else None
        users = _users(emu, cred["name"])
        if arn and arn != cred["aws_iam_role"]["role_arn"] and users and not force:
            raise invalid_state(
                f"Storage credential '{cred['name']}' has 0 directly dependent external "
                f"table(s) and {len(users)} dependent storage location(s); use force option "
                "to update anyway.")
        for field, kind in (("comment", str), ("owner", str), ("read_only", bool)):
            if request.body.get(field) is not None:
                cred[field] = check_type(field, request.body[field], kind)
        if arn:
            cred["aws_iam_role"]["role_arn"] = arn
        new_name = optional(request, "new_name", str)
        if new_name and _name(new_name) != cred["name"]:
            _rename_credential(emu, cred, _name(new_name))
        _stamp(emu, cred, created=False)
        emu.store.save()
        return _drop_none(copy.deepcopy(cred))


def _users(emu: Emulator, credential_name: str) -> list[dict[str, Any]]:
    """The external locations that use the credential."""
    return [loc for loc in emu.store["external_locations"].values()
            if loc["credential_name"] == credential_name]


def _rename_credential(emu: Emulator, cred: dict[str, Any], new: str) -> None:
    if new in emu.store["storage_credentials"]:
        raise ApiError(400, "STORAGE_CREDENTIAL_ALREADY_EXISTS",
                       f"Storage Credential '{new}' already exists")
    old = cred["name"]
    del emu.store["storage_credentials"][old]
    cred.update(name=new, full_name=new)
    emu.store["storage_credentials"][new] = cred
    for location in emu.store["external_locations"].values():
        if location["credential_name"] == old:
            location["credential_name"] = new
    grantstore.rename(emu, "STORAGE_CREDENTIAL", old, new)


def delete_credential(emu: Emulator, request: Request, name: str) -> dict[str, Any]:
    """Refused while external locations use the credential, unless ``force``: message as
    quoted in terraform-provider-databricks issue #4000; SDK ``StorageCredentialsAPI.
    delete`` (force: "even if there are dependent external locations or external
    tables"). Forced, the locations stay and keep naming the gone credential."""
    force = optional(request, "force", bool, False)
    with emu.store.lock:
        cred = credential(emu, name)
        users = _users(emu, cred["name"])
        if users and not force:
            raise invalid_state(
                f"Storage credential '{cred['name']}' has 0 directly dependent external "
                f"table(s) and {len(users)} dependent storage location(s). You may use force "
                "option to delete it but the managed storage data using this storage "
                "credential cannot be purged by Unity Catalog anymore.")
        del emu.store["storage_credentials"][cred["name"]]
        grantstore.drop(emu, "STORAGE_CREDENTIAL", cred["name"])
        emu.store.save()
    return {}


_C = r"/api/2\.1/unity-catalog/storage-credentials"
ROUTES = [
    ("POST", _C, create_credential), ("GET", _C, list_credentials),
    ("GET", _C + r"/(?P<name>[^/]+)", get_credential),
    ("PATCH", _C + r"/(?P<name>[^/]+)", update_credential),
    ("DELETE", _C + r"/(?P<name>[^/]+)", delete_credential),
]
