"""Unity Catalog storage credentials and external locations (``dbx.storage_credential``,
``dbx.external_location``): the storage half of SPEC section 11.

Physical ids: the names (lower case, as Unity Catalog stores them). Neither object can
carry tags or properties, so ownership is the stack's state (``dpn.model.UNTAGGED``); a
create looks first and refuses an existing name (``common.create_untagged``).

Neither create call takes an ``owner``: as terraform-provider-databricks does
(``catalog/resource_external_location.go``, ``resource_storage_credential.go``), dpn sets it
with an update right after the create, and deletes the object again if that update fails.
An update changes the owner with a call of its own before the other fields (a metastore
admin may change only the owner), and sends ``read_only`` even when false.

An external location is validated by the service against its credential's IAM role
(unless ``skip_validation``, a directive: sent, never read back). Right after the role's
trust or policy changed, that fails with 403 "AWS IAM role does not have READ permissions
on url ..." until IAM has propagated: ``errors.translate`` raises ``PropagationPending``
(a ``Transient``), which the engine retries within its bounded wait.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dpn.canonical import diff
from dpn.errors import NotFound
from dpn.model import EXTERNAL_LOCATION, STORAGE_CREDENTIAL, freeze, thaw
from dpn.providers.base import SERIAL, Fanout, Observed, Spec
from dpn.providers.databricks.common import (
    DatabricksProvider,
    as_dict,
    create_untagged,
    drop_none,
    read_or_none,
    set_owner,
)
from dpn.providers.databricks.errors import edge


def credential_observed(info: Mapping[str, Any]) -> Observed:
    """An ``Observed`` from a ``StorageCredentialInfo`` dict (pure)."""
    name = str(info["name"])
    role = info.get("aws_iam_role") or {}
    props = drop_none({"aws_iam_role": role.get("role_arn") or None,
                       "comment": info.get("comment") or None,
                       "read_only": bool(info.get("read_only")),
                       "owner": info.get("owner") or None})
    attrs = {"name": name, "id": name, "full_name": name,
             "external_id": str(role.get("external_id") or "")}
    return Observed(id=name, name=name, props=freeze(props), attrs=attrs)


def location_observed(info: Mapping[str, Any]) -> Observed:
    """An ``Observed`` from an ``ExternalLocationInfo`` dict (pure)."""
    name = str(info["name"])
    props = drop_none({"url": info.get("url") or None,
                       "credential": info.get("credential_name") or None,
                       "comment": info.get("comment") or None,
                       "read_only": bool(info.get("read_only")),
                       "owner": info.get("owner") or None})
    attrs = {"name": name, "id": name, "full_name": name, "uri": str(info.get("url") or "")}
    return Observed(id=name, name=name, props=freeze(props), attrs=attrs)


class _NamedSecurable(DatabricksProvider):
    """What both share: a name as physical id, one paged list for bulk reads, the owner
    set after a create and changed on its own in an update."""

    noun = ""

    def physical_id(self, spec: Spec) -> str | None:
        return spec.name.lower()

    @abstractmethod
    def _api(self) -> Any:
        """The SDK service: ``storage_credentials`` or ``external_locations``."""

    @abstractmethod
    def _observed(self, info: Mapping[str, Any]) -> Observed:
        """An ``Observed`` from the service's answer (a dict)."""

    def read(self, id: str) -> Observed | None:
        return read_or_none(f"{self.noun} {id!r}",
                            lambda: self._observed(as_dict(self._api().get(id))))

    def read_many(self, ids: Sequence[str], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        if len(ids) <= 1:
            return super().read_many(ids, fan)
        found = fan.call(self._all)
        return {i: found.get(i) for i in ids}

    def _all(self) -> dict[str, Observed]:
        with edge("list", f"{self.noun}s"):
            return {o.id: o for o in (self._observed(as_dict(i)) for i in self._api().list())}

    def find_many(self, specs: Sequence[Spec], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        """``read_many`` of the names: one paged list for more than one."""
        found = self.read_many([str(self.physical_id(s)) for s in specs], fan)
        return {s.key: found[str(self.physical_id(s))] for s in specs}

    def _create(self, spec: Spec, post: Callable[[], Any]) -> Observed:
        name = str(self.physical_id(spec))
        created = create_untagged(f"{self.noun} {name!r}",
                                  f"{self.noun.upper().replace(' ', '_')}_ALREADY_EXISTS",
                                  lambda: self.read(name),
                                  lambda: self._observed(as_dict(post())))
        return set_owner(created, thaw(spec.props).get("owner"), f"{self.noun} {name!r}",
                         lambda owner: self._observed(as_dict(self._api().update(
                             name, owner=owner))),
                         lambda: self.delete(name))

    def _update(self, id: str, spec: Spec, fields: Callable[[dict[str, Any]], dict[str, Any]]
                ) -> Observed:
        """Read, then the owner (its own call) and the other fields, each only if it
        differs (canonical forms)."""
        live = self.read_back(id, "update")
        props = thaw(spec.props)
        changed = set(diff(self.type, live.props, props).fields)
        what = f"{self.noun} {id!r}"
        if "owner" in changed:
            with edge("change the owner of", what):
                self._api().update(id, owner=props["owner"])
        if changed - {"owner"}:
            with edge("update", what):
                self._api().update(id, **fields(props))
        return self.read_back(id, "update") if changed else live

    def delete(self, id: str, *, force_empty: bool = False) -> None:
        try:
            with edge("delete", f"{self.noun} {id!r}"):
                self._api().delete(id)
        except NotFound:
            return


class StorageCredentialProvider(_NamedSecurable):
    """``dbx.storage_credential``: props ``aws_iam_role`` (role ARN), ``comment``,
    ``read_only`` (default false), ``owner``; attributes ``name``, ``id``, ``full_name``,
    ``external_id`` (the id the role's trust must name, assigned by the service)."""

    type = STORAGE_CREDENTIAL
    noun = "storage credential"

    def _api(self) -> Any:
        return self.client.storage_credentials

    def _observed(self, info: Mapping[str, Any]) -> Observed:
        return credential_observed(info)

    @staticmethod
    def _role(arn: str) -> Any:
        from databricks.sdk.service.catalog import AwsIamRoleRequest

        return AwsIamRoleRequest(role_arn=arn)

    def create(self, spec: Spec) -> Observed:
        props = thaw(spec.props)
        return self._create(spec, lambda: self._api().create(
            name=spec.name.lower(), aws_iam_role=self._role(str(props["aws_iam_role"])),
            comment=props.get("comment"), read_only=bool(props.get("read_only"))))

    def update(self, id: str, spec: Spec) -> Observed:
        return self._update(id, spec, lambda p: {
            "aws_iam_role": self._role(str(p["aws_iam_role"])),
            "comment": p.get("comment") or "", "read_only": bool(p.get("read_only"))})


class ExternalLocationProvider(_NamedSecurable):
    """``dbx.external_location``: props ``url``, ``credential`` (credential name),
    ``comment``, ``read_only`` (default false), ``owner``; the directive
    ``skip_validation``; attributes ``name``, ``id``, ``full_name``, ``uri`` (the url)."""

    type = EXTERNAL_LOCATION
    noun = "external location"

    def _api(self) -> Any:
        return self.client.external_locations

    def _observed(self, info: Mapping[str, Any]) -> Observed:
        return location_observed(info)

    def create(self, spec: Spec) -> Observed:
        props = thaw(spec.props)
        return self._create(spec, lambda: self._api().create(
            name=spec.name.lower(), url=str(props["url"]),
            credential_name=str(props["credential"]).lower(), comment=props.get("comment"),
            read_only=bool(props.get("read_only")),
            skip_validation=bool(props.get("skip_validation"))))

    def update(self, id: str, spec: Spec) -> Observed:
        return self._update(id, spec, lambda p: {
            "url": str(p["url"]), "credential_name": str(p["credential"]).lower(),
            "comment": p.get("comment") or "", "read_only": bool(p.get("read_only")),
            "skip_validation": bool(p.get("skip_validation"))})
