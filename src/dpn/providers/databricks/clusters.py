"""All-purpose clusters (``dbx.cluster``, Clusters API 2.1).

Physical id ``cluster_id``. Create posts to ``/api/2.1/clusters/create`` (the endpoint of
``clusters.create``, whose typed signature lacks ``idempotency_token``) with the spec's
token, so a create the SDK re-sends, or the engine retries, yields the same cluster. It
then waits, bounded by ``ClientOptions.cluster_timeout_seconds``, for RUNNING; a cluster
that ends in ERROR or TERMINATED, or does not start in time, is permanently deleted and the
create fails (so a failed create leaves nothing behind).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from dpn.errors import InvalidRequest, NotFound, ProviderError, Transient
from dpn.model import CLUSTER, NAMING_INPUTS, freeze, thaw
from dpn.providers.base import SERIAL, Fanout, Observed, Spec
from dpn.providers.databricks.catalog_cache import CatalogCache
from dpn.providers.databricks.client import ClientOptions
from dpn.providers.databricks.common import DatabricksProvider, ownership_matches, read_or_none
from dpn.providers.databricks.errors import PLATFORM, edge, outcome_unknown

_STARTING = ("PENDING", "RESTARTING", "RESIZING")


@functools.cache
def cluster_fields() -> tuple[str, ...]:
    """The blueprint's cluster vocabulary: every property the schema accepts (the names are
    the Clusters API's own), write-time directives included."""
    from dpn.schema import field_names

    return tuple(f for f in field_names(CLUSTER) if f not in NAMING_INPUTS)


@functools.cache
def spec_fields() -> frozenset[str]:
    """Every field ``clusters/edit`` takes (the SDK's ``ClusterSpec``): what a
    read-modify-write carries over when dpn's vocabulary does not cover it."""
    from databricks.sdk.service.compute import ClusterSpec

    return frozenset(f.name for f in dataclasses.fields(ClusterSpec))


def cluster_body(name: str, props: Mapping[str, Any],
                 current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The create/edit body for a cluster named ``name`` with canonical props (pure).

    ``autoscale`` wins over ``num_workers``; a cluster with neither gets ``num_workers: 0``.
    With ``current`` (a ``clusters/get`` answer), the settings outside dpn's vocabulary
    are carried over, since an edit replaces the whole specification.
    """
    p = thaw(props)
    vocabulary = cluster_fields()
    body: dict[str, Any] = {k: thaw(v) for k, v in (current or {}).items()
                            if k in spec_fields() and k not in vocabulary}
    body["cluster_name"] = name
    for field in vocabulary:
        if p.get(field) is not None:
            body[field] = p[field]
    if "autoscale" in body:
        body.pop("num_workers", None)
        body["autoscale"] = {k: int(v) for k, v in body["autoscale"].items()
                             if k in ("min_workers", "max_workers")}
    elif "num_workers" not in body:
        body["num_workers"] = 0
    if "custom_tags" in body:
        body["custom_tags"] = {str(k): str(v) for k, v in body["custom_tags"].items()}
    return body


def cluster_props(details: Mapping[str, Any]) -> dict[str, Any]:
    """Blueprint props from a ``ClusterDetails`` dict (pure): only the vocabulary's fields;
    ``num_workers`` only for a fixed-size cluster."""
    props: dict[str, Any] = {}
    for field in cluster_fields():
        value = details.get(field)
        if value is not None and value != {}:
            props[field] = value
    if "autoscale" in props:
        props.pop("num_workers", None)
    elif "num_workers" not in props:
        props["num_workers"] = 0
    props["custom_tags"] = {str(k): str(v) for k, v in (details.get("custom_tags") or {}).items()}
    return props


def cluster_observed(details: Mapping[str, Any]) -> Observed:
    cluster_id = str(details["cluster_id"])
    name = str(details.get("cluster_name") or "")
    props = cluster_props(details)
    return Observed(id=cluster_id, name=name, props=freeze(props),
                    attrs={"name": name, "id": cluster_id}, tags=dict(props["custom_tags"]),
                    status=str(details.get("state") or "") or None)


def idempotency_token(token: str) -> str:
    """The platform takes at most 64 characters: longer tokens are hashed (stably)."""
    return token if len(token) <= 64 else hashlib.sha256(token.encode()).hexdigest()


class ClusterProvider(DatabricksProvider):
    """``dbx.cluster``: every property of the schema (``cluster_fields``), named as the
    Clusters API names them; ``custom_tags`` is the tag field."""

    type = CLUSTER

    def __init__(self, client: Any, options: ClientOptions | None = None,
                 cache: CatalogCache | None = None) -> None:
        super().__init__(client, options)
        self.cache = cache

    def physical_id(self, spec: Spec) -> str | None:
        return None

    def validate_cluster_spec(self, spec: Spec) -> list[str]:
        """Problems with ``spark_version`` and ``node_type_id`` against what the workspace
        offers (through the cache); empty when fine or when there is no cache."""
        if self.cache is None:
            return []
        with edge("list", "Spark versions and node types"):
            offer = self.cache.get()
        problems = []
        version = spec.props.get("spark_version")
        if version and offer.spark_versions and version not in offer.spark_versions:
            problems.append(f"cluster {spec.name!r}: unknown spark_version {version!r}")
        node = spec.props.get("node_type_id")
        if node and offer.node_types and node not in offer.node_types:
            problems.append(f"cluster {spec.name!r}: unknown node_type_id {node!r}")
        return problems

    def read(self, id: str) -> Observed | None:
        return read_or_none(f"cluster {id}",
                            lambda: cluster_observed(self.client.clusters.get(id).as_dict()))

    def read_many(self, ids: Sequence[str], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        """One paged ``clusters.list`` for all of them (stopping once all are found), then
        ``clusters.get`` for those the list lacks, in parallel: a cluster terminated more
        than 30 days ago drops out of the list while ``get`` still answers for 60
        (databricks-sdk ``ClustersAPI.list`` and ``get`` docstrings), so absent from the
        list is not gone."""
        if not ids:
            return {}
        wanted = set(ids)
        found: dict[str, Observed | None] = dict(fan.call(lambda: self._listed(wanted)))
        missing = sorted(wanted - set(found))
        found.update(zip(missing, fan.map([functools.partial(self.read, i) for i in missing]),
                         strict=True))
        return {i: found.get(i) for i in ids}

    def _listed(self, wanted: set[str]) -> dict[str, Observed]:
        found: dict[str, Observed] = {}
        with edge("list", "clusters"):
            for c in self.client.clusters.list():
                if c.cluster_id in wanted:
                    found[str(c.cluster_id)] = cluster_observed(c.as_dict())
                    if len(found) == len(wanted):
                        break
        return found

    def find(self, spec: Spec) -> Observed | None:
        """The cluster named ``spec.name`` with the spec's ownership tags, else the first
        one with that name, else None."""
        return _pick(spec, self._named({spec.name}).get(spec.name, []))

    def find_many(self, specs: Sequence[Spec], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        """One ``clusters.list`` for every name."""
        named = fan.call(lambda: self._named({s.name for s in specs}))
        return {s.key: _pick(s, named.get(s.name, [])) for s in specs}

    def _named(self, names: set[str]) -> dict[str, list[Observed]]:
        """The clusters with these names, by name (names are not unique)."""
        out: dict[str, list[Observed]] = {}
        what = f"cluster {next(iter(names))!r}" if len(names) == 1 else "clusters"
        with edge("find", what):
            for c in self.client.clusters.list():
                if c.cluster_name in names:
                    out.setdefault(str(c.cluster_name), []).append(cluster_observed(c.as_dict()))
        return out

    def create(self, spec: Spec) -> Observed:
        what = f"cluster {spec.name!r}"
        problems = self.validate_cluster_spec(spec)
        if problems:
            raise InvalidRequest(f"databricks: create {what}: " + "; ".join(problems),
                                 platform=PLATFORM, code="INVALID_PARAMETER_VALUE")
        body = cluster_body(spec.name, spec.props)
        if spec.token:
            body["idempotency_token"] = idempotency_token(spec.token)
        try:
            with edge("create", what):
                cluster_id = str(self.client.api_client.do(
                    "POST", "/api/2.1/clusters/create", body=body)["cluster_id"])
        except InvalidRequest:
            if self.cache is not None:
                self.cache.drop()
            raise
        except ProviderError as exc:
            if not outcome_unknown(exc):
                raise
            again = self.find(spec)
            if again is None or not ownership_matches(spec, again.tags):
                raise
            cluster_id = again.id
        return self._wait_running(cluster_id, what, undo_on_failure=True)

    def _wait_running(self, cluster_id: str, what: str, *, undo_on_failure: bool) -> Observed:
        """Wait for RUNNING. A cluster that fails to start (ERROR, TERMINATED, or still not
        running at the deadline) is removed when ``undo_on_failure``; a failed poll (a 5xx
        while waiting) is raised as is, leaving the cluster for the engine to ``find``."""
        from databricks.sdk.errors.sdk import OperationFailed

        timeout = timedelta(seconds=self.options.cluster_timeout_seconds)
        failure: BaseException | None = None
        with edge("wait for", f"{what} ({cluster_id}) to run"):
            try:
                self.client.clusters.wait_get_cluster_running(cluster_id, timeout=timeout)
            except (OperationFailed, TimeoutError) as exc:
                if isinstance(exc, TimeoutError) and exc.__cause__ is not None:
                    raise  # the SDK gave up retrying a poll: not the cluster's failure
                failure = exc
        if failure is not None:
            if undo_on_failure:
                self._undo(cluster_id, what)
            raise ProviderError(
                f"databricks: {what} ({cluster_id}) did not reach RUNNING: {failure}",
                platform=PLATFORM, code="CLUSTER_NOT_RUNNING") from failure
        observed = self.read(cluster_id)
        if observed is None:
            raise NotFound(f"databricks: {what} ({cluster_id}) vanished after starting",
                           platform=PLATFORM, code="NOT_FOUND")
        return observed

    def _undo(self, cluster_id: str, what: str) -> None:
        """Permanently delete a cluster whose create failed; if even that fails the outcome
        is unknown to the engine, which then resolves it with ``find``."""
        try:
            self.delete(cluster_id)
        except ProviderError as exc:
            raise Transient(f"databricks: {what} ({cluster_id}) failed to start and could not "
                            f"be removed: {exc}", platform=PLATFORM, code=exc.code) from exc

    def update(self, id: str, spec: Spec) -> Observed:
        """Read, then ``clusters/edit`` with the spec's vocabulary over the settings dpn
        does not manage (an edit replaces the whole specification)."""
        what = f"cluster {id}"
        with edge("update", what):
            current = self.client.api_client.do("GET", "/api/2.1/clusters/get",
                                                query={"cluster_id": id})
            body = cluster_body(spec.name, spec.props, current)
            body["cluster_id"] = id
            self.client.api_client.do("POST", "/api/2.1/clusters/edit", body=body)
            state = self.client.clusters.get(id).state
        if state is not None and state.value in _STARTING:
            return self._wait_running(id, what, undo_on_failure=False)
        observed = self.read(id)
        if observed is None:
            raise NotFound(f"databricks: update {what}: not found when read back",
                           platform=PLATFORM, code="NOT_FOUND")
        return observed

    def delete(self, id: str, *, force_empty: bool = False) -> None:
        try:
            with edge("delete", f"cluster {id}"):
                self.client.clusters.permanent_delete(id)
        except NotFound:
            return


def _pick(spec: Spec, named: list[Observed]) -> Observed | None:
    """Of the clusters named like ``spec``: the one with its ownership tags, else the
    first, else None."""
    owned = [c for c in named if ownership_matches(spec, c.tags)]
    candidates = owned or named
    return candidates[0] if candidates else None
