"""``aws.glue_table``: Glue tables, stored per format (see ``dpn.providers.aws.formats``).

Props: ``database`` (parent name), ``columns``, ``partition_keys``, ``location``,
``format``, ``serde``, ``table_type``, ``parameters`` (the tag field: ownership and
metadata tags plus user parameters), ``storage_parameters``, ``description``. Physical id:
``database.table``.

Calls: ``read`` = GetTable; ``read_many`` = per database, GetTables pages when more than 2
of its tables are asked for (GetTable each otherwise): refreshing N tables spread over D
databases costs about D x pages calls, not N, the databases read in parallel;
``find_many`` is ``read_many`` of the ids the specs would have. ``update`` = GetTable, then
UpdateTable only when the canonical forms differ; UpdateTable replaces the whole table, so
the ``TableInput`` sent is the live one with dpn's fields set (``formats.table_input``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from dpn.canonical import diff
from dpn.errors import InvalidRequest, NotFound
from dpn.model import GLUE_TABLE, KEY_TAG, STACK_TAG
from dpn.providers.aws.common import GlueProvider, as_input, failed_create, str_map
from dpn.providers.aws.errors import PLATFORM, aws_errors
from dpn.providers.aws.formats import table_input, table_props
from dpn.providers.base import SERIAL, Fanout, Observed, Spec


def split_id(id: str) -> tuple[str, str]:
    """``database.table`` -> (database, table); ``InvalidRequest`` if malformed."""
    database, dot, table = id.partition(".")
    if not (database and dot and table):
        raise InvalidRequest(f"aws glue table id {id!r} is not 'database.table'",
                             platform=PLATFORM, code="InvalidTableId")
    return database, table


class GlueTableProvider(GlueProvider):
    type = GLUE_TABLE

    def physical_id(self, spec: Spec) -> str | None:
        return f"{spec.props['database']}.{spec.name}"

    def _observe(self, table: Mapping[str, Any]) -> Observed:
        if table.get("CatalogId"):
            self._catalog_id = str(table["CatalogId"])
        database = str(table.get("DatabaseName", ""))
        name = str(table["Name"])
        full = f"{database}.{name}"
        props = table_props(table)
        props["database"] = database
        arn = (f"arn:aws:glue:{self._region}:{table.get('CatalogId', '')}:"
               f"table/{database}/{name}")
        attrs = {"name": name, "id": full, "full_name": full, "arn": arn,
                 "uri": str(props.get("location") or "")}
        return Observed(id=full, name=name, props=props, attrs=attrs,
                        tags=str_map(props.get("parameters")))

    def _get(self, id: str) -> dict[str, Any] | None:
        """The raw GetTable answer, or None."""
        database, name = split_id(id)
        try:
            with aws_errors("GetTable", id):
                table: dict[str, Any] = self._glue.get_table(
                    DatabaseName=database, Name=name)["Table"]
        except NotFound:
            return None
        table.setdefault("DatabaseName", database)
        table.setdefault("Name", name)
        return table

    def read(self, id: str) -> Observed | None:
        table = self._get(id)
        return None if table is None else self._observe(table)

    def read_many(self, ids: Sequence[str], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        """Per database, in parallel across databases: GetTables pages when more than 2 of
        its tables are asked for, GetTable each otherwise."""
        by_db: dict[str, list[str]] = {}
        for i in ids:
            by_db.setdefault(split_id(i)[0], []).append(i)
        tasks: list[Callable[[], Mapping[str, Observed | None]]] = []
        for database, wanted in by_db.items():
            if len(wanted) > 2:
                tasks.append(partial(self._listed, database, wanted))
            else:
                tasks += [partial(self._one, i) for i in wanted]
        found: dict[str, Observed | None] = dict.fromkeys(ids)
        for part in fan.map(tasks):
            found.update(part)
        return found

    def _one(self, id: str) -> dict[str, Observed | None]:
        return {id: self.read(id)}

    def _listed(self, database: str, ids: Sequence[str]) -> dict[str, Observed | None]:
        """The tables ``ids`` of ``database`` from its GetTables pages (None: absent)."""
        names = {split_id(i)[1] for i in ids}
        found: dict[str, Observed | None] = dict.fromkeys(ids)
        try:
            with aws_errors("GetTables", database):
                for page in self._glue.get_paginator("get_tables").paginate(
                        DatabaseName=database):
                    for table in page.get("TableList", []):
                        if table.get("Name") in names:
                            table.setdefault("DatabaseName", database)
                            found[f"{database}.{table['Name']}"] = self._observe(table)
        except NotFound:  # the database is gone, and its tables with it
            pass
        return found

    def find(self, spec: Spec) -> Observed | None:
        return self.read(f"{spec.props['database']}.{spec.name}")

    def find_many(self, specs: Sequence[Spec], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        """``read_many`` of the tables' ids: one GetTables listing per database."""
        return self.find_many_by_id(
            {s.key: f"{s.props['database']}.{s.name}" for s in specs}, fan)

    def create(self, spec: Spec) -> Observed:
        database = str(spec.props["database"])
        full = f"{database}.{spec.name}"
        try:
            table = table_input(spec.name, spec.props)
        except ValueError as exc:
            raise InvalidRequest(f"aws CreateTable {full}: {exc}", platform=PLATFORM,
                                 code="InvalidFormat") from exc
        try:
            self._glue.create_table(DatabaseName=database, TableInput=table)
        except (ClientError, BotoCoreError) as exc:
            tags = str_map(spec.props.get("parameters"))

            def ours() -> bool:
                seen = self.read(full)
                return seen is not None and seen.owned_by(
                    tags.get(STACK_TAG, ""), tags.get(KEY_TAG, ""))

            raise failed_create(exc, op="CreateTable", target=full, probe=ours,
                                remove=lambda: self._drop(full)) from exc
        if self._catalog_id is None:  # once per process: learn the account for the ARN
            observed = self.read(full)
            if observed is None:
                raise NotFound(f"aws CreateTable {full}: table vanished after create",
                               platform=PLATFORM, code="EntityNotFoundException")
            return observed
        # CreateTable answers nothing: the object is what was sent
        return self._observe({**table, "DatabaseName": database,
                              "CatalogId": self._catalog_id})

    def update(self, id: str, spec: Spec) -> Observed:
        """UpdateTable, only if the canonical forms of the live table and ``spec`` differ
        (``database`` cannot change in place: that is a replace). The TableInput sent is
        the live table's with dpn's fields set: the rest survives."""
        database, name = split_id(id)
        table = self._get(id)
        if table is None:
            raise NotFound(f"aws UpdateTable {id}: table does not exist", platform=PLATFORM,
                           code="EntityNotFoundException")
        try:
            want = table_input(name, spec.props, as_input(self._glue, "TableInput", table))
        except ValueError as exc:
            raise InvalidRequest(f"aws UpdateTable {id}: {exc}", platform=PLATFORM,
                                 code="InvalidFormat") from exc
        if diff(GLUE_TABLE, table_props(table), spec.props).changed:
            with aws_errors("UpdateTable", id):
                self._glue.update_table(DatabaseName=database, TableInput=want)
        observed = self.read(id)
        if observed is None:
            raise NotFound(f"aws UpdateTable {id}: table vanished", platform=PLATFORM,
                           code="EntityNotFoundException")
        return observed

    def delete(self, id: str, *, force_empty: bool = False) -> None:
        try:
            self._drop(id)
        except NotFound:
            return

    def _drop(self, id: str) -> None:
        database, name = split_id(id)
        with aws_errors("DeleteTable", id):
            self._glue.delete_table(DatabaseName=database, Name=name)
