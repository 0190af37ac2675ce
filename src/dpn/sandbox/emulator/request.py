"""A parsed API request and what every handler does with it: read and type-check fields,
validate string maps, and page through a listing behind an opaque ``page_token``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dpn.sandbox.emulator.errors import invalid, missing

Kind = type | tuple[type, ...]


@dataclass
class Request:
    """A parsed API request: ``params`` from the query string, ``body`` the JSON object
    (for GET: the query parameters, first values)."""

    method: str
    path: str
    params: dict[str, list[str]]
    body: dict[str, Any] = field(default_factory=dict)

    def arg(self, name: str) -> Any:
        """A field from the body, else the query string (first value)."""
        if name in self.body:
            return self.body[name]
        values = self.params.get(name)
        return values[0] if values else None

    def args(self, name: str) -> list[str]:
        return self.params.get(name, [])


def require(request: Request, name: str, kind: Kind = str) -> Any:
    """A required field: 400 INVALID_PARAMETER_VALUE if missing, empty or of the wrong type."""
    value = request.arg(name)
    if value is None or value == "":
        raise missing(name)
    return check_type(name, value, kind)


def optional(request: Request, name: str, kind: Kind, default: Any = None) -> Any:
    value = request.arg(name)
    if value is None:
        return default
    return check_type(name, value, kind)


def check_type(name: str, value: Any, kind: Kind) -> Any:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if int in kinds and isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)  # query-string numbers
    if bool in kinds and isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if isinstance(value, bool) and bool not in kinds:
        raise invalid(f"Invalid value for field '{name}': expected {kinds[0].__name__}")
    if not isinstance(value, kinds):
        raise invalid(f"Invalid value for field '{name}': expected {kinds[0].__name__}")
    return value


def string_map(name: str, value: dict[str, Any]) -> dict[str, Any]:
    """``value`` if every value in it is a string (tags, properties, Spark settings), else
    400 INVALID_PARAMETER_VALUE naming the first key that is not."""
    for key, item in value.items():
        if not isinstance(item, str):
            raise invalid(f"Invalid value for '{name}.{key}': expected a string.")
    return value


def set_fields(request: Request, obj: dict[str, Any], fields: Iterable[tuple[str, Kind]]) -> None:
    """An update's plain fields: each one sent (not null) replaces the stored value."""
    for name, kind in fields:
        if request.body.get(name) is not None:
            obj[name] = check_type(name, request.body[name], kind)


@dataclass(frozen=True)
class Page:
    """One page of a listing: its items, and the tokens of the next and previous pages
    (None on the last, resp. the first)."""

    items: list[Any]
    next_token: str | None
    prev_token: str | None

    def tokens(self, prev: bool = False) -> dict[str, str]:
        """The answer's ``next_page_token`` (and with ``prev``, ``prev_page_token``), each
        only when there is such a page."""
        out = {"next_page_token": self.next_token} if self.next_token else {}
        if prev and self.prev_token:
            out["prev_page_token"] = self.prev_token
        return out


def page(items: list[Any], request: Request, size_field: str, default_size: int,
         max_size: int) -> Page:
    """Offset pagination behind an opaque ``page_token`` (``o<offset>``)."""
    size = optional(request, size_field, int, 0) or default_size
    if size < 0:
        raise invalid(f"Invalid value for field '{size_field}': must be non-negative")
    size = min(size, max_size)
    token = optional(request, "page_token", str, "") or ""
    start = 0
    if token:
        if not re.fullmatch(r"o\d+", token):
            raise invalid(f"Invalid page token: {token}")
        start = int(token[1:])
    chunk = items[start:start + size]
    nxt = f"o{start + size}" if start + size < len(items) else None
    return Page(chunk, nxt, _prev_token(request, size_field, default_size, max_size))


def _prev_token(request: Request, size_field: str, default_size: int,
                max_size: int) -> str | None:
    """The token of the page before the one ``request`` asked for (None on the first)."""
    token = request.arg("page_token")
    if not isinstance(token, str) or not re.fullmatch(r"o\d+", token) or token == "o0":
        return None
    size = min(optional(request, size_field, int, 0) or default_size, max_size)
    return f"o{max(0, int(token[1:]) - size)}"
