"""``aws.glue_database``: Glue Data Catalog databases.

Props: ``description``, ``location_uri``, ``parameters`` (user parameters), ``tags`` (Glue
resource tags on the database ARN). Physical id: the database name.

Calls: ``read`` = GetDatabase + GetTags; ``read_many`` of more than 2 = GetDatabases pages
+ one GetTags per existing database asked for (Glue has no bulk tag read), in parallel;
``find_many`` of more than 2 = the same, GetTags only for the names already taken. ``update`` =
GetDatabase + GetTags, then UpdateDatabase only when description, location or parameters
differ in canonical form (UpdateDatabase replaces the whole database, so the DatabaseInput
sent is the live one with dpn's fields set: CreateTableDefaultPermissions, TargetDatabase
and FederatedDatabase survive), TagResource / UntagResource only for the tags that differ.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from dpn.canonical import diff
from dpn.errors import NotEmpty, NotFound
from dpn.model import GLUE_DATABASE, KEY_TAG, STACK_TAG
from dpn.providers.aws.common import GlueProvider, as_input, compact, failed_create, str_map
from dpn.providers.aws.errors import PLATFORM, aws_errors
from dpn.providers.base import SERIAL, Fanout, Observed, Spec

BATCH_DELETE = 100  # BatchDeleteTable's limit


MANAGED = ("description", "location_uri", "parameters")  # the DatabaseInput part of props


def database_input(name: str, props: Mapping[str, Any],
                   live: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The Glue ``DatabaseInput`` for blueprint ``props``: ``live`` (the database's current
    DatabaseInput, when updating) with dpn's fields set, so what dpn does not manage stays."""
    out: dict[str, Any] = {**(live or {}), "Name": name,
                           "Parameters": str_map(props.get("parameters"))}
    for field, key in (("description", "Description"), ("location_uri", "LocationUri")):
        if props.get(field):
            out[key] = str(props[field])
        else:
            out.pop(key, None)
    return out


def database_props(db: Mapping[str, Any], tags: Mapping[str, str]) -> dict[str, Any]:
    """Blueprint props of a GetDatabase(s) entry and its tags (empty fields left out)."""
    return compact({
        "description": db.get("Description"), "location_uri": db.get("LocationUri"),
        "parameters": dict(db.get("Parameters") or {}), "tags": dict(tags),
    })


class GlueDatabaseProvider(GlueProvider):
    type = GLUE_DATABASE

    def physical_id(self, spec: Spec) -> str | None:
        return spec.name

    def _arn(self, name: str, catalog_id: str) -> str:
        return f"arn:aws:glue:{self._region}:{catalog_id}:database/{name}"

    def _observe(self, db: Mapping[str, Any]) -> Observed:
        """Observed from a GetDatabase(s) entry, plus one GetTags call."""
        name = str(db["Name"])
        if db.get("CatalogId"):
            self._catalog_id = str(db["CatalogId"])
        arn = self._arn(name, str(db.get("CatalogId", "")))
        with aws_errors("GetTags", name):
            tags = str_map(self._glue.get_tags(ResourceArn=arn).get("Tags"))
        attrs = {"name": name, "id": name, "full_name": name, "arn": arn,
                 "uri": str(db.get("LocationUri") or "")}
        return Observed(id=name, name=name, props=database_props(db, tags), attrs=attrs,
                        tags=tags)

    def _get(self, id: str) -> dict[str, Any] | None:
        try:
            with aws_errors("GetDatabase", id):
                db: dict[str, Any] = self._glue.get_database(Name=id)["Database"]
        except NotFound:
            return None
        db.setdefault("Name", id)
        return db

    def read(self, id: str) -> Observed | None:
        db = self._get(id)
        return None if db is None else self._observe_or_none(db)

    def read_many(self, ids: Sequence[str], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        if len(ids) <= 2:
            return super().read_many(ids, fan)
        return self._listed(ids, fan)

    def find_many(self, specs: Sequence[Spec], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        """GetDatabases pages, then GetTags only for the names that exist (a name that is
        taken needs its owner)."""
        if len(specs) <= 2:
            return super().find_many(specs, fan)
        found = self._listed([s.name for s in specs], fan)
        return {s.key: found[s.name] for s in specs}

    def _listed(self, names: Sequence[str], fan: Fanout) -> dict[str, Observed | None]:
        """``names`` through one GetDatabases listing (all pages), then one GetTags per
        existing database asked for, in parallel: Glue has no bulk tag read."""
        listing = fan.call(self._all_databases)
        present = [n for n in dict.fromkeys(names) if n in listing]
        seen = fan.map([partial(self._observe_or_none, listing[n]) for n in present])
        found = dict(zip(present, seen, strict=True))
        return {n: found.get(n) for n in names}

    def _all_databases(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        with aws_errors("GetDatabases", "*"):
            for page in self._glue.get_paginator("get_databases").paginate():
                for db in page.get("DatabaseList", []):
                    out[str(db["Name"])] = db
        return out

    def _observe_or_none(self, db: Mapping[str, Any]) -> Observed | None:
        try:
            return self._observe(db)
        except NotFound:  # dropped between the listing and its tags
            return None

    def find(self, spec: Spec) -> Observed | None:
        return self.read(spec.name)

    def create(self, spec: Spec) -> Observed:
        name = spec.name
        tags = str_map(spec.props.get("tags"))
        kwargs: dict[str, Any] = {"DatabaseInput": database_input(name, spec.props)}
        if tags:
            kwargs["Tags"] = tags
        try:
            self._glue.create_database(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            def ours() -> bool:
                seen = self.read(name)
                return seen is not None and seen.owned_by(
                    tags.get(STACK_TAG, ""), tags.get(KEY_TAG, ""))
            raise failed_create(exc, op="CreateDatabase", target=name, probe=ours,
                                remove=lambda: self._drop(name)) from exc
        if self._catalog_id is None:  # once per process: learn the account for the ARN
            observed = self.read(name)
            if observed is None:
                raise NotFound(f"aws CreateDatabase {name}: database vanished after create",
                               platform=PLATFORM, code="EntityNotFoundException")
            return observed
        # CreateDatabase answers nothing: the object is what was sent
        db = dict(kwargs["DatabaseInput"])
        arn = self._arn(name, self._catalog_id)
        attrs = {"name": name, "id": name, "full_name": name, "arn": arn,
                 "uri": str(db.get("LocationUri") or "")}
        return Observed(id=name, name=name, props=database_props(db, tags), attrs=attrs,
                        tags=tags)

    def update(self, id: str, spec: Spec) -> Observed:
        """UpdateDatabase if description, location or parameters differ (canonical
        forms), sending the live DatabaseInput with dpn's fields set; TagResource /
        UntagResource for the tags that differ."""
        db = self._get(id)
        if db is None:
            raise NotFound(f"aws UpdateDatabase {id}: database does not exist",
                           platform=PLATFORM, code="EntityNotFoundException")
        current = self._observe(db)
        changed = diff(GLUE_DATABASE, current.props, spec.props).fields
        if any(f in MANAGED for f in changed):
            want = database_input(id, spec.props, as_input(self._glue, "DatabaseInput", db))
            with aws_errors("UpdateDatabase", id):
                self._glue.update_database(Name=id, DatabaseInput=want)
        new_tags = str_map(spec.props.get("tags"))
        old_tags = dict(current.tags)
        arn = current.attrs["arn"]
        add = {k: v for k, v in new_tags.items() if old_tags.get(k) != v}
        remove = [k for k in old_tags if k not in new_tags]
        if add:
            with aws_errors("TagResource", id):
                self._glue.tag_resource(ResourceArn=arn, TagsToAdd=add)
        if remove:
            with aws_errors("UntagResource", id):
                self._glue.untag_resource(ResourceArn=arn, TagsToRemove=remove)
        observed = self.read(id)
        if observed is None:
            raise NotFound(f"aws UpdateDatabase {id}: database vanished",
                           platform=PLATFORM, code="EntityNotFoundException")
        return observed

    def delete(self, id: str, *, force_empty: bool = False) -> None:
        """Glue's DeleteDatabase would drop the tables with it, so dpn looks first: a
        database with tables is refused with ``NotEmpty`` unless ``force_empty``, which
        deletes them (BatchDeleteTable, 100 at a time) before the database."""
        try:
            tables = self._table_names(id, everything=force_empty)
            if tables and not force_empty:
                raise NotEmpty(f"aws DeleteDatabase {id}: database still has tables "
                               f"({', '.join(tables[:5])}{', ...' if len(tables) > 5 else ''})",
                               platform=PLATFORM, code="DatabaseNotEmpty")
            for start in range(0, len(tables), BATCH_DELETE):
                batch = tables[start:start + BATCH_DELETE]
                with aws_errors("BatchDeleteTable", id):
                    result = self._glue.batch_delete_table(DatabaseName=id,
                                                           TablesToDelete=batch)
                errors = [e for e in result.get("Errors", [])
                          if e.get("ErrorDetail", {}).get("ErrorCode")
                          != "EntityNotFoundException"]
                if errors:
                    detail = errors[0].get("ErrorDetail", {})
                    raise NotEmpty(
                        f"aws BatchDeleteTable {id}: {len(errors)} table(s) not deleted, "
                        f"first {errors[0].get('TableName')}: {detail.get('ErrorMessage')}",
                        platform=PLATFORM, code=str(detail.get("ErrorCode", "")))
            self._drop(id)
        except NotFound:
            return

    def _table_names(self, name: str, *, everything: bool) -> list[str]:
        """Table names of the database: all of them, or only the first page's."""
        names: list[str] = []
        with aws_errors("GetTables", name):
            paginator = self._glue.get_paginator("get_tables")
            for page in paginator.paginate(DatabaseName=name):
                names.extend(t["Name"] for t in page.get("TableList", []))
                if not everything and names:
                    break
        return names

    def _drop(self, name: str) -> None:
        with aws_errors("DeleteDatabase", name):
            self._glue.delete_database(Name=name)
