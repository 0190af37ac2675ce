"""Name generation and checking (SPEC section 4); the rules themselves are data in
``dpn.naming.rules``.

- ``pattern_tokens(pattern)``: the ``{token}`` fields of a pattern, in order.
- ``render(rtype, pattern, values)``: the generated name, normalised and, if too long, cut.
- ``check(rtype, name)``: every rule the name breaks, as messages (empty when valid).
- ``normalise_user(user)`` and ``dev_prefix(rtype, user)``: development mode, where every
  name of a per-engineer copy of a stack starts with ``dev-<user>-`` (hyphen-style types)
  or ``dev_<user>_`` (underscore-style types), still cut to the type's length.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from dpn.naming.rules import (
    DEFAULT_ENVIRONMENTS,
    DEFAULT_LAYERS,
    DEFAULT_PATTERNS,
    RULES,
    TOKENS,
    NameRule,
    is_ip_form,
)

__all__ = [
    "DEFAULT_ENVIRONMENTS", "DEFAULT_LAYERS", "DEFAULT_PATTERNS", "RULES", "TOKENS",
    "GeneratedName", "MissingToken", "NameRule", "check", "dev_prefix", "normalise",
    "normalise_user", "pattern_tokens", "render", "truncate",
]

_FIELD = re.compile(r"\{([^{}]*)\}")
HASH_LEN = 6
USER_MAX = 32
_USER_CHARS = re.compile(r"^[A-Za-z0-9._+@-]+$")
_USER_SPLIT = re.compile(r"[^a-z0-9]+")


class MissingToken(Exception):
    """A pattern needs a value the resource (or metadata) lacks."""

    def __init__(self, token: str) -> None:
        self.token = token
        super().__init__(token)


@dataclass(frozen=True)
class GeneratedName:
    name: str        # the name to use (cut if the full one was too long)
    full_name: str   # the untruncated name

    @property
    def truncated(self) -> bool:
        return self.name != self.full_name


def pattern_tokens(pattern: str) -> list[str]:
    """The field names of ``pattern`` in order (unknown ones included, for the caller to
    report)."""
    return _FIELD.findall(pattern)


def pattern_problems(pattern: str) -> list[str]:
    """What is wrong with a pattern itself: unknown tokens, stray braces."""
    problems = [f"unknown token '{{{t}}}' (tokens: {', '.join(TOKENS)})"
                for t in pattern_tokens(pattern) if t not in TOKENS]
    rest = _FIELD.sub("", pattern)
    if "{" in rest or "}" in rest:
        problems.append("unbalanced '{' or '}'")
    if not pattern_tokens(pattern):
        problems.append("has no {token}: every resource of the type would get the same name")
    return problems


def normalise(rtype: str, name: str) -> str:
    """Lower case, and ``_``/``-`` turned into the type's delimiter."""
    rule = RULES[rtype]
    name = name.lower()
    return name.replace("_", "-") if rule.style == "hyphen" else name.replace("-", "_")


def _length(rule: NameRule, name: str) -> int:
    return len(name.encode("utf-8")) if rule.length_in_bytes else len(name)


def truncate(rtype: str, name: str) -> str:
    """``name`` if it fits, else its head, the delimiter and the first 6 hex characters of
    the SHA-256 of the whole name (deterministic)."""
    rule = RULES[rtype]
    if _length(rule, name) <= rule.max_len:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:HASH_LEN]
    keep = rule.max_len - HASH_LEN - 1
    head = name.encode("utf-8")[:keep].decode("utf-8", "ignore") if rule.length_in_bytes \
        else name[:keep]
    head = head.rstrip("-_") or head
    return f"{head}{rule.delimiter}{digest}"


def normalise_user(user: str) -> str:
    """A development-mode user name in canonical form: the local part of an e-mail
    address, lower case, every run of other characters turned into one ``-``, e.g.
    ``Jane.Doe@acme.com`` -> ``jane-doe``. Raises ``ValueError`` (with the reason) for an
    empty name, characters other than letters, digits and ``. _ - + @``, or more than
    32 characters once normalised."""
    raw = user.strip()
    if not raw or not _USER_CHARS.fullmatch(raw):
        raise ValueError(f"dev user {user!r}: use letters, digits and '.', '_', '-' "
                         "(an e-mail address is fine)")
    local = raw.split("@", 1)[0]
    parts = [p for p in _USER_SPLIT.split(local.lower()) if p]
    if not parts:
        raise ValueError(f"dev user {user!r}: has no letter or digit")
    name = "-".join(parts)
    if len(name) > USER_MAX:
        raise ValueError(f"dev user {user!r}: at most {USER_MAX} characters once "
                         f"normalised (is {len(name)}: {name!r})")
    return name


def dev_prefix(rtype: str, user: str) -> str:
    """The development-mode prefix of ``rtype`` names for ``user`` (any form
    ``normalise_user`` accepts): ``dev-<user>-`` or ``dev_<user>_``."""
    return normalise(rtype, f"dev-{normalise_user(user)}-")


@functools.lru_cache(maxsize=256)
def _pieces(pattern: str) -> tuple[str, ...]:
    """``pattern`` split into literal text and field names, alternately (literal first)."""
    return tuple(_FIELD.split(pattern))


def render(rtype: str, pattern: str, values: Mapping[str, str | None],
           prefix: str = "") -> GeneratedName:
    """Fill ``pattern`` from ``values``, put ``prefix`` (e.g. ``dev_prefix``) in front,
    normalise, and cut to the type's length.

    Raises ``MissingToken`` for the first field with no value (unknown tokens count as
    missing: validate patterns with ``pattern_problems`` first)."""
    pieces = _pieces(pattern)
    parts = [prefix, pieces[0]]
    for i in range(1, len(pieces), 2):
        value = values.get(pieces[i])
        if not value:
            raise MissingToken(pieces[i])
        parts.append(str(value))
        parts.append(pieces[i + 1])
    full = normalise(rtype, "".join(parts))
    return GeneratedName(name=truncate(rtype, full), full_name=full)


def check(rtype: str, name: str) -> list[str]:
    """Every rule of SPEC section 4 that ``name`` breaks, as messages; empty if valid."""
    rule = RULES[rtype]
    problems: list[str] = []
    length = _length(rule, name)
    unit = "bytes" if rule.length_in_bytes else "characters"
    if length < rule.min_len or length > rule.max_len:
        problems.append(f"must be {rule.min_len}-{rule.max_len} {unit} long (is {length})")
    if rule.pattern is None:
        if not name.isprintable():
            problems.append("must contain printable characters only")
    elif not rule.pattern.fullmatch(name):
        what = rule.pattern_words or ((
            "lower-case letters, digits and '-', starting and ending with a letter or "
            "digit (no dots)") if rule.style == "hyphen" else (
            "a lower-case letter followed by lower-case letters, digits and '_'"))
        problems.append(f"must be {what}")
    for prefix in rule.forbidden_prefixes:
        if name.startswith(prefix):
            problems.append(f"must not start with '{prefix}'")
    for suffix in rule.forbidden_suffixes:
        if name.endswith(suffix):
            problems.append(f"must not end with '{suffix}'")
    if name in rule.forbidden_names:
        problems.append(f"'{name}' is reserved")
    if name in rule.reserved_words:
        problems.append(f"'{name}' is an Athena reserved word")
    if rule.reject_ip_form and is_ip_form(name):
        problems.append("must not be formatted as an IP address")
    return problems
