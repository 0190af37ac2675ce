"""Fault campaign (SPEC 6): transient faults on ~20 % of calls to both platforms are
ridden out; a random permanent fault rolls back cleanly; a throttling storm is not
amplified."""

from __future__ import annotations

import random

import pytest

from .conftest import campaign_runs
from .faults import faults_run

pytestmark = [pytest.mark.integration]


@pytest.mark.parametrize("kind", ["transient", "permanent", "storm"])
def test_faults_ci(ctx, kind):
    print(f"seed {ctx.figures.seed}")
    faults_run(ctx, random.Random(ctx.figures.seed), 0, kind)
    assert not ctx.figures.failures, "\n".join(ctx.figures.failures)


@pytest.mark.slow
def test_faults_long(ctx):
    rng = random.Random(ctx.figures.seed)
    for i in range(campaign_runs(20)):
        faults_run(ctx, rng, i)
    assert not ctx.figures.failures, "\n".join(ctx.figures.failures[:10])
