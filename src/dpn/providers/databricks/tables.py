"""Unity Catalog external tables (``dbx.table``) and the column mapping.

Physical id ``catalog.schema.table``. Tables cannot change in place, but for their owner
(every other field is a replace in ``dpn/canonical/rules.json``), so ``update`` sets the
owner and nothing else. The create call takes no owner: it is set right after.

Create posts to ``/api/2.1/unity-catalog/tables`` (the endpoint of ``tables.create``)
through the client's ``api_client`` because the typed ``tables.create`` has no ``comment``
argument; the body is otherwise the one ``tables.create`` sends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from dpn.errors import AlreadyExists, InvalidRequest, NotFound, ProviderError
from dpn.model import TABLE, freeze, thaw
from dpn.providers.base import SERIAL, Fanout, Observed, Spec
from dpn.providers.databricks.common import (
    DatabricksProvider,
    drop_none,
    ownership_matches,
    read_or_none,
    set_owner,
)
from dpn.providers.databricks.errors import PLATFORM, edge, ours_after_all

DEFAULT_FORMAT = "DELTA"

# SQL type keyword -> (ColumnTypeName, Spark JSON type name).
_SIMPLE_TYPES: Mapping[str, tuple[str, str]] = {
    "BIGINT": ("LONG", "long"), "LONG": ("LONG", "long"),
    "INT": ("INT", "integer"), "INTEGER": ("INT", "integer"),
    "SMALLINT": ("SHORT", "short"), "SHORT": ("SHORT", "short"),
    "TINYINT": ("BYTE", "byte"), "BYTE": ("BYTE", "byte"),
    "STRING": ("STRING", "string"), "VARCHAR": ("STRING", "string"),
    "CHAR": ("CHAR", "string"),
    "DOUBLE": ("DOUBLE", "double"), "FLOAT": ("FLOAT", "float"), "REAL": ("FLOAT", "float"),
    "BOOLEAN": ("BOOLEAN", "boolean"), "BOOL": ("BOOLEAN", "boolean"),
    "DATE": ("DATE", "date"), "TIMESTAMP": ("TIMESTAMP", "timestamp"),
    "TIMESTAMP_LTZ": ("TIMESTAMP", "timestamp"),
    "TIMESTAMP_NTZ": ("TIMESTAMP_NTZ", "timestamp_ntz"),
    "BINARY": ("BINARY", "binary"), "VARIANT": ("VARIANT", "variant"),
    "DECIMAL": ("DECIMAL", "decimal"), "DEC": ("DECIMAL", "decimal"),
    "NUMERIC": ("DECIMAL", "decimal"),
    "ARRAY": ("ARRAY", "array"), "MAP": ("MAP", "map"), "STRUCT": ("STRUCT", "struct"),
    "INTERVAL": ("INTERVAL", "interval"), "VOID": ("NULL", "void"),
}
_HEAD = re.compile(r"^\s*([A-Za-z_]+)\s*(.*)$", re.DOTALL)
_DECIMAL_ARGS = re.compile(r"^\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$")


def column_info(column: Mapping[str, Any], position: int) -> dict[str, Any]:
    """A UC ``ColumnInfo`` body for a blueprint column ``{name, type, comment}`` (pure).

    Raises ``InvalidRequest`` for a type dpn cannot map.
    """
    name = str(column["name"])
    text = str(column["type"]).strip()
    match = _HEAD.match(text)
    head = match.group(1).upper() if match else ""
    rest = match.group(2).strip() if match else ""
    if head not in _SIMPLE_TYPES:
        raise InvalidRequest(f"databricks: column {name!r}: unsupported type {text!r}",
                             platform=PLATFORM, code="INVALID_COLUMN_TYPE")
    type_name, spark = _SIMPLE_TYPES[head]
    nullable = column.get("nullable") is not False
    info: dict[str, Any] = {"name": name, "type_text": text.lower(), "type_name": type_name,
                            "position": position, "nullable": nullable}
    json_type: Any = spark
    if type_name == "DECIMAL":
        args = _DECIMAL_ARGS.match(rest) if rest else None
        if rest and not args:
            raise InvalidRequest(f"databricks: column {name!r}: bad decimal {text!r}",
                                 platform=PLATFORM, code="INVALID_COLUMN_TYPE")
        precision = int(args.group(1)) if args else 10
        scale = int(args.group(2) or 0) if args else 0
        info["type_precision"], info["type_scale"] = precision, scale
        json_type = f"decimal({precision},{scale})"
    elif type_name in ("ARRAY", "MAP", "STRUCT", "INTERVAL") or head in ("CHAR", "VARCHAR"):
        json_type = text.lower()
    metadata = {"comment": column["comment"]} if column.get("comment") else {}
    info["type_json"] = json.dumps({"name": name, "type": json_type, "nullable": nullable,
                                    "metadata": metadata})
    if column.get("comment"):
        info["comment"] = str(column["comment"])
    return info


def column_from_info(info: Mapping[str, Any]) -> dict[str, Any]:
    """A blueprint column from a UC ``ColumnInfo`` dict (pure)."""
    column: dict[str, Any] = {"name": str(info.get("name", "")),
              "type": str(info.get("type_text") or info.get("type_name") or "").upper()}
    if info.get("comment"):
        column["comment"] = str(info["comment"])
    if info.get("nullable") is not None:
        column["nullable"] = bool(info["nullable"])
    return column


def table_observed(info: Mapping[str, Any]) -> Observed:
    """An ``Observed`` from a ``TableInfo`` dict (pure)."""
    catalog, schema, name = str(info["catalog_name"]), str(info["schema_name"]), str(info["name"])
    full = str(info.get("full_name") or f"{catalog}.{schema}.{name}")
    properties = {str(k): str(v) for k, v in (info.get("properties") or {}).items()}
    columns = sorted(info.get("columns") or [], key=lambda c: c.get("position", 0))
    props = drop_none({
        "schema": f"{catalog}.{schema}",
        "columns": [column_from_info(c) for c in columns],
        "storage_location": info.get("storage_location") or None,
        "data_source_format": info.get("data_source_format") or None,
        "comment": info.get("comment") or None,
        "owner": info.get("owner") or None,
    })
    props["properties"] = properties
    return Observed(id=full, name=name, props=freeze(props),
                    attrs={"name": name, "id": full, "full_name": full}, tags=properties)


class TableProvider(DatabricksProvider):
    """``dbx.table``: props ``schema``, ``columns``, ``storage_location``,
    ``data_source_format`` (default DELTA), ``comment``, ``properties`` (tag field)."""

    type = TABLE

    def physical_id(self, spec: Spec) -> str | None:
        return f"{spec.props['schema']}.{spec.name}".lower()

    def read(self, id: str) -> Observed | None:
        return read_or_none(f"table {id!r}",
                            lambda: table_observed(_as_dict(self.client.tables.get(id))))

    def read_many(self, ids: Sequence[str], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        """One paginated ``tables.list`` per parent schema, schemas in parallel."""
        parents = sorted({i.rsplit(".", 1)[0] for i in ids})
        found: dict[str, Observed] = {}
        for part in fan.map([partial(self._of_schema, p) for p in parents]):
            found.update(part)
        return {i: found.get(i) for i in ids}

    def _of_schema(self, parent: str) -> dict[str, Observed]:
        """The tables of schema ``parent`` (``catalog.schema``) by full name."""
        catalog, _, schema = parent.partition(".")
        try:
            with edge("list tables of", f"schema {parent!r}"):
                listed = [table_observed(_as_dict(t))
                          for t in self.client.tables.list(catalog, schema)]
        except NotFound:
            return {}
        return {obs.id: obs for obs in listed}

    def find_many(self, specs: Sequence[Spec], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        """One paginated ``tables.list_summaries`` per catalog (names only, every schema
        at once), then ``read`` of the names already taken, for their owner."""
        ids = {s.key: str(self.physical_id(s)) for s in specs}
        catalogs = sorted({i.split(".", 1)[0] for i in ids.values()})
        taken: set[str] = set()
        for names in fan.map([partial(self._summaries, c) for c in catalogs]):
            taken |= names
        present = [i for i in dict.fromkeys(ids.values()) if i in taken]
        found = dict(zip(present, fan.map([partial(self.read, i) for i in present]),
                         strict=True))
        return {key: found.get(id_) for key, id_ in ids.items()}

    def _summaries(self, catalog: str) -> set[str]:
        """The full names of the tables in ``catalog`` (none if it is gone)."""
        try:
            with edge("list table summaries of", f"catalog {catalog!r}"):
                return {str(t.full_name).lower()
                        for t in self.client.tables.list_summaries(catalog) if t.full_name}
        except NotFound:
            return set()

    def create(self, spec: Spec) -> Observed:
        full = str(self.physical_id(spec))
        what = f"table {full!r}"
        props = thaw(spec.props)
        catalog, _, schema = str(props["schema"]).lower().partition(".")
        body: dict[str, Any] = {
            "name": spec.name.lower(), "catalog_name": catalog, "schema_name": schema,
            "table_type": "EXTERNAL",
            "data_source_format": str(props.get("data_source_format") or DEFAULT_FORMAT).upper(),
            "storage_location": props.get("storage_location"),
            "columns": [column_info(c, i) for i, c in enumerate(props.get("columns") or [])],
        }
        if props.get("properties"):
            body["properties"] = props["properties"]
        if props.get("comment"):
            body["comment"] = props["comment"]
        if self.read(full) is not None:
            raise AlreadyExists(f"databricks: create {what}: it already exists",
                                platform=PLATFORM, code="TABLE_ALREADY_EXISTS")
        try:
            with edge("create", what):
                self.client.api_client.do("POST", "/api/2.1/unity-catalog/tables",
                                          body=drop_none(body))
        except ProviderError as exc:
            if not ours_after_all(exc):
                raise
            mine = self.read(full)
            if mine is None or not ownership_matches(spec, mine.tags):
                raise
            # Absent just before, present now with our tags: our own create took effect.
        observed = self.read(full)
        if observed is None:
            raise NotFound(f"databricks: create {what}: not found when read back",
                           platform=PLATFORM, code="NOT_FOUND")
        return set_owner(observed, props.get("owner"), what,
                         lambda owner: self._owned(full, owner), lambda: self.delete(full))

    def _owned(self, id: str, owner: str) -> Observed:
        self.client.tables.update(id, owner=owner)
        return self.read_back(id, "set the owner of")

    def update(self, id: str, spec: Spec) -> Observed:
        """The owner, the one field a table changes in place (``TablesAPI.update``)."""
        owner = thaw(spec.props).get("owner")
        if not owner:
            raise InvalidRequest(
                f"databricks: update table {id!r}: only the owner changes in place; any "
                "other change replaces the table", platform=PLATFORM,
                code="UPDATE_NOT_SUPPORTED")
        with edge("change the owner of", f"table {id!r}"):
            return self._owned(id, str(owner))

    def delete(self, id: str, *, force_empty: bool = False) -> None:
        try:
            with edge("delete", f"table {id!r}"):
                self.client.tables.delete(id)
        except NotFound:
            return


def _as_dict(obj: Any) -> dict[str, Any]:
    return obj.as_dict() if hasattr(obj, "as_dict") else dict(obj)
