"""The provider interface: what the engine may ask of a platform, and what it may expect.

A provider manages one resource type. Every method either returns normally or raises a
``dpn.errors.ProviderError`` subclass: no foreign exception (``botocore`` or
``databricks.sdk``) ever leaves a provider.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, TypeVar

from dpn.model import KEY_TAG, STACK_TAG, TAG_FIELD

T = TypeVar("T")


class Fanout(Protocol):
    """How a bulk read runs its calls: the engine passes its bounded pool
    (``dpn.engine.pool.CallPool``), shared by every type and both clouds; ``SERIAL`` runs
    them one after another. Only reads go through it: they are safe to retry."""

    def call(self, fn: Callable[[], T]) -> T:
        """``fn()`` (one call, or a listing's pages) in a slot of the bound."""
        ...

    def map(self, fns: Sequence[Callable[[], T]]) -> list[T]:
        """Every ``fn()`` through ``call``, in parallel where it can; results in order."""
        ...


class _Serial:
    def call(self, fn: Callable[[], T]) -> T:
        return fn()

    def map(self, fns: Sequence[Callable[[], T]]) -> list[T]:
        return [fn() for fn in fns]


SERIAL: Fanout = _Serial()


@dataclass(frozen=True)
class Spec:
    """A desired resource with every reference resolved: what ``create`` and ``update`` get.

    ``props`` is the whole desired configuration in blueprint vocabulary, with the type's
    tag field (``dpn.model.TAG_FIELD``) holding the ownership tags ``dpn:stack`` and
    ``dpn:key`` and the blueprint's metadata tags. Parent fields hold parent *names*
    (``database``: ``"prd_sales_silver"``; ``schema``: ``"prd_sales.gold"``).
    ``token`` is a deterministic idempotency token for this create (transaction + key).
    """

    key: str
    type: str
    name: str
    props: Mapping[str, Any]
    token: str = ""

    @property
    def tags(self) -> Mapping[str, str]:
        """The tag field's content; empty for a type without one (``model.UNTAGGED``)."""
        field = TAG_FIELD.get(self.type)
        return (self.props.get(field) if field else None) or {}

    @property
    def stack(self) -> str:
        return str(self.tags.get(STACK_TAG, ""))


@dataclass(frozen=True)
class Observed:
    """What a provider read from the platform.

    ``id`` is the physical id of SPEC section 2 (bucket name, ``database.table``,
    ``cluster_id``, ``job_id``, ``catalog.schema``...). ``attrs`` holds the reference
    attributes (``name``, ``id``, ``full_name``, ``arn``, ``uri`` where the type has them).
    ``props`` is the live configuration in the same vocabulary as ``Spec.props``, tag field
    included, so ``dpn.canonical.diff(type, observed.props, spec.props)`` is meaningful and
    ``observed.props`` is a before-image that ``update`` can restore. ``status`` is the
    object's lifecycle state where the platform has one (a cluster's ``RUNNING``), which
    tells the plan what an update would do besides changing settings.
    """

    id: str
    name: str
    props: Mapping[str, Any]
    attrs: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    status: str | None = None

    def owned_by(self, stack: str, key: str) -> bool:
        return self.tags.get(STACK_TAG) == stack and self.tags.get(KEY_TAG) == key


@dataclass(frozen=True)
class StoredObject:
    """One object as an object store (the S3 state backend's bucket) returned it."""

    body: bytes
    etag: str            # changes with every write; conditions name it
    modified: float      # LastModified, epoch seconds (the store's clock)


class Provider(ABC):
    """One resource type on one platform.

    Contracts every implementation honours:

    - ``read`` and ``find`` never change anything.
    - ``create``: if it raises, the object was not created, except for ``Transient``
      errors, whose outcome is unknown (the engine then resolves it with ``find``).
      An ``AlreadyExists`` after a retried create is resolved by ``find`` and the
      ownership tags, never by guessing.
    - ``update`` sets every field of dpn's vocabulary to ``spec`` and keeps the settings
      outside it (read-modify-write where the API replaces the object); it is idempotent.
    - ``delete`` is idempotent: a missing object is not an error. It refuses a non-empty
      container with ``NotEmpty`` unless ``force_empty``.
    """

    type: str = ""

    @abstractmethod
    def physical_id(self, spec: Spec) -> str | None:
        """The physical id this spec will have, if it is known before create (None for
        clusters and jobs, whose ids the platform assigns)."""

    @abstractmethod
    def read(self, id: str) -> Observed | None:
        """The object with this physical id, or None if it does not exist."""

    def read_many(self, ids: Sequence[str], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        """Bulk ``read``, its calls through ``fan``; implementations list per parent or per
        page where the API can, and read one object at a time only what no listing
        shows."""
        found = fan.map([partial(self.read, i) for i in ids])
        return dict(zip(ids, found, strict=True))

    @abstractmethod
    def find(self, spec: Spec) -> Observed | None:
        """The existing object this spec would create (same name and scope; clusters also
        by ``spec.token``), whoever owns it, or None. Used to resolve unknown outcomes."""

    def find_many(self, specs: Sequence[Spec], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        """``find`` for each spec, by ``spec.key``, its calls through ``fan``: what a live
        plan reads to check that the names it will create are free. Implementations list
        per parent where the API can; ``find`` is the per-object fallback."""
        found = fan.map([partial(self.find, s) for s in specs])
        return {s.key: f for s, f in zip(specs, found, strict=True)}

    def find_many_by_id(self, ids: Mapping[str, str], fan: Fanout = SERIAL
                        ) -> dict[str, Observed | None]:
        """``find_many`` of a type whose id follows from the spec (``ids``: spec key ->
        id): ``read_many`` of those ids, so one listing per parent answers them all."""
        found = self.read_many(list(dict.fromkeys(ids.values())), fan)
        return {key: found[id_] for key, id_ in ids.items()}

    @abstractmethod
    def create(self, spec: Spec) -> Observed:
        """Create the object and return it: as the create call answered, or, where the API
        answers nothing, as it was sent (a read-back would double the calls)."""

    @abstractmethod
    def update(self, id: str, spec: Spec) -> Observed:
        """Change the object in place to match ``spec`` and return it as read back."""

    @abstractmethod
    def delete(self, id: str, *, force_empty: bool = False) -> None:
        """Delete the object (and, with ``force_empty``, what it contains)."""

    # Providers sharing credentials and a service share a scope: the engine checks access
    # once per scope, before anything changes.
    access_scope: str = ""

    @abstractmethod
    def check_access(self) -> None:
        """One cheap read proving the credentials work (``PermissionDenied`` if not)."""
