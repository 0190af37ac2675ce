"""Saved plans, imports and history against the in-memory platform (the engine runs
unmodified; only the platforms are fakes)."""

from __future__ import annotations

import json

import pytest

from dpn.api.apply import apply, apply_saved
from dpn.api.importing import import_resources
from dpn.api.runner import Runner
from dpn.engine.stores import LocalStore
from dpn.engine.stores.history import history
from dpn.errors import InputError, OwnershipError, RecoveryNeeded
from dpn.model import Blueprint, Metadata, Resource, freeze
from dpn.plan import Plan, make_plan

from .fake_platform import FakePlatform, fake_retry

STACK = "acme-dev-lake"
TAG = {"aws.s3_bucket": "tags", "aws.glue_database": "tags", "dbx.cluster": "custom_tags",
       "dbx.job": "tags"}


def _res(key: str, rtype: str, name: str, deps: tuple[str, ...] = (), **props):
    props = dict(props)
    props[TAG[rtype]] = {"dpn:stack": STACK, "dpn:key": key}
    return Resource(key, rtype, name, name, freeze(props), deps)


def blueprint(workers: int = 1) -> Blueprint:
    meta = Metadata(org="acme", env="dev", project="lake", region="us-east-1")
    res = [_res("bucket", "aws.s3_bucket", "acme-dev-lake-raw-landing"),
           _res("cluster", "dbx.cluster", "dev-lake-etl", num_workers=workers),
           _res("job", "dbx.job", "dev-lake-nightly", ("bucket", "cluster"),
                tasks=[{"task_key": "t", "existing_cluster_id": "${cluster.id}",
                        "path": "s3://${bucket.name}/x"}])]
    return Blueprint("<test>", meta, {r.key: r for r in res})


@pytest.fixture
def platform():
    return FakePlatform()


@pytest.fixture
def runner(tmp_path, platform):
    return Runner(home=tmp_path, providers=platform.providers,
                  retry=fake_retry())


def saved(plan: Plan) -> Plan:
    """A plan as written to a file and read back."""
    return Plan.from_json(json.loads(plan.to_json_text()))


def test_a_saved_plan_applies_exactly_its_changes(runner, platform):
    plan = saved(make_plan(blueprint(), None))
    assert plan.serial == 0 and plan.digest
    _, result = apply_saved(runner, blueprint(), plan)
    assert result.outcome == "committed" and len(result.operations) == 3
    assert len(platform.objects) == 3
    with pytest.raises(InputError, match=r"moved since the plan was made \(serial 0, now 1\)"):
        apply_saved(runner, blueprint(), plan)
    state = runner.store.load_state(STACK)
    second = saved(make_plan(blueprint(workers=3), state))
    with pytest.raises(InputError, match="blueprint changed since the plan"):
        apply_saved(runner, blueprint(), second)
    calls = len(platform.calls)
    _, result = apply_saved(runner, blueprint(workers=3), second)
    assert [op.key for op in result.operations] == ["cluster"]
    cluster = next(o for (t, _), o in platform.objects.items() if t == "dbx.cluster")
    assert cluster["props"]["num_workers"] == 3
    assert len(platform.calls) > calls


def test_a_saved_plan_for_another_stack_or_during_recovery_is_refused(runner, tmp_path):
    plan = saved(make_plan(blueprint(), None))
    other = Plan(stack="acme-dev-other", changes=plan.changes, serial=0, digest=plan.digest)
    with pytest.raises(InputError, match="is for stack 'acme-dev-other'"):
        apply_saved(runner, blueprint(), other)
    from dpn.engine.wal import Rec, WalWriter, wal_dir

    directory = wal_dir(tmp_path, STACK)
    directory.mkdir(parents=True)
    writer = WalWriter(directory / "tx1.jsonl")
    writer.append(Rec.BEGIN, tx="tx1", ops=[])
    writer.close()
    with pytest.raises(RecoveryNeeded):
        apply_saved(runner, blueprint(), plan)


def test_plan_file_errors_are_input_errors() -> None:
    for raw in ({}, {"stack": "s", "changes": [{"key": 1}], "serial": 0, "digest": ""},
                {"stack": "s", "changes": [], "serial": "x", "digest": ""}, []):
        with pytest.raises(InputError, match="not a plan"):
            Plan.from_json(raw)


def test_import_adopts_untagged_objects_with_dependencies_in_one_transaction(
        runner, platform):
    platform.objects[("aws.s3_bucket", "acme-dev-lake-raw-landing")] = {
        "name": "acme-dev-lake-raw-landing", "props": {"tags": {"team": "x"}}, "children": 0}
    platform.objects[("dbx.cluster", "c-1")] = {
        "name": "dev-lake-etl", "props": {"num_workers": 1, "custom_tags": {}}, "children": 0}
    plan, result = import_resources(runner, blueprint(), {}, all_missing=True)
    assert {c.key for c in plan.candidates} == {"bucket", "cluster"}
    assert [s.key for s in plan.skipped] == ["job"]
    assert result is not None and result.outcome == "committed"
    state = runner.store.load_state(STACK)
    assert state.resources["cluster"].id == "c-1"
    assert platform.objects[("dbx.cluster", "c-1")]["props"]["custom_tags"]["dpn:key"] == \
        "cluster"
    with pytest.raises(InputError, match="already in the stack's state"):
        import_resources(runner, blueprint(), {"bucket": "acme-dev-lake-raw-landing"})
    # the rest is a plain create that refers to the imported cluster's id
    _, rest = apply(runner, blueprint(), "update")
    job = next(o for (t, _), o in platform.objects.items() if t == "dbx.job")
    assert job["props"]["tasks"][0]["existing_cluster_id"] == "c-1"
    assert rest.outcome == "committed"


def test_import_refuses_another_stacks_object_and_a_wrong_name(runner, platform):
    platform.objects[("dbx.cluster", "c-9")] = {
        "name": "dev-lake-etl", "children": 0,
        "props": {"custom_tags": {"dpn:stack": "other", "dpn:key": "x"}}}
    with pytest.raises(OwnershipError, match="owned by stack 'other'"):
        import_resources(runner, blueprint(), {"cluster": "c-9"})
    platform.objects[("dbx.cluster", "c-8")] = {"name": "something-else", "children": 0,
                                                "props": {}}
    with pytest.raises(InputError, match="is named 'something-else'"):
        import_resources(runner, blueprint(), {"cluster": "c-8"})
    with pytest.raises(InputError, match="depends on bucket, cluster"):
        import_resources(runner, blueprint(), {"job": "1"})
    assert runner.store.load_state(STACK) is None


def test_history_reports_outcome_duration_and_operations(runner, platform, tmp_path):
    apply(runner, blueprint(), "create")
    platform.fail[("cluster", "update")] = RuntimeError("boom")
    _, failed = apply(runner, blueprint(workers=2), "update")
    assert failed.outcome == "rolled_back"
    rows = history(LocalStore(tmp_path))
    assert [r.outcome for r in rows] == ["committed", "rolled_back"]
    assert all(r.stack == STACK and r.duration >= 0 and r.started > 0 for r in rows)
    assert {o.key: o.status for o in rows[0].operations} == {
        "bucket": "done", "cluster": "done", "job": "done"}
    ops = {o.key: o for o in rows[1].operations}
    assert ops["cluster"].status == "failed" and "boom" in (ops["cluster"].error or "")
    assert set(ops) == {"cluster"}
    assert rows[1].to_json()["operations"][0]["action"] == "update"
    assert history(LocalStore(tmp_path), "acme-dev-none") == []


def test_history_of_an_interrupted_transaction_is_incomplete(tmp_path):
    from dpn.engine.wal import Rec, WalWriter, wal_dir

    directory = wal_dir(tmp_path, STACK)
    directory.mkdir(parents=True)
    writer = WalWriter(directory / "tx9.jsonl")
    writer.append(Rec.BEGIN, tx="tx9", ops=[{"key": "b", "type": "aws.s3_bucket",
                                             "action": "create"}])
    writer.append(Rec.INTENT, key="b", action="create")
    writer.close()
    (row,) = history(LocalStore(tmp_path), STACK)
    assert row.outcome == "incomplete" and not row.committed
    assert row.operations[0].status == "unknown"
