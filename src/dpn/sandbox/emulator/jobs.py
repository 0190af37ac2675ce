"""Jobs API 2.2 (and 2.1): create, get, list (name filter, pagination), reset, update
(with ``fields_to_remove``), delete. A missing job is 400 INVALID_PARAMETER_VALUE
"Job <id> does not exist.", as on the real service.

Every setting of the SDK's ``JobSettings`` and every field of its ``Task`` is accepted,
type-checked lightly, stored and returned. What the service does to them on the way in
and out, each with its source next to the code: tasks sorted by ``task_key`` and each
``depends_on`` reordered, the service's defaults filled in (``job_defaults``,
``task_defaults``, ``cluster_defaults``), ``apply_policy_default_values`` dropped from job
clusters, ``settings.run_as`` kept only when sent, and (Jobs API 2.2) arrays of more than
100 elements paginated on ``jobs/get`` and cut to 100 on ``jobs/list``. The settings'
validation is in jobspec.py, the defaults and normalisation in jobdefaults.py, the
endpoints here."""

from __future__ import annotations

import base64
import binascii
import copy
from typing import Any

from dpn.sandbox.emulator.errors import invalid, missing
from dpn.sandbox.emulator.jobdefaults import queue_default, with_sources
from dpn.sandbox.emulator.jobspec import validate
from dpn.sandbox.emulator.request import Request, check_type, optional, page
from dpn.sandbox.emulator.routing import Routes
from dpn.sandbox.emulator.workspace import USER, Workspace

KEYED_ARRAYS = {"tasks": "task_key", "job_clusters": "job_cluster_key", "parameters": "name",
                "environments": "environment_key"}
# The arrays Jobs API 2.2 pages, 100 elements a page. source: databricks-sdk
# JobsAPI.get docstring ("the first 100 elements of array properties (tasks,
# job_clusters, environments and parameters). Use the next_page_token field to check for
# more results and pass its value as the page_token in subsequent requests ... Arrays
# without additional results will be empty on later pages"), JobsExt.get in
# databricks/sdk/mixins/jobs.py (extends exactly these four from each page), Databricks
# docs "Updating from Jobs API 2.1 to 2.2" ("limited to 100 elements per response ...
# If there are no more results available, the response doesn't include the
# next_page_token field"), databricks/cli libs/testserver/jobs.go JobsGet
# (jobsGetTasksPageSize = 100, has_more and next_page_token on the first page).
PAGED_ARRAYS = ("tasks", "job_clusters", "parameters", "environments")
PAGE_SIZE = 100
routes = Routes(r"/api/2\.[12]/jobs/")


def _job_id(request: Request) -> int:
    value = request.arg("job_id")
    if value is None or value == "":
        raise missing("job_id")
    return int(check_type("job_id", value, int))


def _get(emu: Workspace, job_id: int) -> dict[str, Any]:
    job = emu.store["jobs"].get(str(job_id))
    if job is None:
        raise invalid(f"Job {job_id} does not exist.")
    return job


def _is_22(request: Request) -> bool:
    return "/api/2.2/" in request.path


def _run_as_user(job: dict[str, Any]) -> str:
    """``run_as_user_name``: the identity ``settings.run_as`` names, else the creator.
    source: databricks-sdk Job.run_as_user_name ("This value can be changed by setting
    the run_as field when creating or updating a job. By default, run_as_user_name is
    ... set to the creator of the job")."""
    run_as = job["settings"].get("run_as") or {}
    return str(run_as.get("user_name") or run_as.get("service_principal_name")
               or run_as.get("group_name") or job["creator_user_name"])


@routes.post("create")
def create(emu: Workspace, request: Request) -> dict[str, Any]:
    # access_control_list is a field of the create request (the SDK's CreateJob), not a
    # setting: the job's permissions, never part of settings.
    settings = validate({k: v for k, v in request.body.items() if k != "access_control_list"})
    if _is_22(request):
        queue_default(settings)
    with emu.changing():
        job_id = emu.store.next_job_id()
        job = {"job_id": job_id, "creator_user_name": USER, "created_time": emu.now_ms(),
               "settings": settings}
        job["run_as_user_name"] = _run_as_user(job)
        emu.store["jobs"][str(job_id)] = job
    return {"job_id": job_id}


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"jobs-page:{offset}".encode()).decode()


def _offset(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    prefix, _, number = text.partition(":")
    if prefix != "jobs-page" or not number.isdigit() or int(number) % PAGE_SIZE:
        raise invalid(f"Invalid page token: {token}")
    return int(number)


@routes.get("get")
def get(emu: Workspace, request: Request) -> dict[str, Any]:
    with emu.store.lock:
        job = copy.deepcopy(_get(emu, _job_id(request)))
    with_sources(job["settings"])
    if not _is_22(request):
        return job  # Jobs API 2.1 returns every element
    token = optional(request, "page_token", str, "") or ""
    offset = _offset(token) if token else 0
    more = False
    for field in PAGED_ARRAYS:
        items = job["settings"].get(field)
        if not isinstance(items, list):
            continue
        chunk = items[offset:offset + PAGE_SIZE]
        more = more or len(items) > offset + PAGE_SIZE
        if chunk:
            job["settings"][field] = chunk
        else:
            del job["settings"][field]  # "empty on later pages"
    if more:
        job["has_more"] = True
        job["next_page_token"] = _token(offset + PAGE_SIZE)
    return job


@routes.get("list")
def list_(emu: Workspace, request: Request) -> dict[str, Any]:
    name = optional(request, "name", str)
    expand = optional(request, "expand_tasks", bool, False)
    limit = optional(request, "limit", int, 20) or 20
    if not 0 < limit <= 100:
        raise invalid("The limit must be between 1 and 100.")
    with emu.store.lock:
        jobs = [copy.deepcopy(j) for j in emu.store["jobs"].values()]
    if name is not None:
        jobs = [j for j in jobs if j["settings"]["name"].lower() == name.lower()]
    jobs.sort(key=lambda j: j["job_id"])
    offset = optional(request, "offset", int, 0) or 0
    if offset and not request.arg("page_token"):
        jobs = jobs[offset:]
    request.body["limit"] = limit
    found = page(jobs, request, "limit", 20, 100)
    for job in found.items:
        if not expand:
            job["settings"].pop("tasks", None)
            job["settings"].pop("job_clusters", None)
            continue
        with_sources(job["settings"])
        if _is_22(request):
            # source: databricks-sdk JobsAPI.list expand_tasks ("only the first 100
            # elements will be shown. Use jobs/get to paginate") and BaseJob.has_more
            # ("Indicates if the job has more array properties (tasks, job_clusters) that
            # are not shown ... relevant for API 2.2 jobs/list requests with
            # expand_tasks=true"); JobsExt.list then calls jobs/get for such a job.
            more = False
            for field in PAGED_ARRAYS:
                items = job["settings"].get(field)
                if isinstance(items, list) and len(items) > PAGE_SIZE:
                    job["settings"][field] = items[:PAGE_SIZE]
                    more = True
            job["has_more"] = more
    out: dict[str, Any] = {"jobs": found.items, "has_more": found.next_token is not None} \
        if found.items else {"has_more": False}
    return {**out, **found.tokens(prev=True)}


@routes.post("reset")
def reset(emu: Workspace, request: Request) -> dict[str, Any]:
    """Replaces every setting. source: databricks-sdk JobsAPI.reset ("Overwrite all
    settings ... These settings completely replace the old settings"). One exception:
    leaving ``run_as`` out keeps the previous one. source: databricks/cli
    acceptance/bundle/run_as/job_default (run on a real workspace; Badness "run_as is
    still set even though it's not in bundle and not in reset request") and
    libs/testserver/jobs.go JobsReset ("Known cloud quirk")."""
    job_id = _job_id(request)
    if request.body.get("new_settings") is None:
        raise missing("new_settings")
    settings = validate(request.body["new_settings"])
    if _is_22(request):
        queue_default(settings)
    with emu.changing():
        job = _get(emu, job_id)
        if settings.get("run_as") is None and job["settings"].get("run_as") is not None:
            settings["run_as"] = job["settings"]["run_as"]
        job["settings"] = settings
        job["run_as_user_name"] = _run_as_user(job)
    return {}


@routes.post("update")
def update(emu: Workspace, request: Request) -> dict[str, Any]:
    """Top-level fields in ``new_settings`` replace the stored ones, arrays merge by key
    (source: databricks-sdk JobsAPI.update: "Top-level fields specified in new_settings
    are completely replaced, except for arrays which are merged ... based on the
    respective key fields, i.e. task_key or job_cluster_key"); ``fields_to_remove`` drops
    top-level fields and ``tasks/<key>`` / ``job_clusters/<key>`` entries."""
    job_id = _job_id(request)
    new = request.body.get("new_settings") or {}
    check_type("new_settings", new, dict)
    remove = request.body.get("fields_to_remove") or []
    check_type("fields_to_remove", remove, list)
    with emu.changing():
        job = _get(emu, job_id)
        merged = copy.deepcopy(job["settings"])
        for field, value in new.items():
            key = KEYED_ARRAYS.get(field)
            if key and isinstance(value, list) and isinstance(merged.get(field), list):
                by_key = {item.get(key): item for item in merged[field]}
                for item in value:
                    if not isinstance(item, dict):
                        raise invalid(f"Invalid value for field '{field}': expected objects")
                    by_key[item.get(key)] = item
                merged[field] = list(by_key.values())
            else:
                merged[field] = copy.deepcopy(value)
        for path in remove:
            check_type("fields_to_remove", path, str)
            head, _, sub = path.partition("/")
            if sub and head in KEYED_ARRAYS:
                merged[head] = [i for i in merged.get(head) or []
                                if i.get(KEYED_ARRAYS[head]) != sub]
            elif sub:
                raise invalid(f"Cannot remove nested field {path}.")
            else:
                merged.pop(head, None)
        job["settings"] = validate(merged)
        job["run_as_user_name"] = _run_as_user(job)
    return {}


@routes.post("delete")
def delete(emu: Workspace, request: Request) -> dict[str, Any]:
    job_id = _job_id(request)
    with emu.changing():
        _get(emu, job_id)
        del emu.store["jobs"][str(job_id)]
    return {}
