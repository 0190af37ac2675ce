"""Jobs (``dbx.job``, Jobs API 2.2).

Physical id ``str(job_id)``. Job names are not unique, so dpn finds a job by name
(``jobs.list(name=...)``, exact and case-insensitive) and its ``dpn:stack``/``dpn:key`` tags.
The SDK re-sends a POST after a 429, 503 or dropped connection, so a create may take
effect twice: ``create`` looks first, and after a create that failed with an unknown
outcome it looks again before raising.

Create and reset post the settings JSON as given (to the endpoints of ``jobs.create`` and
``jobs.reset``) instead of going through the SDK's dataclasses, which drop task fields
they do not know. ``jobs.reset`` replaces every setting, so ``update`` reads the job first
and carries over what dpn's vocabulary does not cover: job settings (``deployment``,
``budget_policy_id``...) and, task by task (matched on ``task_key``), task fields.
Reads go through the SDK's ``jobs.get``, which joins the pages of a job with more than
100 tasks (databricks-sdk ``JobsExt``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from dpn.canonical import diff
from dpn.errors import InvalidRequest, NotFound, ProviderError
from dpn.model import JOB, NAMING_INPUTS, freeze, thaw
from dpn.providers.base import SERIAL, Fanout, Observed, Spec
from dpn.providers.databricks.common import DatabricksProvider, ownership_matches, read_or_none
from dpn.providers.databricks.errors import PLATFORM, edge, outcome_unknown


@functools.cache
def job_fields() -> tuple[str, ...]:
    """The blueprint's job vocabulary: every property the schema accepts (named as the
    Jobs API names them)."""
    from dpn.schema import field_names

    return tuple(f for f in field_names(JOB) if f not in NAMING_INPUTS)


@functools.cache
def task_fields() -> frozenset[str]:
    """The task vocabulary: the schema's task properties."""
    from dpn.schema import schema

    return frozenset(schema()["$defs"]["task"]["properties"])


def settings_body(name: str, props: Mapping[str, Any],
                  current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON ``JobSettings`` for a job named ``name`` with canonical props (pure). With
    ``current`` (the job's settings as read), what the vocabulary does not cover is
    carried over, job settings and task fields alike."""
    vocabulary = job_fields()
    body: dict[str, Any] = {k: thaw(v) for k, v in (current or {}).items()
                            if k not in vocabulary and k != "name"}
    body["name"] = name
    for field in vocabulary:
        value = props.get(field)
        if value is not None:
            body[field] = thaw(value)
    if current and isinstance(body.get("tasks"), list):
        before = {t.get("task_key"): t for t in current.get("tasks") or []}
        body["tasks"] = [{**{k: v for k, v in thaw(before.get(t.get("task_key"), {})).items()
                             if k not in task_fields()}, **t} for t in body["tasks"]]
    return body


def job_observed(job: Mapping[str, Any]) -> Observed:
    """An ``Observed`` from a jobs/get or jobs/list entry (pure): the vocabulary's
    settings, and of each task the vocabulary's fields."""
    job_id = str(job["job_id"])
    settings = job.get("settings") or {}
    name = str(settings.get("name") or "")
    props: dict[str, Any] = {}
    for field in job_fields():
        if settings.get(field) is not None:
            props[field] = settings[field]
    if "tasks" in props:
        props["tasks"] = [{k: v for k, v in t.items() if k in task_fields()}
                          for t in props["tasks"]]
    tags = {str(k): str(v) for k, v in (settings.get("tags") or {}).items()}
    props["tags"] = tags
    return Observed(id=job_id, name=name, props=freeze(props),
                    attrs={"name": name, "id": job_id}, tags=tags)


class JobProvider(DatabricksProvider):
    """``dbx.job``: every property of the schema (``job_fields``); ``tags`` is the tag
    field."""

    type = JOB

    def physical_id(self, spec: Spec) -> str | None:
        return None

    def read(self, id: str) -> Observed | None:
        job_id = _job_id(id)
        return read_or_none(f"job {id}",
                            lambda: job_observed(self.client.jobs.get(job_id).as_dict()))

    def read_many(self, ids: Sequence[str], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        """One paged ``jobs.list(expand_tasks=True)`` for all of them."""
        if not ids:
            return {}
        found = fan.call(lambda: self._listed(set(ids)))
        return {i: found.get(i) for i in ids}

    def _listed(self, wanted: set[str]) -> dict[str, Observed]:
        found: dict[str, Observed] = {}
        with edge("list", "jobs"):
            for job in self.client.jobs.list(expand_tasks=True, limit=100):
                if str(job.job_id) in wanted:
                    found[str(job.job_id)] = job_observed(job.as_dict())
                    if len(found) == len(wanted):
                        break
        return found

    def find(self, spec: Spec) -> Observed | None:
        """The job named ``spec.name`` carrying the spec's ownership tags; if none does, the
        first job with that name (whoever owns it), else None."""
        with edge("find", f"job {spec.name!r}"):
            matches = [job_observed(j.as_dict()) for j in self.client.jobs.list(
                name=spec.name, expand_tasks=True, limit=100)]
        return _pick(spec, [m for m in matches if m.name == spec.name] or matches)

    def find_many(self, specs: Sequence[Spec], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        """One paged ``jobs.list`` (names and tags, without tasks) for every name: a job's
        name is only told apart from another's by its tags, which the listing carries."""
        if len(specs) <= 1:
            return super().find_many(specs, fan)
        named = fan.call(lambda: self._named({s.name for s in specs}))
        return {s.key: _pick(s, named.get(s.name, [])) for s in specs}

    def _named(self, names: set[str]) -> dict[str, list[Observed]]:
        out: dict[str, list[Observed]] = {}
        with edge("list", "jobs"):
            for job in self.client.jobs.list(limit=100):
                obs = job_observed(job.as_dict())
                if obs.name in names:
                    out.setdefault(obs.name, []).append(obs)
        return out

    def create(self, spec: Spec) -> Observed:
        """Look first: a job with this name and our ownership tags is adopted (and reset to
        ``spec`` if it differs) rather than duplicated. After a create whose outcome is
        unknown (a 5xx, or the SDK gave up re-sending it), look again before raising."""
        what = f"job {spec.name!r}"
        existing = self.find(spec)
        if existing is not None and ownership_matches(spec, existing.tags):
            if diff(JOB, existing.props, spec.props).changed:
                return self.update(existing.id, spec)
            return existing
        body = settings_body(spec.name, spec.props)
        try:
            with edge("create", what):
                created = self.client.api_client.do("POST", "/api/2.2/jobs/create", body=body)
        except ProviderError as exc:
            if not outcome_unknown(exc):
                raise
            again = self.find(spec)
            if again is not None and ownership_matches(spec, again.tags):
                return again
            raise
        job_id = str(created["job_id"])
        self._drop_duplicates(spec, keep=job_id)
        observed = self.read(job_id)
        if observed is None:
            raise NotFound(f"databricks: create {what}: job {job_id} not found when read back",
                           platform=PLATFORM, code="NOT_FOUND")
        return observed

    def _drop_duplicates(self, spec: Spec, keep: str) -> None:
        """Delete the other jobs with our name and ownership tags. None existed when
        ``create`` looked, so they come from the SDK re-sending our POST after a dropped
        connection or a 503 that the platform had already acted on."""
        with edge("find duplicates of", f"job {spec.name!r}"):
            twins = [str(j.job_id) for j in self.client.jobs.list(name=spec.name, limit=100)
                     if str(j.job_id) != keep and j.settings is not None
                     and j.settings.name == spec.name
                     and ownership_matches(spec, j.settings.tags or {})]
        for twin in twins:
            self.delete(twin)

    def update(self, id: str, spec: Spec) -> Observed:
        """Read, then ``jobs/reset`` with the spec's vocabulary over what dpn does not
        manage (a reset replaces every setting)."""
        with edge("update", f"job {id}"):
            current = self.client.jobs.get(_job_id(id)).as_dict().get("settings") or {}
            body = {"job_id": _job_id(id),
                    "new_settings": settings_body(spec.name, spec.props, current)}
            self.client.api_client.do("POST", "/api/2.2/jobs/reset", body=body)
        observed = self.read(id)
        if observed is None:
            raise NotFound(f"databricks: update job {id}: not found when read back",
                           platform=PLATFORM, code="NOT_FOUND")
        return observed

    def delete(self, id: str, *, force_empty: bool = False) -> None:
        try:
            with edge("delete", f"job {id}"):
                self.client.jobs.delete(_job_id(id))
        except NotFound:
            return


def _job_id(id: str) -> int:
    try:
        return int(id)
    except ValueError as exc:
        raise InvalidRequest(f"databricks: {id!r} is not a job id", platform=PLATFORM,
                             code="INVALID_JOB_ID") from exc


def _pick(spec: Spec, matches: list[Observed]) -> Observed | None:
    """Of the jobs named like ``spec``: the oldest with its ownership tags, else the
    first, else None."""
    owned = [m for m in matches if ownership_matches(spec, m.tags)]
    if owned:
        return min(owned, key=lambda m: int(m.id))
    return matches[0] if matches else None
