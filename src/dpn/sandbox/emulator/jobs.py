"""Jobs API 2.2: create, get, list (name filter, pagination), reset, update (with
``fields_to_remove``), delete. A missing job is 400 INVALID_PARAMETER_VALUE
"Job <id> does not exist.", as on the real service."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from dpn.sandbox.emulator.app import (
    USER,
    Request,
    check_type,
    now_ms,
    optional,
    page,
    prev_token,
)
from dpn.sandbox.emulator.errors import invalid, missing

if TYPE_CHECKING:
    from dpn.sandbox.emulator.app import Emulator

KEYED_ARRAYS = {"tasks": "task_key", "job_clusters": "job_cluster_key", "parameters": "name",
                "environments": "environment_key"}
MAX_TAGS = 25


def _validate(settings: Any) -> dict[str, Any]:
    if not isinstance(settings, dict):
        raise invalid("Invalid value for field 'settings': expected object")
    name = settings.get("name", "Untitled")
    check_type("name", name, str)
    if len(name.encode()) > 4096:
        raise invalid("Job name must be at most 4096 bytes.")
    tasks = settings.get("tasks", [])
    check_type("tasks", tasks, list)
    seen: set[str] = set()
    for task in tasks:
        if not isinstance(task, dict) or not task.get("task_key"):
            raise missing("task_key")
        if task["task_key"] in seen:
            raise invalid(f"Task key {task['task_key']} is not unique.")
        seen.add(task["task_key"])
        kinds = [k for k in task if k.endswith("_task") and task[k] is not None]
        if len(kinds) != 1:
            raise invalid(f"Task {task['task_key']} must set exactly one task type "
                          f"(such as notebook_task or spark_python_task), got {len(kinds)}.")
        for dep in task.get("depends_on", []):
            if not isinstance(dep, dict) or dep.get("task_key") not in {t.get("task_key")
                                                                        for t in tasks}:
                raise invalid(f"Task {task['task_key']} depends on an unknown task.")
    tags = settings.get("tags", {})
    check_type("tags", tags, dict)
    if len(tags) > MAX_TAGS:
        raise invalid(f"A job can have at most {MAX_TAGS} tags.")
    for field in ("max_concurrent_runs", "timeout_seconds"):
        if field in settings:
            check_type(field, settings[field], int)
    for field in ("schedule", "email_notifications", "trigger", "continuous"):
        if field in settings:
            check_type(field, settings[field], dict)
    schedule = settings.get("schedule")
    if schedule is not None and not schedule.get("quartz_cron_expression"):
        raise missing("schedule.quartz_cron_expression")
    if schedule is not None and not schedule.get("timezone_id"):
        raise missing("schedule.timezone_id")
    out = copy.deepcopy(settings)
    out["name"] = name
    out.setdefault("max_concurrent_runs", 1)
    out.setdefault("timeout_seconds", 0)
    out.setdefault("email_notifications", {})
    out.setdefault("format", "MULTI_TASK")
    return out


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


def create(emu: Emulator, request: Request) -> dict[str, Any]:
    settings = _validate(request.body)
    with emu.store.lock:
        job_id = emu.store.next_job_id()
        emu.store["jobs"][str(job_id)] = {
            "job_id": job_id, "creator_user_name": USER, "run_as_user_name": USER,
            "created_time": now_ms(), "settings": settings,
        }
        emu.store.save()
    return {"job_id": job_id}


def get(emu: Emulator, request: Request) -> dict[str, Any]:
    with emu.store.lock:
        job = copy.deepcopy(_get(emu, _job_id(request)))
    job["has_more"] = False
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
    out: dict[str, Any] = {"jobs": chunk, "has_more": nxt is not None} if chunk else \
        {"has_more": False}
    if nxt:
        out["next_page_token"] = nxt
    prev = prev_token(request, "limit", 20, 100)
    if prev:
        out["prev_page_token"] = prev
    return out


def reset(emu: Emulator, request: Request) -> dict[str, Any]:
    job_id = _job_id(request)
    if request.body.get("new_settings") is None:
        raise missing("new_settings")
    settings = _validate(request.body["new_settings"])
    with emu.store.lock:
        _get(emu, job_id)["settings"] = settings
        emu.store.save()
    return {}


def update(emu: Emulator, request: Request) -> dict[str, Any]:
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
                    by_key[item.get(key)] = item
                merged[field] = list(by_key.values())
            else:
                merged[field] = copy.deepcopy(value)
        for path in remove:
            check_type("fields_to_remove", path, str)
            head, _, sub = path.partition("/")
            if sub and head in KEYED_ARRAYS:
                merged[head] = [i for i in merged.get(head, [])
                                if i.get(KEYED_ARRAYS[head]) != sub]
            elif sub:
                raise invalid(f"Cannot remove nested field {path}.")
            else:
                merged.pop(head, None)
        job["settings"] = _validate(merged)
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
