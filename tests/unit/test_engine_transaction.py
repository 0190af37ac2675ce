"""The transaction engine against an in-memory platform: order, commit, rollback, recovery."""

from __future__ import annotations

import pytest

from dpn.api.apply import apply
from dpn.api.runner import Runner
from dpn.api.stacks import recover_stack
from dpn.engine.stores import LocalStore
from dpn.engine.stores.state import StateStore
from dpn.engine.wal import Rec, WalWriter, list_logs, read_wal, wal_dir
from dpn.errors import InvalidRequest, NotEmpty, PermissionDenied, RecoveryNeeded
from dpn.model import Blueprint, Metadata, Resource, freeze

from .fake_platform import FakePlatform, fake_retry

STACK = "acme-dev-lake"


def _res(key: str, rtype: str, name: str, deps: tuple[str, ...] = (), **props):
    tag_field = {"aws.s3_bucket": "tags", "aws.glue_database": "tags",
                 "aws.glue_table": "parameters", "dbx.cluster": "custom_tags",
                 "dbx.job": "tags", "dbx.catalog": "properties", "dbx.schema": "properties",
                 "dbx.table": "properties"}[rtype]
    props = dict(props)
    props[tag_field] = {"dpn:stack": STACK, "dpn:key": key}
    return Resource(key, rtype, name, name, freeze(props), deps)


def blueprint(*resources: Resource) -> Blueprint:
    meta = Metadata(org="acme", env="dev", project="lake", region="us-east-1")
    return Blueprint("<test>", meta, {r.key: r for r in resources})


def three() -> Blueprint:
    return blueprint(
        _res("bucket", "aws.s3_bucket", "acme-dev-lake-raw-landing"),
        _res("cluster", "dbx.cluster", "dev-lake-etl", num_workers=1),
        _res("job", "dbx.job", "dev-lake-nightly", ("bucket", "cluster"),
             tasks=[{"task_key": "t", "existing_cluster_id": "${cluster.id}",
                     "path": "s3://${bucket.name}/x"}]),
    )


@pytest.fixture
def platform():
    return FakePlatform()


@pytest.fixture
def runner(tmp_path, platform):
    return Runner(home=tmp_path, providers=platform.providers,
                  retry=fake_retry())


def incomplete(home, stack):
    """Every transaction of the stack without a terminal record."""
    return LocalStore(home).incomplete(stack)


def objects(platform, rtype=None):
    return {(t, o["name"]) for (t, _), o in platform.objects.items() if rtype in (None, t)}


def test_create_commits_resolves_references_and_writes_state(runner, platform):
    _, result = apply(runner, three(), "create")
    assert result.outcome == "committed" and result.ok
    state = StateStore(runner.home).load(STACK)
    assert set(state.resources) == {"bucket", "cluster", "job"}
    cluster_id = state.resources["cluster"].id
    job = state.resources["job"].props["tasks"][0]
    assert job["existing_cluster_id"] == cluster_id
    assert job["path"] == "s3://acme-dev-lake-raw-landing/x"
    # the job was created after both of its dependencies
    order = [k for (_, k, op) in platform.calls if op == "create"]
    assert order.index("job") > order.index("bucket") and order.index("job") > order.index(
        "cluster")
    log = read_wal(list_logs(runner.home, STACK)[0])
    kinds = [r["record"] for r in log.records]
    assert kinds[0] == "begin" and "commit" in kinds and kinds[-1] == "end"
    # at most one fsync per operation (its intent; intents written together share one),
    # plus begin, commit and end
    assert len(log.records) == 2 * 3 + 3
    assert 3 + 2 <= result.fsyncs <= 3 + 3


def test_second_create_is_a_no_op(runner, platform):
    apply(runner, three(), "create")
    calls = len(platform.calls)
    _, result = apply(runner, three(), "create")
    assert result.tx is None
    assert [c[2] for c in platform.calls[calls:]] == ["access"]  # a read, nothing else


def test_failure_rolls_back_everything(runner, platform):
    platform.fail[("job", "create")] = InvalidRequest("bad job settings")
    _, result = apply(runner, three(), "create")
    assert result.outcome == "rolled_back"
    assert "bad job settings" in result.error
    assert objects(platform) == set()
    assert StateStore(runner.home).load(STACK) is None
    statuses = {o.key: o.status for o in result.operations}
    assert statuses == {"bucket": "undone", "cluster": "undone", "job": "failed"}
    assert incomplete(runner.home, STACK) == []


def test_permission_denied_before_anything_changed_says_so(runner, platform):
    platform.fail[("bucket", "create")] = PermissionDenied("no")
    platform.fail[("cluster", "create")] = PermissionDenied("no")
    _, result = apply(runner, three(), "create")
    assert result.outcome == "rolled_back" and result.error_exit == 5


def test_transient_errors_are_retried(runner, platform):
    platform.transient[("cluster", "create")] = 3
    _, result = apply(runner, three(), "create")
    assert result.ok
    assert sum(1 for c in platform.calls if c[1:] == ("cluster", "create")) == 4


def test_update_rollback_restores_before_image(runner, platform):
    apply(runner, three(), "create")
    changed = blueprint(
        _res("bucket", "aws.s3_bucket", "acme-dev-lake-raw-landing", versioning=False),
        _res("cluster", "dbx.cluster", "dev-lake-etl", num_workers=4),
        _res("job", "dbx.job", "dev-lake-nightly", ("bucket", "cluster"),
             tasks=[{"task_key": "t2"}]),
    )
    platform.fail[("job", "update")] = InvalidRequest("nope")
    _, result = apply(runner, changed, "update")
    assert result.outcome == "rolled_back"
    props = {o["name"]: o["props"] for o in platform.objects.values()}
    assert props["dev-lake-etl"]["num_workers"] == 1
    assert props["acme-dev-lake-raw-landing"]["versioning"] is True  # the default, as sent


def test_update_deletes_what_left_the_blueprint_after_commit(runner, platform):
    apply(runner, three(), "create")
    smaller = blueprint(_res("bucket", "aws.s3_bucket", "acme-dev-lake-raw-landing"))
    _, result = apply(runner, smaller, "update")
    assert result.ok
    assert objects(platform) == {("aws.s3_bucket", "acme-dev-lake-raw-landing")}
    assert set(StateStore(runner.home).load(STACK).resources) == {"bucket"}


def test_delete_phase_failure_keeps_exact_state(runner, platform):
    apply(runner, three(), "create")
    platform.fail[("bucket", "delete")] = NotEmpty("bucket has objects")
    _, result = apply(runner, three(), "delete")
    assert result.outcome == "committed" and not result.ok
    state = StateStore(runner.home).load(STACK)
    assert set(state.resources) == {"bucket"}
    assert objects(platform) == {("aws.s3_bucket", "acme-dev-lake-raw-landing")}
    platform.fail.clear()
    _, result = apply(runner, three(), "delete")
    assert result.ok and objects(platform) == set()
    assert StateStore(runner.home).load(STACK).resources == {}


def test_failed_rollback_needs_recovery_then_recover_finishes(runner, platform):
    platform.fail[("job", "create")] = InvalidRequest("bad")
    platform.fail[("bucket", "delete")] = InvalidRequest("cannot delete now")
    _, result = apply(runner, three(), "create")
    assert result.outcome == "needs_recovery"
    with pytest.raises(RecoveryNeeded):
        apply(runner, three(), "create")
    platform.fail.clear()
    [rec] = recover_stack(runner, STACK)
    assert rec.outcome == "rolled_back"
    assert objects(platform) == set()
    assert incomplete(runner.home, STACK) == []


def test_a_create_that_fails_after_making_its_object_is_rolled_back(runner, platform):
    """The object was made, then a later call of the same create failed (a read-back, a
    tag): the engine finds it by name and ownership and the rollback deletes it."""
    platform.fail_after[("cluster", "create")] = InvalidRequest("read-back refused")
    _, result = apply(runner, three(), "create")
    assert result.outcome == "rolled_back" and "read-back refused" in result.error
    assert objects(platform) == set()
    assert incomplete(runner.home, STACK) == []
    [log] = [read_wal(p) for p in list_logs(runner.home, STACK)]
    cluster = [r["record"] for r in log.records if r.get("key") == "cluster"]
    assert cluster == ["intent", "done", "failed", "undo", "undone"]


def test_a_failed_create_whose_effect_cannot_be_read_is_left_to_recover(runner, platform):
    platform.fail_after[("cluster", "create")] = InvalidRequest("read-back refused")
    platform.fail[("cluster", "find")] = InvalidRequest("cannot list")
    _, result = apply(runner, three(), "create")
    assert result.outcome == "needs_recovery" and "could not be read" in result.error
    platform.fail.clear()
    [rec] = recover_stack(runner, STACK)
    assert rec.outcome == "rolled_back" and "cluster: create had taken effect" in \
        " ".join(rec.actions)
    assert objects(platform) == set()


def _crashed_log(home, ops, records):
    path = wal_dir(home, STACK) / "20260101T000000Z-deadbeef.jsonl"
    w = WalWriter(path)
    w.append(Rec.BEGIN, tx=path.stem, stack=STACK, base_serial=0, ops=ops)
    for kind, fields in records:
        w.append(kind, **fields)
    w.close()


def test_recover_rolls_back_an_uncommitted_create_whose_outcome_was_unknown(runner, platform):
    bp = three()
    providers = platform.providers()
    from dpn.providers.base import Spec
    res = bp.resources["bucket"]
    spec = Spec("bucket", res.type, res.name, res.props)
    providers[res.type].create(spec)     # the call took effect, then the process died
    _crashed_log(runner.home, [{"key": "bucket", "type": res.type, "name": res.name,
                                "action": "create"}],
                 [(Rec.INTENT, {"key": "bucket", "action": "create", "op": "create",
                                "type": res.type,
                                "spec": {"key": "bucket", "type": res.type, "name": res.name,
                                         "props": dict(res.props), "token": ""}})])
    with pytest.raises(RecoveryNeeded):
        apply(runner, bp, "create")
    [rec] = recover_stack(runner, STACK)
    assert rec.outcome == "rolled_back"
    assert objects(platform) == set()
    _, result = apply(runner, bp, "create")
    assert result.ok


def test_recover_completes_a_committed_transaction(runner, platform):
    apply(runner, three(), "create")
    state = StateStore(runner.home).load(STACK)
    job = state.resources["job"]
    # a delete phase that died after its intent: the delete had not been sent
    _crashed_log(runner.home, [{"key": "job", "type": job.type, "name": job.name,
                                "action": "delete", "id": job.id}],
                 [(Rec.COMMIT, {}),
                  (Rec.INTENT, {"key": "job", "action": "delete", "op": "delete",
                                "type": job.type, "id": job.id})])
    [rec] = recover_stack(runner, STACK)
    assert rec.outcome == "committed"
    assert ("dbx.job", "dev-lake-nightly") not in objects(platform)
    assert "job" not in StateStore(runner.home).load(STACK).resources


def test_import_adopts_an_untagged_object_and_rollback_restores_it(runner, platform):
    from dpn.engine.operations import Engine
    from dpn.engine.ops import Operation
    from dpn.engine.transaction import Transaction
    from dpn.providers.base import Spec

    bp = three()
    res = bp.resources["bucket"]
    providers = platform.providers()
    providers[res.type].create(Spec("bucket", res.type, res.name, freeze({"tags": {}})))
    engine = Engine(home=runner.home, providers=providers, retry=runner.retry)
    op = Operation("bucket", res.type, res.name, "import", (), res.name)
    result = Transaction(engine, STACK, None, bp, [op]).run()
    assert result.ok
    obj = platform.objects[(res.type, res.name)]
    assert obj["props"]["tags"]["dpn:stack"] == STACK
    assert StateStore(runner.home).load(STACK).resources["bucket"].id == res.name
    # an object that another stack owns is refused
    obj["props"]["tags"] = {"dpn:stack": "other-stack", "dpn:key": "x"}
    result = Transaction(engine, STACK, StateStore(runner.home).load(STACK), bp, [op]).run()
    assert result.outcome == "rolled_back" and "not tagged as owned" in result.error


def test_refused_access_stops_before_any_call(runner, platform):
    platform.fail[("*", "access")] = PermissionDenied("token refused")
    with pytest.raises(PermissionDenied):
        apply(runner, three(), "create")
    assert [c for c in platform.calls if c[2] != "access"] == []
    assert list_logs(runner.home, STACK) == []


def test_a_state_write_failing_after_commit_leaves_it_to_recover(tmp_path, platform):
    from dpn.engine.stores import LocalStore

    class FullDisk(LocalStore):
        fail = True

        def save_state(self, state, *, tx=None):
            if FullDisk.fail:
                FullDisk.fail = False
                raise OSError(28, "No space left on device")
            return super().save_state(state, tx=tx)

    runner = Runner(home=tmp_path, providers=platform.providers, store=FullDisk(tmp_path),
                    retry=fake_retry())
    with pytest.raises(RecoveryNeeded, match="No space left"):
        apply(runner, three(), "create")
    assert StateStore(tmp_path).load(STACK) is None
    [rec] = recover_stack(runner, STACK)
    assert rec.outcome == "committed"
    state = StateStore(tmp_path).load(STACK)
    assert set(state.resources) == {"bucket", "cluster", "job"}
    assert len(platform.objects) == 3
