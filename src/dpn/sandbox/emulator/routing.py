"""The emulator's routes: each API module declares its own on a ``Routes`` table with
decorators (``@routes.get(r"/(?P<name>[^/]+)")``: paths as regular expressions), and the app
(app.py) matches requests against the tables of every module. Route modules import this
module, never the app, so the app is the only one that knows them all."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

Handler = Callable[..., dict[str, Any]]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True)
class Route:
    """One endpoint: the handler answers ``method`` on paths ``pattern`` matches (its
    named groups become keyword arguments); a trailing slash is accepted."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler


class Routes:
    """The routes of one API module, under a common path ``prefix`` (a regex)."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self._routes: list[Route] = []

    def __iter__(self) -> Iterator[Route]:
        return iter(self._routes)

    def route(self, method: str, path: str = "") -> Callable[[H], H]:
        """Register the decorated handler for ``method`` on ``prefix + path``."""
        def register(handler: H) -> H:
            pattern = re.compile(self.prefix + path + r"/?$")
            self._routes.append(Route(method, pattern, handler))
            return handler
        return register

    def get(self, path: str = "") -> Callable[[H], H]:
        return self.route("GET", path)

    def post(self, path: str = "") -> Callable[[H], H]:
        return self.route("POST", path)

    def patch(self, path: str = "") -> Callable[[H], H]:
        return self.route("PATCH", path)

    def delete(self, path: str = "") -> Callable[[H], H]:
        return self.route("DELETE", path)
