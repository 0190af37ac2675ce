"""Unity Catalog catalogs and schemas (``dbx.catalog``, ``dbx.schema``).

Neither create call takes an ``owner``: it is set by an update right after the create
(``common.set_owner``), as terraform-provider-databricks does, and changed by a call of
its own in an update.

Physical ids: a catalog's name; a schema's ``catalog.schema``. Both (and tables) are
created with a look first: a ``get`` before the POST tells a pre-existing object
(``AlreadyExists``, for the engine to resolve) from one our own POST created. When the POST
fails with an unknown outcome (a 5xx, the SDK giving up its retries) or answers
``ALREADY_EXISTS`` (the SDK re-sent it after a 503 or a dropped connection), the object is
read again: absent a moment before and now present with our ownership tags, it is ours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from dpn.errors import AlreadyExists, NotEmpty, NotFound, ProviderError
from dpn.model import CATALOG, SCHEMA, STACK_TAG, freeze, thaw
from dpn.providers.base import SERIAL, Fanout, Observed, Spec
from dpn.providers.databricks.common import (
    DatabricksProvider,
    drop_none,
    ownership_matches,
    read_or_none,
    set_owner,
)
from dpn.providers.databricks.errors import PLATFORM, edge, ours_after_all

# Schemas the platform makes in every new catalog. A catalog whose only schemas are these
# (with ``default`` holding no table) counts as empty.
PLATFORM_SCHEMAS = ("default", "information_schema")
KEEP_DEFAULT = "keep_default_schema"


def _dict(obj: Any) -> dict[str, Any]:
    return obj.as_dict() if hasattr(obj, "as_dict") else dict(obj)


def catalog_observed(info: Mapping[str, Any]) -> Observed:
    """An ``Observed`` from a ``CatalogInfo`` dict (pure)."""
    name = str(info["name"])
    properties = {str(k): str(v) for k, v in (info.get("properties") or {}).items()}
    props = drop_none({"comment": info.get("comment") or None,
                       "storage_root": info.get("storage_root") or None,
                       "owner": info.get("owner") or None})
    props["properties"] = properties
    return Observed(id=name, name=name, props=freeze(props),
                    attrs={"name": name, "id": name, "full_name": name}, tags=properties)


def schema_observed(info: Mapping[str, Any]) -> Observed:
    """An ``Observed`` from a ``SchemaInfo`` dict (pure)."""
    name = str(info["name"])
    catalog = str(info["catalog_name"])
    full = str(info.get("full_name") or f"{catalog}.{name}")
    properties = {str(k): str(v) for k, v in (info.get("properties") or {}).items()}
    props = drop_none({"catalog": catalog, "comment": info.get("comment") or None,
                       "storage_root": info.get("storage_root") or None,
                       "owner": info.get("owner") or None})
    props["properties"] = properties
    return Observed(id=full, name=name, props=freeze(props),
                    attrs={"name": name, "id": full, "full_name": full}, tags=properties)


def has_content(client: Any, catalog: str, schema: str) -> bool:
    """Whether a schema holds a table or a volume (one listing call each at most)."""
    what = f"schema '{catalog}.{schema}'"
    with edge("list tables of", what):
        if any(True for _ in client.tables.list(catalog, schema, max_results=1)):
            return True
    with edge("list volumes of", what):
        return any(True for _ in client.volumes.list(catalog, schema, max_results=1))


class CatalogProvider(DatabricksProvider):
    """``dbx.catalog``: props ``comment``, ``properties`` (tag field), ``storage_root``; the
    directive ``keep_default_schema`` (bool) keeps the platform's ``default`` schema."""

    type = CATALOG

    def physical_id(self, spec: Spec) -> str | None:
        return spec.name.lower()

    def read(self, id: str) -> Observed | None:
        return read_or_none(f"catalog {id!r}",
                            lambda: catalog_observed(_dict(self.client.catalogs.get(id))))

    def read_many(self, ids: Sequence[str], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        """One paginated ``catalogs.list``."""
        if not ids:
            return {}
        found = fan.call(self._all)
        return {i: found.get(i) for i in ids}

    def _all(self) -> dict[str, Observed]:
        with edge("list", "catalogs"):
            return {str(c.name): catalog_observed(_dict(c)) for c in self.client.catalogs.list()}

    def find(self, spec: Spec) -> Observed | None:
        return self.read(spec.name.lower())

    def find_many(self, specs: Sequence[Spec], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        """The same one listing, by name."""
        found = self.read_many([s.name.lower() for s in specs], fan)
        return {s.key: found[s.name.lower()] for s in specs}

    def create(self, spec: Spec) -> Observed:
        """POST the catalog (a duplicate answers ``CATALOG_ALREADY_EXISTS``, which the
        engine resolves by ``find`` and the ownership tags), then drop the platform's empty
        ``default`` schema. The object returned is the create call's answer."""
        name = spec.name.lower()
        what = f"catalog {name!r}"
        props = thaw(spec.props)
        created: Observed | None = None
        try:
            with edge("create", what):
                created = catalog_observed(_dict(self.client.catalogs.create(
                    name=name, comment=props.get("comment"),
                    properties=props.get("properties") or None,
                    storage_root=props.get("storage_root"))))
        except ProviderError as exc:
            if not ours_after_all(exc):
                raise
            created = self.read(name)
            if created is None or not ownership_matches(spec, created.tags):
                raise
            # Present now with our tags: our own create took effect.
        if not props.get(KEEP_DEFAULT):
            self._drop_default_schema(name)
        return set_owner(created, props.get("owner"), f"catalog {name!r}",
                         lambda owner: catalog_observed(_dict(self.client.catalogs.update(
                             name, owner=owner))),
                         lambda: self.delete(name, force_empty=True))

    def _drop_default_schema(self, catalog: str) -> None:
        """Remove the empty ``default`` schema the platform made (as the Databricks Terraform
        provider does). Best effort: a failure leaves it, which ``delete`` still treats as
        empty, so it never fails the create."""
        try:
            with edge("delete", f"schema '{catalog}.default'"):
                self.client.schemas.delete(f"{catalog}.default")
        except Exception:  # noqa: BLE001 - best effort by contract, see docstring
            return

    def update(self, id: str, spec: Spec) -> Observed:
        """The owner (when the blueprint sets one) with a call of its own, then comment
        and properties."""
        props = thaw(spec.props)
        with edge("update", f"catalog {id!r}"):
            if props.get("owner"):
                self.client.catalogs.update(id, owner=props["owner"])
            self.client.catalogs.update(id, comment=props.get("comment") or "",
                                        properties=props.get("properties") or {})
        return self.read_back(id, "update")

    def delete(self, id: str, *, force_empty: bool = False) -> None:
        what = f"catalog {id!r}"
        try:
            with edge("list schemas of", what):
                schemas = [s.name for s in self.client.schemas.list(id)]
            content = [s for s in schemas if s and s not in PLATFORM_SCHEMAS]
            if "default" in schemas and has_content(self.client, id, "default"):
                content.append("default")
            if content and not force_empty:
                raise NotEmpty(
                    f"databricks: delete {what}: it still holds schemas {sorted(content)}; "
                    "use --force-empty to delete them too",
                    platform=PLATFORM, code="CATALOG_NOT_EMPTY")
            with edge("delete", what):
                self.client.catalogs.delete(id, force=bool(schemas))
        except NotFound:
            return



class SchemaProvider(DatabricksProvider):
    """``dbx.schema``: props ``catalog`` (parent name), ``comment``, ``properties``."""

    type = SCHEMA

    def physical_id(self, spec: Spec) -> str | None:
        return f"{spec.props['catalog']}.{spec.name}".lower()

    def read(self, id: str) -> Observed | None:
        return read_or_none(f"schema {id!r}",
                            lambda: schema_observed(_dict(self.client.schemas.get(id))))

    def read_many(self, ids: Sequence[str], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        """One paginated ``schemas.list`` per parent catalog, catalogs in parallel."""
        catalogs = sorted({i.split(".", 1)[0] for i in ids})
        found: dict[str, Observed] = {}
        for part in fan.map([partial(self._of_catalog, c) for c in catalogs]):
            found.update(part)
        return {i: found.get(i) for i in ids}

    def _of_catalog(self, catalog: str) -> dict[str, Observed]:
        """The schemas of ``catalog`` by full name (none if it is gone)."""
        try:
            with edge("list schemas of", f"catalog {catalog!r}"):
                listed = [schema_observed(_dict(s)) for s in self.client.schemas.list(catalog)]
        except NotFound:
            return {}
        return {obs.id: obs for obs in listed}

    def find_many(self, specs: Sequence[Spec], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        """``read_many`` of the ids the specs would have: one listing per catalog."""
        return self.find_many_by_id({s.key: str(self.physical_id(s)) for s in specs}, fan)

    def create(self, spec: Spec) -> Observed:
        full = str(self.physical_id(spec))
        what = f"schema {full!r}"
        if spec.name.lower() == "default":  # the platform may have made it: adopt that one
            existing = self.read(full)
            if existing is not None and self._is_platform_default(existing):
                return self.update(full, spec)
            if existing is not None:
                raise AlreadyExists(f"databricks: create {what}: it already exists",
                                    platform=PLATFORM, code="SCHEMA_ALREADY_EXISTS")
        props = thaw(spec.props)
        try:
            with edge("create", what):
                created = schema_observed(_dict(self.client.schemas.create(
                    name=spec.name.lower(), catalog_name=str(props["catalog"]).lower(),
                    comment=props.get("comment"), properties=props.get("properties") or None,
                    storage_root=props.get("storage_root"))))
        except ProviderError as exc:
            if not ours_after_all(exc):
                raise
            mine = self.read(full)
            if mine is None or not ownership_matches(spec, mine.tags):
                raise
            created = mine  # present now with our tags: our own create took effect
        return set_owner(created, props.get("owner"), what,
                         lambda owner: schema_observed(_dict(self.client.schemas.update(
                             full, owner=owner))),
                         lambda: self.delete(full))

    def _is_platform_default(self, schema: Observed) -> bool:
        """The ``default`` schema the platform made in a new catalog (kept because the
        blueprint manages a schema of that name): untagged and without tables. Creating
        ``default`` adopts it, as the blueprint asked."""
        if schema.name != "default" or STACK_TAG in schema.tags:
            return False
        return not has_content(self.client, str(schema.props["catalog"]), "default")

    def update(self, id: str, spec: Spec) -> Observed:
        """The owner (when the blueprint sets one) with a call of its own, then comment
        and properties."""
        props = thaw(spec.props)
        with edge("update", f"schema {id!r}"):
            if props.get("owner"):
                self.client.schemas.update(id, owner=props["owner"])
            self.client.schemas.update(id, comment=props.get("comment") or "",
                                       properties=props.get("properties") or {})
        return self.read_back(id, "update")

    def delete(self, id: str, *, force_empty: bool = False) -> None:
        what = f"schema {id!r}"
        catalog, _, schema = id.partition(".")
        try:
            full = has_content(self.client, catalog, schema)
            if full and not force_empty:
                raise NotEmpty(
                    f"databricks: delete {what}: it still holds tables or volumes; use "
                    "--force-empty to delete them too", platform=PLATFORM,
                    code="SCHEMA_NOT_EMPTY")
            with edge("delete", what):
                self.client.schemas.delete(id, force=True if full else None)
        except NotFound:
            return
