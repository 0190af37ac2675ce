"""Canonical forms of IAM policy documents and Unity Catalog privilege lists. Pure.

IAM answers a policy document URL-encoded (boto3 decodes it) and may reshape it: a single
value or a one-element list, a single statement or a list of them, statements and values
in another order. terraform-provider-aws compares documents for *equivalence* (the
``awspolicyequivalence`` library) rather than text; ``policy_document`` produces one form
for every equivalent spelling, so comparing forms is that check:

- a document given as JSON text (URL-encoded or not) is parsed;
- ``Statement`` is always a list, sorted (by its canonical JSON);
- ``Action``, ``NotAction``, ``Resource``, ``NotResource`` are sorted lists of unique strings;
- a ``Principal``/``NotPrincipal`` of ``"*"`` stays ``"*"``, ``{"AWS": "*"}`` becomes
  ``"*"``; otherwise each principal type maps to a sorted list;
- each ``Condition`` operator maps each key to a sorted list of strings;
- an empty ``Sid`` is dropped; ``Version`` is kept as given, and a document without one
  is ``2008-10-17``, as IAM reads it (its policy-language default).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

VERSION = "2012-10-17"          # what dpn writes
DEFAULT_VERSION = "2008-10-17"  # what IAM assumes when a document has no Version
_LISTS = ("Action", "NotAction", "Resource", "NotResource")
_PRINCIPALS = ("Principal", "NotPrincipal")


def _strings(value: Any) -> list[str]:
    """A sorted list of unique strings from one value or a list of values."""
    items = value if isinstance(value, list | tuple) else [value]
    return sorted({str(v) for v in items if v is not None})


def parsed(value: Any) -> Any:
    """A policy document from JSON text, URL-encoded or not; other values as they are."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith(("%7B", "%7b")):
        text = unquote(text)
    if not text.startswith("{"):
        return value
    try:
        return json.loads(text)
    except ValueError:
        return value


def _principal(value: Any) -> Any:
    if value == "*" or (isinstance(value, Mapping) and set(value) == {"AWS"}
                        and _strings(value["AWS"]) == ["*"]):
        return "*"
    if isinstance(value, Mapping):
        return {str(k): _strings(v) for k, v in sorted(value.items())}
    return value


def _statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field, value in statement.items():
        if field in _LISTS:
            out[field] = _strings(value)
        elif field in _PRINCIPALS:
            out[field] = _principal(value)
        elif field == "Condition" and isinstance(value, Mapping):
            out[field] = {str(op): {str(k): _strings(v) for k, v in sorted(keys.items())}
                          for op, keys in sorted(value.items()) if isinstance(keys, Mapping)}
        elif field == "Sid" and not value:
            continue
        else:
            out[field] = value
    return out


def _key(statement: Mapping[str, Any]) -> str:
    return json.dumps(statement, sort_keys=True)


def policy_document(value: Any) -> Any:
    """The canonical form of an IAM policy document (see the module docstring); a value
    that is not a document (``"unity_catalog"``) is returned as it is."""
    doc = parsed(value)
    if not isinstance(doc, Mapping):
        return doc
    raw = doc.get("Statement")
    statements = raw if isinstance(raw, list | tuple) else [raw] if raw else []
    out: dict[str, Any] = {k: v for k, v in doc.items() if k != "Statement"}
    out.setdefault("Version", DEFAULT_VERSION)
    out["Statement"] = sorted((_statement(s) for s in statements if isinstance(s, Mapping)),
                              key=_key)
    return out


def policy_documents(value: Any) -> Any:
    """A map of policy name to document, each document in canonical form."""
    if not isinstance(value, Mapping):
        return value
    return {str(k): policy_document(v) for k, v in value.items()}


def string_set(value: Any) -> Any:
    """A list compared as a set: sorted, without duplicates."""
    if not isinstance(value, list | tuple):
        return value
    return _strings(value)


def privilege(name: str) -> str:
    """A Unity Catalog privilege as the service reports it: upper case, ``_`` for spaces
    (terraform-provider-databricks ``permissions.NormalizePrivilege``)."""
    return "_".join(name.strip().upper().split())


def privilege_sets(value: Any) -> Any:
    """Principal to privileges, each list a sorted set of normalised privileges."""
    if not isinstance(value, Mapping):
        return value
    return {str(p): sorted({privilege(str(v)) for v in (privs or [])})
            for p, privs in value.items()}
