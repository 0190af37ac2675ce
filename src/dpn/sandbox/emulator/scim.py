"""The caller's identity: ``GET /api/2.0/preview/scim/v2/Me`` (``current_user.me``), which
clients use to check their credentials before doing anything."""

from __future__ import annotations

from typing import Any

from dpn.sandbox.emulator.app import USER as USER_NAME

USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "id": "7000000000000001",
    "userName": USER_NAME,
    "displayName": "Sandbox User",
    "active": True,
    "emails": [{"value": USER_NAME, "type": "work", "primary": True}],
}


def me(app: Any, request: Any) -> dict[str, Any]:
    """The caller, with the groups it is in (option ``user_groups``), as SCIM lists them."""
    from dpn.sandbox.emulator import options

    groups = options.get(app, "user_groups")
    return {**USER, "groups": [{"display": g, "value": f"70000000000001{i:02d}",
                                "type": "direct"} for i, g in enumerate(groups)]}


ROUTES = [("GET", r"/api/2\.0/preview/scim/v2/Me", me)]
