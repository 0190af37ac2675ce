"""What the Databricks providers share: the client handle, tag helpers, read-or-none."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dpn.errors import NotFound
from dpn.model import KEY_TAG, STACK_TAG, TAG_FIELD
from dpn.providers.base import Observed, Provider, Spec
from dpn.providers.databricks.client import ClientOptions
from dpn.providers.databricks.errors import PLATFORM, edge


def tags_of(rtype: str, props: Mapping[str, Any]) -> dict[str, str]:
    """The tag field's content of ``props`` as a plain dict."""
    value = props.get(TAG_FIELD[rtype]) or {}
    return {str(k): str(v) for k, v in value.items()}


def ownership_matches(spec: Spec, tags: Mapping[str, str]) -> bool:
    """True when ``tags`` carry the spec's ``dpn:stack`` and ``dpn:key``."""
    want = spec.tags
    return (tags.get(STACK_TAG) == want.get(STACK_TAG)
            and tags.get(KEY_TAG) == want.get(KEY_TAG))


def drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


class DatabricksProvider(Provider):
    """Base of the five providers: holds the shared ``WorkspaceClient`` and options."""

    def __init__(self, client: Any, options: ClientOptions | None = None) -> None:
        self.client = client
        self.options = options or ClientOptions()

    access_scope = "databricks"

    def check_access(self) -> None:
        """``current_user.me``: the token works for this workspace."""
        with edge("check credentials with", "the workspace"):
            self.client.current_user.me()

    def find(self, spec: Spec) -> Observed | None:
        """Unity Catalog objects are found by their physical id, their full name."""
        return self.read(str(self.physical_id(spec)))

    def read_back(self, id: str, op: str) -> Observed:
        """The object after ``op``; NotFound if it vanished meanwhile."""
        observed = self.read(id)
        if observed is None:
            raise NotFound(f"databricks: {op} {self.type} {id!r}: not found when read back",
                           platform=PLATFORM, code="NOT_FOUND")
        return observed


def read_or_none(what: str, fetch: Callable[[], Observed]) -> Observed | None:
    """``fetch()`` (one GET), or None when the object does not exist."""
    try:
        with edge("read", what):
            return fetch()
    except NotFound:
        return None
