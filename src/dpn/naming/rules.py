"""Naming rules as data: SPEC section 4, one entry per resource type.

Everything the name checker and the pattern renderer know about a type lives here, so a
rule change is a one-line change in this file (and a case in the naming case table).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from dpn import model

# Tokens a pattern may use, and where their values come from.
METADATA_TOKENS: tuple[str, ...] = ("org", "env", "project", "region")
RESOURCE_TOKENS: tuple[str, ...] = ("domain", "layer", "purpose", "entity")
TOKENS: tuple[str, ...] = METADATA_TOKENS + RESOURCE_TOKENS

DEFAULT_ENVIRONMENTS: tuple[str, ...] = ("dev", "tst", "stg", "prd")
DEFAULT_LAYERS: tuple[str, ...] = ("landing", "raw", "bronze", "silver", "gold", "curated")

DEFAULT_PATTERNS: Mapping[str, str] = MappingProxyType({
    model.S3_BUCKET: "{org}-{env}-{project}-{layer}-{purpose}",
    model.GLUE_DATABASE: "{env}_{domain}_{layer}",
    model.GLUE_TABLE: "{entity}",
    model.CLUSTER: "{env}-{project}-{purpose}",
    model.JOB: "{env}-{project}-{purpose}",
    model.CATALOG: "{env}_{domain}",
    model.SCHEMA: "{layer}",
    model.TABLE: "{entity}",
    model.IAM_ROLE: "{org}-{env}-{project}-{purpose}",
    model.STORAGE_CREDENTIAL: "{env}_{purpose}",
    model.EXTERNAL_LOCATION: "{env}_{purpose}",
    model.VOLUME: "{entity}",
})
# dbx.grants has neither a pattern nor a rule: it is not a named object (model.ATTACHED).

# Athena reserved words (DDL and SELECT lists of the Athena documentation), lower case.
ATHENA_RESERVED: frozenset[str] = frozenset("""
all alter and array as authorization between bigint binary boolean both by case cashe cast
char column conf constraint commit create cross cube current current_catalog current_date
current_path current_schema current_time current_timestamp current_user cursor database
date dayofweek deallocate decimal delete describe distinct div double drop else end escape
except exchange execute exists extended external extract false fetch first float floor
following for foreign from full function grant group grouping having if import in inner
insert int integer intersect interval into is join json_array json_exists json_object
json_query json_table json_value last lateral left less like listagg local localtime
localtimestamp macro map more natural none normalize not null numeric of on only or order
out outer over partialscan partition percent preceding precision prepare preserve primary
procedure range reads recursive reduce references regexp revoke right rlike rollback
rollup row rows select set skip smallint start table tablesample then time timestamp to
transform trigger trim true truncate uescape unbounded union uniquejoin unnest update
user using utc_timestamp values varchar views when where window with
""".split())

_IP_FORM = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_LOWER_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
# IAM role names (IAM CreateRole, RoleName): case-insensitive, unique in the account.
_IAM_NAME = re.compile(r"^[A-Za-z0-9+=,.@_-]+$")


@dataclass(frozen=True)
class NameRule:
    """What a name of one type must satisfy.

    ``style`` is ``hyphen`` (``_`` becomes ``-``) or ``underscore`` (``-`` becomes ``_``);
    ``pattern`` None means any printable characters; ``max_len`` counts bytes when
    ``length_in_bytes``. ``scope`` says where two equal names collide. ``pattern_words``
    says in words what ``pattern`` allows, where the style's usual wording does not fit.
    """

    style: str
    pattern: re.Pattern[str] | None
    min_len: int
    max_len: int
    scope: str
    length_in_bytes: bool = False
    forbidden_prefixes: tuple[str, ...] = ()
    forbidden_suffixes: tuple[str, ...] = ()
    forbidden_names: frozenset[str] = frozenset()
    reserved_words: frozenset[str] = frozenset()
    reject_ip_form: bool = False
    pattern_words: str = ""

    @property
    def delimiter(self) -> str:
        return "-" if self.style == "hyphen" else "_"


RULES: Mapping[str, NameRule] = MappingProxyType({
    model.S3_BUCKET: NameRule(
        style="hyphen", pattern=re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$"),
        min_len=3, max_len=63, scope="global (S3)",
        forbidden_prefixes=("xn--", "sthree-", "amzn-s3-demo-"),
        forbidden_suffixes=("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3", "-an"),
        reject_ip_form=True),
    model.GLUE_DATABASE: NameRule(
        style="underscore", pattern=_LOWER_IDENT, min_len=1, max_len=255,
        scope="account and region", reserved_words=ATHENA_RESERVED),
    model.GLUE_TABLE: NameRule(
        style="underscore", pattern=_LOWER_IDENT, min_len=1, max_len=255,
        scope="database", reserved_words=ATHENA_RESERVED),
    model.CATALOG: NameRule(
        style="underscore", pattern=_LOWER_IDENT, min_len=1, max_len=255,
        scope="metastore", forbidden_prefixes=("sys", "databricks"),
        forbidden_names=frozenset({"hive_metastore"})),
    model.SCHEMA: NameRule(
        style="underscore", pattern=_LOWER_IDENT, min_len=1, max_len=255,
        scope="catalog", forbidden_prefixes=("sys",),
        forbidden_names=frozenset({"builtin", "session", "information_schema"})),
    model.TABLE: NameRule(
        style="underscore", pattern=_LOWER_IDENT, min_len=1, max_len=255, scope="schema"),
    model.CLUSTER: NameRule(
        style="hyphen", pattern=None, min_len=1, max_len=100, scope="blueprint"),
    model.JOB: NameRule(
        style="hyphen", pattern=None, min_len=1, max_len=4096, scope="blueprint",
        length_in_bytes=True),
    model.IAM_ROLE: NameRule(
        style="hyphen", pattern=_IAM_NAME, min_len=1, max_len=64, scope="account",
        pattern_words="letters, digits and '+=,.@_-'"),
    model.STORAGE_CREDENTIAL: NameRule(
        style="underscore", pattern=_LOWER_IDENT, min_len=1, max_len=255, scope="metastore"),
    model.EXTERNAL_LOCATION: NameRule(
        style="underscore", pattern=_LOWER_IDENT, min_len=1, max_len=255, scope="metastore"),
    model.VOLUME: NameRule(
        style="underscore", pattern=_LOWER_IDENT, min_len=1, max_len=255, scope="schema"),
})


def is_ip_form(name: str) -> bool:
    return bool(_IP_FORM.match(name))
