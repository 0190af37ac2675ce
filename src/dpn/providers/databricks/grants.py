"""The privileges of listed principals on one Unity Catalog securable (``dbx.grants``).

Props: ``securable`` (``type:full_name``, the type as the permissions API spells it:
``catalog``, ``schema``, ``table``, ``volume``, ``external_location``,
``storage_credential``) and ``privileges`` {principal: [privilege, ...]}. Physical id
``securable_type/full_name``. The API is ``GET|PATCH /api/2.1/unity-catalog/permissions/
{securable_type}/{full_name}`` (databricks-sdk ``GrantsAPI.get``/``update``), the PATCH
taking ``changes: [{principal, add, remove}]``.

A dbx.grants manages exactly its listed principals' privileges and never touches another
principal's (Terraform's ``databricks_grants`` replaces every grant on the object and so
drops those managed elsewhere: terraform-provider-databricks #2705, #5215):

- ``read(id)`` has only the id, so it reports every principal's privileges on the
  securable; the canonical rules (``platform_keys`` of ``privileges``) compare only the
  principals the blueprint lists. ``create``, ``update`` and ``find`` have the spec and
  report the listed principals only, so the state records exactly what dpn manages.
- ``create`` and ``update`` PATCH, per listed principal, the privileges to add and to
  remove so that it holds exactly the listed ones; a principal listed with ``[]`` (which
  only the engine writes, never a blueprint: its schema wants at least one) loses all of
  them. Nothing is sent when nothing differs.
- ``find(spec)`` answers the listed principals' current privileges, each listed principal
  present (``[]`` when it holds none): the before-image from which ``update`` restores
  them exactly, which is how a create is undone.
- ``delete(id)`` cannot know whose privileges to revoke from an id alone, so it refuses
  (``InvalidRequest``): a dbx.grants is removed by ``update`` with each principal the state
  records listed with ``[]`` (done already when the securable is gone), and a create is
  undone by ``update`` with its before-image.

Privileges are normalised as the service does (upper case, ``_`` for spaces) and checked
against the SDK's ``Privilege`` names before any call. A dbx.grants carries no tags: its
ownership is the stack's state (``dpn.model.UNTAGGED``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dpn.blueprint.attrs import grants_id
from dpn.canonical.policy import privilege
from dpn.errors import InvalidRequest, NotFound
from dpn.model import GRANTS, freeze, thaw
from dpn.providers.base import Observed, Spec
from dpn.providers.databricks.common import DatabricksProvider, as_dict, read_or_none
from dpn.providers.databricks.errors import PLATFORM, edge

Privileges = dict[str, list[str]]


def split_id(id: str) -> tuple[str, str]:
    """``(securable_type, full_name)`` of a physical id."""
    kind, _, full = id.partition("/")
    return kind, full


def assignments(answer: Mapping[str, Any]) -> Privileges:
    """Principal -> sorted privileges from a permissions answer (pure); principals holding
    nothing are left out."""
    out: Privileges = {}
    for item in answer.get("privilege_assignments") or []:
        privs = sorted({privilege(str(p)) for p in item.get("privileges") or []})
        if item.get("principal") and privs:
            out[str(item["principal"])] = privs
    return out


def changes(want: Mapping[str, Any], have: Mapping[str, list[str]]) -> list[dict[str, Any]]:
    """The PATCH ``changes`` that give each principal of ``want`` exactly its privileges
    (pure); principals ``want`` does not list are not touched."""
    out = []
    for principal, privs in sorted(want.items()):
        target = {privilege(str(p)) for p in privs or []}
        held = set(have.get(principal, []))
        add, remove = sorted(target - held), sorted(held - target)
        if add or remove:
            out.append({"principal": principal, "add": add, "remove": remove})
    return out


def grants_observed(id: str, name: str, privileges: Privileges) -> Observed:
    kind, full = split_id(id)
    props = {"securable": f"{kind}:{full}", "privileges": privileges}
    return Observed(id=id, name=name, props=freeze(props), attrs={"id": id})


class GrantsProvider(DatabricksProvider):
    type = GRANTS

    def physical_id(self, spec: Spec) -> str | None:
        return grants_id(str(spec.props["securable"]))

    def _held(self, id: str) -> Privileges:
        """Every principal's privileges on the securable (pages followed)."""
        kind, full = split_id(id)
        held: Privileges = {}
        token: str | None = None
        while True:
            with edge("read the grants on", f"{kind} {full!r}"):
                answer = as_dict(self.client.grants.get(kind, full, max_results=0,
                                                         page_token=token))
            held.update(assignments(answer))
            token = answer.get("next_page_token")
            if not token:
                return held

    def read(self, id: str) -> Observed | None:
        return read_or_none(f"grants {id!r}", lambda: grants_observed(id, id, self._held(id)))

    def find(self, spec: Spec) -> Observed | None:
        """The listed principals' current privileges (``[]`` for one holding none): the
        before-image of a create. None when the securable does not exist."""
        id = str(self.physical_id(spec))
        try:
            held = self._held(id)
        except NotFound:
            return None
        listed = thaw(spec.props).get("privileges") or {}
        return grants_observed(id, spec.name, {p: held.get(p, []) for p in listed})

    def create(self, spec: Spec) -> Observed:
        return self.update(str(self.physical_id(spec)), spec)

    def update(self, id: str, spec: Spec) -> Observed:
        """PATCH the listed principals to exactly their privileges; the answer is the
        listed principals as now held. Taking every listed principal's privileges away
        (each listed with ``[]``) from a securable that is gone is done already: its grants
        went with it, so that removal is idempotent like any delete."""
        want = thaw(spec.props).get("privileges") or {}
        try:
            held = self._held(id)
        except NotFound:
            if any(want.values()):
                raise
            return grants_observed(id, spec.name, {})
        patch = changes(want, held)
        if patch:
            kind, full = split_id(id)
            with edge("update the grants on", f"{kind} {full!r}"):
                self.client.grants.update(kind, full, changes=_sdk_changes(patch))
            for change in patch:
                now = set(held.get(change["principal"], [])) - set(change["remove"])
                held[change["principal"]] = sorted(now | set(change["add"]))
        return grants_observed(id, spec.name, {p: held.get(p, []) for p in want
                                               if held.get(p)})

    def delete(self, id: str, *, force_empty: bool = False) -> None:
        raise InvalidRequest(
            f"databricks: delete grants {id!r}: the grants of which principals? A dbx.grants "
            "is removed by an update that lists each principal it manages with no "
            "privileges", platform=PLATFORM, code="GRANTS_NEED_PRINCIPALS")


def _sdk_changes(patch: list[dict[str, Any]]) -> list[Any]:
    """SDK ``PermissionsChange`` objects; an unknown privilege is ``InvalidRequest``."""
    from databricks.sdk.service.catalog import PermissionsChange, Privilege

    out = []
    for change in patch:
        try:
            add = [Privilege(p) for p in change["add"]]
            remove = [Privilege(p) for p in change["remove"]]
        except ValueError as exc:
            raise InvalidRequest(f"databricks: grants for {change['principal']!r}: {exc} "
                                 "(not a Unity Catalog privilege)", platform=PLATFORM,
                                 code="INVALID_PRIVILEGE") from exc
        out.append(PermissionsChange(principal=change["principal"], add=add or None,
                                     remove=remove or None))
    return out
