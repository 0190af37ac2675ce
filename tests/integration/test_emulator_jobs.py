"""Jobs API 2.2 of the emulator, driven through databricks-sdk's WorkspaceClient."""

from __future__ import annotations

import pytest
from databricks.sdk.errors import InvalidParameterValue, ResourceDoesNotExist
from databricks.sdk.service.jobs import (
    CronSchedule,
    JobSettings,
    NotebookTask,
    Task,
)

pytestmark = pytest.mark.integration


def _task(key: str, path: str = "/Shared/ingest") -> Task:
    return Task(task_key=key, existing_cluster_id="0101-000000-abc",
                notebook_task=NotebookTask(notebook_path=path))


def test_create_get_and_int64_id(clean_sandbox, workspace):
    created = workspace.jobs.create(name="nightly", tasks=[_task("ingest")],
                                    tags={"dpn:stack": "s"}, max_concurrent_runs=2)
    assert isinstance(created.job_id, int)
    job = workspace.jobs.get(created.job_id)
    assert job.job_id == created.job_id
    assert job.settings.name == "nightly"
    assert job.settings.tasks[0].notebook_task.notebook_path == "/Shared/ingest"
    assert job.settings.max_concurrent_runs == 2
    assert job.created_time > 0 and job.creator_user_name


def test_missing_job_is_resource_does_not_exist(clean_sandbox, workspace):
    with pytest.raises(ResourceDoesNotExist, match="Job 999999 does not exist"):
        workspace.jobs.get(999999)
    with pytest.raises(InvalidParameterValue):
        workspace.jobs.delete(999999)


def test_list_filters_by_name_case_insensitively_and_paginates(clean_sandbox, workspace):
    ids = [workspace.jobs.create(name=f"job-{i}").job_id for i in range(5)]
    wanted = workspace.jobs.create(name="Nightly").job_id
    found = list(workspace.jobs.list(name="nightly"))
    assert [j.job_id for j in found] == [wanted]
    page = workspace.api_client.do("GET", "/api/2.2/jobs/list", query={"limit": 2})
    assert len(page["jobs"]) == 2 and page["has_more"] is True and page["next_page_token"]
    assert [j.job_id for j in workspace.jobs.list(limit=2)] == [*ids, wanted]
    assert list(workspace.jobs.list(name="absent")) == []
    with pytest.raises(InvalidParameterValue):
        workspace.api_client.do("GET", "/api/2.2/jobs/list", query={"limit": 101})


def test_list_omits_tasks_unless_expanded(clean_sandbox, workspace):
    workspace.jobs.create(name="j", tasks=[_task("a")])
    assert not list(workspace.jobs.list())[0].settings.tasks
    assert list(workspace.jobs.list(expand_tasks=True))[0].settings.tasks[0].task_key == "a"


def test_reset_replaces_settings(clean_sandbox, workspace):
    job_id = workspace.jobs.create(name="j", tasks=[_task("a")], tags={"k": "v"}).job_id
    workspace.jobs.reset(job_id, JobSettings(name="j2", tasks=[_task("b")]))
    settings = workspace.jobs.get(job_id).settings
    assert settings.name == "j2" and [t.task_key for t in settings.tasks] == ["b"]
    assert settings.tags is None


def test_update_merges_tasks_and_removes_fields(clean_sandbox, workspace):
    job_id = workspace.jobs.create(
        name="j", tasks=[_task("a"), _task("b")], tags={"k": "v"},
        schedule=CronSchedule(quartz_cron_expression="0 0 1 * * ?", timezone_id="UTC")).job_id
    workspace.jobs.update(job_id, new_settings=JobSettings(tasks=[_task("a", "/Shared/new")]),
                          fields_to_remove=["tags", "tasks/b"])
    settings = workspace.jobs.get(job_id).settings
    assert [t.task_key for t in settings.tasks] == ["a"]
    assert settings.tasks[0].notebook_task.notebook_path == "/Shared/new"
    assert settings.tags is None
    assert settings.schedule.quartz_cron_expression == "0 0 1 * * ?"


def test_delete(clean_sandbox, workspace):
    job_id = workspace.jobs.create(name="j").job_id
    workspace.jobs.delete(job_id)
    with pytest.raises(ResourceDoesNotExist):
        workspace.jobs.get(job_id)


def test_validation(clean_sandbox, workspace):
    with pytest.raises(InvalidParameterValue, match="task_key"):
        workspace.api_client.do("POST", "/api/2.2/jobs/create",
                                body={"name": "j", "tasks": [{"notebook_task": {}}]})
    with pytest.raises(InvalidParameterValue, match="exactly one task type"):
        workspace.api_client.do("POST", "/api/2.2/jobs/create",
                                body={"name": "j", "tasks": [{"task_key": "a"}]})
    with pytest.raises(InvalidParameterValue, match="tags"):
        workspace.jobs.create(name="j", tags={f"t{i}": "v" for i in range(26)})
    with pytest.raises(InvalidParameterValue, match="new_settings"):
        workspace.api_client.do("POST", "/api/2.2/jobs/reset", body={"job_id": 1})
