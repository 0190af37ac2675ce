"""The caller's identity: ``GET /api/2.0/preview/scim/v2/Me`` (``current_user.me``), which
clients use to check their credentials before doing anything."""

from __future__ import annotations

from typing import Any

from dpn.sandbox.emulator import options
from dpn.sandbox.emulator.request import Request
from dpn.sandbox.emulator.routing import Routes
from dpn.sandbox.emulator.workspace import USER as USER_NAME
from dpn.sandbox.emulator.workspace import Workspace

USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "id": "7000000000000001",
    "userName": USER_NAME,
    "displayName": "Sandbox User",
    "active": True,
    "emails": [{"value": USER_NAME, "type": "work", "primary": True}],
}


routes = Routes(r"/api/2\.0/preview/scim/v2")


@routes.get("/Me")
def me(emu: Workspace, request: Request) -> dict[str, Any]:
    """The caller, with the groups it is in (option ``user_groups``), as SCIM lists them."""
    groups = options.get(emu, "user_groups")
    return {**USER, "groups": [{"display": g, "value": f"70000000000001{i:02d}",
                                "type": "direct"} for i, g in enumerate(groups)]}

