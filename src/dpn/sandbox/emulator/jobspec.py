"""Jobs API 2.2 (and 2.1): what a job's settings may hold. Every setting of the SDK's
``JobSettings`` and every field of its ``Task`` is accepted, type-checked lightly and
stored; ``validate`` answers the settings as the service stores them (defaults and
normalisation: jobdefaults.py), tasks sorted by ``task_key``."""

from __future__ import annotations

import copy
from typing import Any

from dpn.sandbox.emulator.errors import invalid, missing
from dpn.sandbox.emulator.jobdefaults import cluster_defaults, job_defaults, normalise_task
from dpn.sandbox.emulator.request import check_type, string_map

MAX_TAGS = 25
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


def validate(settings: Any) -> dict[str, Any]:
    """Type-checked settings (a deep copy), with the defaults the service always reports
    (``job_defaults``) and the tasks normalised (``normalise_task``)."""
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
    string_map("tags", tags)
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
        normalise_task(task)
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
