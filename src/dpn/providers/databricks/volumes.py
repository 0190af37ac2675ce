"""Unity Catalog external volumes (``dbx.volume``).

Physical id ``catalog.schema.volume``. Props ``schema`` (parent ``catalog.schema``),
``storage_location`` (inside an external location; Unity Catalog strips a trailing
slash), ``comment``, ``owner``. Only ``comment`` and ``owner`` change in place (the API's
update takes nothing else: databricks-sdk ``VolumesAPI.update``); ``schema`` and
``storage_location`` are replaces (``canonical/rules.json``). A volume carries no tags, so
ownership is the stack's state (``dpn.model.UNTAGGED``). The create call takes no owner:
it is set by an update right after, as for storage credentials.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from dpn.canonical import diff
from dpn.errors import NotFound
from dpn.model import VOLUME, freeze, thaw
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


def volume_observed(info: Mapping[str, Any]) -> Observed:
    """An ``Observed`` from a ``VolumeInfo`` dict (pure)."""
    catalog, schema, name = str(info["catalog_name"]), str(info["schema_name"]), str(info["name"])
    full = str(info.get("full_name") or f"{catalog}.{schema}.{name}")
    props = drop_none({"schema": f"{catalog}.{schema}",
                       "storage_location": info.get("storage_location") or None,
                       "comment": info.get("comment") or None,
                       "owner": info.get("owner") or None})
    return Observed(id=full, name=name, props=freeze(props),
                    attrs={"name": name, "id": full, "full_name": full})


class VolumeProvider(DatabricksProvider):
    """``dbx.volume``: EXTERNAL volumes."""

    type = VOLUME

    def physical_id(self, spec: Spec) -> str | None:
        return f"{spec.props['schema']}.{spec.name}".lower()

    def read(self, id: str) -> Observed | None:
        return read_or_none(f"volume {id!r}",
                            lambda: volume_observed(as_dict(self.client.volumes.read(id))))

    def read_many(self, ids: Sequence[str], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        """One paginated ``volumes.list`` per parent schema asked for more than once, the
        schemas in parallel through ``fan``."""
        parents: dict[str, list[str]] = {}
        for i in ids:
            parents.setdefault(i.rsplit(".", 1)[0], []).append(i)
        tasks: list[Callable[[], Mapping[str, Observed | None]]] = [
            partial(self._one, wanted[0]) if len(wanted) == 1 else partial(self._of_schema,
                                                                          parent)
            for parent, wanted in sorted(parents.items())]
        found: dict[str, Observed | None] = {}
        for part in fan.map(tasks):
            found.update(part)
        return {i: found.get(i) for i in ids}

    def _one(self, id: str) -> dict[str, Observed | None]:
        return {id: self.read(id)}

    def _of_schema(self, parent: str) -> dict[str, Observed | None]:
        """The volumes of schema ``parent`` by full name (none if it is gone)."""
        catalog, _, schema = parent.partition(".")
        try:
            with edge("list volumes of", f"schema {parent!r}"):
                listed = [volume_observed(as_dict(v))
                          for v in self.client.volumes.list(catalog, schema)]
        except NotFound:
            return {}
        return {obs.id: obs for obs in listed}

    def find_many(self, specs: Sequence[Spec], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        """``read_many`` of the ids the specs would have."""
        return self.find_many_by_id({s.key: str(self.physical_id(s)) for s in specs}, fan)

    def create(self, spec: Spec) -> Observed:
        from databricks.sdk.service.catalog import VolumeType

        full = str(self.physical_id(spec))
        props = thaw(spec.props)
        catalog, _, schema = str(props["schema"]).lower().partition(".")
        created = create_untagged(
            f"volume {full!r}", "VOLUME_ALREADY_EXISTS", lambda: self.read(full),
            lambda: volume_observed(as_dict(self.client.volumes.create(
                catalog_name=catalog, schema_name=schema, name=spec.name.lower(),
                volume_type=VolumeType.EXTERNAL,
                storage_location=str(props["storage_location"]),
                comment=props.get("comment")))))
        return set_owner(created, props.get("owner"), f"volume {full!r}",
                         lambda owner: volume_observed(as_dict(self.client.volumes.update(
                             full, owner=owner))),
                         lambda: self.delete(full))

    def update(self, id: str, spec: Spec) -> Observed:
        """Comment and owner, each only if it differs."""
        live = self.read_back(id, "update")
        props = thaw(spec.props)
        changed = set(diff(VOLUME, live.props, props).fields)
        if not changed & {"comment", "owner"}:
            return live
        kwargs: dict[str, Any] = {}
        if "comment" in changed:
            kwargs["comment"] = props.get("comment") or ""
        if "owner" in changed:
            kwargs["owner"] = props["owner"]
        with edge("update", f"volume {id!r}"):
            self.client.volumes.update(id, **kwargs)
        return self.read_back(id, "update")

    def delete(self, id: str, *, force_empty: bool = False) -> None:
        try:
            with edge("delete", f"volume {id!r}"):
                self.client.volumes.delete(id)
        except NotFound:
            return
