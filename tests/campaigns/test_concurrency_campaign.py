"""Concurrency campaign (SPEC 6): 8 processes on one stack, then on one stack and
several stacks: one winner per stack at a time, no lost update, no deadlock."""

from __future__ import annotations

import random

import pytest

from .concurrency import concurrency_run
from .conftest import campaign_runs

pytestmark = [pytest.mark.integration]


def test_eight_processes_ci(ctx):
    print(f"seed {ctx.figures.seed}")
    concurrency_run(ctx, random.Random(ctx.figures.seed), 0)
    assert not ctx.figures.failures, "\n".join(ctx.figures.failures)


@pytest.mark.slow
def test_eight_processes_long(ctx):
    rng = random.Random(ctx.figures.seed)
    for i in range(campaign_runs(10)):
        concurrency_run(ctx, rng, i)
    assert not ctx.figures.failures, "\n".join(ctx.figures.failures[:10])
