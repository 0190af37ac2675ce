"""The emulator's behaviour switches, set through ``POST /_dpn/config`` and kept with the
objects (``store["settings"]``), so ``POST /_dpn/reset`` puts every one back to its
default below.

- ``enforce_access``: the Unity Catalog preconditions of ``access.py`` (external location
  covering a path, explicit EXTERNAL USE grants, metastore root storage). On by default,
  as on a real workspace with external data access enabled.
- ``metastore_root``: the emulated metastore's root storage URL; none, as on a workspace
  whose metastore was created without one.
- ``iam_propagation_seconds``: how long, on the emulator's clock, a changed IAM trust
  policy stays invisible to external location validation (``iam.py``).
- ``user_groups``: the workspace groups the caller belongs to, which ``scim/v2/Me``
  reports (SCIM User ``groups``) and grants to which count for it, as on the service
  (Databricks docs "Manage groups": privileges granted to a group apply to its members).
  By default the caller is in ``data-platform``, as the deployer of a platform team is.
"""

from __future__ import annotations

import math
import os
from typing import Any

from dpn.sandbox.emulator.paths import storage_url
from dpn.sandbox.emulator.workspace import Workspace

# ``DPN_SANDBOX_ENFORCE_ACCESS=0`` starts a sandbox without them (tests of other things
# whose blueprints have no storage chain); ``enforce_access`` switches them at run time.
ENFORCE_ACCESS_DEFAULT = os.environ.get("DPN_SANDBOX_ENFORCE_ACCESS", "1") != "0"
METASTORE_ROOT_DEFAULT: str | None = None
IAM_PROPAGATION_SECONDS_DEFAULT = 0.0
USER_GROUPS_DEFAULT: tuple[str, ...] = ("data-platform",)

DEFAULTS: dict[str, Any] = {
    "enforce_access": ENFORCE_ACCESS_DEFAULT,
    "metastore_root": METASTORE_ROOT_DEFAULT,
    "iam_propagation_seconds": IAM_PROPAGATION_SECONDS_DEFAULT,
    "user_groups": list(USER_GROUPS_DEFAULT),
}


def get(emu: Workspace, name: str) -> Any:
    """The current value of option ``name`` (its default unless a config call set it)."""
    return emu.store["settings"].get(name, DEFAULTS[name])


def current(emu: Workspace) -> dict[str, Any]:
    return {name: get(emu, name) for name in DEFAULTS}


def apply(emu: Workspace, body: dict[str, Any]) -> None:
    """Set the options present in ``body``; ValueError (a 400 from the admin API) for a
    value of the wrong kind, before anything is changed."""
    changes: dict[str, Any] = {}
    if "enforce_access" in body:
        if not isinstance(body["enforce_access"], bool):
            raise ValueError("enforce_access must be true or false")
        changes["enforce_access"] = body["enforce_access"]
    if "metastore_root" in body:
        root = body["metastore_root"]
        if root is not None and (not isinstance(root, str) or "://" not in root):
            raise ValueError("metastore_root must be null or a URL like s3://bucket/path")
        changes["metastore_root"] = storage_url(root) if root else None
    if "iam_propagation_seconds" in body:
        seconds = body["iam_propagation_seconds"]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) \
                or not math.isfinite(seconds) or seconds < 0:
            raise ValueError("iam_propagation_seconds must be a number of seconds >= 0")
        changes["iam_propagation_seconds"] = float(seconds)
    if "user_groups" in body:
        groups = body["user_groups"]
        if not isinstance(groups, list) or not all(isinstance(g, str) and g for g in groups):
            raise ValueError("user_groups must be a list of group names")
        changes["user_groups"] = list(groups)
    if changes:
        with emu.changing():
            emu.store["settings"].update(changes)
