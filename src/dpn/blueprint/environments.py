"""Environments: one blueprint, one stack per environment (``environments``, ``--env``).

``environments`` maps an environment name (one of ``naming.environments``) to overrides of
``metadata`` and ``resources``. Selecting environment NAME (``--env NAME`` or ``DPN_ENV``)
sets ``metadata.env`` to NAME and merges its overrides into the document as a JSON Merge
Patch (RFC 7386): objects merge key by key, any other value replaces, ``null`` removes (a
field, or with ``"KEY": null`` a whole resource). The stack id comes from the metadata, so
each environment is its own stack. Pure, no I/O.

- ``declared(doc)``: the environments a document declares; ``choices(doc)``: those and
  the base ``metadata.env``, the values ``--env`` may take;
- ``select(doc, env)``: the document of one environment;
- ``EnvLocator``: places a finding about an environment's document where its value is
  written: under ``environments.NAME`` when the environment gives it, else in the base.
"""

from __future__ import annotations

from typing import Any

from dpn.blueprint.source import Locator, Path
from dpn.errors import Diagnostic

Finding = tuple[Path, str]
_MISSING = object()


def declared(doc: Any) -> tuple[str, ...]:
    """The names under ``environments``, in file order (empty without any)."""
    envs = doc.get("environments") if isinstance(doc, dict) else None
    return tuple(envs) if isinstance(envs, dict) else ()


def choices(doc: Any) -> tuple[str, ...]:
    """What ``--env`` may name: the declared environments and the base ``metadata.env``."""
    meta = doc.get("metadata") if isinstance(doc, dict) else None
    base = meta.get("env") if isinstance(meta, dict) else None
    names = list(declared(doc))
    if isinstance(base, str) and base not in names:
        names.append(base)
    return tuple(sorted(names))


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: ``patch`` applied to ``target`` (neither is changed)."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def select(doc: dict[str, Any], env: str) -> dict[str, Any]:
    """The document of environment ``env``: its overrides merged, ``metadata.env`` set."""
    out = dict(doc)
    raw = (doc.get("environments") or {}).get(env) if declared(doc) else None
    patch = raw if isinstance(raw, dict) else {}
    meta = doc.get("metadata")
    if isinstance(meta, dict):
        merged = merge_patch(meta, patch.get("metadata")) \
            if isinstance(patch.get("metadata"), dict) else dict(meta)
        merged["env"] = env
        out["metadata"] = merged
    if isinstance(patch.get("resources"), dict) and isinstance(doc.get("resources"), dict):
        out["resources"] = merge_patch(doc["resources"], patch["resources"])
    return out


def check(doc: dict[str, Any], envs: list[str]) -> list[Finding]:
    """Declared environments that are not in ``envs`` (``naming.environments``)."""
    return [(("environments", name), f"environment '{name}' is not one of "
                                     f"naming.environments ({', '.join(envs)})")
            for name in declared(doc) if name not in envs]


def _depth(doc: Any, path: Path) -> int:
    """How many leading parts of ``path`` exist in ``doc``."""
    node = doc
    for i, part in enumerate(path):
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return i
    return len(path)


class EnvLocator(Locator):
    """A ``Locator`` for the document of environment ``env`` selected from ``doc``."""

    def __init__(self, base: Locator, doc: dict[str, Any], env: str) -> None:
        super().__init__(base.file, base.text)
        self.doc = doc
        self.env = env
        raw = (doc.get("environments") or {}).get(env) if declared(doc) else None
        self.patch = raw if isinstance(raw, dict) else {}

    def place(self, path: Path) -> tuple[Path, bool]:
        """Where a finding at ``path`` of the environment's document is written, and
        whether that is inside the environment's overrides."""
        if not path or path[0] not in ("metadata", "resources"):
            return path, False
        in_patch = _depth(self.patch, path)
        in_base = _depth(self.doc, path)
        if in_patch == len(path) or (in_patch > in_base and in_patch >= 2):
            return ("environments", self.env, *path), True
        return path, False

    def locate(self, findings: list[tuple[Path, str]]) -> list[Diagnostic]:
        placed: list[tuple[Path, str]] = []
        for path, message in findings:
            if path == ("metadata", "env"):  # the environment's name: its message says so
                placed.append((("environments", self.env) if self.env in declared(self.doc)
                               else path, message))
                continue
            where, inside = self.place(path)
            placed.append((where, f"environment '{self.env}': {message}" if inside
                           else message))
        return super().locate(placed)
