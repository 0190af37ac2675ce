"""The resource model shared by the blueprint, the planner, the engine and the providers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

# Resource types, in the order of SPEC section 2.
S3_BUCKET = "aws.s3_bucket"
GLUE_DATABASE = "aws.glue_database"
GLUE_TABLE = "aws.glue_table"
CLUSTER = "dbx.cluster"
JOB = "dbx.job"
CATALOG = "dbx.catalog"
SCHEMA = "dbx.schema"
TABLE = "dbx.table"
# Storage and access (SPEC section 11).
IAM_ROLE = "aws.iam_role"
STORAGE_CREDENTIAL = "dbx.storage_credential"
EXTERNAL_LOCATION = "dbx.external_location"
VOLUME = "dbx.volume"
GRANTS = "dbx.grants"

RESOURCE_TYPES: tuple[str, ...] = (
    S3_BUCKET, GLUE_DATABASE, GLUE_TABLE, CLUSTER, JOB, CATALOG, SCHEMA, TABLE,
    IAM_ROLE, STORAGE_CREDENTIAL, EXTERNAL_LOCATION, VOLUME, GRANTS,
)


def platform_of(rtype: str) -> str:
    """``aws`` or ``databricks``."""
    return "aws" if rtype.startswith("aws.") else "databricks"


# The property of each type that carries tags: ownership tags (dpn:stack, dpn:key) and
# metadata.tags are merged into it, so a Spec's props are the object's whole configuration.
# Types without one (``UNTAGGED``) cannot carry dpn's marks.
TAG_FIELD: Mapping[str, str] = MappingProxyType({
    S3_BUCKET: "tags",
    GLUE_DATABASE: "tags",
    GLUE_TABLE: "parameters",
    CLUSTER: "custom_tags",
    JOB: "tags",
    CATALOG: "properties",
    SCHEMA: "properties",
    TABLE: "properties",
    IAM_ROLE: "tags",
})

# Types whose objects carry neither tags nor properties (Unity Catalog storage credentials,
# external locations and volumes; grants), so nothing on the platform says which stack made
# one. The stack owns such an object when its state (or the WAL of the transaction that
# made it) records its physical id under the key: the engine checks ownership against
# that record instead of ``Observed.owned_by``, checks a name is free before a create (as
# for ``TAGGED_AFTER_CREATE``), and never adopts one it finds by name.
UNTAGGED: frozenset[str] = frozenset({STORAGE_CREDENTIAL, EXTERNAL_LOCATION, VOLUME, GRANTS})

# Types that are settings of another object rather than objects: a dbx.grants is the
# privileges of its listed principals on one securable. It has no name of its own (its
# name is its key) and is never "found": ``find`` returns the listed principals' current
# privileges, a before-image, not a rival object. Creating one changes what exists, so
# the engine records its create with that before-image and undoes it by restoring it.
ATTACHED: frozenset[str] = frozenset({GRANTS})

# Types whose create makes the object before it can carry its ownership tags (CreateBucket,
# then PutBucketTagging). The engine checks their name is free before the intent, so that
# recovery may claim an untagged object that an interrupted create left behind.
TAGGED_AFTER_CREATE: frozenset[str] = frozenset({S3_BUCKET})

# The parent field of each type that has one, and the parent's type.
PARENT_FIELD: Mapping[str, tuple[str, str]] = MappingProxyType({
    GLUE_TABLE: ("database", GLUE_DATABASE),
    SCHEMA: ("catalog", CATALOG),
    TABLE: ("schema", SCHEMA),
    VOLUME: ("schema", SCHEMA),
})

# Resource fields that feed the name pattern (or override it): not platform settings.
NAMING_INPUTS: frozenset[str] = frozenset({"type", "name", "layer", "domain", "purpose",
                                           "entity"})

# Resource fields that tell dpn how to manage the object (``lifecycle``): not platform
# settings, never sent or compared.
RESOURCE_OPTIONS: frozenset[str] = frozenset({"lifecycle"})

STACK_TAG = "dpn:stack"
KEY_TAG = "dpn:key"

# Attributes a reference may name: ${key.attr}.
REFERENCE_ATTRS: tuple[str, ...] = ("name", "id", "full_name", "arn", "uri", "external_id")

UNKNOWN = "(known after apply)"


def freeze(value: Any) -> Any:
    """A deep read-only copy of JSON-like data (dicts become mappingproxies, lists tuples)."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Plain JSON-serialisable data from ``freeze``'s output."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class Lifecycle:
    """How dpn may change a resource (``lifecycle`` in the blueprint).

    ``prevent_destroy``: a plan that deletes or replaces it is refused before any call.
    ``ignore_changes``: properties (``field``, or ``field.key`` of a map) that dpn leaves
    as they are live once the object exists: a difference is reported as drift, never
    repaired, and never planned as an update.
    """

    prevent_destroy: bool = False
    ignore_changes: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.prevent_destroy and not self.ignore_changes


NO_LIFECYCLE = Lifecycle()


@dataclass(frozen=True)
class Resource:
    """One desired resource of a validated blueprint.

    ``props`` holds the type's properties (not the naming inputs, ``type`` or ``name``),
    with the tag field already merged with ownership and metadata tags. String values may
    still hold references (``${key}``, ``${key.attr}``); ``depends_on`` lists their keys.
    """

    key: str
    type: str
    name: str
    full_name: str  # the untruncated generated name (equal to ``name`` unless cut)
    props: Mapping[str, Any]
    depends_on: tuple[str, ...] = ()
    lifecycle: Lifecycle = NO_LIFECYCLE

    @property
    def platform(self) -> str:
        return platform_of(self.type)


@dataclass(frozen=True)
class Metadata:
    org: str
    env: str
    project: str
    region: str
    owner: str | None = None
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    dev_user: str | None = None  # a development copy's normalised user (``--dev-user``)

    @property
    def stack(self) -> str:
        base = f"{self.org}-{self.env}-{self.project}"
        return f"{base}-dev-{self.dev_user}" if self.dev_user else base


@dataclass(frozen=True)
class Move:
    """A ``moved`` entry: the resource recorded under ``source`` is now ``target``."""

    source: str
    target: str

    def to_json(self) -> dict[str, str]:
        return {"from": self.source, "to": self.target}


@dataclass(frozen=True)
class Blueprint:
    """A validated blueprint: resources keyed and in file order, names generated.

    For a blueprint with ``environments``, one environment's: ``environment`` names it
    (and is ``metadata.env``); ``environments`` lists every one it declares."""

    path: str
    metadata: Metadata
    resources: Mapping[str, Resource]
    backend: str | None = None  # where state, WAL and lock live ("local", "s3://...")
    moved: tuple[Move, ...] = ()
    outputs: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    environment: str | None = None
    environments: tuple[str, ...] = ()

    @property
    def stack(self) -> str:
        return self.metadata.stack


@dataclass(frozen=True)
class ResourceState:
    """What the state file records of one applied resource.

    ``props`` are the canonical form (``dpn.canonical``) of the object as read back after
    the last operation, so a difference from the live object means a change made outside
    dpn; ``attrs`` the reference attributes read back (``id``, ``name``, ``full_name``,
    ``arn``, ``uri``).
    """

    key: str
    type: str
    name: str
    id: str
    props: Mapping[str, Any]
    attrs: Mapping[str, str]
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class StackState:
    """A stack's state: ``serial`` grows by one on every write."""

    stack: str
    serial: int = 0
    resources: Mapping[str, ResourceState] = field(
        default_factory=lambda: MappingProxyType({}))
