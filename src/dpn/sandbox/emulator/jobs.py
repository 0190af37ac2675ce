"""Jobs API 2.2 (and 2.1): create, get, list (name filter, pagination), reset, update
(with ``fields_to_remove``), delete. A missing job is 400 INVALID_PARAMETER_VALUE
"Job <id> does not exist.", as on the real service.

Every setting of the SDK's ``JobSettings`` and every field of its ``Task`` is accepted,
type-checked lightly, stored and returned. What the service does to them on the way in
and out, each with its source next to the code: tasks sorted by ``task_key`` and each
``depends_on`` reordered, the service's defaults filled in (``job_defaults``,
``task_defaults``, ``cluster_defaults``), ``apply_policy_default_values`` dropped from job
clusters, ``settings.run_as`` kept only when sent, and (Jobs API 2.2) arrays of more than
100 elements paginated on ``jobs/get`` and cut to 100 on ``jobs/list``."""

from __future__ import annotations

import base64
import binascii
import copy
from typing import TYPE_CHECKING, Any

from dpn.sandbox.emulator.app import USER, Request, check_type, optional, page, prev_token
from dpn.sandbox.emulator.errors import invalid, missing

if TYPE_CHECKING:
    from dpn.sandbox.emulator.app import Emulator

KEYED_ARRAYS = {"tasks": "task_key", "job_clusters": "job_cluster_key", "parameters": "name",
                "environments": "environment_key"}
MAX_TAGS = 25
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

# Every field of the SDK's JobSettings and the JSON type it takes.
SETTINGS: dict[str, type] = {
    "name": str, "description": str, "budget_policy_id": str, "usage_policy_id": str,
    "edit_mode": str, "format": str, "parent_path": str, "performance_target": str,
    "duration_target": str, "max_concurrent_runs": int, "timeout_seconds": int,
    "continuous": dict, "deployment": dict, "email_notifications": dict,
    "git_source": dict, "health": dict, "notification_settings": dict, "queue": dict,
    "run_as": dict, "schedule": dict, "trigger": dict, "webhook_notifications": dict,
    "tags": dict, "environments": list, "job_clusters": list, "parameters": list,
    "tasks": list, "triggers": list, "environment_variables": list,
}
# Every field of the SDK's Task other than the task types (``*_task``, each an object).
TASK_FIELDS: dict[str, type] = {
    "task_key": str, "description": str, "depends_on": list, "run_if": str,
    "existing_cluster_id": str, "job_cluster_key": str, "new_cluster": dict,
    "libraries": list, "max_retries": int, "min_retry_interval_millis": int,
    "retry_on_timeout": bool, "timeout_seconds": int, "email_notifications": dict,
    "webhook_notifications": dict, "notification_settings": dict, "health": dict,
    "environment_key": str, "environment_variables_key": str, "disabled": bool,
    "disable_auto_optimization": bool, "compute": dict,
}
ENUMS = {  # the SDK's enums
    "edit_mode": {"UI_LOCKED", "EDITABLE"},
    "performance_target": {"PERFORMANCE_OPTIMIZED", "STANDARD", "COST_OPTIMIZED"},
    "run_if": {"ALL_SUCCESS", "ALL_DONE", "NONE_FAILED", "AT_LEAST_ONE_SUCCESS",
               "ALL_FAILED", "AT_LEAST_ONE_FAILED"},
    "pause_status": {"PAUSED", "UNPAUSED"},
}
# source: databricks/cli libs/testserver/jobs.go validateJobGitSource (the Jobs API's
# own message for a git_source without git_provider).
GIT_PROVIDER_MESSAGE = ("git_source.git_provider must be one of: github,gitlab,bitbucketcloud,"
                        "gitlabenterpriseedition,bitbucketserver,azuredevopsservices,"
                        "githubenterprise,awscodecommit")
# A job cluster the service fills cloud attributes into: as for all-purpose clusters
# (see clusters.DEFAULT_AWS_ATTRIBUTES); source: databricks/cli libs/testserver/jobs.go
# jobFixUps ("Add AWS-specific cluster defaults if new_cluster is present").
DEFAULT_AWS_ATTRIBUTES = {"availability": "SPOT_WITH_FALLBACK", "zone_id": "us-east-1c"}


def _check(where: str, value: Any, kind: type) -> Any:
    """``value`` if of type ``kind`` (an integer string counts as an integer, as in proto3
    JSON), else 400 INVALID_PARAMETER_VALUE naming ``where``."""
    return check_type(where, value, kind)


def _enum(where: str, value: Any, name: str) -> None:
    if value is not None and value not in ENUMS[name]:
        raise invalid(f"Invalid value '{value}' for field '{where}'.")


def _unique(where: str, items: list[Any], key: str) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise invalid(f"Invalid value for field '{where}[{index}]': expected object")
        value = item.get(key)
        if not isinstance(value, str) or not value:
            raise missing(f"{where}[{index}].{key}")
        if value in seen:
            raise invalid(f"{where} {key} {value} is not unique.")
        seen.add(value)


def _check_task(where: str, task: Any, keys: set[str]) -> None:
    if not isinstance(task, dict) or not task.get("task_key"):
        raise missing("task_key")
    check_type(f"{where}.task_key", task["task_key"], str)
    for field, kind in TASK_FIELDS.items():
        if task.get(field) is not None:
            task[field] = _check(f"{where}.{field}", task[field], kind)
    _enum(f"{where}.run_if", task.get("run_if"), "run_if")
    kinds = [k for k in task if k.endswith("_task") and task[k] is not None]
    if len(kinds) != 1:
        raise invalid(f"Task {task['task_key']} must set exactly one task type "
                      f"(such as notebook_task or spark_python_task), got {len(kinds)}.")
    body = _check(f"{where}.{kinds[0]}", task[kinds[0]], dict)
    if kinds[0] == "for_each_task":
        inner = body.get("task")
        if not isinstance(inner, dict):
            raise missing(f"{where}.for_each_task.task")
        if inner.get("for_each_task") is not None:
            raise invalid(f"Task {task['task_key']}: a for_each_task cannot nest another.")
        _check_task(f"{where}.for_each_task.task", inner, keys | {str(inner.get("task_key"))})
    for dep in task.get("depends_on") or []:
        if not isinstance(dep, dict) or dep.get("task_key") not in keys:
            raise invalid(f"Task {task['task_key']} depends on an unknown task.")
        if dep.get("outcome") is not None:
            _check(f"{where}.depends_on.outcome", dep["outcome"], str)


def _validate(settings: Any) -> dict[str, Any]:
    """Type-checked settings (a deep copy), with the defaults the service always reports
    (``job_defaults``) and the tasks normalised (``_normalise_task``)."""
    if not isinstance(settings, dict):
        raise invalid("Invalid value for field 'settings': expected object")
    name = settings.get("name", "Untitled")
    check_type("name", name, str)
    if len(name.encode()) > 4096:
        raise invalid("Job name must be at most 4096 bytes.")
    for field, kind in SETTINGS.items():
        if settings.get(field) is not None:
            # numbers sent as strings become numbers, as proto3 JSON parsing does
            settings[field] = _check(field, settings[field], kind)
    for field in ("edit_mode", "performance_target"):
        _enum(field, settings.get(field), field)
    if len(settings.get("description") or "") > 27700:
        raise invalid("Job description must be at most 27700 characters.")
    tasks = settings.get("tasks") or []
    _unique("tasks", tasks, "task_key")
    keys = {t["task_key"] for t in tasks}
    for index, task in enumerate(tasks):
        _check_task(f"tasks[{index}]", task, keys)
    _unique("job_clusters", settings.get("job_clusters") or [], "job_cluster_key")
    for index, cluster in enumerate(settings.get("job_clusters") or []):
        if cluster.get("new_cluster") is not None:
            _check(f"job_clusters[{index}].new_cluster", cluster["new_cluster"], dict)
    _unique("parameters", settings.get("parameters") or [], "name")
    for index, param in enumerate(settings.get("parameters") or []):
        if not isinstance(param.get("default"), str):
            raise missing(f"parameters[{index}].default")
    _unique("environments", settings.get("environments") or [], "environment_key")
    tags = settings.get("tags") or {}
    if len(tags) > MAX_TAGS:
        raise invalid(f"A job can have at most {MAX_TAGS} tags.")
    for key, value in tags.items():
        if not isinstance(value, str):
            raise invalid(f"Invalid value for 'tags.{key}': expected a string.")
    schedule = settings.get("schedule")
    if schedule is not None and not schedule.get("quartz_cron_expression"):
        raise missing("schedule.quartz_cron_expression")
    if schedule is not None and not schedule.get("timezone_id"):
        raise missing("schedule.timezone_id")
    if schedule is not None:
        _enum("schedule.pause_status", schedule.get("pause_status"), "pause_status")
    if settings.get("schedule") is not None and settings.get("continuous") is not None:
        # source: databricks-sdk JobSettings.continuous ("Only one of schedule and
        # continuous can be used").
        raise invalid("Only one of schedule and continuous can be set.")
    git = settings.get("git_source")
    if git is not None:
        if not git.get("git_provider"):
            raise invalid(GIT_PROVIDER_MESSAGE)
        if not isinstance(git.get("git_url"), str) or not git["git_url"]:
            raise missing("git_source.git_url")
    run_as = settings.get("run_as")
    if run_as is not None:
        # source: databricks-sdk JobRunAs ("One of user_name, service_principal_name, or
        # group_name should be specified. If not, an error is thrown.")
        named = [k for k in ("user_name", "service_principal_name", "group_name")
                 if isinstance(run_as.get(k), str) and run_as[k]]
        if len(named) != 1:
            raise invalid("run_as: exactly one of user_name, service_principal_name or "
                          "group_name must be specified.")
    out = copy.deepcopy(settings)
    out["name"] = name
    job_defaults(out)
    for task in out.get("tasks") or []:
        _normalise_task(task)
    for cluster in out.get("job_clusters") or []:
        if isinstance(cluster.get("new_cluster"), dict):
            cluster_defaults(cluster["new_cluster"])
    if out.get("tasks"):
        # source: terraform-provider-databricks jobs/resource_job.go JobsAPI.Read
        # (job.Settings.adjustTasks(): sortTasksByKey, then each task's depends_on by
        # task_key), issues #4159 and #2823 (the service does not keep the submitted task
        # order). job_clusters keep their order: neither the provider nor databricks/cli
        # libs/testserver/jobs.go sorts them.
        out["tasks"].sort(key=lambda t: str(t["task_key"]))
    return out


def job_defaults(settings: dict[str, Any]) -> None:
    """What the service reports for settings that were left out, on every write.

    - ``format``: always MULTI_TASK; source: databricks-sdk JobSettings.format ("This
      field is ignored in Create/Update/Reset calls. When using the Jobs API 2.1 this value
      is always set to MULTI_TASK").
    - ``timeout_seconds`` 0, ``email_notifications`` {} and ``webhook_notifications`` {}:
      source: databricks/cli libs/testserver/jobs.go jobFixUps (ForceSendFields
      TimeoutSeconds; empty JobEmailNotifications / WebhookNotifications), whose goldens
      are shared with runs on a real workspace.
    - ``max_concurrent_runs`` 1: source: terraform-provider-databricks jobs/resource_job.go
      (SetDefault(1)) and docs/resources/job.md ("Defaults to 1").
    """
    settings["format"] = "MULTI_TASK"
    settings.setdefault("max_concurrent_runs", 1)
    settings.setdefault("timeout_seconds", 0)
    settings.setdefault("email_notifications", {})
    settings.setdefault("webhook_notifications", {})


def _normalise_task(task: dict[str, Any]) -> None:
    """A task as the service stores it: ``depends_on`` sorted by task_key, its defaults
    (``task_defaults``) filled in, the same inside a ``for_each_task``."""
    if task.get("depends_on"):
        # source: databricks/cli PR #4990 / libs/testserver/jobs.go jobFixUps ("Sort
        # depends_on by task_key to simulate the real API which returns dependencies in a
        # different order than submitted"; for_each_task.task.depends_on too), PR #4363
        # ("The Databricks API returns depends_on sorted by task_key"),
        # terraform-provider-databricks issue #2942 / PR #3000.
        task["depends_on"].sort(key=lambda d: str(d.get("task_key")))
    task_defaults(task)
    inner = (task.get("for_each_task") or {}).get("task")
    if isinstance(inner, dict):
        _normalise_task(inner)


def task_defaults(task: dict[str, Any]) -> None:
    """A task's fields the service fills in when left out.

    - ``run_if`` ALL_SUCCESS, ``timeout_seconds`` 0, ``email_notifications`` {}: source:
      databricks/cli libs/testserver/jobs.go jobFixUps ("Set RunIf to ALL_SUCCESS
      (server-side default)", "Set TimeoutSeconds to 0 (server-side default)");
      bundle/direct/dresources/resources.yml backend_defaults tasks[*].run_if
      ["ALL_SUCCESS"] (also for for_each_task.task).
    - ``new_cluster``: see ``cluster_defaults``.
    Not filled: ``max_retries`` (databricks-sdk Task.max_retries: "The default behavior is
    to never retry"), ``min_retry_interval_millis``, ``retry_on_timeout``. The task
    type's ``source`` is filled when read (``with_sources``).
    """
    task.setdefault("run_if", "ALL_SUCCESS")
    task.setdefault("timeout_seconds", 0)
    task.setdefault("email_notifications", {})
    if isinstance(task.get("new_cluster"), dict):
        cluster_defaults(task["new_cluster"])


def cluster_defaults(cluster: dict[str, Any]) -> None:
    """A job's cluster specification (a task's or job_clusters' ``new_cluster``) as the
    service stores it.

    - ``apply_policy_default_values`` is consumed, never returned; source: databricks/cli
      libs/testserver/jobs.go jobFixUps ("The real Jobs API consumes
      apply_policy_default_values but does not return it in GET responses") and
      bundle/direct/dresources/resources.yml (reason not_returned_by_api).
    - ``data_security_mode`` SINGLE_USER when none was sent (kept verbatim otherwise, AUTO
      included: resolved per run, never written back, databricks/cli PR #5452); source:
      libs/testserver/jobs.go jobFixUps ("Set data security mode to SINGLE_USER
      (server-side default)"), resources.yml ("backend sets this when not specified").
    - ``aws_attributes`` {availability SPOT_WITH_FALLBACK, zone_id us-east-1c} when no
      cloud attributes were sent, ``enable_elastic_disk`` false: the same jobFixUps.
    """
    cluster.pop("apply_policy_default_values", None)
    cluster.setdefault("data_security_mode", "SINGLE_USER")
    if not any(k in cluster for k in ("aws_attributes", "azure_attributes", "gcp_attributes")):
        cluster["aws_attributes"] = dict(DEFAULT_AWS_ATTRIBUTES)
    cluster.setdefault("enable_elastic_disk", False)


def with_sources(settings: dict[str, Any]) -> dict[str, Any]:
    """``notebook_task.source`` as read: GIT when the job has a ``git_source``, WORKSPACE
    otherwise, when the task set none. source: databricks/cli libs/testserver/jobs.go
    setSourceIfNotSet (applied on jobs/get and jobs/list); databricks-sdk
    NotebookTask.source ("If the value is empty, the task will use GIT if git_source is
    defined and WORKSPACE otherwise")."""
    source = "GIT" if settings.get("git_source") else "WORKSPACE"
    for task in settings.get("tasks") or []:
        for one in (task, (task.get("for_each_task") or {}).get("task") or {}):
            notebook = one.get("notebook_task")
            if isinstance(notebook, dict) and not notebook.get("source"):
                notebook["source"] = source
    return settings


def _job_id(request: Request) -> int:
    value = request.arg("job_id")
    if value is None or value == "":
        raise missing("job_id")
    return int(check_type("job_id", value, int))


def _get(emu: Emulator, job_id: int) -> dict[str, Any]:
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


def create(emu: Emulator, request: Request) -> dict[str, Any]:
    # access_control_list is a field of the create request (the SDK's CreateJob), not a
    # setting: the job's permissions, never part of settings.
    settings = _validate({k: v for k, v in request.body.items() if k != "access_control_list"})
    if _is_22(request):
        queue_default(settings)
    with emu.store.lock:
        job_id = emu.store.next_job_id()
        job = {"job_id": job_id, "creator_user_name": USER, "created_time": emu.now_ms(),
               "settings": settings}
        job["run_as_user_name"] = _run_as_user(job)
        emu.store["jobs"][str(job_id)] = job
        emu.store.save()
    return {"job_id": job_id}


def queue_default(settings: dict[str, Any]) -> None:
    """Jobs API 2.2 enables queueing when the request leaves ``queue`` out: source:
    Databricks docs "Updating from Jobs API 2.1 to 2.2" ("For jobs created with the Jobs
    API 2.2, queueing is enabled by default ... For jobs created with the 2.0 and 2.1
    versions of the Jobs API, queueing is not enabled by default"). Applied on create and
    reset (which replaces every setting); an update leaves ``queue`` alone."""
    settings.setdefault("queue", {"enabled": True})


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


def get(emu: Emulator, request: Request) -> dict[str, Any]:
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


def list_(emu: Emulator, request: Request) -> dict[str, Any]:
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
    chunk, nxt = page(jobs, request, "limit", 20, 100)
    for job in chunk:
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
    out: dict[str, Any] = {"jobs": chunk, "has_more": nxt is not None} if chunk else \
        {"has_more": False}
    if nxt:
        out["next_page_token"] = nxt
    prev = prev_token(request, "limit", 20, 100)
    if prev:
        out["prev_page_token"] = prev
    return out


def reset(emu: Emulator, request: Request) -> dict[str, Any]:
    """Replaces every setting. source: databricks-sdk JobsAPI.reset ("Overwrite all
    settings ... These settings completely replace the old settings"). One exception:
    leaving ``run_as`` out keeps the previous one. source: databricks/cli
    acceptance/bundle/run_as/job_default (run on a real workspace; Badness "run_as is
    still set even though it's not in bundle and not in reset request") and
    libs/testserver/jobs.go JobsReset ("Known cloud quirk")."""
    job_id = _job_id(request)
    if request.body.get("new_settings") is None:
        raise missing("new_settings")
    settings = _validate(request.body["new_settings"])
    if _is_22(request):
        queue_default(settings)
    with emu.store.lock:
        job = _get(emu, job_id)
        if settings.get("run_as") is None and job["settings"].get("run_as") is not None:
            settings["run_as"] = job["settings"]["run_as"]
        job["settings"] = settings
        job["run_as_user_name"] = _run_as_user(job)
        emu.store.save()
    return {}


def update(emu: Emulator, request: Request) -> dict[str, Any]:
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
    with emu.store.lock:
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
        job["settings"] = _validate(merged)
        job["run_as_user_name"] = _run_as_user(job)
        emu.store.save()
    return {}


def delete(emu: Emulator, request: Request) -> dict[str, Any]:
    job_id = _job_id(request)
    with emu.store.lock:
        _get(emu, job_id)
        del emu.store["jobs"][str(job_id)]
        emu.store.save()
    return {}


_P = r"/api/2\.[12]/jobs/"
ROUTES = [
    ("POST", _P + "create", create), ("GET", _P + "get", get), ("GET", _P + "list", list_),
    ("POST", _P + "reset", reset), ("POST", _P + "update", update),
    ("POST", _P + "delete", delete),
]
