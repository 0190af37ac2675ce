"""Development mode: a per-engineer copy of a stack (like Databricks bundles' development
mode).

With a dev user, every resource name starts with ``dev-<user>-`` (hyphen-style types) or
``dev_<user>_`` (underscore-style types), still inside each type's rules (cut with the
hash suffix when too long), and the stack id becomes ``{org}-{env}-{project}-dev-<user>``
so each engineer has their own state, WAL, lock and ownership tags.
"""

from __future__ import annotations

from dataclasses import replace

from dpn import model, naming
from dpn.errors import InputError


def check_user(user: str | None) -> str | None:
    """The normalised dev user (None without one); ``InputError`` for a bad name."""
    if user is None:
        return None
    try:
        return naming.normalise_user(user)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def with_user(meta: model.Metadata, user: str | None) -> model.Metadata:
    """``meta`` for ``user``'s development copy (``meta`` itself without a user)."""
    if not user:
        return meta
    return replace(meta, dev_user=user)


def dev_user_of(meta: model.Metadata) -> str | None:
    """The dev user of a blueprint's metadata, or None for the shared stack."""
    return meta.dev_user or None
