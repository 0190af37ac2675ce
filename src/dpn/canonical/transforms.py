"""The named pure functions a rule's ``transform`` applies (``TRANSFORMS``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from dpn.canonical import policy

_SPACES = re.compile(r"\s+")
_AROUND = re.compile(r"\s*([(),<>:])\s*")
_SQL_ALIASES = {"LONG": "BIGINT", "INTEGER": "INT", "SHORT": "SMALLINT", "BYTE": "TINYINT",
                "REAL": "FLOAT", "BOOL": "BOOLEAN", "DEC": "DECIMAL", "NUMERIC": "DECIMAL",
                "TIMESTAMP_LTZ": "TIMESTAMP"}


def sql_type(value: Any) -> Any:
    """A Spark SQL type as Unity Catalog compares it: upper case, no spaces around
    punctuation, aliases spelt one way, ``DECIMAL`` with its default precision (10, 0)."""
    if not isinstance(value, str):
        return value
    text = _AROUND.sub(r"\1", _SPACES.sub(" ", value.strip())).upper()
    head, _, rest = text.partition("(")
    head = _SQL_ALIASES.get(head, head)
    if head == "DECIMAL" and not rest:
        return "DECIMAL(10,0)"
    if head == "DECIMAL" and rest.rstrip(")").isdigit():
        return f"DECIMAL({rest.rstrip(')')},0)"
    return f"{head}({rest}" if rest else head


TRANSFORMS: Mapping[str, Callable[[Any], Any]] = {
    "sql_type": sql_type, "policy_document": policy.policy_document,
    "policy_documents": policy.policy_documents, "string_set": policy.string_set,
    "privilege_sets": policy.privilege_sets,
}
