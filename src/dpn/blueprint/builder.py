"""``BlueprintBuilder``: a blueprint built in Python, validated exactly like a file.

    bp = (BlueprintBuilder()
          .with_metadata(org="acme", env="dev", project="lake", region="us-east-1")
          .add_s3_bucket("landing", layer="raw", purpose="landing")
          .add_glue_database("sales_db", domain="sales", layer="silver")
          .build())

``build()`` raises the same ``BlueprintError`` as ``dpn.blueprint.load``, located as
``<builder>:0:0: resources.<key>.<field>: message``.
"""

from __future__ import annotations

import copy
from typing import Any

from dpn import model
from dpn.blueprint.loading import from_dict


class BlueprintBuilder:
    """Fluent and immutable-in-spirit: each ``add_*`` records one resource; keys keep
    their insertion order. ``build`` may be called more than once."""

    def __init__(self) -> None:
        self._metadata: dict[str, Any] = {}
        self._naming: dict[str, Any] = {}
        self._resources: dict[str, dict[str, Any]] = {}
        self._backend: str | None = None

    def with_metadata(self, **metadata: Any) -> BlueprintBuilder:
        """``org``, ``env``, ``project``, ``region``, and optionally ``owner``, ``tags``."""
        self._metadata.update(metadata)
        return self

    def with_naming(self, **naming: Any) -> BlueprintBuilder:
        """``environments``, ``layers``, ``patterns`` (type -> pattern)."""
        self._naming.update(naming)
        return self

    def with_backend(self, url: str) -> BlueprintBuilder:
        """Where the stack's state, WAL and lock live: ``local`` or ``s3://BUCKET/PREFIX``."""
        self._backend = url
        return self

    def add(self, rtype: str, key: str, **props: Any) -> BlueprintBuilder:
        """Add a resource of any type; a key added twice is replaced."""
        self._resources[key] = {"type": rtype, **props}
        return self

    def add_s3_bucket(self, key: str, **props: Any) -> BlueprintBuilder:
        return self.add(model.S3_BUCKET, key, **props)

    def add_glue_database(self, key: str, **props: Any) -> BlueprintBuilder:
        return self.add(model.GLUE_DATABASE, key, **props)

    def add_glue_table(self, key: str, **props: Any) -> BlueprintBuilder:
        return self.add(model.GLUE_TABLE, key, **props)

    def add_cluster(self, key: str, **props: Any) -> BlueprintBuilder:
        return self.add(model.CLUSTER, key, **props)

    def add_job(self, key: str, **props: Any) -> BlueprintBuilder:
        return self.add(model.JOB, key, **props)

    def add_catalog(self, key: str, **props: Any) -> BlueprintBuilder:
        return self.add(model.CATALOG, key, **props)

    def add_schema(self, key: str, **props: Any) -> BlueprintBuilder:
        return self.add(model.SCHEMA, key, **props)

    def add_table(self, key: str, **props: Any) -> BlueprintBuilder:
        return self.add(model.TABLE, key, **props)

    def add_iam_role(self, key: str, **props: Any) -> BlueprintBuilder:
        """``trust="unity_catalog"`` (or a policy document), ``s3_access``, ``policies``..."""
        return self.add(model.IAM_ROLE, key, **props)

    def add_storage_credential(self, key: str, **props: Any) -> BlueprintBuilder:
        return self.add(model.STORAGE_CREDENTIAL, key, **props)

    def add_external_location(self, key: str, **props: Any) -> BlueprintBuilder:
        return self.add(model.EXTERNAL_LOCATION, key, **props)

    def add_volume(self, key: str, **props: Any) -> BlueprintBuilder:
        return self.add(model.VOLUME, key, **props)

    def add_grants(self, key: str, securable: str, privileges: dict[str, list[str]]
                   ) -> BlueprintBuilder:
        """The privileges of the listed principals on ``securable`` (``${key}`` or
        ``TYPE:full_name``); a dbx.grants takes no naming inputs."""
        return self.add(model.GRANTS, key, securable=securable, privileges=privileges)

    def to_dict(self) -> dict[str, Any]:
        """The blueprint document this builder describes (a copy)."""
        doc: dict[str, Any] = {"version": 1, "metadata": self._metadata}
        if self._backend is not None:
            doc["backend"] = self._backend
        if self._naming:
            doc["naming"] = self._naming
        doc["resources"] = self._resources
        return copy.deepcopy(doc)

    def build(self) -> model.Blueprint:
        """Validate and return the Blueprint; raises BlueprintError."""
        return from_dict(self.to_dict(), path="<builder>")
