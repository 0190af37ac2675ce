"""What the Databricks providers share: the client handle, tag helpers, read-or-none, and
the create of an object that carries no ownership tags."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dpn.errors import AlreadyExists, NotFound, ProviderError, Transient
from dpn.model import KEY_TAG, STACK_TAG, TAG_FIELD
from dpn.providers.base import Observed, Provider, Spec
from dpn.providers.databricks.client import ClientOptions
from dpn.providers.databricks.errors import PLATFORM, edge, ours_after_all


def tags_of(rtype: str, props: Mapping[str, Any]) -> dict[str, str]:
    """The tag field's content of ``props`` as a plain dict."""
    field = TAG_FIELD.get(rtype)
    value = (props.get(field) if field else None) or {}
    return {str(k): str(v) for k, v in value.items()}


def ownership_matches(spec: Spec, tags: Mapping[str, str]) -> bool:
    """True when ``tags`` carry the spec's ``dpn:stack`` and ``dpn:key``."""
    want = spec.tags
    return (tags.get(STACK_TAG) == want.get(STACK_TAG)
            and tags.get(KEY_TAG) == want.get(KEY_TAG))


def drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


class DatabricksProvider(Provider):
    """Base of the Databricks providers: holds the shared ``WorkspaceClient`` and options."""

    def __init__(self, client: Any, options: ClientOptions | None = None) -> None:
        self.client = client
        self.options = options or ClientOptions()

    access_scope = "databricks"

    def check_access(self) -> None:
        """``current_user.me``: the token works for this workspace."""
        with edge("check credentials with", "the workspace"):
            self.client.current_user.me()

    def check_changes(self, changes: Sequence[Any]) -> list[str]:
        """What Unity Catalog would refuse of the planned ``changes`` (``dpn.uc_access``):
        a few workspace reads, only when the plan creates in Unity Catalog."""
        from dpn.providers.databricks.access import uc_problems

        return uc_problems(self.client, changes)

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


def as_dict(obj: Any) -> dict[str, Any]:
    """An SDK dataclass (or a plain mapping) as a dict."""
    return obj.as_dict() if hasattr(obj, "as_dict") else dict(obj)


def create_untagged(what: str, code: str, read: Callable[[], Observed | None],
                    post: Callable[[], Observed]) -> Observed:
    """Create an object that can carry no ownership tags (``dpn.model.UNTAGGED``): looked
    up first, so an existing one is ``AlreadyExists`` (``code``) for the engine to resolve
    from its state; then posted. A post whose outcome is unknown, or that answers
    ``ALREADY_EXISTS`` (the SDK re-sent it after a 503 or a dropped connection), is
    settled by reading: absent a moment before and present now, the object is this
    create's."""
    if read() is not None:
        raise AlreadyExists(f"databricks: create {what}: it already exists",
                            platform=PLATFORM, code=code)
    try:
        with edge("create", what):
            return post()
    except ProviderError as exc:
        if not ours_after_all(exc):
            raise
        mine = read()
        if mine is None:
            raise
        return mine


def set_owner(created: Observed, owner: str | None, what: str,
              update: Callable[[str], Observed], remove: Callable[[], None]) -> Observed:
    """``created`` with ``owner`` set by ``update`` (Unity Catalog creates take no owner:
    the creator owns the object until an update says otherwise). If that update fails,
    ``remove`` deletes the object again, so a create that raises created nothing; if that
    fails too, the outcome is unknown (``Transient``), for the engine to settle."""
    if not owner or created.props.get("owner") == owner:
        return created
    try:
        with edge("set the owner of", what):
            return update(owner)
    except ProviderError as exc:
        try:
            remove()
        except ProviderError as again:
            raise Transient(f"databricks: set the owner of {what}: {exc}; deleting it again "
                            f"failed too: {again}", platform=PLATFORM, code=exc.code) from exc
        raise
