"""Jobs API 2.2 (and 2.1): what the service does to a job's settings on the way in and
out, each with its source next to the code: the defaults it fills in (``job_defaults``,
``task_defaults``, ``cluster_defaults``, ``queue_default``), each task's ``depends_on``
reordered, ``apply_policy_default_values`` dropped from job clusters, and a notebook
task's ``source`` as read (``with_sources``)."""

from __future__ import annotations

from typing import Any

# A job cluster the service fills cloud attributes into: as for all-purpose clusters
# (see clusterspec.DEFAULT_AWS_ATTRIBUTES); source: databricks/cli libs/testserver/jobs.go
# jobFixUps ("Add AWS-specific cluster defaults if new_cluster is present").
DEFAULT_AWS_ATTRIBUTES = {"availability": "SPOT_WITH_FALLBACK", "zone_id": "us-east-1c"}


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


def normalise_task(task: dict[str, Any]) -> None:
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
        normalise_task(inner)


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


def queue_default(settings: dict[str, Any]) -> None:
    """Jobs API 2.2 enables queueing when the request leaves ``queue`` out: source:
    Databricks docs "Updating from Jobs API 2.1 to 2.2" ("For jobs created with the Jobs
    API 2.2, queueing is enabled by default ... For jobs created with the 2.0 and 2.1
    versions of the Jobs API, queueing is not enabled by default"). Applied on create and
    reset (which replaces every setting); an update leaves ``queue`` alone."""
    settings.setdefault("queue", {"enabled": True})
