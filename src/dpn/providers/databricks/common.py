"""What the Databricks providers share: the client handle, the diff, tag helpers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dpn.model import KEY_TAG, STACK_TAG, TAG_FIELD, thaw
from dpn.providers.base import Diff, Provider, Spec
from dpn.providers.databricks.client import ClientOptions

# Fields that cannot change in place, for the fallback comparison only (dpn.diffing owns
# the real rules).
_REPLACE_FIELDS: Mapping[str, frozenset[str]] = {
    "dbx.cluster": frozenset(),
    "dbx.job": frozenset(),
    "dbx.catalog": frozenset({"storage_root"}),
    "dbx.schema": frozenset({"catalog", "storage_root"}),
    "dbx.table": frozenset({"schema", "columns", "storage_location", "data_source_format",
                            "comment", "properties"}),
}


def fallback_diff(rtype: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> Diff:
    """Compare configurations key by key. Keys only in ``old`` (server-added) are ignored."""
    update: list[str] = []
    replace: list[str] = []
    replace_fields = _REPLACE_FIELDS.get(rtype, frozenset())
    for key in sorted(new):
        if thaw(new[key]) != thaw(old.get(key)):
            (replace if key in replace_fields else update).append(key)
    return Diff(update=tuple(update), replace=tuple(replace))


def _diff_function() -> Callable[[str, Mapping[str, Any], Mapping[str, Any]], Diff]:
    import importlib

    try:
        diffing = importlib.import_module("dpn.diffing")
    except ImportError:
        return fallback_diff
    fn = getattr(diffing, "diff", None)
    return fn if callable(fn) else fallback_diff


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

    def normalize(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """Props with the type's defaults applied, for comparison. Pure."""
        return dict(thaw(props))

    def diff(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> Diff:
        """Delegates to ``dpn.diffing.diff`` (falls back to ``fallback_diff`` if that module is
        absent), with this type's defaults applied to both sides."""
        return _diff_function()(self.type, self.normalize(old), self.normalize(new))
