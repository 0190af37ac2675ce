"""Crash campaign (SPEC 6): random blueprints, SIGKILL at a random instant of create,
update or delete (and of recover), then ``dpn recover``: no orphan, state equals the
platforms, and a following command reaches the blueprint. CI runs a few seeded runs; set
``DPN_CAMPAIGN_RUNS`` (and ``DPN_CAMPAIGN_SEED``) for a long one."""

from __future__ import annotations

import random

import pytest

from .conftest import campaign_runs
from .crash import crash_run

pytestmark = [pytest.mark.crash, pytest.mark.integration]


def _campaign(ctx, runs: int) -> None:
    from dpn.sandbox.faults import FaultClient

    for url in (ctx.sandbox.aws_endpoint, ctx.sandbox.dbx_host):
        FaultClient(url).add(latency_ms=15)  # a wider window for the random instants
    rng = random.Random(ctx.figures.seed)
    print(f"crash campaign seed {ctx.figures.seed}")
    for i in range(runs):
        crash_run(ctx, rng, i)
    print(ctx.figures.line())
    assert not ctx.figures.failures, "\n".join(ctx.figures.failures[:10])
    assert ctx.figures.orphans == 0 and ctx.figures.tracebacks == 0


def test_random_kills_ci(ctx):
    _campaign(ctx, 6)
    assert ctx.figures.kills >= 3 and ctx.figures.kills_in_tx >= 3


@pytest.mark.slow
def test_random_kills_long(ctx):
    _campaign(ctx, campaign_runs(200))
